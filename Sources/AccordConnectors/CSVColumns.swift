import Foundation

/// Which column of a CSV file holds each field, the row ids and the tags.
///
/// The rule, in order: the connection's column map (field → header text) names a field's column
/// outright; the id column is the `id_column` setting's (default `id`) and the tags column
/// `tags`, unless the map names them (under `id` and `tags`); every other field of the schema
/// (and each custom field) takes the first column not already taken whose header is the field's
/// name, else whose header matches the name or the field's label once both are lower-cased and
/// stripped of spaces, underscores and hyphens (`E-Mail` is `email`, `First Name` is
/// `first_name`, `E-mail Address` is the label of `email`). A header text is matched the same
/// way: as written first, then by that key. Columns no field takes are kept as they are, never
/// read nor written.
struct CSVColumns: Sendable {
    /// The fields a CSV file can hold, with their labels: the schema's and the custom ones.
    struct Schema: Sendable, Hashable {
        var fields: [(name: String, label: String)]
        /// Field name → header text, from the connection.
        var columns: [String: String]
        /// The header of the id column, when the column map does not name it.
        var idColumn: String

        static func == (lhs: Schema, rhs: Schema) -> Bool {
            lhs.fields.map(\.name) == rhs.fields.map(\.name) && lhs.fields.map(\.label) == rhs.fields.map(\.label)
                && lhs.columns == rhs.columns && lhs.idColumn == rhs.idColumn
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(fields.map(\.name))
            hasher.combine(columns)
            hasher.combine(idColumn)
        }

        /// The header a column accord adds for `field` gets: the map's text, else the field's name.
        func header(for field: String) -> String {
            columns[field] ?? (field == "id" ? idColumn : field)
        }
    }

    var id: Int?
    var tags: Int?
    /// Field → column, for each field that has one (the id and tags are not fields here).
    var fields: [String: Int]
    /// The same, in column order, for reading a row.
    var reading: [(field: String, column: Int)]

    init(header: [String], schema: Schema) {
        var taken = Set<Int>()
        func find(_ text: String, label: String? = nil) -> Int? {
            let written = text.trimmingCharacters(in: .whitespaces)
            let candidates = header.indices.filter { !taken.contains($0) }
            let found = candidates.first { header[$0].trimmingCharacters(in: .whitespaces) == written }
                ?? candidates.first { Self.key(header[$0]) == Self.key(text) }
                ?? label.flatMap { label in candidates.first { Self.key(header[$0]) == Self.key(label) } }
            if let found { taken.insert(found) }
            return found
        }
        id = find(schema.columns["id"] ?? schema.idColumn)
        tags = find(schema.columns["tags"] ?? "tags")
        fields = [:]
        for (field, text) in schema.columns.sorted(by: { $0.key < $1.key }) where field != "id" && field != "tags" {
            if let column = find(text) { fields[field] = column }
        }
        for (name, label) in schema.fields where schema.columns[name] == nil && name != "id" {
            if let column = find(name, label: label) { fields[name] = column }
        }
        reading = fields.map { ($0.key, $0.value) }.sorted { $0.column < $1.column }
    }

    /// The key headers and field names are compared by: lower case, without spaces, underscores
    /// and hyphens.
    static func key(_ text: String) -> String {
        String(text.lowercased().unicodeScalars.filter { $0 != " " && $0 != "_" && $0 != "-" && $0 != "\t" })
    }
}

/// How each row of a CSV file is identified, never by its position:
/// 1. the value in the id column, when the row has one (two rows with one id are unreadable);
/// 2. else `email:` and its email, lower-cased and trimmed, when no other row has that email and
///    no row has that as its id;
/// 3. else `hash:` and a hash of its values (without the id column, and without empty values at
///    its end, so that accord adding a column does not change it); rows with the very same values
///    are told apart by `#2`, `#3`..., which cannot send one person's values to another since
///    their values are the same.
/// accord writes these ids into the id column when it writes the file, so a row's id then stays
/// whatever is done to its values.
struct CSVRowIdentity: Sendable, Hashable {
    enum Source: Sendable, Hashable {
        case column, email, content
    }

    var id: String
    var source: Source
    /// Why the row cannot be read as a record, if it cannot.
    var problem: String?

    /// The identity of every row (`nil` for a blank line).
    static func identify(_ table: CSVTable, columns: CSVColumns) -> [CSVRowIdentity?] {
        var identities = [CSVRowIdentity?](repeating: nil, count: table.rows.count)
        // Each id's first row, and every row of the (rare) ids on several: an array per id cost
        // an allocation per row.
        var rowOfID: [String: Int] = [:]
        var repeated: [String: [Int]] = [:]
        // 1. Ids in the id column, of well-formed and malformed rows alike.
        for (index, row) in table.rows.enumerated() where !row.isBlank {
            if let column = columns.id, column < row.values.count {
                let id = row.values[column].trimmedOfSpaces
                if !id.isEmpty {
                    identities[index] = CSVRowIdentity(id: id, source: .column)
                    if let first = rowOfID.updateValue(index, forKey: id) {
                        rowOfID[id] = first
                        repeated[id, default: [first]].append(index)
                    }
                }
            }
            if !row.isWellFormed {
                let problem = "has \(row.values.count) field\(row.values.count == 1 ? "" : "s"), the header \(table.fileColumnCount)"
                identities[index] = identities[index].map { CSVRowIdentity(id: $0.id, source: .column, problem: problem) }
                    ?? CSVRowIdentity(id: "hash:" + contentHash(row.values, excluding: nil), source: .content, problem: problem)
            }
        }
        for (id, indices) in repeated {
            let lines = indices.map { String(table.rows[$0].line) }.joined(separator: ", ")
            for index in indices {
                identities[index] = CSVRowIdentity(id: id, source: .column, problem: "has the id '\(id)', as do the rows on lines \(lines): an id must be unique in the file")
            }
        }
        // 2. Emails, where unique: each email's row, or -1 when several have it.
        if let column = columns.fields["email"] {
            var rowOfEmail: [String: Int] = [:]
            for (index, row) in table.rows.enumerated() where identities[index] == nil && row.isWellFormed {
                let email = row.values[column].trimmedOfSpaces.lowercased()
                if !email.isEmpty, rowOfEmail.updateValue(index, forKey: email) != nil { rowOfEmail[email] = -1 }
            }
            for (email, index) in rowOfEmail where index >= 0 && rowOfID["email:" + email] == nil {
                identities[index] = CSVRowIdentity(id: "email:" + email, source: .email)
            }
        }
        // 3. The rest, by their values.
        var seen: [String: Int] = [:]
        for (index, row) in table.rows.enumerated() where identities[index] == nil && row.isWellFormed {
            let hash = "hash:" + contentHash(row.values, excluding: columns.id)
            let count = seen[hash, default: 0] + 1
            seen[hash] = count
            identities[index] = CSVRowIdentity(id: count == 1 ? hash : hash + "#\(count)", source: .content)
        }
        return identities
    }

    /// FNV-1a over a row's values, without the id column and the empty values at its end (so
    /// that accord filling in ids or adding a column leaves it as it was): the row's version, and
    /// the id of a row known by its values.
    static func contentHash(_ values: [String], excluding idColumn: Int?) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let end = (values.indices.last { $0 != idColumn && !values[$0].isEmpty }).map { $0 + 1 } ?? 0
        for (index, value) in values[..<end].enumerated() where index != idColumn {
            for byte in value.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            hash ^= 0x1f
            hash = hash &* 0x100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

extension String {
    /// Without spaces and tabs at either end; without Foundation when there are none (a listing
    /// trims a cell or two of every row, and Foundation's trimming was a fifth of listing a file).
    var trimmedOfSpaces: String {
        func isSpace(_ byte: UInt8?) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard isSpace(utf8.first) || isSpace(utf8.last) else { return self }
        return trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
    }
}
