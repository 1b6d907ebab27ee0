/// A CSV file as text (RFC 4180: quoted fields with delimiters, doubled quotes and line breaks),
/// held so that writing it back changes only what accord changed: every row keeps its bytes
/// (quoting, spacing, line end) unless accord edits it, an edited row keeps the bytes of the cells
/// it does not change, and the file keeps its delimiter, line ends, blank lines, an Excel `sep=`
/// line, and a final line end or the lack of one.
///
/// Works on the file's text as UTF-8 (`TextEncoding` turns other encodings into it): the
/// delimiter, quotes and line ends it looks for are ASCII, which no byte of a longer UTF-8
/// sequence can be.
struct CSVTable: Sendable {
    /// The file's text, as read.
    private(set) var text: [UInt8]
    /// `,`, `;` or a tab.
    let delimiter: UInt8
    /// The line end of rows accord adds: the header's (CRLF when the file has only a header
    /// without one).
    let lineEnding: [UInt8]
    /// The bytes before the header: an Excel `sep=` line, blank lines.
    private let preamble: Range<Int>
    /// Whether every cell of the header is quoted, as some exports (Outlook) quote every cell:
    /// cells accord writes are quoted too.
    let quotesEveryCell: Bool
    var header: Row
    /// The rows after the header, blank lines included, in file order.
    var rows: [Row]
    /// How many cells the header had in the file: a row with another count is malformed.
    let fileColumnCount: Int

    struct Row: Sendable {
        /// The 1-based line the row starts on in the file; 0 for a row accord adds.
        var line: Int
        var values: [String]
        /// The row's bytes in `text`, without its line end; `nil` for a row accord adds.
        var source: Range<Int>?
        var ending: LineEnd
        /// Whether accord changed a value (then the row is written from `values`).
        var isEdited = false
        /// An empty line: not a row of the table, but kept where it is.
        var isBlank: Bool { source?.isEmpty == true }
        /// Whether the row had as many cells as the header (a blank line has not); only such a
        /// row is a record, and gets a cell in each column accord adds.
        var isWellFormed: Bool
    }

    enum LineEnd: Sendable, Equatable {
        /// As in the file (a range of `text`).
        case original(Range<Int>)
        /// The file's line end (`lineEnding`), for a row accord adds or one it adds a row after.
        case added
        /// None: the last line of a file that does not end with a line end.
        case none
    }

    /// Why a file cannot be read as CSV, and the line where that shows.
    struct ParseFailure: Error {
        var line: Int
        var problem: String
    }

    // MARK: - Parsing

    /// Parses a whole file's text.
    /// - Parameter delimiter: the connection's; `nil` to take the header's (see `detectDelimiter`).
    static func parse(_ text: [UInt8], delimiter: UInt8?) throws(ParseFailure) -> CSVTable {
        try text.withUnsafeBufferPointer { (bytes) throws(ParseFailure) -> CSVTable in
            var parser = Parser(bytes: bytes, delimiter: delimiter ?? UInt8(ascii: ","))
            // Excel's `sep=;` first line names the delimiter; it is kept as it is.
            var preambleEnd = 0
            var delimiter = delimiter
            if bytes.count >= 5, bytes[0] | 0x20 == UInt8(ascii: "s"), bytes[1] | 0x20 == UInt8(ascii: "e"), bytes[2] | 0x20 == UInt8(ascii: "p"),
               bytes[3] == UInt8(ascii: "="), bytes[4] != UInt8(ascii: "\r"), bytes[4] != UInt8(ascii: "\n"),
               bytes.count == 5 || bytes[5] == UInt8(ascii: "\r") || bytes[5] == UInt8(ascii: "\n")
            {
                if delimiter == nil { delimiter = bytes[4] }
                preambleEnd = 5
                parser.position = 5
                parser.skipLineEnd()
                preambleEnd = parser.position
            }
            // Blank lines before the header stay before it.
            while parser.position < bytes.count, bytes[parser.position] == UInt8(ascii: "\r") || bytes[parser.position] == UInt8(ascii: "\n") {
                parser.skipLineEnd()
                preambleEnd = parser.position
            }
            parser.delimiter = delimiter ?? detectDelimiter(bytes, from: parser.position)
            guard parser.position < bytes.count else {
                throw ParseFailure(line: parser.line, problem: "it has no header row")
            }
            let header = try parser.record(cells: true)
            var rows: [Row] = []
            while parser.position < bytes.count {
                let record = try parser.record(cells: false)
                rows.append(Row(
                    line: record.line, values: record.values, source: record.source, ending: record.ending,
                    isWellFormed: !record.source.isEmpty && record.values.count == header.values.count))
            }
            let lineEnding = header.ending == .none ? [UInt8(ascii: "\r"), UInt8(ascii: "\n")] : Array(bytes[header.endingRange!])
            return CSVTable(
                text: Array(bytes), delimiter: parser.delimiter, lineEnding: lineEnding, preamble: 0..<preambleEnd,
                quotesEveryCell: header.cells.allSatisfy(\.quoted), header: Row(line: header.line, values: header.values, source: header.source, ending: header.ending, isWellFormed: true),
                rows: rows, fileColumnCount: header.values.count)
        }
    }

    /// The delimiter a header uses: the one of `,`, `;` and tab it holds most often outside quotes
    /// (in that order of preference on a tie); `,` when it holds none (a single column).
    static func detectDelimiter(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> UInt8 {
        var counts: [UInt8: Int] = [UInt8(ascii: ","): 0, UInt8(ascii: ";"): 0, UInt8(ascii: "\t"): 0]
        var inQuotes = false
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                inQuotes.toggle()
            } else if !inQuotes {
                if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { break }
                counts[byte]? += 1
            }
            index += 1
        }
        return [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t")].max { counts[$0]! < counts[$1]! || (counts[$0]! == counts[$1]! && $0 != UInt8(ascii: ",") && $1 == UInt8(ascii: ",")) }!
    }

    /// Reads records off the text, one at a time, counting lines.
    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var delimiter: UInt8
        var position = 0
        var line = 1

        init(bytes: UnsafeBufferPointer<UInt8>, delimiter: UInt8) {
            self.bytes = bytes
            self.delimiter = delimiter
        }

        struct Record {
            var line: Int
            var values: [String]
            var source: Range<Int>
            var ending: LineEnd
            var endingRange: Range<Int>?
            /// Each cell's bytes (quotes included) and whether it was quoted, when asked for.
            var cells: [(range: Range<Int>, quoted: Bool)]
        }

        mutating func skipLineEnd() {
            if position < bytes.count, bytes[position] == UInt8(ascii: "\r") { position += 1 }
            if position < bytes.count, bytes[position] == UInt8(ascii: "\n") { position += 1 }
            line += 1
        }

        mutating func record(cells wantCells: Bool) throws(ParseFailure) -> Record {
            let start = position
            let startLine = line
            var values: [String] = []
            var cells: [(range: Range<Int>, quoted: Bool)] = []
            let quote = UInt8(ascii: "\"")
            while true {
                let cellStart = position
                var quoted = false
                if position < bytes.count, bytes[position] == quote {
                    quoted = true
                    let openLine = line
                    position += 1
                    var value: [UInt8] = []
                    var segment = position
                    while true {
                        guard let next = bytes[position...].firstIndex(of: quote) else {
                            throw ParseFailure(line: openLine, problem: "a quoted field is never closed")
                        }
                        for byte in bytes[position..<next] where byte == UInt8(ascii: "\n") { line += 1 }
                        // A lone CR ends a line too.
                        for index in position..<next where bytes[index] == UInt8(ascii: "\r") && (index + 1 >= bytes.count || bytes[index + 1] != UInt8(ascii: "\n")) {
                            line += 1
                        }
                        if next + 1 < bytes.count, bytes[next + 1] == quote {
                            value += bytes[segment...next]
                            position = next + 2
                            segment = position
                        } else {
                            value += bytes[segment..<next]
                            position = next + 1
                            break
                        }
                    }
                    if position < bytes.count, bytes[position] != delimiter, bytes[position] != UInt8(ascii: "\r"), bytes[position] != UInt8(ascii: "\n") {
                        throw ParseFailure(line: line, problem: "text follows the closing quote of a field; quote the whole field and double the quotes in it")
                    }
                    values.append(String(decoding: value, as: UTF8.self))
                } else {
                    while position < bytes.count {
                        let byte = bytes[position]
                        if byte == delimiter || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") { break }
                        if byte == quote {
                            throw ParseFailure(line: line, problem: "a quote inside an unquoted field; quote the whole field and double the quote")
                        }
                        position += 1
                    }
                    values.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[cellStart..<position]), as: UTF8.self))
                }
                if wantCells { cells.append((cellStart..<position, quoted)) }
                if position < bytes.count, bytes[position] == delimiter {
                    position += 1
                    continue
                }
                break
            }
            let source = start..<position
            guard position < bytes.count else { return Record(line: startLine, values: values, source: source, ending: .none, endingRange: nil, cells: cells) }
            let endStart = position
            skipLineEnd()
            return Record(line: startLine, values: values, source: source, ending: .original(endStart..<position), endingRange: endStart..<position, cells: cells)
        }
    }

    /// The cells of a row as the file holds them: bytes (quotes included), whether quoted, value.
    private func cells(of source: Range<Int>) -> [(range: Range<Int>, quoted: Bool, value: String)] {
        text.withUnsafeBufferPointer { bytes in
            var parser = Parser(bytes: UnsafeBufferPointer(rebasing: bytes[..<source.upperBound]), delimiter: delimiter)
            parser.position = source.lowerBound
            guard let record = try? parser.record(cells: true) else { return [] }
            return zip(record.cells, record.values).map { ($0.range, $0.quoted, $1) }
        }
    }

    // MARK: - Changing

    /// Adds a column at the end, with an empty cell in every well-formed row; its index.
    mutating func appendColumn(_ name: String) -> Int {
        for index in rows.indices where rows[index].isWellFormed { rows[index].values.append("") }
        header.values.append(name)
        header.isEdited = true
        return header.values.count - 1
    }

    /// Adds a row after the last one that is not blank; its index in `rows`.
    mutating func appendRow(_ values: [String]) -> Int {
        let position = (rows.lastIndex { !$0.isBlank }).map { $0 + 1 } ?? 0
        var row = Row(line: 0, values: values, source: nil, ending: .added, isEdited: true, isWellFormed: true)
        if position == 0 {
            if header.ending == .none { header.ending = .added; row.ending = .none }
        } else if rows[position - 1].ending == .none {
            rows[position - 1].ending = .added
            row.ending = .none
        }
        rows.insert(row, at: position)
        return position
    }

    // MARK: - Writing

    /// The table as text: unchanged rows as read, edited and new ones from their values.
    func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count + text.count / 16 + 256)
        out += text[preamble]
        let added = header.values.count - fileColumnCount
        for row in CollectionOfOne(header) + rows {
            if row.isEdited || row.source == nil {
                append(cellsOf: row, to: &out)
            } else {
                out += text[row.source!]
                // A well-formed row gets an empty cell for each column accord added.
                if added > 0, row.isWellFormed {
                    for _ in 0..<added { out.append(delimiter) }
                }
            }
            switch row.ending {
            case .original(let range): out += text[range]
            case .added: out += lineEnding
            case .none: break
            }
        }
        return out
    }

    /// An edited or new row: each cell whose value did not change as the file had it, the others
    /// written, quoted when they need it, when the cell was quoted, or when the file quotes every cell.
    private func append(cellsOf row: Row, to out: inout [UInt8]) {
        let original = row.source.map(cells(of:)) ?? []
        for (index, value) in row.values.enumerated() {
            if index > 0 { out.append(delimiter) }
            if index < original.count, original[index].value == value {
                out += text[original[index].range]
            } else {
                append(value, quoted: quotesEveryCell || (index < original.count && original[index].quoted), to: &out)
            }
        }
    }

    private func append(_ value: String, quoted: Bool, to out: inout [UInt8]) {
        let needsQuotes = quoted || value.utf8.contains { $0 == delimiter || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
            || value.utf8.first == UInt8(ascii: " ") || value.utf8.last == UInt8(ascii: " ")
        guard needsQuotes else {
            out += value.utf8
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            out.append(byte)
            if byte == UInt8(ascii: "\"") { out.append(byte) }
        }
        out.append(UInt8(ascii: "\""))
    }
}
