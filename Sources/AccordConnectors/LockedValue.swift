import Synchronization

/// A value shared between the copies of a connector (a struct) and the tasks of its batches,
/// behind a `Mutex` (which, not being copyable, cannot be a struct's stored property itself).
final class LockedValue<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try mutex.withLock { try body(&$0) }
    }
}
