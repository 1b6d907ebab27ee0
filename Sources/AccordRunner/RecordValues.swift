import AccordConnectors
import AccordModel
import Foundation

/// A record's values as the engine compares them: mapped fields by name, and segment
/// memberships and the unsubscribe flag under keys of their own (`ValueKeys`), each a list of
/// strings with empty strings dropped. The store keeps baselines in the same form.
typealias Values = [String: [String]]

/// The keys of `Values` that are not fields. Only this type spells them: a field name never
/// starts with `#` or `@`, and output shows segments as segments (`PlannedChange.segments`).
enum ValueKeys {
    static func segment(_ kind: String) -> String { "#" + kind }

    /// The segment kind a key stands for, if it is a segment key.
    static func segmentKind(_ key: String) -> String? { key.hasPrefix("#") ? String(key.dropFirst()) : nil }

    /// Present when the app reports the contact as unsubscribed.
    static let unsubscribed = "@unsubscribed"

    /// Whether a key is a field's (not a segment or a flag).
    static func isField(_ key: String) -> Bool { !key.hasPrefix("#") && !key.hasPrefix("@") }
}

extension Dictionary where Key == String, Value == [String] {
    /// The names of one kind of segment the record is in.
    func segment(_ kind: String) -> [String] { self[ValueKeys.segment(kind)] ?? [] }
}

extension ContactRecord {
    /// The values of the fields in `fields` and every segment, packed like the record's fields.
    func packedValues(fields wanted: FieldNameSet) -> PackedFields {
        var extra: [String: [String]] = [:]
        for (kind, names) in segments where !names.isEmpty {
            extra[ValueKeys.segment(kind)] = names.sorted()
        }
        if unsubscribed { extra[ValueKeys.unsubscribed] = ["true"] }
        return packedFields.restricted(to: wanted, adding: extra)
    }
}

/// Normalised email for matching: trimmed and lower-cased; `nil` when empty. Used to match and
/// compare only: what is written is always the app's own spelling.
func normalizedEmail(_ value: String?) -> String? {
    guard let value else { return nil }
    // Most addresses are already trimmed lower-case ASCII: no need to copy them.
    if !value.isEmpty, value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && !(0x41...0x5A).contains($0) }) { return value }
    let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    return trimmed.isEmpty ? nil : trimmed
}

/// Every normalised email of a record, in the record's order, held as one string (addresses
/// separated by a line break): a run holds one per live record, and the store keeps it in the
/// record's `email` column as it is. Matching considers every one of them; the first is the
/// record's preferred address.
struct Emails: Hashable, Sendable {
    /// The addresses joined by `\n`; empty for none.
    let joined: String

    init(joined: String) { self.joined = joined }

    /// The normalised addresses of `values`, without repeats.
    init<S: Sequence<String>>(_ values: S) {
        var seen: [String] = []
        for value in values {
            guard let email = normalizedEmail(value), !seen.contains(email) else { continue }
            seen.append(email)
        }
        joined = seen.count == 1 ? seen[0] : seen.joined(separator: "\n")
    }

    static let none = Emails(joined: "")

    var isEmpty: Bool { joined.isEmpty }

    /// The preferred address.
    var first: String? {
        guard !joined.isEmpty else { return nil }
        guard let end = joined.utf8.firstIndex(of: UInt8(ascii: "\n")) else { return joined }
        return String(joined[..<end])
    }

    /// Every address.
    var all: [String] {
        guard !joined.isEmpty else { return [] }
        guard joined.utf8.contains(UInt8(ascii: "\n")) else { return [joined] }
        return joined.split(separator: "\n").map(String.init)
    }

    /// As stored (`nil` for none).
    var stored: String? { joined.isEmpty ? nil : joined }
}

/// How two values of a field compare: emails without case or surrounding spaces (a change of
/// case is no change, and is never carried across), everything else exactly.
enum ValueComparison: Sendable {
    case exact
    case email

    init(_ type: FieldType) { self = type == .email ? .email : .exact }

    func equal(_ lhs: String, _ rhs: String) -> Bool {
        switch self {
        case .exact: lhs == rhs
        case .email: lhs == rhs || normalizedEmail(lhs) == normalizedEmail(rhs)
        }
    }

    func equal(_ lhs: [String], _ rhs: [String]) -> Bool {
        lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { equal($0, $1) }
    }
}

/// The current values of one app's records, each held packed (`PackedFields`): a first run
/// holds every listed record here. Reading a record's values unpacks them.
struct PackedValues {
    private var packed: [String: PackedFields] = [:]

    subscript(id: String) -> Values? {
        get { packed[id]?.dictionary }
        set { packed[id] = newValue.map { PackedFields($0) } }
    }

    mutating func reserveCapacity(_ count: Int) { packed.reserveCapacity(count) }

    /// A record's values as they are held, without unpacking them.
    func packed(_ id: String) -> PackedFields? { packed[id] }

    /// Sets a record's values as they are already packed.
    mutating func set(_ id: String, packed values: PackedFields) {
        packed[id] = values
    }

    func contains(_ id: String) -> Bool { packed.index(forKey: id) != nil }

    /// The record ids, in no order, without unpacking anything.
    var ids: Dictionary<String, PackedFields>.Keys { packed.keys }

    var count: Int { packed.count }
}
