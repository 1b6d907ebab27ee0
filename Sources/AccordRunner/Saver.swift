import AccordConnectors
import AccordModel
import AccordStore

/// Phase 7, saving: takes what the writes did and stores what the run saw: the snapshot of every
/// record it looked at that the write batches did not store already (a record whose write
/// failed keeps its old values as baseline, so the change is worked out again when retried),
/// deletions, cursors, health, and the digest of the versions it leaves. A run stopped early
/// stores only what its batches wrote, so the next run redoes the rest.
struct Saver {
    let context: RunContext
    let inventory: Inventory
    let plan: WritePlan
    let writer: Writer

    func save() async throws {
        let state = writer.state
        var changes = StateChanges()
        for side in Side.allCases where !state.stoppedEarly {
            var records: [RecordSnapshot] = []
            let listed = inventory[side]
            for id in listed.values.ids where !state.stored[side].contains(id) && !state.changedDuringRun[side].contains(id) {
                let previous = context.snapshot.records[side]?[id]
                if state.failedPairs[side].contains(id) || plan.outOfScope[side].contains(id) {
                    // The stored values stay the baseline; the version moves on (the record need
                    // not be read again until it changes), and an out-of-scope record's rules are
                    // its new ones (undo actions were applied).
                    if let previous {
                        records.append(RecordSnapshot(
                            id: id, email: previous.email, version: writer.knownVersion(side, id),
                            fields: PackedFields(listed.baselines[id] ?? [:]),
                            rules: state.failedPairs[side].contains(id) ? previous.rules : writer.matchedRules(id, on: side)))
                    }
                } else if context.fullScan || listed.changed.contains(id) || previous == nil
                    || previous?.rules != writer.matchedRules(id, on: side) {
                    records.append(writer.snapshot(side, id))
                }
            }
            for id in listed.deleted {
                guard let record = context.snapshot.records[side]?[id] else { continue }
                records.append(RecordSnapshot(
                    id: id, email: record.email, version: record.version, fields: listed.baselines[id] ?? [:], rules: record.rules, deleted: true))
            }
            changes.records[side] = records
            // A record that changed under a write is read again: the listing's cursor would say
            // it is known as it was listed, so the last one stays.
            changes.cursors[side] = state.changedDuringRun[side].isEmpty
                ? context.connectors[side].cursorAfterWrites(listed: listed.cursor) : context.snapshot.cursors[side]
        }
        changes.cursors = changes.cursors.compactMapValues { $0 }
        try context.store.replaceHealth(plan.health + state.health + carriedHealth(), connection: context.connection)
        try context.store.apply(changes, connection: context.connection)
        try await rememberVersionDigests()
    }

    /// Entries of earlier runs about records this run did not look at: a write that failed, a
    /// value not carried over. They stand until the record changes or is retried.
    private func carriedHealth() -> [HealthEntry] {
        let state = writer.state
        return context.snapshot.health.filter { entry in
            let side = entry.side, id = entry.recordID
            let carried = entry.kind == .failed || entry.kind == .keptValue || (entry.kind == .excluded && writer.state.linkage.isLinked(side, id))
            guard carried, inventory.isLive(side, id) else { return false }
            return !inventory[side].changed.contains(id) && !plan.examined[side].contains(id) && !state.attempted[side].contains(id)
                && inventory[side].unreadable[id] == nil
        }
    }

    /// For apps whose cursor is a `ListingDigest`: the digest of the versions the state now
    /// remembers for their live records, equal to the app's own exactly when a listing would find
    /// nothing changed. Read back from the store, so it holds whatever this run left; a record
    /// remembered without a version is left out, so the app never looks unchanged.
    private func rememberVersionDigests() async throws {
        // Both sides at once, each on a reader connection of its own: this is most of the tail of
        // a first run, when every record's version is read back.
        let digests = try await withThrowingTaskGroup(of: (Side, String).self) { group in
            for side in Side.allCases where context.connectors[side].cursorIsVersionDigest {
                group.addTask { [store = context.store, connection = context.connection] in
                    var digest = ListingDigest()
                    try store.forEachVersion(connection, side: side) { digest.insert(version: $1) }
                    return (side, digest.cursor)
                }
            }
            var digests = StateChanges()
            for try await (side, cursor) in group { digests.cursors[side] = cursor }
            return digests
        }
        try context.store.apply(digests, connection: context.connection)
    }
}
