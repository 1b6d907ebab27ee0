import AccordModel
@testable import AccordStore
import Foundation
import GRDB
import Testing

@Suite struct StoreTests {
    func temporaryPath() -> String {
        NSTemporaryDirectory() + "accord-store-" + UUID().uuidString + "/state.sqlite"
    }

    @Test func fileIsPrivateAndInWALMode() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let store = try StateStore(path: path)
        #expect(try store.journalMode() == "wal")
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        // Reopening migrates nothing and keeps data.
        try store.setPaused("c", true)
        #expect(try StateStore(path: path).load("c").paused)
    }

    @Test func recordsLinksHealthAndCursorsRoundTrip() throws {
        let store = try StateStore()
        var changes = StateChanges()
        changes.records[.a] = [RecordSnapshot(id: "1", email: "ann@example.com", version: "v1", fields: ["first_name": ["Ann"]], rules: [0, 2])]
        changes.records[.b] = [RecordSnapshot(id: "x.vcf", email: "ann@example.com", version: "10-20", fields: ["given_name": ["Ann"], "#tag": ["crm"]])]
        changes.links = [RecordLink(a: "1", b: "x.vcf")]
        let updatedAt = Date(timeIntervalSince1970: 1_700_000_000.125)  // milliseconds, as stored
        changes.health = [HealthEntry(side: .a, recordID: "2", kind: .excluded, reason: "the contact has no email address", email: nil, updatedAt: updatedAt)]
        changes.cursors[.a] = "cursor-1"
        try store.apply(changes, connection: "demo")

        let snapshot = try store.load("demo")
        #expect(snapshot.links == [RecordLink(a: "1", b: "x.vcf")])
        #expect(snapshot.records[.a]?["1"] == StoredRecord(email: "ann@example.com", version: "v1", rules: [0, 2], deleted: false))
        #expect(snapshot.records[.b]?["x.vcf"]?.rules == nil)
        #expect(try store.fields("demo", side: .b, ids: ["x.vcf", "unknown.vcf"]) == ["x.vcf": ["given_name": ["Ann"], "#tag": ["crm"]]])
        #expect(try store.fields("demo", side: .a, ids: nil) == ["1": ["first_name": ["Ann"]]])
        #expect(snapshot.cursors[.a] == "cursor-1")
        #expect(snapshot.health.map(\.reason) == ["the contact has no email address"])
        #expect(snapshot.health.map(\.updatedAt) == [updatedAt] && snapshot.health.map(\.detail) == [nil])
        #expect(try store.load("other").links.isEmpty)

        var clear = StateChanges()
        clear.clearedHealth = [(.a, "2", [.excluded])]
        try store.apply(clear, connection: "demo")
        #expect(try store.health("demo").isEmpty)
    }

    /// Replacing a connection's health writes only what changed: an entry found again keeps the
    /// time it was first recorded, a changed one is rewritten, a gone one deleted.
    @Test func replacingHealthKeepsWhatWasFoundAgain() throws {
        let store = try StateStore()
        let first = Date(timeIntervalSince1970: 1_700_000_000), later = Date(timeIntervalSince1970: 1_800_000_000)
        func entry(_ id: String, _ kind: HealthEntry.Kind, _ reason: String, at date: Date) -> HealthEntry {
            HealthEntry(side: .a, recordID: id, kind: kind, reason: reason, email: "\(id)@example.com", updatedAt: date)
        }
        try store.replaceHealth([entry("1", .excluded, "no rule", at: first), entry("2", .excluded, "no rule", at: first), entry("3", .failed, "HTTP 500", at: first)], connection: "c")
        try store.replaceHealth([entry("9", .failed, "HTTP 500", at: first)], connection: "other")
        try store.replaceHealth([entry("1", .excluded, "no rule", at: later), entry("3", .failed, "HTTP 400", at: later), entry("3", .duplicate, "2 records", at: later)], connection: "c")
        let health = try store.health("c").sorted { ($0.recordID, $0.kind.rawValue) < ($1.recordID, $1.kind.rawValue) }
        #expect(health.map { "\($0.recordID) \($0.kind.rawValue) \($0.reason) \($0.updatedAt == first ? "first" : "later")" } == [
            "1 excluded no rule first", "3 duplicate 2 records later", "3 failed HTTP 400 later",
        ])
        #expect(try store.health("other").map(\.recordID) == ["9"])
    }

    /// Databases written before v2 kept the matched rules in the fields JSON.
    @Test func migrationMovesMatchedRulesOutOfTheFields() throws {
        let queue = try DatabaseQueue()
        try StateStore.migrator.migrate(queue, upTo: "v1")
        try queue.write { db in
            for (side, fields) in [("a", #"{"@rules:a-to-b":["0","3"],"name":["Ann"]}"#), ("b", ##"{"@rules:b-to-a":[],"#tag":["x"]}"##), ("a", #"{"name":["Bo"]}"#)] {
                try db.execute(
                    sql: "INSERT INTO record (connection, side, id, fields) VALUES ('c', ?, ?, ?)",
                    arguments: [side, side + fields.count.description, fields])
            }
        }
        try StateStore.migrator.migrate(queue)
        let rows = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT side, fields, rules FROM record ORDER BY side, fields").map {
                [$0["side"], $0["fields"], $0["rules"] ?? "NULL"] as [String]
            }
        }
        #expect(rows == [["a", #"{"name":["Ann"]}"#, "0,3"], ["a", #"{"name":["Bo"]}"#, "NULL"], ["b", ##"{"#tag":["x"]}"##, ""]])
    }

    /// v3 and v5 rebuild the record and link tables clustered on their keys: every row and column survives.
    @Test func migrationKeepsEveryRecordAndLinkWhenTheTablesAreRebuilt() throws {
        let queue = try DatabaseQueue()
        try StateStore.migrator.migrate(queue, upTo: "v2")  // before both rebuilds
        let values: [[(any DatabaseValueConvertible)?]] = [
            ["c", "a", "1", "ann@example.com", "v1", #"{"name":["Ann"]}"#, false, "0"],
            ["c", "b", "x.vcf", nil, nil, "{}", true, nil],
            ["d", "a", "1", "bo@example.com", "v9", #"{"name":["Bo"]}"#, false, ""],
        ]
        let rows = values.map { row in row.map { $0?.databaseValue ?? .null } }
        let columns = "connection, side, id, email, version, fields, deleted, rules"
        let links = [["c", "1", "x.vcf", "2026-01-02 03:04:05.000"], ["c", "2", "y.vcf", "2026-01-02 03:04:06.000"], ["d", "1", "x.vcf", "2026-01-02 03:04:07.000"]]
            .map { row in row.map(\.databaseValue) }
        try queue.write { db in
            for row in rows {
                try db.execute(sql: "INSERT INTO record (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", arguments: StatementArguments(row))
            }
            for link in links {
                try db.execute(sql: "INSERT INTO link (connection, a_id, b_id, created_at) VALUES (?, ?, ?, ?)", arguments: StatementArguments(link))
            }
        }
        try StateStore.migrator.migrate(queue)
        let migrated = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT \(columns) FROM record ORDER BY connection, side, id").map { Array($0.databaseValues) }
        }
        #expect(migrated == rows)
        let migratedLinks = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT connection, a_id, b_id, created_at FROM link ORDER BY connection, a_id").map { Array($0.databaseValues) }
        }
        #expect(migratedLinks == links)
        let store = try StateStore()
        var changes = StateChanges()
        changes.records[.a] = [RecordSnapshot(id: "1", email: nil, version: nil, fields: [:])]
        try store.apply(changes, connection: "c")
        try store.apply(changes, connection: "c")  // INSERT OR REPLACE still replaces by key
        #expect(try store.load("c").records[.a]?.count == 1)
    }

    /// Records and links go many to a statement: every one is stored, whatever the count, and a
    /// record given twice in one batch is stored as given last, as one statement each would.
    @Test(arguments: [2, 63, 64, 65, 130, 1_000])
    func everyRecordAndLinkOfALargeBatchIsStored(count: Int) throws {
        let store = try StateStore()
        var changes = StateChanges()
        let ids = (0..<count).map { String(format: "%05d", $0) }
        changes.records[.a] = ids.map { RecordSnapshot(id: $0, email: "\($0)@example.com", version: "v\($0)", fields: ["n": [$0]], rules: [0]) }
        changes.records[.a]!.append(RecordSnapshot(id: ids[0], email: nil, version: "again", fields: ["n": ["again"]]))
        changes.records[.b] = ids.map { RecordSnapshot(id: "b" + $0, email: nil, version: nil, fields: [:]) }
        changes.links = ids.map { RecordLink(a: $0, b: "b" + $0) } + [RecordLink(a: ids[0], b: "other")]
        try store.apply(changes, connection: "c")
        let snapshot = try store.load("c")
        #expect(snapshot.links.count == count && Set(snapshot.links) == Set(ids.map { RecordLink(a: $0, b: "b" + $0) }))
        #expect(snapshot.records[.a]?.count == count && snapshot.records[.b]?.count == count)
        #expect(snapshot.records[.a]?[ids[0]] == StoredRecord(email: nil, version: "again", rules: nil, deleted: false))
        let last = ids[count - 1]
        #expect(snapshot.records[.a]?[last] == StoredRecord(email: "\(last)@example.com", version: "v\(last)", rules: [0], deleted: false))
        #expect(try store.fields("c", side: .a, ids: [ids[0], last]) == [ids[0]: ["n": ["again"]], last: ["n": [last]]])
    }

    @Test func aLinkIsUniquePerSide() throws {
        let store = try StateStore()
        var changes = StateChanges()
        changes.links = [RecordLink(a: "1", b: "x"), RecordLink(a: "1", b: "y")]
        try store.apply(changes, connection: "c")
        #expect(try store.load("c").links == [RecordLink(a: "1", b: "x")])
    }

    @Test func lockNamesALiveHolderAndTakesOverAStaleOne() throws {
        let store = try StateStore()
        #expect(try store.acquireLock("c", pid: 100, host: "h1", isAlive: { _ in true }) == nil)
        let holder = try store.acquireLock("c", pid: 200, host: "h2", isAlive: { _ in true })
        #expect(holder?.pid == 100 && holder?.host == "h1")
        // The holder died: the lock is taken over.
        #expect(try store.acquireLock("c", pid: 200, host: "h2", isAlive: { _ in false }) == nil)
        try store.releaseLock("c", pid: 200, host: "h2")
        #expect(try store.acquireLock("c", pid: 300, host: "h3", isAlive: { _ in true }) == nil)
    }

    @Test func runsAreRecordedNewestFirst() throws {
        let store = try StateStore()
        let first = try store.startRun("c", fullScan: true, dryRun: false)
        try store.finishRun(
            first, connection: "c", status: .ok, counts: ["created_a_to_b": 3], error: nil,
            ran: RanPlan(fingerprint: "sha256:1", json: "{}", baseDirectory: "/conn"))
        let second = try store.startRun("c", fullScan: false, dryRun: false)
        try store.finishRun(second, connection: "c", status: .failed, counts: [:], error: "boom")
        let runs = try store.runs("c")
        #expect(runs.map(\.id) == [second, first])
        #expect(runs[1].counts == ["created_a_to_b": 3])
        #expect(try store.load("c").fingerprint == "sha256:1")
        #expect(try store.ranPlan("c") == RanPlan(fingerprint: "sha256:1", json: "{}", baseDirectory: "/conn"))
        #expect(runs.map(\.status) == [.failed, .ok])
    }

    @Test func intentsSurviveUntilRemoved() throws {
        let store = try StateStore()
        let id = try #require(store.recordIntents(batches: [[Intent(way: .aToB, sourceID: "1", email: "ann@example.com")]], connection: "c").first)
        #expect(try store.load("c").intents == [Intent(id: id, way: .aToB, sourceID: "1", email: "ann@example.com")])
        var changes = StateChanges()
        changes.removedIntents = [id]
        try store.apply(changes, connection: "c")
        #expect(try store.load("c").intents.isEmpty)
    }

    /// A batch is one entry: its intents come back in order with its id, and go with it.
    @Test func removingIntentsRemovesExactlyThoseGiven() throws {
        let store = try StateStore()
        let batches = (0..<10).map { batch in
            (0..<3).map { Intent(way: batch < 5 ? .aToB : .bToA, sourceID: "\(batch)-\($0) \"quoted\"", email: $0 == 1 ? nil : "p\($0)@example.com") }
        }
        let ids = try store.recordIntents(batches: batches, connection: "c")
        #expect(try store.load("c").intents == zip(ids, batches).flatMap { id, batch in batch.map { Intent(id: id, way: $0.way, sourceID: $0.sourceID, email: $0.email) } })
        var changes = StateChanges()
        changes.removedIntents = [ids[7], ids[0], ids[1], ids[2], ids[5], ids[8], ids[1]]
        try store.apply(changes, connection: "c")
        #expect(try store.load("c").intents.map(\.sourceID) == ["3", "4", "6", "9"].flatMap { batch in (0..<3).map { "\(batch)-\($0) \"quoted\"" } })
    }

    /// Intents journaled one per row before v6 are kept, each an entry of its own.
    @Test func migrationKeepsJournaledIntents() throws {
        let queue = try DatabaseQueue()
        try StateStore.migrator.migrate(queue, upTo: "v5")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO intent (connection, way, kind, source_id, email, created_at) VALUES
                ('c', 'a-to-b', 'create', 'one.vcf', 'one@example.com', '2026-01-01 00:00:00.000'),
                ('c', 'b-to-a', 'create', 'two "2"', NULL, '2026-01-01 00:00:00.000')
                """)
        }
        try StateStore.migrator.migrate(queue)
        let intents = try queue.read { db in try StateStore.load(db, "c").intents }
        #expect(intents == [
            Intent(id: 1, way: .aToB, sourceID: "one.vcf", email: "one@example.com"),
            Intent(id: 2, way: .bToA, sourceID: "two \"2\"", email: nil),
        ])
    }
}

@Suite struct FieldsCodecTests {
    @Test(arguments: [
        [:],
        ["email": ["ann@example.com"], "#tag": ["a", "b"]],
        ["note": ["line 1\nline \"2\"\t\\ end", "\u{01}ctl", "émoji 🙂"], "empty": []],
        ["note": ["a\u{1F}b\u{1E}c\u{1D}d"], "given_name": ["Ann"]],  // separators: held as a dictionary
    ] as [[String: [String]]])
    func roundTrips(_ fields: [String: [String]]) throws {
        let text = FieldsCodec.encode(PackedFields(fields))
        #expect(FieldsCodec.decode(text) == fields)
        #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: [String]] == fields)
        // Packed or held as a dictionary, the same fields are the same text.
        #expect(FieldsCodec.encode(PackedFields(unpacked: fields)) == text)
    }

    /// A character to escape is found wherever it falls in the eight-byte words the check reads.
    @Test(arguments: ["\"", "\\", "\n", "\u{01}", "\u{1F}"])
    func escapesAtEveryOffset(_ special: String) throws {
        for length in 1..<20 {
            for position in 0..<length {
                let value = String(repeating: "é", count: position % 2) + String(repeating: "a", count: position) + special + String(repeating: "z", count: length - position)
                let fields = ["note": [value, "plain text of some length"]]
                let text = FieldsCodec.encode(PackedFields(fields))
                #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: [String]] == fields)
            }
        }
    }
}

@Suite struct ChangelogStoreTests {
    static let entries = [
        ChangelogEntry(
            kind: .updated, side: .b, recordID: "card \"1\".vcf", counterpart: "7", email: "ann@example.com",
            fields: [.init(field: "title", before: ["CEO"], after: ["Chef d'équipe, \"senior\"\n2"]), .init(field: "tel", before: [], after: ["1", "2"])],
            segments: [.init(kind: "tag", added: ["Accord Trash"], removed: ["crm"])]),
        ChangelogEntry(kind: .created, side: .a, recordID: "01a2", counterpart: "card-9", email: nil),
    ]

    /// Each batch's entries are kept under their run, in the order written, and read back whole;
    /// the changelog of runs older than the retention goes, the rest stays.
    @Test func theChangelogOfEachRunIsKeptAndPruned() throws {
        let store = try StateStore()
        let old = try store.startRun("c", fullScan: true, dryRun: false, at: Date(timeIntervalSinceNow: -40 * 86_400))
        let recent = try store.startRun("c", fullScan: false, dryRun: false)
        for (run, entries) in [(old, Self.entries), (recent, Self.entries.reversed()), (recent, [Self.entries[0]])] {
            var changes = StateChanges()
            changes.run = run
            changes.changelog = Array(entries)
            try store.apply(changes, connection: "c")
        }
        #expect(try store.changelog("c", run: old) == Self.entries)
        #expect(try store.changelog("c", run: recent) == Self.entries.reversed() + [Self.entries[0]])
        #expect(try store.changelogRuns("c") == [old, recent])
        try store.pruneChangelog("c", before: Date(timeIntervalSinceNow: -30 * 86_400))
        #expect(try store.changelogRuns("c") == [recent])
        #expect(ChangelogCodec.decode(ChangelogCodec.encode(Self.entries)) == Self.entries)
    }

    /// Records an app now goes by other ids keep their snapshots, links and health.
    @Test func reidentifyingMovesRecordsLinksAndHealth() throws {
        let store = try StateStore()
        var changes = StateChanges()
        changes.records[.b] = [RecordSnapshot(id: "ann.vcf", email: "ann@example.com", version: "1", fields: ["email": ["ann@example.com"]])]
        changes.links = [RecordLink(a: "7", b: "ann.vcf")]
        changes.health = [HealthEntry(side: .b, recordID: "ann.vcf", kind: .failed, reason: "x")]
        try store.apply(changes, connection: "c")
        try store.reidentify("c", side: .b, ["ann.vcf": "ann-uid"])
        let snapshot = try store.load("c")
        #expect(snapshot.links == [RecordLink(a: "7", b: "ann-uid")])
        #expect(Set(snapshot.records[.b]!.keys) == ["ann-uid"])
        #expect(snapshot.health.map(\.recordID) == ["ann-uid"])
        #expect(try store.load("c").reidentifying(["ann-uid": "x"], on: .b).links == [RecordLink(a: "7", b: "x")])
    }

    /// An approval is the next run's once: a run that goes through clears it.
    @Test func anApprovalLastsUntilARunGoesThrough() throws {
        let store = try StateStore()
        try store.approve("c")
        #expect(try store.header("c").approved)
        let run = try store.startRun("c", fullScan: true, dryRun: false)
        try store.finishRun(run, connection: "c", status: .ok, counts: [:], error: nil, ran: RanPlan(fingerprint: "f", json: "{}", baseDirectory: "/"))
        #expect(try !store.header("c").approved)
    }
}
