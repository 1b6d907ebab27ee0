import Foundation

/// A `csv` app's file, open, with its bytes as read: what a listing parses, and what a write
/// checks for another program's changes before and after it replaces the file. The descriptor
/// stays open so that a write another program makes to the file accord has just replaced (it
/// had the file open) can still be found and re-applied.
final class CSVFile {
    let descriptor: Int32
    /// The file's `fstat` when its bytes were read.
    private(set) var info: stat
    private(set) var bytes: [UInt8]
    /// What the bytes were read from.
    var identity: FileIdentity { FileIdentity(info) }

    /// How often a file that changes while it is read is read again.
    static let readAttempts = 3

    /// Opens and reads the file of `source`, refusing one larger than `limit`; `nil` when it
    /// does not exist.
    /// - Throws: `ConnectorError` naming the file when it is not a file, cannot be read, is too
    ///   large, or keeps changing while it is read.
    init?(_ source: SourcePath, limit: Int) throws {
        let descriptor = open(source.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { return nil }
            throw Self.cannotOpen(source, code)
        }
        self.descriptor = descriptor
        info = stat()
        bytes = []
        guard fstat(descriptor, &info) == 0 else { throw Self.cannotOpen(source, errno) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw ConnectorError("csv: \(source)\(source.origin) is a folder, not a CSV file")
        default: throw ConnectorError("csv: \(source)\(source.origin) is not a regular file")
        }
        try read(source, limit: limit)
    }

    deinit { close(descriptor) }

    /// Reads the whole file again from its descriptor: after accord replaced it, what the file
    /// accord read holds now.
    func reread(_ source: SourcePath, limit: Int) throws {
        guard fstat(descriptor, &info) == 0 else { throw Self.cannotOpen(source, errno) }
        try read(source, limit: limit)
    }

    /// Whether the file was not written since its bytes were read.
    var isUnchangedSinceRead: Bool { FileIdentity.of(descriptor: descriptor) == identity }

    /// Reads the bytes, again while the file's size or time moved during the read (another
    /// program writing it in place), so that a half-written file is not taken for the app.
    private func read(_ source: SourcePath, limit: Int) throws {
        for _ in 0..<Self.readAttempts {
            if Int(info.st_size) > limit { throw Self.tooLarge(source, size: Int(info.st_size), limit: limit) }
            let read: [UInt8]?
            do {
                read = try FileVersion.contents(of: descriptor, size: Int(info.st_size), limit: limit)
            } catch {
                throw ConnectorError("csv: cannot read \(source)\(source.origin): \(error)")
            }
            guard let read else { throw Self.tooLarge(source, size: limit + 1, limit: limit) }
            var after = stat()
            guard fstat(descriptor, &after) == 0 else { throw Self.cannotOpen(source, errno) }
            if FileIdentity(after) == FileIdentity(info) {
                bytes = read
                return
            }
            info = after
        }
        throw ConnectorError("csv: \(source) kept changing while accord read it (\(Self.readAttempts) attempts); another program is writing it")
    }

    static func cannotOpen(_ source: SourcePath, _ code: Int32) -> ConnectorError {
        var message = "csv: the file \(source)\(source.origin) \(source.whyMissing(code, expecting: "file"))"
        if code == ENOENT {
            message += ". accord does not take a missing file for an app without contacts: check the path, "
                + "or set 'create: true' to have the connection's first run create it with a header row"
        }
        return ConnectorError(message)
    }

    static func tooLarge(_ source: SourcePath, size: Int, limit: Int) -> ConnectorError {
        ConnectorError(
            "csv: \(source) is \(LocalSettings.describe(bytes: size)), over the limit of \(LocalSettings.describe(bytes: limit)) "
                + "(setting max_file_mb): accord reads a CSV file whole, and refuses one this large rather than run out of memory")
    }
}
