import AccordConnectors
import AccordModel
import AccordStore

extension WritePlanner {
    /// A record that failed before is retried when it changed, when the plan changed, or on `accord retry`.
    func skipsFailed(_ side: Side, _ id: String) -> Bool {
        guard !context.fullScan, !context.snapshot.retryRequested, !inventory[side].changed.contains(id) else { return false }
        return failedBefore[side].contains(id)
    }

    /// Whether every unlinked record of `side` syncs, when that does not depend on the record (no
    /// rule of its way reads values); `nil` when it does.
    private func everyUnlinkedSyncs(from side: Side) -> Bool? {
        context.plan.rules.valueFreeMatches[side].map { !$0.unlinked.isEmpty }
    }

    /// Plans a create for every unlinked record that a rule of its way lets through, unless it
    /// is a duplicate, ambiguous, unreadable, waiting for a retry, or (avoiding duplicates)
    /// without email or with an email the other app already holds in any slot; records the rest
    /// as excluded, with the reason.
    func planCreates(into plan: inout WritePlan) {
        let avoidDuplicates = context.plan.plan.options.avoid_duplicates
        for way in Way.allCases where context.plan.rules.syncs(way) {
            let source = way.source, target = way.target
            let candidates = linkage.unlinked[source].sorted()
            plan.creates.reserveCapacity(plan.creates.count + candidates.count)
            let everySyncs = everyUnlinkedSyncs(from: source)
            let targetDuplicates = Set(linkage.duplicates[target].flatMap { inventory[target].emails[$0]?.all ?? [] })
            for id in candidates where inventory[source].unreadable[id] == nil {
                let emails = inventory[source].emails[id] ?? .none
                let reason: String
                if linkage.duplicates[source].contains(id) {
                    continue  // reported as a duplicate
                } else if avoidDuplicates, emails.isEmpty {
                    reason = "the contact has no email address"
                } else if emails.all.contains(where: targetDuplicates.contains) {
                    reason = "several records in app \(context.app(target).label) have its email; it is linked once they are merged"
                } else if linkage.ambiguous[source].contains(id) {
                    reason = "its emails belong to more than one contact, here or in app \(context.app(target).label); it is linked once they are merged"
                } else if !(everySyncs ?? syncs(id, from: source)) {
                    reason = "it matches no \(way.rawValue) rule"
                } else if avoidDuplicates, emails.all.contains(where: { linkage.emailIndex[target][$0] != nil }) {
                    reason = "app \(context.app(target).label) already holds its email, in a contact linked to another one"
                } else {
                    if !skipsFailed(source, id) { plan.creates.append(Create(way: way, sourceID: id, emails: emails)) }
                    continue
                }
                plan.health.append(HealthEntry(side: source, recordID: id, kind: .excluded, reason: reason, email: emails.first))
                plan.counts.excluded += 1
            }
        }
    }

    /// The values of the record `create` makes from its source's values: the mapped ones and its
    /// rules' actions; and the source values its value maps have no entry for (left out).
    func createdValues(_ create: Create, from source: PackedFields) -> (values: PackedFields, unmapped: [PairMerge.Note]) {
        // Without unpacking: a first run between two apps of one kind creates every record this way.
        if let copied = context.plan.copiedFields[create.way.source] { return (source.restricted(to: copied, adding: [:]), []) }
        var unmapped: [PairMerge.Note] = []
        let values = createdValues(create, from: source.dictionary, unmapped: &unmapped)
        return (PackedFields(unpacked: values), unmapped)
    }

    /// `createdValues(_:from:)` for unpacked source values.
    func createdValues(_ create: Create, from source: Values) -> Values {
        var unmapped: [PairMerge.Note] = []
        return createdValues(create, from: source, unmapped: &unmapped)
    }

    private func createdValues(_ create: Create, from source: Values, unmapped: inout [PairMerge.Note]) -> Values {
        let mappings = context.plan.mappingsByWay[create.way.source]
        var created: Values = [:]
        created.reserveCapacity(mappings.count + 1)  // a field each, mostly: grown one by one, it was rehashed 4 times
        for (mapping, directed) in zip(context.plan.mappings.filter { $0.ways[create.way.source] != nil }, mappings) {
            if let value = directed.apply(source: source, target: [:], into: &created, skippingEmpty: true) {
                unmapped.append(.unmapped(mapping: mapping.id, way: create.way, value: value))
            }
        }
        applyActions(create.way, sourceID: create.sourceID, to: &created)
        return created
    }

    /// The contact to send for a record of `way` with `values`: its fields, and its segments apart.
    func newContact(_ create: Create, _ values: PackedFields, correlationID: String) -> NewContact {
        if context.plan.copiedFields[create.way.source] != nil {  // fields only
            return NewContact(packedFields: values, correlationID: correlationID)
        }
        var fields = values.dictionary
        var segments: [String: Set<String>] = [:]
        for key in Array(fields.keys) where !ValueKeys.isField(key) {
            if let kind = ValueKeys.segmentKind(key) { segments[kind] = Set(fields[key]!) }
            fields[key] = nil
        }
        return NewContact(fields: fields, segments: segments, correlationID: correlationID)
    }
}
