import Foundation

/// Crash injection for tests: `ACCORD_FAILPOINT=name:n` makes the process exit abruptly (no
/// cleanup, as after `kill -9`) the n-th time the failpoint `name` is reached.
enum Failpoint {
    private static let configured: (name: String, count: Int)? = {
        guard let value = ProcessInfo.processInfo.environment["ACCORD_FAILPOINT"] else { return nil }
        let parts = value.split(separator: ":")
        guard let name = parts.first else { return nil }
        return (String(name), parts.count > 1 ? Int(parts[1]) ?? 1 : 1)
    }()

    private static let hits = Counter()

    static func hit(_ name: String) {
        guard let configured, configured.name == name else { return }
        if hits.increment() >= configured.count {
            FileHandle.standardError.write(Data("accord: failpoint '\(name)' reached, exiting\n".utf8))
            _exit(99)
        }
    }

    private final class Counter: Sendable {
        private let value = Mutex(0)
        func increment() -> Int { value.withLock { $0 += 1; return $0 } }
    }
}

import Synchronization
