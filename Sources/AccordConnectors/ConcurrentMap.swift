import Foundation

/// `items.map(transform)` on every core: the items are cut into up to sixteen slices per core (of
/// 64 items at least), each mapped by its own task, so that a thread held up by another task
/// leaves the others less to wait for at the end (with four per core, a listing of 100,000 cards
/// ended with a stretch on one core); results keep the input order. For file work,
/// where each item is a few system calls and some parsing, and for a step of the engine that
/// works on every record.
public func concurrentMap<Items: RandomAccessCollection & Sendable, Result: Sendable>(
    _ items: Items, _ transform: @escaping @Sendable (Items.Element) throws -> Result
) async throws -> [Result] where Items.SubSequence: Sendable {
    let slices = min(ProcessInfo.processInfo.activeProcessorCount * 16, items.count / 64)
    guard slices > 1 else { return try items.map(transform) }
    let size = (items.count + slices - 1) / slices
    return try await withThrowingTaskGroup(of: (Int, [Result]).self) { group in
        for offset in stride(from: 0, to: items.count, by: size) {
            let start = items.index(items.startIndex, offsetBy: offset)
            let slice = items[start..<items.index(start, offsetBy: min(size, items.count - offset))]
            group.addTask { (offset, try slice.map(transform)) }
        }
        var parts: [(Int, [Result])] = []
        for try await part in group { parts.append(part) }
        return parts.sorted { $0.0 < $1.0 }.flatMap(\.1)
    }
}
