/// RFC 4180 CSV: quoted fields with commas, doubled quotes and line breaks, CRLF or LF, an
/// optional UTF-8 byte order mark.
struct CSVTable: Sendable, Hashable {
    var header: [String]
    /// Rows with the 1-based line each starts on.
    var rows: [(line: Int, values: [String])]

    static func == (lhs: CSVTable, rhs: CSVTable) -> Bool {
        lhs.header == rhs.header && lhs.rows.map(\.values) == rhs.rows.map(\.values)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(header)
        hasher.combine(rows.map(\.values))
    }

    /// Parses a whole file; a malformed row is an error naming its line.
    static func parse(_ text: String, file: String) throws -> CSVTable {
        var records: [(line: Int, values: [String])] = []
        var field = ""
        var values: [String] = []
        var inQuotes = false
        var atFieldStart = true
        var line = 1
        var recordLine = 1
        var quoteLine = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        if let first = iterator.next(), first != "\u{FEFF}" { pending = first }

        func endRecord() {
            values.append(field)
            field = ""
            if !(values.count == 1 && values[0].isEmpty) { records.append((recordLine, values)) }
            values = []
            atFieldStart = true
        }

        while let scalar = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if scalar == "\"" {
                    let next = iterator.next()
                    if next == "\"" {
                        field.unicodeScalars.append("\"")
                    } else {
                        inQuotes = false
                        pending = next
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where atFieldStart:
                inQuotes = true
                quoteLine = line
                atFieldStart = false
            case "\"":
                throw ConnectorError("csv: '\(file)' line \(line): a quote inside an unquoted field; quote the whole field and double the quote")
            case ",":
                values.append(field)
                field = ""
                atFieldStart = true
            case "\r":
                let next = iterator.next()
                if next != "\n" { pending = next }
                endRecord()
                line += 1
                recordLine = line
            case "\n":
                endRecord()
                line += 1
                recordLine = line
            default:
                field.unicodeScalars.append(scalar)
                atFieldStart = false
            }
        }
        if inQuotes { throw ConnectorError("csv: '\(file)' line \(quoteLine): a quoted field is never closed") }
        if !field.isEmpty || !values.isEmpty { endRecord() }
        guard let header = records.first else { return CSVTable(header: [], rows: []) }
        let rows = Array(records.dropFirst())
        for row in rows where row.values.count != header.values.count {
            throw ConnectorError("csv: '\(file)' line \(row.line): the row has \(row.values.count) fields, the header has \(header.values.count)")
        }
        return CSVTable(header: header.values.map { $0.trimmingCharacters(in: .whitespaces) }, rows: rows)
    }

    /// The table as CSV text with CRLF line ends, quoting only where needed.
    func serialized() -> String {
        var out = Self.line(header)
        for row in rows { out += Self.line(row.values) }
        return out
    }

    private static func line(_ values: [String]) -> String {
        values.map { value in
            value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
                || value.hasPrefix(" ") || value.hasSuffix(" ")
                ? "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                : value
        }.joined(separator: ",") + "\r\n"
    }
}
