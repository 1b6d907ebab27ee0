import Foundation

/// The `csv` app: one CSV file, one contact per row, the header naming the fields, a `tags`
/// column (names separated by `;`) and an id column (`id` unless the `id_column` setting says
/// otherwise). Rows without an id get `email:<address>` (or `row:<line>`), written into the id
/// column the next time accord writes the file. An update of a row edited since the listing is
/// merged into it like `carddav` does (see `WriteResult`).
public struct CSVConnector: ContactConnector {
    public let path: String
    public let idColumn: String
    public let tagsColumn = "tags"
    public let batchSize: Int

    public init(path: String, idColumn: String = "id", batchSize: Int = 10_000) {
        self.path = path
        self.idColumn = idColumn
        self.batchSize = batchSize
    }

    func load() throws -> CSVTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            if !FileManager.default.fileExists(atPath: path) { return CSVTable(header: [idColumn, "email", tagsColumn], rows: []) }
            throw ConnectorError("csv: cannot read '\(path)'")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ConnectorError("csv: '\(path)' is not UTF-8 text") }
        var table = try CSVTable.parse(text, file: path)
        if table.header.isEmpty { table.header = [idColumn, "email", tagsColumn] }
        return table
    }

    func id(of values: [String], in table: CSVTable, line: Int) -> String {
        if let index = table.header.firstIndex(of: idColumn), !values[index].isEmpty { return values[index] }
        if let index = table.header.firstIndex(of: "email") {
            let email = values[index].trimmingCharacters(in: .whitespaces).lowercased()
            if !email.isEmpty { return "email:" + email }
        }
        return "row:\(line)"
    }

    func record(_ values: [String], in table: CSVTable, line: Int) -> ContactRecord {
        var fields: [String: [String]] = [:]
        var segments: [String: Set<String>] = [:]
        for (column, value) in zip(table.header, values) where !value.isEmpty {
            if column == tagsColumn {
                let tags = Set(value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
                if !tags.isEmpty { segments["tag"] = tags }
            } else {
                fields[column] = [value]
            }
        }
        let id = id(of: values, in: table, line: line)
        fields[idColumn] = [id]
        return ContactRecord(id: id, version: Self.hash(values), fields: fields, segments: segments)
    }

    /// FNV-1a over the row's values: the row's version.
    static func hash(_ values: [String]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for value in values {
            for byte in value.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            hash ^= 0x1f
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    public func list(since state: ListingState) async throws -> Listing {
        // The cursor is the file's size and modification time: when they did not change, nothing did.
        let version = try FileVersion.of(path: path)
        if let version, state.cursor == version {
            return Listing(changed: [], deleted: [], cursor: version)
        }
        let table = try load()
        var changed: [ContactRecord] = []
        var present = Set<String>()
        for row in table.rows {
            let record = record(row.values, in: table, line: row.line)
            if !present.insert(record.id).inserted {
                throw ConnectorError("csv: '\(path)' line \(row.line): the id '\(record.id)' appears twice")
            }
            if state.known[record.id] != record.version { changed.append(record) }
        }
        let deleted = state.known.keys.filter { !present.contains($0) }.sorted()
        return Listing(changed: changed, deleted: deleted, cursor: version)
    }

    /// Whether the file still has the size and modification time the last listing saw (one
    /// `stat`): accord's own writes after that listing move them too.
    public func isUnchanged(since cursor: String) async throws -> Bool {
        try FileVersion.of(path: path) == cursor
    }

    /// A created row's id is its correlation id.
    public func recordID(forCorrelation correlationID: String) -> String? { correlationID }

    public func create(_ contacts: [NewContact]) async throws -> [WriteResult] {
        try modify { table, _ in
            contacts.map { contact in
                var values = Array(repeating: "", count: table.header.count)
                let id = contact.correlationID
                var fields = contact.fields
                fields[idColumn] = [id]
                Self.set(fields, segments: contact.segments, into: &values, table: &table)
                table.rows.append((line: table.rows.count + 2, values: values))
                return .written(row: table.rows.count - 1, editedSince: false)
            }
        }
    }

    public func update(_ updates: [ContactUpdate]) async throws -> [WriteResult] {
        try modify { table, loaded in
            // One pass over the rows as the file holds them (before accord fills in ids or adds
            // columns, which keeps every row's id): where each updated record is, and its version.
            let wanted = Set(updates.map(\.id))
            var rows: [String: Int] = [:]
            var versions: [String: String] = [:]
            for (index, row) in loaded.rows.enumerated() {
                let id = id(of: row.values, in: loaded, line: row.line)
                guard wanted.contains(id) else { continue }
                if rows[id] == nil { rows[id] = index }
                versions[id] = Self.hash(row.values)
            }
            return updates.map { update in
                guard let index = rows[update.id] else { return .failed(reason: "the row no longer exists") }
                var values = table.rows[index].values
                let current = record(values, in: table, line: table.rows[index].line)
                // Edited since accord listed it: a field this update sets is left for the next run
                // to merge; an edit of other fields is kept, and the row comes back without a version.
                let editedSince = update.wasEdited(now: versions[update.id])
                if editedSince, let field = update.conflictingField(in: current.fields) {
                    return .failed(reason: "'\(field)' was edited in the row of '\(update.id)' during the run; the next run merges it")
                }
                var segments = current.segments
                for (kind, names) in update.addSegments { segments[kind, default: []].formUnion(names) }
                for (kind, names) in update.removeSegments { segments[kind]?.subtract(names) }
                var fields = update.fields
                fields[idColumn] = [update.id]
                Self.set(fields, segments: segments, into: &values, table: &table)
                table.rows[index].values = values
                return .written(row: index, editedSince: editedSince)
            }
        }
    }

    /// What `modify`'s change did to one row (an index into the table's rows).
    private enum RowChange {
        case written(row: Int, editedSince: Bool)
        case failed(reason: String)
    }

    /// Loads the table, changes it, writes it back atomically once, and returns each written
    /// record (without a version when it was edited since the update's listing). The change is
    /// also given the table as loaded, before accord fills in ids or adds columns.
    private func modify(_ change: (inout CSVTable, _ loaded: CSVTable) -> [RowChange]) throws -> [WriteResult] {
        let loaded = try load()
        var table = loaded
        // Persist derived ids so they stay stable.
        if let idIndex = table.header.firstIndex(of: idColumn) {
            for index in table.rows.indices where table.rows[index].values[idIndex].isEmpty {
                table.rows[index].values[idIndex] = id(of: table.rows[index].values, in: table, line: table.rows[index].line)
            }
        }
        let changes = change(&table, loaded)
        try AtomicFile.write(Array(table.serialized().utf8), to: path)
        // Only the written rows become records, as the file now holds them.
        return changes.map { change in
            switch change {
            case .failed(let reason):
                return .failed(reason: reason)
            case .written(let index, let editedSince):
                var record = record(table.rows[index].values, in: table, line: table.rows[index].line)
                if editedSince { record.version = nil }
                return .written(record)
            }
        }
    }

    /// Writes fields (adding columns for new ones) and the tags column into a row.
    private static func set(_ fields: [String: [String]], segments: [String: Set<String>], into values: inout [String], table: inout CSVTable) {
        func column(_ name: String) -> Int {
            if let index = table.header.firstIndex(of: name) { return index }
            table.header.append(name)
            for index in table.rows.indices { table.rows[index].values.append("") }
            values.append("")
            return table.header.count - 1
        }
        for (field, fieldValues) in fields.sorted(by: { $0.key < $1.key }) {
            values[column(field)] = fieldValues.first ?? ""
        }
        values[column("tags")] = (segments["tag"] ?? []).sorted().joined(separator: ";")
    }
}
