import Foundation
import Synchronization

/// Crash injection for tests. `ACCORD_FAILPOINT=name:n` makes the process exit abruptly (status
/// 99, no cleanup, as after `kill -9`) the n-th time the failpoint `name` is reached;
/// `ACCORD_FAILPOINT=name:n:pause` makes it stop there instead (until killed), holding whatever it
/// holds, such as the connection's lock.
public enum Failpoint {
    private static let configured: (name: String, count: Int, pause: Bool)? = {
        guard let value = ProcessInfo.processInfo.environment["ACCORD_FAILPOINT"] else { return nil }
        let parts = value.split(separator: ":").map(String.init)
        guard let name = parts.first else { return nil }
        return (name, parts.count > 1 ? Int(parts[1]) ?? 1 : 1, parts.count > 2 && parts[2] == "pause")
    }()

    private static let hits = Mutex(0)

    /// Marks a write boundary named `name`.
    public static func hit(_ name: String) {
        guard let configured, configured.name == name else { return }
        let count = hits.withLock { $0 += 1; return $0 }
        guard count == configured.count else { return }
        FileHandle.standardError.write(Data("accord: failpoint '\(name)' reached (\(configured.pause ? "pausing" : "exiting"))\n".utf8))
        if configured.pause {
            while true { sleep(60) }
        }
        _exit(99)
    }
}
