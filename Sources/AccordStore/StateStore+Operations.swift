import AccordModel
import Foundation
import GRDB

extension StateStore {
    // MARK: - Connections

    /// What a run needs before it lists anything: enough to tell whether it may skip the work.
    public func header(_ connection: String) throws -> ConnectionHeader {
        try writer.read { db in try Self.header(db, connection) }
    }

    static func header(_ db: Database, _ connection: String) throws -> ConnectionHeader {
        let row = try Row.fetchOne(
            db, sql: "SELECT fingerprint, paused, retry_requested, approved FROM connection WHERE name = ?", arguments: [connection])
        var cursors: [Side: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT side, value FROM cursor WHERE connection = ?", arguments: [connection]) {
            if let side = Side(rawValue: row["side"]) { cursors[side] = row["value"] }
        }
        let intents = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM intent WHERE connection = ?", arguments: [connection]) ?? 0
        return ConnectionHeader(
            fingerprint: row?["fingerprint"], paused: row?["paused"] ?? false, retryRequested: row?["retry_requested"] ?? false,
            cursors: cursors, pendingIntents: intents, approved: row?["approved"] ?? false)
    }

    /// Loads everything stored for `connection` in one read.
    public func load(_ connection: String) throws -> ConnectionSnapshot {
        try writer.read { db in try Self.load(db, connection) }
    }

    static func load(_ db: Database, _ connection: String) throws -> ConnectionSnapshot {
        let header = try Self.header(db, connection)
        let links = try Row.fetchAll(db, sql: "SELECT a_id, b_id FROM link WHERE connection = ? ORDER BY a_id", arguments: [connection])
            .map { RecordLink(a: $0["a_id"], b: $0["b_id"]) }
        var records: [Side: [String: StoredRecord]] = [.a: [:], .b: [:]]
        let cursor = try Row.fetchCursor(
            db, sql: "SELECT side, id, email, version, rules, deleted FROM record WHERE connection = ?", arguments: [connection])
        while let row = try cursor.next() {
            let side = Side(rawValue: row[0]) ?? .a
            records[side]![row[1]] = StoredRecord(email: row[2], version: row[3], rules: RulesCodec.decode(row[4]), deleted: row[5])
        }
        let health = try Self.fetchHealth(db, connection: connection)
        var intents: [Intent] = []
        for row in try Row.fetchAll(db, sql: "SELECT id, way, entries FROM intent WHERE connection = ? ORDER BY id", arguments: [connection]) {
            let id: Int64 = row["id"]
            let wayName: String = row["way"]
            let entries: String = row["entries"]
            guard let way = Way(rawValue: wayName), let decoded = IntentEntriesCodec.decode(entries) else {
                throw StoreError("the state file holds a malformed journal entry (intent \(id)); it cannot tell which creates were sent")
            }
            intents += decoded.map {
                Intent(id: id, way: way, sourceID: $0.sourceID, email: $0.email, correlationID: $0.correlationID, sourceVersion: $0.sourceVersion)
            }
        }
        return ConnectionSnapshot(header: header, links: links, records: records, health: health, intents: intents)
    }

    /// The stored field values (the merge baselines) of one side's records: those in `ids`, or all
    /// when `ids` is `nil`. Records the store does not know are left out.
    public func fields(_ connection: String, side: Side, ids: Set<String>?) throws -> [String: [String: [String]]] {
        try writer.read { db in
            var result: [String: [String: [String]]] = [:]
            func collect(_ rows: RowCursor) throws {
                while let row = try rows.next() {
                    let id: String = row[0]
                    if let ids, !ids.contains(id) { continue }
                    let text: String = row[1]
                    result[id] = FieldsCodec.decode(text) ?? [:]
                }
            }
            let all = "SELECT id, fields FROM record WHERE connection = ? AND side = ?"
            // Few ids: look each up by key; many: one scan is cheaper than thousands of lookups.
            if let ids, ids.count < 2_000 {
                let statement = try db.cachedStatement(sql: all + " AND id = ?")
                for id in ids {
                    try collect(Row.fetchCursor(statement, arguments: [connection, side.rawValue, id]))
                }
            } else {
                try collect(Row.fetchCursor(db, sql: all, arguments: [connection, side.rawValue]))
            }
            return result
        }
    }

    /// Calls `body` with the id and version of every live record of one side that has a version.
    public func forEachVersion(_ connection: String, side: Side, _ body: (String, String) -> Void) throws {
        // A run calls this for every record it remembers: rows read without GRDB's `Row`s.
        try writer.read { db in
            let select = try DirectStatement(
                db, sql: "SELECT id, version FROM record WHERE connection = ? AND side = ? AND deleted = 0 AND version IS NOT NULL")
            try select.forEachRow({
                $0.add(connection)
                $0.add(side.rawValue)
            }) { row in
                if let id = row.text(0), let version = row.text(1) { body(id, version) }
            }
        }
    }

    public func setPaused(_ connection: String, _ paused: Bool) throws {
        try writer.write { db in
            try db.execute(
                sql: "INSERT INTO connection (name, paused) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET paused = excluded.paused",
                arguments: [connection, paused])
        }
    }

    /// Asks the next run to retry every failed record.
    public func requestRetry(_ connection: String) throws {
        try writer.write { db in
            try db.execute(
                sql: "INSERT INTO connection (name, retry_requested) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET retry_requested = 1",
                arguments: [connection])
        }
    }

    /// The names of all connections the store knows.
    public func connectionNames() throws -> [String] {
        try writer.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM connection UNION SELECT DISTINCT connection FROM run ORDER BY 1")
        }
    }

    // MARK: - Lock

    /// Takes the lock of `connection` for this process, unless a live process holds it.
    ///
    /// - Parameter isAlive: whether a holder is still running; a lock of a dead process (on this
    ///   host) is taken over.
    /// - Returns: `nil` when the lock is ours now, otherwise the live holder.
    public func acquireLock(
        _ connection: String, pid: Int32, host: String, now: Date = Date(), isAlive: (LockHolder) -> Bool
    ) throws -> LockHolder? {
        try writer.write { db in
            if let row = try Row.fetchOne(db, sql: "SELECT pid, host, since FROM lock WHERE connection = ?", arguments: [connection]) {
                let holder = LockHolder(pid: row["pid"], host: row["host"], since: row["since"])
                if !(holder.pid == pid && holder.host == host), isAlive(holder) { return holder }
            }
            try db.execute(
                sql: "INSERT OR REPLACE INTO lock (connection, pid, host, since) VALUES (?, ?, ?, ?)",
                arguments: [connection, pid, host, now])
            return nil
        }
    }

    /// Releases the lock if this process holds it.
    public func releaseLock(_ connection: String, pid: Int32, host: String) throws {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM lock WHERE connection = ? AND pid = ? AND host = ?", arguments: [connection, pid, host])
        }
    }

    // MARK: - Runs

    public func startRun(_ connection: String, fullScan: Bool, dryRun: Bool, at date: Date = Date()) throws -> Int64 {
        try startRun(connection, status: .running, fullScan: fullScan, dryRun: dryRun, at: date)
    }

    public func startRun(_ connection: String, status: RunRecord.Status, fullScan: Bool, dryRun: Bool, at date: Date = Date()) throws -> Int64 {
        try writer.write { db in
            try db.execute(
                sql: "INSERT INTO run (connection, started_at, status, full_scan, dry_run) VALUES (?, ?, ?, ?, ?)",
                arguments: [connection, date, status.rawValue, fullScan, dryRun])
            return db.lastInsertedRowID
        }
    }

    /// Finishes a run. A run that went through (`ok`) also records the plan it ran (its
    /// fingerprint, and the plan and base directory `accord revert` reaches the apps with), and
    /// clears a retry request and an approval.
    public func finishRun(
        _ id: Int64, connection: String, status: RunRecord.Status, counts: [String: Int], error: String?, detail: String? = nil,
        ran plan: RanPlan? = nil, at date: Date = Date()
    ) throws {
        let countsJSON = String(decoding: try JSONEncoder.sorted.encode(counts), as: UTF8.self)
        try writer.write { db in
            try db.execute(
                sql: "UPDATE run SET finished_at = ?, status = ?, counts = ?, error = ?, detail = ? WHERE id = ?",
                arguments: [date, status.rawValue, countsJSON, error, detail, id])
            if let plan {
                try db.execute(
                    sql: """
                    INSERT INTO connection (name, fingerprint, plan, base_directory) VALUES (?, ?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET fingerprint = excluded.fingerprint, plan = excluded.plan,
                      base_directory = excluded.base_directory, retry_requested = 0, approved = 0
                    """,
                    arguments: [connection, plan.fingerprint, plan.json, plan.baseDirectory])
            }
        }
    }

    /// The last `limit` runs of a connection, newest first.
    public func runs(_ connection: String, limit: Int = 50) throws -> [RunRecord] {
        try writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM run WHERE connection = ? ORDER BY id DESC LIMIT ?", arguments: [connection, limit]
            ).map { row in
                let countsText: String = row["counts"]
                return RunRecord(
                    id: row["id"], connection: row["connection"], startedAt: row["started_at"], finishedAt: row["finished_at"],
                    status: RunRecord.Status(rawValue: row["status"]) ?? .failed, fullScan: row["full_scan"], dryRun: row["dry_run"],
                    counts: (try? JSONDecoder().decode([String: Int].self, from: Data(countsText.utf8))) ?? [:],
                    error: row["error"], detail: row["detail"])
            }
        }
    }

    // MARK: - Records, links, health, intents

    /// Applies one batch of state changes in one transaction.
    public func apply(_ changes: StateChanges, connection: String, at date: Date = Date()) throws {
        guard !changes.isEmpty else { return }
        let encoded = EncodedStateChanges(changes)
        try writer.write { db in try Self.apply(encoded, connection: connection, at: date, db) }
    }

    /// `apply(_:connection:at:)` on the store's own writer thread, suspending the task meanwhile:
    /// a run commits each batch of creates while the next is written, and a commit that blocks
    /// (SQLite writing its log back, with an fsync) then holds no thread of Swift's pool (one of
    /// two on a 2-core machine) from the writes. The changes come encoded, so the thread only inserts.
    public func applyInBackground(_ encoded: EncodedStateChanges, connection: String, at date: Date = Date()) async throws {
        guard !encoded.changes.isEmpty else { return }
        try await writer.write { db in try Self.apply(encoded, connection: connection, at: date, db) }
    }

    private static func apply(_ encoded: EncodedStateChanges, connection: String, at date: Date, _ db: Database) throws {
        let changes = encoded.changes
        for (side, records) in changes.records {
            let texts = encoded.texts[side]!
            try DirectStatement.insert(
                db, "INSERT OR REPLACE INTO record (connection, side, id, email, version, fields, rules, deleted)", columns: 8,
                rows: records.indices
            ) { bindings, index in
                let record = records[index]
                bindings.add(connection)
                bindings.add(side.rawValue)
                bindings.add(record.id)
                bindings.add(record.email)
                bindings.add(record.version)
                bindings.add(texts[index].fields)
                bindings.add(texts[index].rules)
                bindings.add(record.deleted)
            }
        }
        let createdAt = Self.text(of: date)
        try DirectStatement.insert(db, "INSERT OR IGNORE INTO link (connection, a_id, b_id, created_at)", columns: 4, rows: changes.links) {
            $0.add(connection)
            $0.add($1.a)
            $0.add($1.b)
            $0.add(createdAt)
        }
        let deleteHealth = try db.cachedStatement(sql: "DELETE FROM health WHERE connection = ? AND side = ? AND record_id = ? AND kind = ?")
        for cleared in changes.clearedHealth {
            for kind in cleared.kinds {
                try deleteHealth.execute(arguments: [connection, cleared.side.rawValue, cleared.recordID, kind.rawValue])
            }
        }
        try Self.insertHealth(changes.health, connection: connection, db)
        for (side, value) in changes.cursors {
            try db.execute(
                sql: "INSERT OR REPLACE INTO cursor (connection, side, value) VALUES (?, ?, ?)",
                arguments: [connection, side.rawValue, value])
        }
        if !changes.changelog.isEmpty, let run = changes.run {
            try db.execute(
                sql: "INSERT INTO change (connection, run, entries) VALUES (?, ?, ?)",
                arguments: [connection, run, encoded.changelog ?? ChangelogCodec.encode(changes.changelog)])
        }
        // Each batch of creates is one journal entry, and a run's entries have consecutive ids.
        let deleteIntents = try db.cachedStatement(sql: "DELETE FROM intent WHERE id BETWEEN ? AND ?")
        for range in Self.ranges(of: changes.removedIntents) {
            try deleteIntents.execute(arguments: [range.lowerBound, range.upperBound])
        }
    }

    /// A date as GRDB stores it (`yyyy-MM-dd HH:mm:ss.SSS`, UTC), for a `DirectStatement`.
    static func text(of date: Date) -> String {
        String.fromDatabaseValue(date.databaseValue)!
    }

    /// The ids as ranges of consecutive ids.
    static func ranges(of ids: [Int64]) -> [ClosedRange<Int64>] {
        var ranges: [ClosedRange<Int64>] = []
        for id in ids.sorted() {
            if let last = ranges.last, id <= last.upperBound + 1 {
                ranges[ranges.count - 1] = last.lowerBound...max(last.upperBound, id)
            } else {
                ranges.append(id...id)
            }
        }
        return ranges
    }

    /// Forgets the cursors of some sides of a connection.
    public func removeCursors(_ connection: String, sides: [Side]) throws {
        try writer.write { db in
            for side in sides {
                try db.execute(sql: "DELETE FROM cursor WHERE connection = ? AND side = ?", arguments: [connection, side.rawValue])
            }
        }
    }

    /// Journals creates before they are sent, so a crash between a create and its link is
    /// recognised on the next run: one entry per batch, each batch's intents of one way.
    ///
    /// - Returns: the id of each batch's entry, to remove once the batch's links are stored.
    ///   `load` gives every intent of a batch that id.
    public func recordIntents(batches: [[Intent]], connection: String, at date: Date = Date()) throws -> [Int64] {
        try writer.write { db in
            let insert = try DirectStatement(db, sql: """
                INSERT INTO intent (connection, way, kind, entries, created_at) VALUES (?, ?, 'create', ?, ?)
                """)
            let createdAt = Self.text(of: date)
            var ids: [Int64] = []
            ids.reserveCapacity(batches.count)
            for batch in batches {
                guard let way = batch.first?.way else { continue }
                precondition(batch.allSatisfy { $0.way == way }, "a journaled batch of creates goes one way")
                try insert.execute {
                    $0.add(connection)
                    $0.add(way.rawValue)
                    $0.add(IntentEntriesCodec.encode(batch))
                    $0.add(createdAt)
                }
                ids.append(db.lastInsertedRowID)
            }
            return ids
        }
    }

    /// Current health entries of a connection.
    public func health(_ connection: String) throws -> [HealthEntry] {
        try writer.read { db in try Self.fetchHealth(db, connection: connection) }
    }

    static func fetchHealth(_ db: Database, connection: String) throws -> [HealthEntry] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM health WHERE connection = ? ORDER BY kind, reason, side, record_id", arguments: [connection]
        ).map { row in
            HealthEntry(
                side: Side(rawValue: row["side"]) ?? .a, recordID: row["record_id"],
                kind: HealthEntry.Kind(rawValue: row["kind"]) ?? .failed, reason: row["reason"], detail: row["detail"],
                email: row["email"], updatedAt: row["updated_at"])
        }
    }

    /// How many health entries of each kind a connection has.
    public func healthCounts(_ connection: String) throws -> [HealthEntry.Kind: Int] {
        try writer.read { db in
            var counts: [HealthEntry.Kind: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT kind, COUNT(*) FROM health WHERE connection = ? GROUP BY kind", arguments: [connection]) {
                if let kind = HealthEntry.Kind(rawValue: row[0]) { counts[kind] = row[1] }
            }
            return counts
        }
    }

    /// Counts for `accord health`: pairs in sync (both records live, neither failed nor keeping
    /// a value back) and live records per side.
    public func counts(_ connection: String) throws -> (links: Int, records: [Side: Int]) {
        try writer.read { db in
            let links = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM link l
                JOIN record ra ON ra.connection = l.connection AND ra.side = 'a' AND ra.id = l.a_id AND ra.deleted = 0
                JOIN record rb ON rb.connection = l.connection AND rb.side = 'b' AND rb.id = l.b_id AND rb.deleted = 0
                WHERE l.connection = ? AND NOT EXISTS (
                  SELECT 1 FROM health h WHERE h.connection = l.connection AND h.kind IN ('failed', 'kept_value')
                    AND ((h.side = 'a' AND h.record_id = l.a_id) OR (h.side = 'b' AND h.record_id = l.b_id)))
                """, arguments: [connection]) ?? 0
            var records: [Side: Int] = [:]
            for side in Side.allCases {
                records[side] = try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM record WHERE connection = ? AND side = ? AND deleted = 0",
                    arguments: [connection, side.rawValue]) ?? 0
            }
            return (links, records)
        }
    }
}

extension JSONEncoder {
    /// Sorted keys, so stored JSON is stable.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

extension StateStore {
    /// Replaces a connection's health entries with `entries` (one run's findings). Only the
    /// entries that differ are written: a run finds most of the last run's again (one per
    /// excluded contact, say), and an entry found again keeps the time it was first recorded.
    public func replaceHealth(_ entries: [HealthEntry], connection: String) throws {
        struct Key: Hashable {
            var side: Side, recordID: String, kind: HealthEntry.Kind
            init(_ entry: HealthEntry) { (side, recordID, kind) = (entry.side, entry.recordID, entry.kind) }
        }
        var found: [Key: HealthEntry] = [:]
        found.reserveCapacity(entries.count)
        for entry in entries { found[Key(entry)] = entry }  // as inserting them in turn would leave them
        try writer.write { db in
            var gone: [Key] = []
            for entry in try Self.fetchHealth(db, connection: connection) {
                let key = Key(entry)
                guard let now = found[key] else {
                    gone.append(key)
                    continue
                }
                if (now.reason, now.detail, now.email) == (entry.reason, entry.detail, entry.email) { found[key] = nil }
            }
            let delete = try db.cachedStatement(sql: "DELETE FROM health WHERE connection = ? AND side = ? AND record_id = ? AND kind = ?")
            for key in gone {
                try delete.execute(arguments: [connection, key.side.rawValue, key.recordID, key.kind.rawValue])
            }
            try Self.insertHealth(Array(found.values), connection: connection, db)
        }
    }

    /// A run writes an entry per contact it finds something about (one per excluded contact,
    /// say), so they go through `DirectStatement.insert` like records and links.
    static func insertHealth(_ entries: [HealthEntry], connection: String, _ db: Database) throws {
        try DirectStatement.insert(
            db, "INSERT OR REPLACE INTO health (connection, side, record_id, kind, reason, detail, email, updated_at)", columns: 8,
            rows: entries
        ) {
            $0.add(connection)
            $0.add($1.side.rawValue)
            $0.add($1.recordID)
            $0.add($1.kind.rawValue)
            $0.add($1.reason)
            $0.add($1.detail)
            $0.add($1.email)
            $0.add(Self.text(of: $1.updatedAt))
        }
    }
}
