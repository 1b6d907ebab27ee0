import AccordConnectors
import AccordModel
import AccordPlan
import AccordStore
import Foundation

/// What `accord revert` did (or, for a dry run, would do) to undo one run.
public struct RevertReport: Codable, Sendable {
    public var connection: String
    /// The run undone.
    public var revertedRun: Int64
    /// The run the revert was recorded as; `nil` for a dry run.
    public var run: Int64?
    public var dryRun: Bool
    /// Fields written back to the value they had before the run.
    public var fieldsRestored = 0
    /// Segment memberships (markers among them) the run had changed, set back.
    public var segmentsRestored = 0
    /// Contacts the run created, now tagged `Reverter.marker` (accord never deletes a contact).
    public var createdTagged = 0
    /// What was left alone: a value changed since the run wrote it, a contact that is gone, a
    /// write the app refused.
    public var conflicts: [Conflict] = []
    /// Every write, field by field.
    public var changes: [ChangelogEntry] = []

    /// Counts one undoing write.
    mutating func tally(_ entry: ChangelogEntry) {
        fieldsRestored += entry.fields.count
        if entry.segments.contains(where: { $0.added == [Reverter.marker] }), entry.fields.isEmpty {
            createdTagged += 1
        } else {
            segmentsRestored += entry.segments.count
        }
        changes.append(entry)
    }

    public struct Conflict: Codable, Sendable, Hashable {
        public var side: Side
        public var recordID: String
        public var email: String?
        public var field: String?
        public var reason: String
    }
}

/// Undoes one run from its changelog: writes back the value each field had before the run where
/// the app still holds what the run wrote (a value changed since is a conflict, left alone), sets
/// back the segments it joined or left (the markers it added among them), and tags the contacts
/// it created `Accord Reverted`. It never deletes a contact, and it leaves the state's baselines
/// as they are: the next run sees the restored values as edits made in that app, and syncs them.
public struct Reverter: Sendable {
    /// The segment contacts a reverted run created are put in.
    public static let marker = "Accord Reverted"

    public let plan: SyncPlan
    public let connectors: [Side: any ContactConnector]
    public let store: StateStore

    public init(plan: SyncPlan, a: any ContactConnector, b: any ContactConnector, store: StateStore) {
        self.plan = plan
        self.connectors = [.a: a, .b: b]
        self.store = store
    }

    /// Reverts run `runID`.
    public func revert(run runID: Int64, dryRun: Bool) async throws -> RevertReport {
        let entries = try store.changelog(plan.connection, run: runID)
        var report = RevertReport(connection: plan.connection, revertedRun: runID, dryRun: dryRun)
        let pid = ProcessInfo.processInfo.processIdentifier, host = ProcessInfo.processInfo.hostName
        if !dryRun, let holder = try store.acquireLock(plan.connection, pid: pid, host: host, isAlive: { Runner.isAlive($0, host: host) }) {
            throw RunRefusal.locked(holder)
        }
        defer { if !dryRun { try? store.releaseLock(plan.connection, pid: pid, host: host) } }
        let start = Date()
        let revertRun = dryRun ? nil : try store.startRun(plan.connection, fullScan: false, dryRun: false, at: start)
        report.run = revertRun
        var written: [ChangelogEntry] = []
        do {
            for side in Side.allCases {
                let ofSide = entries.filter { $0.side == side }
                guard !ofSide.isEmpty else { continue }
                let records = try await listing(side)
                let updates = plannedUpdates(ofSide, records: records, side: side, into: &report)
                if dryRun {
                    for (_, entry) in updates { report.tally(entry) }
                } else if !updates.isEmpty {
                    written += try await write(updates, to: side, into: &report)
                }
            }
        } catch {
            if let revertRun {
                try? store.finishRun(revertRun, connection: plan.connection, status: .failed, counts: [:], error: "revert of run \(runID): \(error)")
            }
            throw error
        }
        if let revertRun {
            var changes = StateChanges()
            changes.run = revertRun
            changes.changelog = written
            try store.apply(changes, connection: plan.connection)
            try store.finishRun(
                revertRun, connection: plan.connection, status: .reverted,
                counts: ["fields_restored": report.fieldsRestored, "segments_restored": report.segmentsRestored,
                         "created_tagged": report.createdTagged, "conflicts": report.conflicts.count].filter { $0.value > 0 },
                error: nil, detail: #"{"reverts":\#(runID)}"#)
        }
        return report
    }

    /// Every record of one app, by id.
    private func listing(_ side: Side) async throws -> [String: ContactRecord] {
        do {
            let listing = try await connectors[side]!.list(since: .full)
            return Dictionary(listing.changed.map { ($0.id, $0) }) { first, _ in first }
        } catch {
            throw RunContext.cannotList(plan.app(side), error)
        }
    }

    /// The updates that undo `entries` in one app, given what it holds now; what cannot be undone
    /// goes to the report's conflicts.
    private func plannedUpdates(
        _ entries: [ChangelogEntry], records: [String: ContactRecord], side: Side, into report: inout RevertReport
    ) -> [(update: ContactUpdate, entry: ChangelogEntry)] {
        let types = Dictionary(plan.app(side).fields.map { ($0.name, ValueComparison($0.type)) }) { first, _ in first }
        var result: [(ContactUpdate, ChangelogEntry)] = []
        for entry in entries {
            func conflict(_ field: String?, _ reason: String) {
                report.conflicts.append(.init(side: side, recordID: entry.recordID, email: entry.email, field: field, reason: reason))
            }
            guard let record = records[entry.recordID] else {
                conflict(nil, "the contact is no longer in app \(plan.app(side).label)")
                continue
            }
            let current = record.fields
            var update = ContactUpdate(id: record.id, basedOn: record.version)
            var undone = ChangelogEntry(kind: .updated, side: side, recordID: record.id, counterpart: entry.counterpart, email: entry.email)
            switch entry.kind {
            case .created:
                guard let kind = plan.app(side).marker_kind else {
                    conflict(nil, "app \(plan.app(side).label) has no tags or lists to mark the contact with")
                    continue
                }
                guard !(record.segments[kind] ?? []).contains(Self.marker) else { continue }
                update.addSegments[kind] = [Self.marker]
                undone.segments.append(.init(kind: kind, added: [Self.marker], removed: []))
            case .updated:
                for delta in entry.fields {
                    let now = current[delta.field] ?? []
                    let comparison = types[delta.field] ?? .exact
                    if comparison.equal(now, delta.before) { continue }  // already as before
                    guard comparison.equal(now, delta.after) else {
                        conflict(delta.field, "changed since the run wrote it: \(Self.describe(delta.after)) → \(Self.describe(now))")
                        continue
                    }
                    update.fields[delta.field] = delta.before
                    update.previous[delta.field] = now
                    undone.fields.append(.init(field: delta.field, before: now, after: delta.before))
                }
                for delta in entry.segments {
                    let members = record.segments[delta.kind] ?? []
                    let leave = Set(delta.added).intersection(members), join = Set(delta.removed).subtracting(members)
                    if !leave.isEmpty { update.removeSegments[delta.kind] = leave }
                    if !join.isEmpty { update.addSegments[delta.kind] = join }
                    if !leave.isEmpty || !join.isEmpty {
                        undone.segments.append(.init(kind: delta.kind, added: join.sorted(), removed: leave.sorted()))
                    }
                }
            }
            guard !update.isEmpty else { continue }
            result.append((update, undone))
        }
        return result
    }

    /// Writes the undoing updates a batch at a time; a record the app refuses becomes a conflict.
    private func write(
        _ updates: [(update: ContactUpdate, entry: ChangelogEntry)], to side: Side, into report: inout RevertReport
    ) async throws -> [ChangelogEntry] {
        let connector = connectors[side]!
        var written: [ChangelogEntry] = []
        let size = max(connector.batchSize, 1)
        for start in stride(from: 0, to: updates.count, by: size) {
            let batch = Array(updates[start..<min(start + size, updates.count)])
            let results = try await Writer.write(to: plan.app(side)) { try await connector.update(batch.map(\.update)) }
            for ((_, entry), result) in zip(batch, results) {
                switch result {
                case .written:
                    written.append(entry)
                    report.tally(entry)
                case .failed(let reason), .changedDuringRun(let reason):
                    report.conflicts.append(.init(side: side, recordID: entry.recordID, email: entry.email, field: nil, reason: reason))
                }
            }
        }
        return written
    }

    static func describe(_ values: [String]) -> String {
        values.isEmpty ? "(empty)" : values.map { "'\($0)'" }.joined(separator: ", ")
    }
}
