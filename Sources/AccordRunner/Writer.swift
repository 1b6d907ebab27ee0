import AccordConnectors
import AccordModel
import AccordPlan
import AccordStore

/// Phase 6, writing: carries out a `WritePlan` (creates in batches, then the rules of the
/// created records, then updates) and commits each batch's links, snapshots, health and
/// changelog as it lands. Gives what the run did (`Writer.State`), for saving.
struct Writer {
    let context: RunContext
    let inventory: Inventory
    /// The planner whose values and rules creates are worked out with.
    let planner: WritePlanner
    /// Linked records out of their way's rules (`WritePlan.outOfScope`).
    let outOfScope: BySide<Set<String>>
    var state: State

    /// What the writes did so far.
    struct State {
        var linkage: Linkage
        var rules: MatchedRules
        var counts: RunCounts
        var changes: [PlannedChange] = []
        var health: [HealthEntry] = []
        /// Snapshots already stored by a write batch this run.
        var stored = BySide<Set<String>>(both: [])
        /// Records of a pair whose write failed: they keep their stored values as baselines, so the
        /// change is worked out again when they are retried.
        var failedPairs = BySide<Set<String>>(both: [])
        /// Records a write found changed during the run, and their counterparts: they keep their
        /// stored snapshot (version included), and their apps their last cursors, so the next run
        /// reads them again.
        var changedDuringRun = BySide<Set<String>>(both: [])
        /// Records whose create was attempted (they were looked at this run).
        var attempted = BySide<Set<String>>(both: [])
        /// Records created this run: where, their id, their source.
        var created: [(side: Side, id: String, sourceID: String)] = []
        /// Snapshots of updated records held back until their counterpart's update is written, by counterpart id.
        var deferredSnapshots: [String: RecordSnapshot] = [:]
        /// Whether the run was asked to stop before all writes were done.
        var stoppedEarly = false
    }

    init(context: RunContext, inventory: Inventory, planner: WritePlanner, plan: WritePlan) {
        self.context = context
        self.inventory = inventory
        self.planner = planner
        outOfScope = plan.outOfScope
        state = State(linkage: planner.linkage, rules: planner.rules, counts: plan.counts, health: [])
    }

    var options: RunOptions { context.options }

    /// Writes the plan: creates a-to-b then b-to-a, the created records' rules, then updates.
    mutating func write(_ plan: WritePlan) async throws {
        var updates = plan.updates
        for way in Way.allCases {
            try await performCreates(plan.creates.filter { $0.way == way }, target: way.target, total: plan.creates.count)
        }
        applyRulesOfCreatedRecords(to: &updates)
        for side in Side.allCases {
            try await performUpdates(updates[side], target: side, counterpartUpdates: side == .a ? Set(updates[.b].keys) : [])
        }
        state.stoppedEarly = options.shouldStop()
    }

    // MARK: - Rules

    func matchedRules(_ id: String, on side: Side) -> [Int]? {
        state.rules.rules(
            of: id, on: side, isLive: inventory[side].values.contains(id), isLinked: state.linkage.isLinked(side, id),
            stored: context.snapshot.records[side]?[id]?.rules)
    }

    /// A record created this run may match rules of the opposite way (a lead created in the CRM
    /// may be a partner there): their actions go to its source now, so the next run has nothing to do.
    private func applyRulesOfCreatedRecords(to updates: inout BySide<[String: Values]>) {
        for (side, id, sourceID) in state.created {
            let way = Way.from(side)
            guard context.plan.rules.hasActions(way) else { continue }  // before the source's values are unpacked
            let source = side.other
            guard let sourceValues = inventory[source].values[sourceID] else { continue }
            var next = updates[source][sourceID] ?? sourceValues
            context.plan.rules.applyActions(way, matched: matchedRules(id, on: side) ?? [], before: [], to: &next)
            if next != sourceValues { updates[source][sourceID] = next }
        }
    }

    /// Whether the rules a record created this run matches have actions for its source (whose
    /// values are `sourceValues`; none when the source is not among the records looked at).
    func hasPendingActions(ofCreated id: String, on side: Side, sourceValues: PackedFields?) -> Bool {
        let way = Way.from(side)
        guard context.plan.rules.hasActions(way), let sourceValues = sourceValues?.dictionary else { return false }
        var desired = sourceValues
        context.plan.rules.applyActions(way, matched: matchedRules(id, on: side) ?? [], before: [], to: &desired)
        return desired != sourceValues
    }

    // MARK: - Snapshots

    /// A record's version as this run listed it, else as the last run stored it.
    func knownVersion(_ side: Side, _ id: String) -> String? {
        inventory[side].versions[id] ?? context.storedVersion(side, id)
    }

    /// The snapshot to store for a record: its values now (or `values`), plus which rules it matched.
    func snapshot(_ side: Side, _ id: String, _ values: PackedFields? = nil, version: String? = nil) -> RecordSnapshot {
        let fields = values ?? inventory[side].values.packed(id) ?? PackedFields([:])
        return RecordSnapshot(
            id: id, email: context.plan.emails(side, fields).stored, version: version ?? knownVersion(side, id), fields: fields,
            rules: matchedRules(id, on: side))
    }

    // MARK: - Updates

    /// - Parameter counterpartUpdates: records of the other side with an update still to write. A
    ///   record whose counterpart is among them keeps its old snapshot until that update is written
    ///   (in the same transaction), so a crash in between cannot make a change look synced.
    private mutating func performUpdates(_ updates: [String: Values], target: Side, counterpartUpdates: Set<String>) async throws {
        guard !updates.isEmpty else { return }
        let connector = context.connectors[target]
        let way = Way.from(target.other)
        let markers = context.plan.markerNames
        var contactUpdates: [ContactUpdate] = []
        var entries: [String: ChangelogEntry] = [:]
        for (id, values) in updates.sorted(by: { $0.key < $1.key }) {
            let before = inventory[target].values[id] ?? [:]
            var update = ContactUpdate(id: id, basedOn: knownVersion(target, id))
            let (fields, segments) = PlannedChange.between(before, values)
            for field in fields {
                update.fields[field.field] = field.after
                update.previous[field.field] = field.before
            }
            for segment in segments {
                if !segment.added.isEmpty { update.addSegments[segment.kind] = Set(segment.added) }
                if !segment.removed.isEmpty { update.removeSegments[segment.kind] = Set(segment.removed) }
            }
            guard !update.isEmpty else { continue }
            contactUpdates.append(update)
            let marked = segments.contains { $0.added.contains(where: markers.contains) }
            if marked { state.counts.markers_added += 1 }
            let email = inventory[target].emails[id]?.first
            entries[id] = ChangelogEntry(
                kind: .updated, side: target, recordID: id, counterpart: state.linkage.linkOf[target][id], email: email,
                fields: fields.map { .init(field: $0.field, before: $0.before, after: $0.after) },
                segments: segments.map { .init(kind: $0.kind, added: $0.added, removed: $0.removed) })
            guard options.reportsChanges else { continue }
            state.changes.append(PlannedChange(
                way: way, kind: marked && fields.isEmpty ? .mark : .update, sourceID: state.linkage.linkOf[target][id] ?? "", targetID: id,
                email: email, fields: fields, segments: segments))
        }
        if options.dryRun {
            state.counts.countUpdated(target, contactUpdates.count)
            return
        }
        let batchSize = max(connector.batchSize, 1)
        for start in stride(from: 0, to: contactUpdates.count, by: batchSize) where !options.shouldStop() {
            let batch = Array(contactUpdates[start..<min(start + batchSize, contactUpdates.count)])
            Failpoint.hit("before-update")
            let results = try await Self.write(to: context.app(target)) { try await connector.update(batch) }
            Failpoint.hit("after-update")
            var changes = StateChanges()
            changes.run = context.runID
            for (update, result) in zip(batch, results) {
                let counterpart = state.linkage.linkOf[target][update.id]
                switch result {
                case .written(let record):
                    // Without a version, the app merged this update into an edit made during the
                    // run: remembering what was written (and no version) makes the next run read
                    // the record again and sync that edit, instead of taking it as in sync.
                    var written = record.version == nil && update.basedOn != nil
                        ? snapshot(target, record.id, PackedFields(updates[record.id] ?? [:]), version: nil)
                        : snapshot(target, record.id, record.packedValues(fields: context.plan.fieldNames[target]), version: record.version)
                    if outOfScope[target].contains(record.id) {
                        // Out of its rules, its own changes are not synced: its baseline takes the
                        // fields written into it, and keeps its old values of the others. Matched
                        // now, it keeps no snapshot and is matched again.
                        guard let baseline = inventory[target].baselines[record.id] else {
                            state.stored[target].insert(record.id)
                            continue
                        }
                        var fields = baseline
                        for (field, values) in update.fields { fields[field] = values.isEmpty ? nil : values }
                        written.fields = PackedFields(fields)
                    }
                    if let counterpart, counterpartUpdates.contains(counterpart) {
                        state.deferredSnapshots[counterpart] = written
                    } else {
                        changes.records[target, default: []].append(written)
                        state.stored[target].insert(record.id)
                    }
                    if let counterpart, let deferred = state.deferredSnapshots.removeValue(forKey: record.id) {
                        changes.records[target.other, default: []].append(deferred)
                        state.stored[target.other].insert(counterpart)
                    }
                    if let entry = entries[update.id] { changes.changelog.append(entry) }
                    state.counts.countUpdated(target)
                case .failed(let reason), .changedDuringRun(let reason):
                    let deferred = if case .changedDuringRun = result { true } else { false }
                    state.counts.failed += 1
                    state.failedPairs[target].insert(update.id)
                    if let counterpart { state.failedPairs[target.other].insert(counterpart) }
                    if deferred {
                        // Both records are read again: the counterpart's change is worked out anew.
                        state.changedDuringRun[target].insert(update.id)
                        if let counterpart { state.changedDuringRun[target.other].insert(counterpart) }
                    }
                    let entry = HealthEntry(
                        side: target.other, recordID: counterpart ?? update.id, kind: deferred ? .deferred : .failed, reason: reason,
                        detail: "update of '\(update.id)' in app \(context.app(target).label)")
                    changes.health.append(entry)
                    state.health.append(entry)
                }
            }
            try context.store.apply(changes, connection: context.connection)
            Failpoint.hit("after-update-commit")
        }
    }

    /// Runs a write, turning a thrown error into a run-stopping error that names the app.
    static func write(to app: SyncPlan.App, _ body: () async throws -> [WriteResult]) async throws -> [WriteResult] {
        do {
            return try await body()
        } catch {
            throw ConnectorError("writing to app \(app.label) failed: \(error)")
        }
    }
}
