import AccordModel
import Foundation
import GRDB

/// The plan a run went through with, as the store keeps it for `accord revert`: the canonical
/// JSON (secrets only as references) and the directory its relative paths are resolved against.
public struct RanPlan: Sendable, Hashable {
    public var fingerprint: String
    public var json: String
    public var baseDirectory: String

    public init(fingerprint: String, json: String, baseDirectory: String) {
        self.fingerprint = fingerprint
        self.json = json
        self.baseDirectory = baseDirectory
    }
}

extension StateStore {
    // MARK: - Changelog

    /// Every changelog entry of one run, in the order the run wrote them.
    public func changelog(_ connection: String, run: Int64) throws -> [ChangelogEntry] {
        try writer.read { db in
            var entries: [ChangelogEntry] = []
            let rows = try Row.fetchCursor(
                db, sql: "SELECT id, entries FROM change WHERE connection = ? AND run = ? ORDER BY id", arguments: [connection, run])
            while let row = try rows.next() {
                let id: Int64 = row[0]
                guard let decoded = ChangelogCodec.decode(row[1]) else {
                    throw StoreError("the state file holds a malformed changelog row (\(id)) for run \(run)")
                }
                entries += decoded
            }
            return entries
        }
    }

    /// How many changelog entries each run kept, for the runs that kept any.
    public func changelogRuns(_ connection: String) throws -> [Int64] {
        try writer.read { db in
            try Int64.fetchAll(db, sql: "SELECT DISTINCT run FROM change WHERE connection = ? ORDER BY run", arguments: [connection])
        }
    }

    /// Removes the changelog of the runs that started before `date`: one indexed delete, which
    /// finds nothing on most runs.
    public func pruneChangelog(_ connection: String, before date: Date) throws {
        try writer.write { db in
            guard let first = try Int64.fetchOne(
                db, sql: "SELECT MIN(id) FROM run WHERE connection = ? AND started_at >= ?", arguments: [connection, date])
                ?? Int64.fetchOne(db, sql: "SELECT MAX(id) + 1 FROM run WHERE connection = ?", arguments: [connection])
            else { return }
            try db.execute(sql: "DELETE FROM change WHERE connection = ? AND run < ?", arguments: [connection, first])
        }
    }

    // MARK: - Approval and the plan a connection ran

    /// Lets the next run of a connection go over its safety budget once.
    public func approve(_ connection: String) throws {
        try writer.write { db in
            try db.execute(
                sql: "INSERT INTO connection (name, approved) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET approved = 1",
                arguments: [connection])
        }
    }

    /// The plan the connection's last run that went through used, if the state has it.
    public func ranPlan(_ connection: String) throws -> RanPlan? {
        try writer.read { db in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT fingerprint, plan, base_directory FROM connection WHERE name = ?", arguments: [connection]),
                let json: String = row["plan"], let fingerprint: String = row["fingerprint"]
            else { return nil }
            return RanPlan(fingerprint: fingerprint, json: json, baseDirectory: row["base_directory"] ?? ".")
        }
    }

    /// One run, if the state has it.
    public func run(_ connection: String, id: Int64) throws -> RunRecord? {
        try runs(connection, limit: Int.max).first { $0.id == id }
    }
}

/// The changelog entries of one batch as stored: a JSON array of objects with short keys (a
/// first run writes one entry per created contact, encoded by hand like the record fields).
enum ChangelogCodec {
    static func encode(_ entries: [ChangelogEntry]) -> String {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(entries.count * 96)
        func string(_ text: String) { FieldsCodec.append(text, to: &out) }
        func list(_ values: [String]) {
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                string(value)
            }
            out.append(UInt8(ascii: "]"))
        }
        /// `"key":` with the comma before it, unless `first`.
        func key(_ name: String, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            string(name)
            out.append(UInt8(ascii: ":"))
        }
        /// `[{"n":name,"x":[...],"y":[...]},...]`: the fields' or the segments' changes.
        func changes(_ items: [(name: String, first: [String], second: [String])], keys: (String, String)) {
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out.append(UInt8(ascii: "{"))
                key("n", first: true)
                string(item.name)
                key(keys.0)
                list(item.first)
                key(keys.1)
                list(item.second)
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
        }
        for (index, entry) in entries.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "{"))
            key("k", first: true)
            string(entry.kind.rawValue)
            key("s")
            string(entry.side.rawValue)
            key("id")
            string(entry.recordID)
            if let counterpart = entry.counterpart {
                key("cp")
                string(counterpart)
            }
            if let email = entry.email {
                key("e")
                string(email)
            }
            if !entry.fields.isEmpty {
                key("f")
                changes(entry.fields.map { ($0.field, $0.before, $0.after) }, keys: ("b", "a"))
            }
            if !entry.segments.isEmpty {
                key("g")
                changes(entry.segments.map { ($0.kind, $0.added, $0.removed) }, keys: ("a", "r"))
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    /// `nil` when `text` is not what `encode` writes.
    static func decode(_ text: String) -> [ChangelogEntry]? {
        struct Stored: Decodable {
            struct Field: Decodable { var n: String, b: [String], a: [String] }
            struct Segment: Decodable { var n: String, a: [String], r: [String] }
            var k: ChangelogEntry.Kind, s: Side, id: String, cp: String?, e: String?, f: [Field]?, g: [Segment]?
        }
        guard let stored = try? JSONDecoder().decode([Stored].self, from: Data(text.utf8)) else { return nil }
        return stored.map {
            ChangelogEntry(
                kind: $0.k, side: $0.s, recordID: $0.id, counterpart: $0.cp, email: $0.e,
                fields: ($0.f ?? []).map { .init(field: $0.n, before: $0.b, after: $0.a) },
                segments: ($0.g ?? []).map { .init(kind: $0.n, added: $0.a, removed: $0.r) })
        }
    }
}

extension StateStore {
    /// Renames records of one side (old id → new id) in one transaction: their stored record,
    /// links and health entries. An app whose records changed ids (see `Listing.reidentified`)
    /// keeps its links and baselines.
    public func reidentify(_ connection: String, side: Side, _ renamed: [String: String]) throws {
        guard !renamed.isEmpty else { return }
        let linkColumn = side == .a ? "a_id" : "b_id"
        try writer.write { db in
            for (old, new) in renamed.sorted(by: { $0.key < $1.key }) {
                try db.execute(
                    sql: "UPDATE OR REPLACE record SET id = ? WHERE connection = ? AND side = ? AND id = ?",
                    arguments: [new, connection, side.rawValue, old])
                try db.execute(
                    sql: "UPDATE OR REPLACE link SET \(linkColumn) = ? WHERE connection = ? AND \(linkColumn) = ?", arguments: [new, connection, old])
                try db.execute(
                    sql: "UPDATE OR REPLACE health SET record_id = ? WHERE connection = ? AND side = ? AND record_id = ?",
                    arguments: [new, connection, side.rawValue, old])
            }
        }
    }
}
