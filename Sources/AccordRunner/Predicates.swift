import AccordModel
import AccordPlan
import Foundation

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
            let member = values.segment(segment.kind).contains(segment.name)
            return member != segment.negated
        }
        if let field { return field.matches(values[field.name] ?? []) }
        if let exists_in_other_app { return linked == exists_in_other_app }
        return true
    }
}

extension SyncPlan.FieldTest {
    /// Whether a field holding `current` passes the test (any value, for a multi-value field).
    func matches(_ current: [String]) -> Bool {
        let literal = value?.value ?? ""
        let list = value?.values ?? []
        func any(_ test: (String) -> Bool) -> Bool { current.contains(where: test) }
        func fold(_ s: String) -> String { s.lowercased() }
        switch `operator` {
        case .empty: return current.isEmpty
        case .notEmpty: return !current.isEmpty
        case .equals: return any { Self.equal($0, literal, type: value?.type) }
        case .notEquals: return !any { Self.equal($0, literal, type: value?.type) }
        case .contains: return any { fold($0).contains(fold(literal)) }
        case .notContains: return !any { fold($0).contains(fold(literal)) }
        case .startsWith: return any { fold($0).hasPrefix(fold(literal)) }
        case .endsWith: return any { fold($0).hasSuffix(fold(literal)) }
        case .oneOf: return any { candidate in list.contains { Self.equal(candidate, $0, type: nil) } }
        case .notOneOf: return !any { candidate in list.contains { Self.equal(candidate, $0, type: nil) } }
        case .greaterThan: return any { Self.order($0, literal) == .orderedDescending }
        case .lessThan: return any { Self.order($0, literal) == .orderedAscending }
        case .atLeast: return any { Self.order($0, literal).map { $0 != .orderedAscending } ?? false }
        case .atMost: return any { Self.order($0, literal).map { $0 != .orderedDescending } ?? false }
        case .after: return any { $0 > literal }
        case .before: return any { $0 < literal }
        }
    }

    static func equal(_ lhs: String, _ rhs: String, type: SyncPlan.Value.Kind?) -> Bool {
        switch type {
        case .number: Double(lhs) == Double(rhs)
        case .boolean: lhs.lowercased() == rhs.lowercased()
        case .option: lhs == rhs
        default: lhs.caseInsensitiveCompare(rhs) == .orderedSame
        }
    }

    /// Numbers compared as numbers; `nil` when either is not one.
    static func order(_ lhs: String, _ rhs: String) -> ComparisonResult? {
        guard let l = Double(lhs), let r = Double(rhs) else { return nil }
        return l < r ? .orderedAscending : l > r ? .orderedDescending : .orderedSame
    }
}
