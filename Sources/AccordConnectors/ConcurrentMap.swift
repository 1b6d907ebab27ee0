import Foundation

/// `items.map(transform)` on every core: the items are cut into one slice per core, each mapped
/// by its own task; results keep the input order. For file work, where each item is a few
/// system calls and some parsing, or for a step of the engine that works on every record.
public func concurrentMap<Item: Sendable, Result: Sendable>(
    _ items: [Item], _ transform: @escaping @Sendable (Item) throws -> Result
) async throws -> [Result] {
    let slices = min(ProcessInfo.processInfo.activeProcessorCount, items.count / 64)
    guard slices > 1 else { return try items.map(transform) }
    let size = (items.count + slices - 1) / slices
    return try await withThrowingTaskGroup(of: (Int, [Result]).self) { group in
        for start in stride(from: 0, to: items.count, by: size) {
            let slice = items[start..<min(start + size, items.count)]
            group.addTask { (start, try slice.map(transform)) }
        }
        var parts: [(Int, [Result])] = []
        for try await part in group { parts.append(part) }
        return parts.sorted { $0.0 < $1.0 }.flatMap(\.1)
    }
}
