
/// The operators of field conditions, and which field types each fits.
public enum FieldOperator: String, Sendable, Hashable, CaseIterable {
    case equals, notEquals = "not_equals"
    case contains, notContains = "not_contains", startsWith = "starts_with", endsWith = "ends_with"
    case oneOf = "one_of", notOneOf = "not_one_of"
    case greaterThan = "greater_than", lessThan = "less_than", atLeast = "at_least", atMost = "at_most"
    case before, after
    case empty, notEmpty = "not_empty"

    /// The operators a field of `type` supports.
    public static func operators(for type: FieldType) -> [FieldOperator] {
        switch type {
        case .text, .email, .phone, .url, .address:
            [.equals, .notEquals, .contains, .notContains, .startsWith, .endsWith, .oneOf, .notOneOf, .empty, .notEmpty]
        case .number:
            [.equals, .notEquals, .greaterThan, .lessThan, .atLeast, .atMost, .empty, .notEmpty]
        case .date, .datetime:
            [.equals, .before, .after, .empty, .notEmpty]
        case .boolean:
            [.equals, .empty, .notEmpty]
        case .enumeration:
            [.equals, .notEquals, .oneOf, .notOneOf, .empty, .notEmpty]
        case .set:
            [.contains, .notContains, .empty, .notEmpty]
        }
    }

    /// Whether the operand is a list of values.
    public var takesList: Bool { self == .oneOf || self == .notOneOf }

    /// Whether the operand is just `true` (`empty: true`).
    public var takesFlag: Bool { self == .empty || self == .notEmpty }
}
