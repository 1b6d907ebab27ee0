import AccordConnectors
import AccordModel
import AccordPlan
import Foundation

/// A record's values as the engine compares them: mapped fields by name and segments as
/// `#kind` keys, each a list of strings with empty strings dropped.
typealias Values = [String: [String]]

enum ValueKeys {
    static func segment(_ kind: String) -> String { "#" + kind }
    /// Present when the app reports the contact as unsubscribed.
    static let unsubscribed = "@unsubscribed"
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

/// Normalised email for matching: trimmed and lower-cased; `nil` when empty.
func normalizedEmail(_ value: String?) -> String? {
    guard let value else { return nil }
    // Most addresses are already trimmed lower-case ASCII: no need to copy them.
    if !value.isEmpty, value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && !(0x41...0x5A).contains($0) }) { return value }
    let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    return trimmed.isEmpty ? nil : trimmed
}

// MARK: - Predicates

extension SyncPlan.PredicateNode {
    /// Whether the predicate looks at values at all (fields or segments), not only at whether
    /// the record is linked: when none of a way's rules does, its records are not unpacked.
    var readsValues: Bool {
        if let all { return all.contains { $0.readsValues } }
        if let any { return any.contains { $0.readsValues } }
        return segment != nil || field != nil
    }

    /// Whether `values` satisfy the predicate; `linked` answers `exists_in_other_app`.
    func matches(_ values: Values, linked: Bool) -> Bool {
        if let all { return all.allSatisfy { $0.matches(values, linked: linked) } }
        if let any { return any.contains { $0.matches(values, linked: linked) } }
        if let segment {
            let member = values[ValueKeys.segment(segment.kind)]?.contains(segment.name) ?? false
            return member != segment.negated
        }
        if let field { return field.matches(values[field.name] ?? []) }
        if let exists_in_other_app { return linked == exists_in_other_app }
        return true
    }
}

extension SyncPlan.FieldTest {
    func matches(_ current: [String]) -> Bool {
        let literal = value?.value ?? ""
        let list = value?.values ?? []
        func compare(_ test: (String) -> Bool) -> Bool { current.contains(where: test) }
        func fold(_ s: String) -> String { s.lowercased() }
        switch `operator` {
        case "empty": return current.isEmpty
        case "not_empty": return !current.isEmpty
        case "equals": return compare { Self.equal($0, literal, type: value?.type) }
        case "not_equals": return !compare { Self.equal($0, literal, type: value?.type) }
        case "contains": return compare { fold($0).contains(fold(literal)) }
        case "not_contains": return !compare { fold($0).contains(fold(literal)) }
        case "starts_with": return compare { fold($0).hasPrefix(fold(literal)) }
        case "ends_with": return compare { fold($0).hasSuffix(fold(literal)) }
        case "one_of": return compare { candidate in list.contains { Self.equal(candidate, $0, type: nil) } }
        case "not_one_of": return !compare { candidate in list.contains { Self.equal(candidate, $0, type: nil) } }
        case "greater_than": return compare { Self.order($0, literal) == .orderedDescending }
        case "less_than": return compare { Self.order($0, literal) == .orderedAscending }
        case "at_least": return compare { Self.order($0, literal) != .orderedAscending }
        case "at_most": return compare { Self.order($0, literal) != .orderedDescending }
        case "after": return compare { $0 > literal }
        case "before": return compare { $0 < literal }
        default: return false
        }
    }

    static func equal(_ lhs: String, _ rhs: String, type: String?) -> Bool {
        switch type {
        case "number": return Double(lhs) == Double(rhs)
        case "boolean": return lhs.lowercased() == rhs.lowercased()
        case "option": return lhs == rhs
        default: return lhs.caseInsensitiveCompare(rhs) == .orderedSame
        }
    }

    static func order(_ lhs: String, _ rhs: String) -> ComparisonResult? {
        guard let l = Double(lhs), let r = Double(rhs) else { return nil }
        return l < r ? .orderedAscending : l > r ? .orderedDescending : .orderedSame
    }
}

// MARK: - Transforms

extension SyncPlan.Mapping {
    func sourceFields(_ way: String) -> [String] { way == "a-to-b" ? a : b }
    func targetFields(_ way: String) -> [String] { way == "a-to-b" ? b : a }

    /// Splits a full name, changing only the part that changed when the rest still matches.
    static func splitName(_ full: String, first: String, last: String) -> (first: String, last: String) {
        let full = full.trimmingCharacters(in: .whitespaces)
        if [first, last].filter({ !$0.isEmpty }).joined(separator: " ") == full { return (first, last) }
        if !first.isEmpty, full.hasPrefix(first + " ") { return (first, String(full.dropFirst(first.count + 1))) }
        if !last.isEmpty, full.hasSuffix(" " + last) { return (String(full.dropLast(last.count + 1)), last) }
        let words = full.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count > 1 else { return (full, "") }
        // The family name starts at its first particle ("van Dam", "de la Cruz"), else it is the last word.
        let start = words.indices.dropFirst().first { Self.surnameParticles.contains(words[$0].lowercased()) } ?? words.count - 1
        return (words[..<start].joined(separator: " "), words[start...].joined(separator: " "))
    }

    static let surnameParticles: Set<String> = ["van", "von", "de", "der", "den", "da", "das", "di", "del", "della", "du", "la", "le", "ten", "ter", "zu", "af", "bin", "ibn"]
}

/// A mapping as it carries values one way: its source and target fields and its transforms,
/// their kinds told apart once. A create applies every mapping of its way to its record, and
/// matching each transform's kind by name took up to eight string comparisons a mapping.
struct DirectedMapping: Sendable {
    enum Step: Sendable {
        case firstValue, formatAsText, dateToDatetime, datetimeToDate, joinName, splitName
        case valueMap([String: String])
    }

    let sources: [String]
    let targets: [String]
    let steps: [Step]

    init(_ mapping: SyncPlan.Mapping, way: String) {
        sources = mapping.sourceFields(way)
        targets = mapping.targetFields(way)
        steps = (mapping.transforms[way] ?? []).compactMap { transform in
            switch transform.kind {
            case "first_value": .firstValue
            case "format_as_text": .formatAsText
            case "date_to_datetime": .dateToDatetime
            case "datetime_to_date": .datetimeToDate
            case "value_map": .valueMap(transform.values ?? [:])
            case "join_name": .joinName
            case "split_name": .splitName
            default: nil  // identity, and conversions that keep the text as it is
            }
        }
    }

    /// The target values (by target field) that the source values produce. `target` is the
    /// target's current values, used to split names "smartly".
    func apply(source: Values, target: Values) -> Values {
        var result: Values = [:]
        apply(source: source, target: target, into: &result)
        return result
    }

    /// `apply(source:target:)` writing each target field into `result` (a create builds a
    /// record from every mapping of its way, without a dictionary per mapping); with
    /// `skippingEmpty`, a field without values is left as it is.
    func apply(source: Values, target: Values, into result: inout Values, skippingEmpty: Bool = false) {
        func set(_ field: String, _ values: [String]) {
            if !(skippingEmpty && values.isEmpty) { result[field] = values }
        }
        var values: [String] = sources.count == 2
            ? [source[sources[0]]?.first ?? "", source[sources[1]]?.first ?? ""]
            : source[sources[0]] ?? []
        for step in steps {
            switch step {
            case .firstValue: values = Array(values.prefix(1))
            case .formatAsText: values = values.isEmpty ? [] : [values.joined(separator: ", ")]
            case .dateToDatetime: values = values.map { $0.count == 10 ? $0 + "T00:00:00Z" : $0 }
            case .datetimeToDate: values = values.map { String($0.prefix(10)) }
            case .valueMap(let map): values = values.compactMap { map[$0] }
            case .joinName: values = [values.filter { !$0.isEmpty }.joined(separator: " ")]
            case .splitName:
                let split = SyncPlan.Mapping.splitName(values.first ?? "", first: target[targets[0]]?.first ?? "", last: target[targets[1]]?.first ?? "")
                set(targets[0], split.first.isEmpty ? [] : [split.first])
                set(targets[1], split.last.isEmpty ? [] : [split.last])
                return
            }
        }
        set(targets[0], values.contains("") ? values.filter { !$0.isEmpty } : values)
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
}
