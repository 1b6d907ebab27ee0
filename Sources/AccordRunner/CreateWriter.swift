import AccordConnectors
import AccordModel
import AccordStore

extension Writer {
    /// A batch of creates ready to send: its source values and the contacts made from them.
    struct PreparedCreates: Sendable {
        var range: Range<Int>
        var creates: [Create]
        var sourceValues: [PackedFields?]
        var values: [PackedFields]
        var contacts: [NewContact]
        /// Source values the value maps do not map, by create.
        var unmapped: [[PairMerge.Note]]
    }

    /// Creates `creates` in `target`, a batch at a time. Every create of the run is journaled
    /// (with the correlation id it is sent with and its source's version) before the first is
    /// sent, in one transaction (one entry per batch), so that a batch's state can be committed
    /// while the next batch is written: on 2 cores the commit takes the core that building the
    /// next batch leaves idle.
    mutating func performCreates(_ creates: [Create], target: Side, total: Int) async throws {
        guard !creates.isEmpty else { return }
        let connector = context.connectors[target]
        let source = target.other
        for create in creates { state.attempted[source].insert(create.sourceID) }
        if options.dryRun {
            state.counts.countCreated(into: target, creates.count)
            for create in creates {
                let made = planner.createdValues(create, from: inventory[source].values.packed(create.sourceID) ?? PackedFields([:]))
                let values = made.values.dictionary
                if options.reportsChanges { state.changes.append(Self.change(creating: create, values)) }
                state.rules.evaluate("new:\(create.sourceID)", on: target, values: values, linked: true)
                state.created.append((target, "new:\(create.sourceID)", create.sourceID))
            }
            return
        }
        reserveCapacity(forCreates: creates.count, source: source, target: target)
        let batchSize = max(connector.batchSize, 1)
        let batches = stride(from: 0, to: creates.count, by: batchSize).map { $0..<min($0 + batchSize, creates.count) }
        let correlationIDs = creates.map { _ in TimeOrderedUUID.next() }
        let intentIDs = try context.store.recordIntents(
            batches: batches.map { range in
                range.map { index in
                    let create = creates[index]
                    return Intent(
                        way: create.way, sourceID: create.sourceID, email: create.emails.first, correlationID: correlationIDs[index],
                        sourceVersion: knownVersion(source, create.sourceID))
                }
            },
            connection: context.connection)
        let targetApp = context.app(target)
        var sent = 0  // batches
        // A pipeline of three stages, one batch in each: the next batch's values are worked out
        // and the last batch's results taken in while a batch is written, and each batch's state
        // is committed while the next one is written (one commit at a time, in order). Only one
        // batch is ever being written, so the failpoints and stop requests fall between batches.
        try await withThrowingTaskGroup(of: Void.self) { commits in
            try await withThrowingTaskGroup(of: [WriteResult].self) { writes in
                func prepare(_ range: Range<Int>) -> PreparedCreates {
                    preparedCreates(creates, range, source: source, correlationIDs: correlationIDs)
                }
                func send(_ batch: PreparedCreates) {
                    if options.reportsChanges { state.changes += zip(batch.creates, batch.values).map { Self.change(creating: $0, $1.dictionary) } }
                    Failpoint.hit("before-create")
                    sent += 1
                    writes.addTask { try await Self.write(to: targetApp) { try await connector.create(batch.contacts) } }
                }
                guard !options.shouldStop() else { return }
                var writing = prepare(batches[0])
                send(writing)
                for next in 1...batches.count {  // the batch prepared while `writing` is written, if any
                    let following = next < batches.count ? prepare(batches[next]) : nil
                    let results = try await writes.next()!
                    Failpoint.hit("after-create")
                    let sending = options.shouldStop() ? nil : following
                    if let sending { send(sending) }
                    var changes = recordCreated(writing, results: results, target: target)
                    changes.removedIntents = [intentIDs[writing.range.lowerBound / batchSize]]
                    let encoded = EncodedStateChanges(changes)  // while the batch before is committed
                    try await commits.next()
                    commits.addTask { [store = context.store, connection = context.connection] in
                        try await store.applyInBackground(encoded, connection: connection)
                        Failpoint.hit("after-create-commit")
                    }
                    context.report("created \(state.counts.created_a_to_b + state.counts.created_b_to_a) of \(total) records")
                    guard let sending else { break }
                    writing = sending
                }
            }
            try await commits.waitForAll()
        }
        // Stopped early: the creates never sent are not pending.
        if sent < batches.count {
            var changes = StateChanges()
            changes.removedIntents = Array(intentIDs[sent...])
            try context.store.apply(changes, connection: context.connection)
        }
    }

    private static func change(creating create: Create, _ values: Values) -> PlannedChange {
        let (fields, segments) = PlannedChange.between([:], values)
        return PlannedChange(
            way: create.way, kind: .create, sourceID: create.sourceID, targetID: nil, email: create.emails.first, fields: fields, segments: segments)
    }

    /// Sizes the tables each create adds to (links, stored snapshots, matched rules) once for all
    /// of them: grown one by one, they were rehashed in about a third of the samples of taking in
    /// the results of 100,000 creates.
    private mutating func reserveCapacity(forCreates count: Int, source: Side, target: Side) {
        for side in [source, target] {
            state.linkage.linkOf[side].reserveCapacity(state.linkage.linkOf[side].count + count)
            state.stored[side].reserveCapacity(state.stored[side].count + count)
            state.rules.reserveCapacity(count, on: side)
        }
    }

    private func preparedCreates(_ creates: [Create], _ range: Range<Int>, source: Side, correlationIDs: [String]) -> PreparedCreates {
        let batch = Array(creates[range])
        let sourceValues = batch.map { inventory[source].values.packed($0.sourceID) }
        let made = zip(batch, sourceValues).map { planner.createdValues($0, from: $1 ?? PackedFields([:])) }
        let contacts = zip(zip(batch, made), range).map { planner.newContact($0.0, $0.1.values, correlationID: correlationIDs[$1]) }
        return PreparedCreates(
            range: range, creates: batch, sourceValues: sourceValues, values: made.map(\.values), contacts: contacts, unmapped: made.map(\.unmapped))
    }

    /// Takes in the results of a batch of creates: links, rules, counts, health entries and the
    /// changelog, and the state changes that record them.
    private mutating func recordCreated(_ batch: PreparedCreates, results: [WriteResult], target: Side) -> StateChanges {
        let source = target.other
        var changes = StateChanges()
        changes.run = context.runID
        for (index, result) in results.enumerated() {
            let create = batch.creates[index], sourceValues = batch.sourceValues[index]
            for note in batch.unmapped[index] {
                guard case .unmapped(let mapping, let way, let value) = note else { continue }
                let entry = HealthEntry(
                    side: source, recordID: create.sourceID, kind: .failed,
                    reason: "the value '\(value)' is not in the value map of mapping \(mapping) (\(way.rawValue)); it was left out of the contact created",
                    email: create.emails.first)
                changes.health.append(entry)
                state.health.append(entry)
            }
            switch result {
            case .written(let record):
                let link = target == .b ? RecordLink(a: create.sourceID, b: record.id) : RecordLink(a: record.id, b: create.sourceID)
                changes.links.append(link)
                state.linkage.linkOf[source][create.sourceID] = record.id
                state.linkage.linkOf[target][record.id] = create.sourceID
                let values = record.packedValues(fields: context.plan.fieldNames[target])
                state.rules.evaluate(record.id, on: target, values: values.dictionary, linked: true)
                // The source is linked now: its rules are stored as they match a linked record,
                // so later runs need not evaluate its unchanged values again.
                if let sourceValues { state.rules.evaluate(create.sourceID, on: source, values: sourceValues.dictionary, linked: true) }
                changes.records[target, default: []].append(snapshot(target, record.id, values, version: record.version))
                state.stored[target].insert(record.id)
                // The source's snapshot says "in sync"; when the new record's rules still have
                // actions to apply to it, the update that applies them stores it instead.
                if !hasPendingActions(ofCreated: record.id, on: target, sourceValues: sourceValues) {
                    changes.records[source, default: []].append(snapshot(source, create.sourceID, sourceValues))
                    state.stored[source].insert(create.sourceID)
                }
                if planner.failedBefore[source].contains(create.sourceID) || planner.excludedBefore[source].contains(create.sourceID) {
                    changes.clearedHealth.append((source, create.sourceID, [.failed, .excluded]))
                }
                changes.changelog.append(ChangelogEntry(
                    kind: .created, side: target, recordID: record.id, counterpart: create.sourceID, email: create.emails.first))
                state.created.append((target, record.id, create.sourceID))
                state.counts.countCreated(into: target)
            case .failed(let reason), .changedDuringRun(let reason):
                // A create the app turned down is retried when its source changes; one that met
                // a file changing under it, at the next run.
                let deferred = if case .changedDuringRun = result { true } else { false }
                state.counts.failed += 1
                let entry = HealthEntry(
                    side: source, recordID: create.sourceID, kind: deferred ? .deferred : .failed, reason: reason,
                    detail: "create in app \(context.app(target).label)", email: create.emails.first)
                changes.health.append(entry)
                state.health.append(entry)
            }
        }
        return changes
    }
}
