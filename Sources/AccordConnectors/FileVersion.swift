import Foundation

/// The version of a local file: size, modification time in nanoseconds and inode number. When
/// they did not change, the file is not read again. The inode tells a file put in place by a
/// rename (an editor's save, a restore from a backup with `cp -p`, two cards swapping names)
/// from the one that was there, even when size and time are the same.
enum FileVersion {
    static func of(_ info: stat) -> String {
        "\(info.st_size)-\(Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))-\(info.st_ino)"
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

    /// Reads all of an open file from its start into one buffer sized by `info.st_size` (the
    /// file's `fstat`), reading on past that size if the file grew meanwhile, but never beyond
    /// `limit` bytes. Plain system calls: a listing reads every card, and Foundation's `Data` then
    /// a `String` of it were two more copies.
    ///
    /// - Returns: the bytes, or `nil` when the file holds more than `limit` bytes.
    static func contents(of descriptor: Int32, size: Int, limit: Int = .max) throws -> [UInt8]? {
        // One byte more than the size: a file that grew since `fstat` fills the buffer. Reading
        // one byte past the limit tells a file over it.
        let cap = limit < Int.max ? limit + 1 : Int.max
        var bytes = [UInt8](repeating: 0, count: min(max(size, 0) + 1, cap))
        var count = 0
        while true {
            if count == bytes.count {
                if count >= cap { return nil }
                bytes += [UInt8](repeating: 0, count: min(bytes.count * 2, cap) - bytes.count)  // grown since fstat
            }
            let wanted = bytes.count - count
            let read = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + count, wanted, off_t(count)) }
            if read < 0 {
                if errno == EINTR { continue }
                throw ConnectorError(String(cString: strerror(errno)))
            }
            count += read
            // A short read that ends at the size `fstat` gave is the end: no second read to find
            // it (a listing reads every card). Any other count reads on to a read of nothing.
            if read == 0 || (read < wanted && count == size) { break }
        }
        if count >= cap { return nil }
        bytes.removeSubrange(count...)
        return bytes
    }
}

/// Which file a path held when accord read it, to tell before replacing it whether it is still
/// that file, unchanged: another program may have written it in place (size, time) or put
/// another file there by a rename (device and inode).
struct FileIdentity: Hashable, Sendable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: Int64

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }

    /// The identity of what `path` names now (following links); `nil` when nothing is there.
    static func of(path: String) -> FileIdentity? {
        var info = stat()
        return stat(path, &info) == 0 ? FileIdentity(info) : nil
    }

    /// The identity of an open file now.
    static func of(descriptor: Int32) -> FileIdentity? {
        var info = stat()
        return fstat(descriptor, &info) == 0 ? FileIdentity(info) : nil
    }
}
