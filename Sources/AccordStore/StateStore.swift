import Foundation
import GRDB

/// The runner's memory, one SQLite file for any number of connections.
///
/// Every method is one transaction that keeps the state consistent; the runner never sees a
/// half-written run.
public final class StateStore: Sendable {
    let writer: any DatabaseWriter

    /// The path used when none is given: `$ACCORD_STATE`, else `.accord/state.sqlite`.
    public static var defaultPath: String {
        ProcessInfo.processInfo.environment["ACCORD_STATE"] ?? ".accord/state.sqlite"
    }

    /// How a command uses the store.
    public enum Access: Sendable {
        /// Runs write: a pool of connections (one writer, concurrent readers).
        case readWrite
        /// Dry runs and reports only read, and leave the file byte for byte as it was: one plain
        /// connection (a pool writes a probe table into the schema each time it opens), and no
        /// file made where there is none (an empty store in memory stands in).
        case reading
    }

    /// Opens (creating and migrating if needed) the store at `path`. A new file is created
    /// readable by its owner only (0600).
    public convenience init(path: String, access: Access = .readWrite) throws {
        if access == .reading {
            guard FileManager.default.fileExists(atPath: path) else {
                try self.init()
                return
            }
            try self.init(opening: path) { try DatabaseQueue(path: path, configuration: $0) }
        } else {
            try self.init(creating: path)
        }
    }

    private convenience init(creating path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw StoreError("cannot create the state file '\(path)'")
            }
        }
        try self.init(opening: path) { try DatabasePool(path: path, configuration: $0) }
        // SQLite creates -wal and -shm files with the database's mode; keep them private too.
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path + suffix)
        }
    }

    /// Closes the file: SQLite folds its write-ahead log into the database and removes it; any
    /// later use throws. A store also closes when it is freed, but a command closes it when it is
    /// done, so the moment does not depend on which holder frees it last.
    public func close() throws {
        // The readers go first (`releaseMemory` closes the idle ones): only the last connection
        // to close folds in and removes the log, and a reader, opened read-only, cannot.
        (writer as? DatabasePool)?.releaseMemory()
        try writer.close()
    }

    /// Opens a file with `open` and migrates it.
    private init(opening path: String, _ open: (Configuration) throws -> any DatabaseWriter) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            writer = try open(configuration)
            try Self.migrator.migrate(writer)
        } catch let error as DatabaseError {
            throw StoreError("cannot open the state file '\(path)': \(error.message ?? error.description)")
        }
    }

    /// An in-memory store, for tests and dry runs.
    public init() throws {
        writer = try DatabaseQueue()
        try Self.migrator.migrate(writer)
    }

    /// The journal mode in effect (`wal` for files).
    public func journalMode() throws -> String {
        try writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }
}

/// A failure of the state store, with a message for the user.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
