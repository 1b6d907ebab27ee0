import GRDB
import GRDBSQLite

/// A prepared statement that a run executes thousands of times, with its values bound through
/// SQLite's C functions rather than `StatementArguments`: a first run writes a few rows per
/// contact, and converting each row's values to `DatabaseValue`s and back cost more instructions
/// than SQLite's own work for them (10,000 contacts: 575M of 4,890M, against 597M in `sqlite3_step`).
/// Only for writes inside a GRDB transaction, which takes care of everything around the statement.
struct DirectStatement {
    private let statement: Statement
    private let connection: SQLiteConnection?

    init(_ db: Database, sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        connection = db.sqliteConnection
    }

    /// Binds the values `bind` adds, in parameter order, and runs the statement to its end.
    func execute(_ bind: (inout Bindings) -> Void) throws {
        let handle = statement.sqliteStatement
        var bindings = Bindings(statement: handle)
        bind(&bindings)
        precondition(bindings.next - 1 == sqlite3_bind_parameter_count(handle), "\(statement.sql): wrong number of values")
        let code = sqlite3_step(handle)
        // Reset right away: a statement left stepped holds a read on the tables it touched.
        sqlite3_reset(handle)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: connection.map { String(cString: sqlite3_errmsg($0)) }, sql: statement.sql)
        }
    }

    /// The values of one execution, bound one after the other.
    struct Bindings {
        fileprivate let statement: SQLiteStatement
        fileprivate var next: Int32 = 1

        mutating func add(_ text: String?) {
            defer { next += 1 }
            guard var text else { sqlite3_bind_null(statement, next); return }
            text.withUTF8 { bytes in
                // An empty buffer may have no address, which SQLite would take for NULL.
                if bytes.isEmpty {
                    _ = sqlite3_bind_text(statement, next, "", 0, nil)
                } else {
                    _ = sqlite3_bind_text(statement, next, bytes.baseAddress, Int32(bytes.count), Self.transient)
                }
            }
        }

        mutating func add(_ integer: Int64) {
            sqlite3_bind_int64(statement, next, integer)
            next += 1
        }

        mutating func add(_ flag: Bool) { add(flag ? 1 : 0 as Int64) }

        /// `SQLITE_TRANSIENT`: SQLite copies the bytes, which live only while they are bound.
        private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
    }
}
