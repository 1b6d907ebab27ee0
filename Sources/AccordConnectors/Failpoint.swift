import Foundation
import Synchronization

/// Crash injection for tests. `ACCORD_FAILPOINT=name:n` makes the process exit abruptly (status
/// 99, no cleanup, as after `kill -9`) the n-th time the failpoint `name` is reached;
/// `ACCORD_FAILPOINT=name:n:pause` makes it stop there instead (until killed), holding whatever it
/// holds, such as the connection's lock; `ACCORD_FAILPOINT=name:n:until:FILE` makes it wait there
/// until FILE exists, then go on (a test changes the world at that exact point, say stops a server).
public enum Failpoint {
    private enum Action {
        case exit, pause
        case wait(untilExists: String)
    }

    private static let configured: (name: String, count: Int, action: Action)? = {
        guard let value = ProcessInfo.processInfo.environment["ACCORD_FAILPOINT"] else { return nil }
        let parts = value.split(separator: ":", maxSplits: 3).map(String.init)
        guard let name = parts.first else { return nil }
        let action: Action = switch (parts.count > 2 ? parts[2] : "", parts.count > 3 ? parts[3] : nil) {
        case ("pause", _): .pause
        case ("until", let file?): .wait(untilExists: file)
        default: .exit
        }
        return (name, parts.count > 1 ? Int(parts[1]) ?? 1 : 1, action)
    }()

    private static let hits = Mutex(0)

    /// Marks a write boundary named `name`.
    public static func hit(_ name: String) {
        guard let configured, configured.name == name else { return }
        let count = hits.withLock { $0 += 1; return $0 }
        guard count == configured.count else { return }
        switch configured.action {
        case .exit:
            FileHandle.standardError.write(Data("accord: failpoint '\(name)' reached (exiting)\n".utf8))
            _exit(99)
        case .pause:
            FileHandle.standardError.write(Data("accord: failpoint '\(name)' reached (pausing)\n".utf8))
            while true { sleep(60) }
        case .wait(let file):
            FileHandle.standardError.write(Data("accord: failpoint '\(name)' reached (waiting for \(file))\n".utf8))
            while !FileManager.default.fileExists(atPath: file) { usleep(10_000) }
        }
    }
}
