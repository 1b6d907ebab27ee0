import Foundation
import Synchronization

/// Writes a file atomically, so a reader (or a crash) sees the old file or the new one, never a
/// part: a replacement is a temporary file in the same directory renamed over the target, a new
/// file an unnamed one linked under its name. No fsync: like `cp`, it protects against a process
/// dying, not against the machine losing power.
enum AtomicFile {
    /// Writes `bytes` to `path`, replacing the file there if any.
    ///
    /// - Returns: the written file's version (`FileVersion`), taken from the open descriptor, so
    ///   no second lookup by path is needed (a rename keeps size and modification time).
    @discardableResult
    static func write(_ bytes: [UInt8], to path: String) throws -> String {
        var temporary: String
        var descriptor: Int32
        repeat {  // a name taken is a leftover of a crashed process that had our pid: the next one
            temporary = temporaryPath(for: path)
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        } while descriptor < 0 && errno == EEXIST
        guard descriptor >= 0 else { throw ConnectorError("cannot write '\(temporary)': \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let version: String
        do {
            version = try fill(descriptor, with: bytes)
        } catch {
            unlink(temporary)
            throw ConnectorError("cannot write '\(temporary)': \(error)")
        }
        guard rename(temporary, path) == 0 else {
            let error = String(cString: strerror(errno))
            unlink(temporary)
            throw ConnectorError("cannot replace '\(path)': \(error)")
        }
        return version
    }

    /// Writes a new file atomically, failing rather than replacing a file of that name: an unnamed
    /// file (`O_TMPFILE`) in the target's directory is written, then linked under its name. That
    /// is one directory entry made instead of a temporary one made, renamed and removed; creating
    /// 10,000 files on ext4 took 0.21–0.37 s this way against 0.40–0.41 s. Where the file system
    /// has no unnamed files (or `/proc` is missing) it writes like `write(_:to:)`.
    ///
    /// - Returns: the written file's version.
    @discardableResult
    static func create(_ bytes: [UInt8], at path: String) throws -> String {
        guard unnamedFiles.load(ordering: .relaxed) else { return try write(bytes, to: path) }
        // The first refusal of unnamed files (by the file system, or no `/proc`) turns them off.
        func withoutUnnamedFiles() throws -> String {
            unnamedFiles.store(false, ordering: .relaxed)
            return try write(bytes, to: path)
        }
        let descriptor = open(directory(of: path), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            if errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL { return try withoutUnnamedFiles() }
            throw ConnectorError("cannot create '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let version: String
        do {
            version = try fill(descriptor, with: bytes)
        } catch {
            throw ConnectorError("cannot write '\(path)': \(error)")
        }
        guard link(descriptor, at: path) else {
            if errno == ENOENT, access("/proc/self/fd", F_OK) != 0 { return try withoutUnnamedFiles() }
            throw ConnectorError("cannot create '\(path)': \(String(cString: strerror(errno)))")
        }
        return version
    }

    /// Links the unnamed file open as `descriptor` under `path`; false with `errno` set when it
    /// cannot. By the descriptor itself (`AT_EMPTY_PATH`) where the kernel allows it (Linux 6.10
    /// and later, for a file this process opened), else through its `/proc/self/fd` entry: in a
    /// profile of creating 100,000 cards, walking that path was about a fifth of `linkat`.
    private static func link(_ descriptor: Int32, at path: String) -> Bool {
        if linksByDescriptor.load(ordering: .relaxed) {
            if linkat(descriptor, "", AT_FDCWD, path, Self.AT_EMPTY_PATH) == 0 { return true }
            guard errno == ENOENT else { return false }  // ENOENT is also the kernel's refusal
        }
        guard linkat(AT_FDCWD, "/proc/self/fd/\(descriptor)", AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 else { return false }
        // The path worked where the descriptor did not: the kernel refuses links by descriptor.
        linksByDescriptor.store(false, ordering: .relaxed)
        return true
    }

    /// `O_TMPFILE`, which Glibc's Swift overlay does not import: `__O_TMPFILE | O_DIRECTORY`,
    /// `__O_TMPFILE` being 0o20000000 on Linux's common architectures.
    private static let O_TMPFILE: Int32 = 0o20000000 | O_DIRECTORY

    /// `AT_EMPTY_PATH`, which Glibc's Swift overlay does not import either.
    private static let AT_EMPTY_PATH: Int32 = 0x1000

    /// Whether unnamed files worked so far.
    private static let unnamedFiles = Atomic<Bool>(true)

    /// Whether linking an unnamed file by its descriptor worked so far.
    private static let linksByDescriptor = Atomic<Bool>(true)

    /// Writes all of `bytes` to an open file and returns the file's version.
    private static func fill(_ descriptor: Int32, with bytes: [UInt8]) throws -> String {
        let written = bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 { if errno == EINTR { continue } else { return false } }
                offset += count
            }
            return true
        }
        var info = stat()
        guard written, fstat(descriptor, &info) == 0 else { throw ConnectorError(String(cString: strerror(errno))) }
        return FileVersion.of(info)
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        return slash == path.utf8.startIndex ? "/" : String(path[..<slash])
    }

    private static let writes = Atomic<Int>(0)
    private static let processID = getpid()

    /// `.NAME.PID-N.tmp` next to `path`: unique within this process by its counter and among
    /// running processes by the pid (a UUID per write showed in a first run's profile).
    private static func temporaryPath(for path: String) -> String {
        let number = writes.add(1, ordering: .relaxed).newValue
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return ".\(path).\(processID)-\(number).tmp" }
        let name = path[path.utf8.index(after: slash)...]
        return "\(path[...slash]).\(name).\(processID)-\(number).tmp"
    }
}

/// The version of a local file: size and modification time in nanoseconds. When they did not
/// change, the file is not read again.
enum FileVersion {
    static func of(_ info: stat) -> String {
        "\(info.st_size)-\(Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))"
    }

    /// `nil` when the file does not exist.
    static func of(path: String) throws -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw ConnectorError("cannot stat '\(path)': \(String(cString: strerror(errno)))")
        }
        return of(info)
    }

    /// Calls `body` with a file's bytes and their version, read from one open file (the version
    /// is that of what was read, whatever happens to the path meanwhile); `nil` when the file
    /// does not exist. Plain system calls into one buffer sized by `fstat`: a listing reads every
    /// card, and Foundation's `Data` then a `String` of it were two more copies.
    static func withContents<Result>(path: String, _ body: (UnsafeBufferPointer<UInt8>, String) throws -> Result) throws -> Result? {
        func failure(_ action: String) -> ConnectorError { ConnectorError("cannot \(action) '\(path)': \(String(cString: strerror(errno)))") }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw failure("read")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw failure("stat") }
        // One byte more than the size: a file that grew since `fstat` fills the buffer.
        var bytes = [UInt8](repeating: 0, count: max(Int(info.st_size), 0) + 1)
        var count = 0
        while true {
            if count == bytes.count { bytes += [UInt8](repeating: 0, count: bytes.count) }  // grown since fstat
            let wanted = bytes.count - count
            let read = bytes.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress! + count, wanted) }
            if read < 0 {
                if errno == EINTR { continue }
                throw failure("read")
            }
            count += read
            // A short read that ends at the size `fstat` gave is the end: no second read to find
            // it (a listing reads every card). Any other count reads on to a read of nothing.
            if read == 0 || (read < wanted && count == Int(info.st_size)) { break }
        }
        return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[..<count]), of(info)) }
    }
}
