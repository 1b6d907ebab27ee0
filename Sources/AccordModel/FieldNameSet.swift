/// A set of field names that records are restricted to (`PackedFields.restricted(to:adding:)`),
/// looked up by their UTF-8 bytes. Restricting a record looks up each of its fields' names, and
/// making a string of each name and hashing it was most of that work.
public struct FieldNameSet: Sendable {
    /// The names.
    public let names: Set<String>
    /// Their UTF-8, searched in order, when there are few (comparing lengths rules most out).
    private let utf8: [[UInt8]]?

    /// Above this many names, a lookup hashes the name instead of comparing it with each.
    private static let linearSearchLimit = 24

    public init(_ names: Set<String>) {
        self.names = names
        utf8 = names.count <= Self.linearSearchLimit ? names.map { Array($0.utf8) } : nil
    }

    /// Whether the name whose UTF-8 is `name` is in the set.
    public func contains(utf8 name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let utf8 else { return names.contains(String(decoding: name, as: UTF8.self)) }
        for candidate in utf8 where candidate.count == name.count {
            if candidate.withUnsafeBufferPointer({ $0.elementsEqual(name) }) { return true }
        }
        return false
    }
}
