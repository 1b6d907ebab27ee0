import AccordModel

/// A `csv` app's file read for accord: its table, its encoding, which column holds each field,
/// and each row's identity; and the changes accord makes to it, written back in its encoding.
struct CSVDocument {
    var table: CSVTable
    var columns: CSVColumns {
        didSet { packing = Self.packingOrder(columns) }
    }
    /// The fields of a record in name order, and the column of each (`nil` for the id).
    private var packing: (names: [String], columns: [Int?])
    var identities: [CSVRowIdentity?]
    let encoding: TextEncoding
    let byteOrderMark: Bool
    let schema: CSVColumns.Schema

    /// The tags column's separator between tag names.
    static let tagSeparator = ";"

    init(_ decoded: TextEncoding.Decoded, delimiter: UInt8?, schema: CSVColumns.Schema) throws(CSVTable.ParseFailure) {
        table = try CSVTable.parse(decoded.text, delimiter: delimiter)
        encoding = decoded.encoding
        byteOrderMark = decoded.byteOrderMark
        self.schema = schema
        columns = CSVColumns(header: table.header.values, schema: schema)
        packing = Self.packingOrder(columns)
        identities = CSVRowIdentity.identify(table, columns: columns)
    }

    /// The record of a row that has an identity and no problem. Its fields are packed straight
    /// from the cells, in name order, without a dictionary: a listing makes one per row.
    func record(at index: Int) -> ContactRecord {
        let row = table.rows[index]
        let id = identities[index]!.id
        var values = [[String]](repeating: [], count: packing.names.count)
        for (slot, column) in packing.columns.enumerated() {
            if let column {
                if column < row.values.count, !row.values[column].isEmpty { values[slot] = [row.values[column]] }
            } else {
                values[slot] = [id]
            }
        }
        var segments: [String: Set<String>] = [:]
        if let column = columns.tags, column < row.values.count, !row.values[column].isEmpty {
            var tags = Set<String>()
            for tag in row.values[column].split(separator: Character(Self.tagSeparator)) {
                let name = String(tag).trimmedOfSpaces
                if !name.isEmpty { tags.insert(name) }
            }
            if !tags.isEmpty { segments["tag"] = tags }
        }
        return ContactRecord(
            id: id, version: CSVRowIdentity.contentHash(row.values, excluding: columns.id),
            packedFields: PackedFields(names: packing.names, values: values), segments: segments)
    }

    /// The fields a record holds, in name order, with their columns (`nil` for the id).
    private static func packingOrder(_ columns: CSVColumns) -> (names: [String], columns: [Int?]) {
        let order = ([("id", nil)] + columns.reading.map { ($0.field, Optional($0.column)) }).sorted { $0.0 < $1.0 }
        return (order.map(\.0), order.map(\.1))
    }

    /// The row of each id among `ids` (rows with a problem are not found).
    func rows(of ids: Set<String>) -> [String: Int] {
        var rows: [String: Int] = [:]
        for (index, identity) in identities.enumerated() {
            if let identity, identity.problem == nil, ids.contains(identity.id) { rows[identity.id] = index }
        }
        return rows
    }

    /// The cell values a write sets: field → value (the first of its values; empty clears),
    /// and the tags column's value when `tags` is given. Fields accord cannot write (the id)
    /// are left out.
    static func cells(_ fields: [String: [String]], tags: Set<String>?) -> [(field: String, value: String)] {
        var cells = fields.filter { $0.key != "id" }.map { (field: $0.key, value: $0.value.first ?? "") }.sorted { $0.field < $1.field }
        if let tags { cells.append((field: "tags", value: tags.sorted().joined(separator: tagSeparator))) }
        return cells
    }

    /// Why the file's encoding cannot hold one of `cells`, if it cannot.
    func unencodable(_ cells: [(field: String, value: String)]) -> String? {
        for cell in cells {
            if let problem = encoding.firstUnencodable(in: cell.value) { return "'\(cell.field)': \(problem)" }
            if column(of: cell.field) == nil, let problem = encoding.firstUnencodable(in: schema.header(for: cell.field)) {
                return "the header of a new column for '\(cell.field)': \(problem)"
            }
        }
        return nil
    }

    /// The column of a field (or of `tags`), if the file has one.
    func column(of field: String) -> Int? {
        field == "tags" ? columns.tags : columns.fields[field]
    }

    /// Sets cells of a row (an index into the table's rows), adding a column at the end for a
    /// field that has none, unless the value is empty (nothing to keep).
    mutating func set(_ cells: [(field: String, value: String)], inRow index: Int) {
        for cell in cells {
            guard let column = column(of: cell.field) ?? (cell.value.isEmpty ? nil : addColumn(for: cell.field)) else { continue }
            if table.rows[index].values[column] != cell.value {
                table.rows[index].values[column] = cell.value
                table.rows[index].isEdited = true
            }
        }
    }

    /// Adds a row with `id` in the id column (which must exist) and `cells`; its index.
    mutating func addRow(id: String, cells: [(field: String, value: String)]) -> Int {
        var values = [String](repeating: "", count: table.header.values.count)
        values[columns.id!] = id
        let index = table.appendRow(values)
        identities.insert(CSVRowIdentity(id: id, source: .column), at: index)
        set(cells, inRow: index)
        return index
    }

    /// Adds the column of a field (or of the ids, or the tags) at the end; its index.
    private mutating func addColumn(for field: String) -> Int {
        let column = table.appendColumn(schema.header(for: field))
        switch field {
        case "id": columns.id = column
        case "tags": columns.tags = column
        default:
            columns.fields[field] = column
            columns.reading.append((field, column))
        }
        return column
    }

    /// Makes sure the file has an id column, adding one at the end when it has none.
    mutating func ensureIDColumn() {
        if columns.id == nil { _ = addColumn(for: "id") }
    }

    /// Writes each well-formed row's id into the id column, where the file has one and the row's
    /// cell is empty, so that the row keeps its id whatever is done to its values later.
    mutating func fillInIDs() {
        guard let column = columns.id else { return }
        for (index, identity) in identities.enumerated() {
            guard let identity, identity.problem == nil, identity.source != .column, table.rows[index].values[column].isEmpty else { continue }
            table.rows[index].values[column] = identity.id
            table.rows[index].isEdited = true
            identities[index]?.source = .column
        }
    }

    /// The file's bytes, in its encoding.
    func encoded() throws -> [UInt8] {
        do {
            return try encoding.encode(table.serialized(), byteOrderMark: byteOrderMark)
        } catch {
            throw ConnectorError("csv: \(error)")
        }
    }
}
