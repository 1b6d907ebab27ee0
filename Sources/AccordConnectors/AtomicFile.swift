import Foundation
import Synchronization

/// Writes a file atomically: a temporary file in the same directory, then a rename over the
/// target, so a reader (or a crash) sees the old file or the new one, never a part. No fsync: like
/// `cp`, it protects against a process dying, not against the machine losing power.
enum AtomicFile {
    /// - Returns: the written file's version (`FileVersion`), taken from the open descriptor, so
    ///   no second lookup by path is needed (a rename keeps size and modification time).
    @discardableResult
    static func write(_ text: String, to path: String) throws -> String {
        var temporary: String
        var descriptor: Int32
        repeat {  // a name taken is a leftover of a crashed process that had our pid: the next one
            temporary = temporaryPath(for: path)
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        } while descriptor < 0 && errno == EEXIST
        guard descriptor >= 0 else { throw ConnectorError("cannot write '\(temporary)': \(String(cString: strerror(errno)))") }
        var bytes = Array(text.utf8)
        let written = bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 { if errno == EINTR { continue } else { return false } }
                offset += count
            }
            return true
        }
        var info = stat()
        let described = written && fstat(descriptor, &info) == 0
        let error = String(cString: strerror(errno))
        close(descriptor)
        guard described else {
            unlink(temporary)
            throw ConnectorError("cannot write '\(temporary)': \(error)")
        }
        guard rename(temporary, path) == 0 else {
            let error = String(cString: strerror(errno))
            unlink(temporary)
            throw ConnectorError("cannot replace '\(path)': \(error)")
        }
        return FileVersion.of(info)
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

    /// A file's contents and their version, from one open file (the version is that of what was
    /// read, whatever happens to the path meanwhile); `nil` when the file does not exist.
    static func read(path: String) throws -> (data: Data, version: String)? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw ConnectorError("cannot read '\(path)': \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw ConnectorError("cannot stat '\(path)': \(String(cString: strerror(errno)))") }
        return (try handle.readToEnd() ?? Data(), of(info))
    }
}
