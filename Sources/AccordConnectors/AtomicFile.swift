import Foundation

/// Writes a file atomically: a temporary file in the same directory, then a rename over the
/// target, so a reader (or a crash) sees the old file or the new one, never a part. No fsync: like
/// `cp`, it protects against a process dying, not against the machine losing power.
enum AtomicFile {
    static func write(_ text: String, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = directory + "/.\((path as NSString).lastPathComponent).\(UUID().uuidString).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
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
        let error = String(cString: strerror(errno))
        close(descriptor)
        guard written else {
            unlink(temporary)
            throw ConnectorError("cannot write '\(temporary)': \(error)")
        }
        guard rename(temporary, path) == 0 else {
            let error = String(cString: strerror(errno))
            unlink(temporary)
            throw ConnectorError("cannot replace '\(path)': \(error)")
        }
    }
}
