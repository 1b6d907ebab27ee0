import GRDB
import GRDBSQLite

/// A prepared statement that a run executes thousands of times, with its values bound through
/// SQLite's C functions rather than `StatementArguments`: a first run writes a few rows per
/// contact, and converting each row's values to `DatabaseValue`s and back cost more instructions
/// than SQLite's own work for them (10,000 contacts: 575M of 4,890M, against 597M in `sqlite3_step`).
/// The texts of an execution are copied into one buffer that SQLite reads in place, where
/// letting SQLite copy each text cost a `malloc` and a `free` per value.
/// Only inside a GRDB transaction or read, which takes care of everything around the statement.
final class DirectStatement {
    private let statement: Statement
    private let connection: SQLiteConnection?
    private var bindings = Bindings()

    init(_ db: Database, sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        connection = db.sqliteConnection
    }

    /// Binds the values `bind` adds, in parameter order, and runs the statement to its end.
    func execute(_ bind: (inout Bindings) -> Void) throws {
        try run(bind) { _ in }
    }

    /// Inserts `rows` with `insert` (`INSERT ... INTO table (columns)`, without `VALUES`), many
    /// rows per statement: `bind` adds one row's values, `columns` of them. A first run inserts
    /// three rows per contact, and with a statement per row SQLite spent about a quarter of its
    /// work starting and ending statements. Rows go in their order, as one statement each would.
    static func insert<Rows: Collection>(
        _ db: Database, _ insert: String, columns: Int, rows: Rows, _ bind: (inout Bindings, Rows.Element) -> Void
    ) throws {
        guard !rows.isEmpty else { return }
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        func sql(rows count: Int) -> String { insert + " VALUES " + Array(repeating: row, count: count).joined(separator: ", ") }
        // Every chunk but the last has the first one's size, so its SQL is built once.
        let firstSize = min(rows.count, rowsPerInsert)
        let firstSQL = sql(rows: firstSize)
        var start = rows.startIndex
        while start != rows.endIndex {
            let end = rows.index(start, offsetBy: rowsPerInsert, limitedBy: rows.endIndex) ?? rows.endIndex
            let chunk = rows[start..<end]
            let statement = try DirectStatement(db, sql: chunk.count == firstSize ? firstSQL : sql(rows: chunk.count))
            try statement.execute { bindings in
                for element in chunk { bind(&bindings, element) }
            }
            start = end
        }
    }

    /// Rows per statement of `insert`: well under SQLite's limit of 32,766 values per statement
    /// for the store's widest table (8 columns), and few enough that one statement's texts stay small.
    static let rowsPerInsert = 64

    /// Binds the values `bind` adds and calls `body` with each row of the result.
    func forEachRow(_ bind: (inout Bindings) -> Void, _ body: (ResultRow) -> Void) throws {
        try run(bind, body)
    }

    /// A row of a result, valid only while `forEachRow` calls its body.
    struct ResultRow {
        fileprivate let handle: SQLiteStatement

        /// The text in column `index` (from 0); `nil` for NULL.
        func text(_ index: Int32) -> String? {
            guard let text = sqlite3_column_text(handle, index) else { return nil }
            return String(decoding: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, index))), as: UTF8.self)
        }
    }

    private func run(_ bind: (inout Bindings) -> Void, _ body: (ResultRow) -> Void) throws {
        let handle = statement.sqliteStatement
        bindings.removeAll()
        bind(&bindings)
        precondition(bindings.values.count == sqlite3_bind_parameter_count(handle), "\(statement.sql): wrong number of values")
        let code = bindings.bytes.withUnsafeBufferPointer { bytes in
            for (index, value) in bindings.values.enumerated() {
                let parameter = Int32(index + 1)
                switch value {
                case .null: sqlite3_bind_null(handle, parameter)
                case .integer(let integer): sqlite3_bind_int64(handle, parameter, integer)
                // The buffer is never empty, so a text (even an empty one) has an address, and it
                // stays put until the statement is reset (`nil`: SQLITE_STATIC).
                case .text(let range): sqlite3_bind_text(handle, parameter, bytes.baseAddress! + range.lowerBound, Int32(range.count), nil)
                }
            }
            var code = sqlite3_step(handle)
            while code == SQLITE_ROW {
                body(ResultRow(handle: handle))
                code = sqlite3_step(handle)
            }
            // Reset while the texts are there: a statement left stepped holds a read on the
            // tables it touched and the texts it was bound to.
            sqlite3_reset(handle)
            return code
        }
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: connection.map { String(cString: sqlite3_errmsg($0)) }, sql: statement.sql)
        }
    }

    /// The values of one execution, added one after the other.
    struct Bindings {
        fileprivate enum Value {
            case null
            case integer(Int64)
            case text(Range<Int>)
        }

        fileprivate var values: [Value] = []
        /// Every text of the execution, after one byte that is never bound.
        fileprivate var bytes: [UInt8] = [0]

        fileprivate mutating func removeAll() {
            values.removeAll(keepingCapacity: true)
            bytes.removeSubrange(1...)
        }

        mutating func add(_ text: String?) {
            guard let text else { values.append(.null); return }
            let start = bytes.count
            bytes.append(contentsOf: text.utf8)
            values.append(.text(start..<bytes.count))
        }

        mutating func add(_ integer: Int64) { values.append(.integer(integer)) }

        mutating func add(_ flag: Bool) { add(flag ? 1 : 0 as Int64) }
    }
}
