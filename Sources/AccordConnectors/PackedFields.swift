/// A record's fields (name → values) held in one string instead of a dictionary of arrays of
/// strings: a first run over 100,000 contacts holds every listed record at once, and this form
/// takes about a quarter of the memory (one allocation per record instead of one per field and
/// value). Reading `dictionary` rebuilds the dictionary each time.
///
/// Layout: for each name in sorted order, the name, U+001F, each value followed by U+001E, then
/// U+001D. Fields whose names or values contain one of those three characters are kept as a
/// dictionary instead.
public struct PackedFields: Sendable, Hashable {
    private enum Storage: Sendable, Hashable {
        case packed(String)
        case dictionary([String: [String]])
    }

    private var storage: Storage

    private static let nameEnd: UInt8 = 0x1F
    private static let valueEnd: UInt8 = 0x1E
    private static let fieldEnd: UInt8 = 0x1D

    public init(_ fields: [String: [String]]) {
        if fields.isEmpty {
            storage = .packed("")
            return
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(fields.count * 24)
        for name in fields.keys.sorted() {
            guard Self.append(name, to: &bytes) else {
                storage = .dictionary(fields)
                return
            }
            bytes.append(Self.nameEnd)
            for value in fields[name]! {
                guard Self.append(value, to: &bytes) else {
                    storage = .dictionary(fields)
                    return
                }
                bytes.append(Self.valueEnd)
            }
            bytes.append(Self.fieldEnd)
        }
        storage = .packed(String(decoding: bytes, as: UTF8.self))
    }

    /// The fields kept as a dictionary: for a record that is read once and dropped (a write's
    /// result), packing costs more than it saves.
    public init(unpacked fields: [String: [String]]) {
        storage = .dictionary(fields)
    }

    /// Appends the UTF-8 of `text`; false when it holds a separator.
    private static func append(_ text: String, to bytes: inout [UInt8]) -> Bool {
        var text = text
        return text.withUTF8 { utf8 in
            if utf8.contains(where: { $0 >= fieldEnd && $0 <= nameEnd }) { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
    }

    /// The fields as a dictionary.
    public var dictionary: [String: [String]] {
        switch storage {
        case .dictionary(let fields):
            return fields
        case .packed(var text):
            if text.isEmpty { return [:] }
            return text.withUTF8(Self.unpack)
        }
    }

    private static func unpack(_ bytes: UnsafeBufferPointer<UInt8>) -> [String: [String]] {
        var fields: [String: [String]] = [:]
        fields.reserveCapacity(bytes.reduce(0) { $1 == fieldEnd ? $0 + 1 : $0 })
        var start = 0
        var name = ""
        var values: [String] = []
        for index in bytes.indices {
            switch bytes[index] {
            case nameEnd:
                name = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                start = index + 1
            case valueEnd:
                values.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
                start = index + 1
            case fieldEnd:
                fields[name] = values
                values = []
                start = index + 1
            default:
                continue
            }
        }
        return fields
    }

    public static func == (lhs: PackedFields, rhs: PackedFields) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case (.packed(let left), .packed(let right)): left == right
        default: lhs.dictionary == rhs.dictionary
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(dictionary)
    }
}
