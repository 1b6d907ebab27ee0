import AccordModel

/// The one table that says which field types can be written into which.
///
/// A mapping between fields of types X (app a) and Y (app b) may sync a-to-b if X can be written
/// into Y, and b-to-a if Y can be written into X; the allowed directions of every type pair
/// follow from this table. `docs/connection-format.md` prints it.
public enum CompatibilityTable {
    /// How a value of one type gets into a field of another, or why it cannot.
    public enum Conversion: Sendable, Hashable {
        /// Allowed, with this transform.
        case allowed(Transform)
        /// Allowed only through an explicit value map (drop-down to drop-down).
        case needsValueMap
        /// Never allowed; the reason completes "… cannot be written into …: <reason>".
        case forbidden(String)
    }

    private static let formattable: [FieldType] = [.email, .phone, .url, .number, .date, .datetime, .boolean, .enumeration, .set, .address]

    /// The conversion from a value of type `source` into a field of type `target`.
    public static func conversion(from source: FieldType, into target: FieldType) -> Conversion {
        switch (source, target) {
        case (.enumeration, .enumeration), (.set, .set):
            return .needsValueMap
        case _ where source == target:
            return .allowed(.identity)
        case (_, .text) where formattable.contains(source):
            return .allowed(.formatAsText(source))
        case (.date, .datetime):
            return .allowed(.dateToDatetime)
        case (.datetime, .date):
            return .allowed(.datetimeToDate)
        case (.text, _):
            return .forbidden("text does not always parse as \(article(target))")
        case (_, .enumeration), (_, .set):
            return .forbidden("a drop-down only holds its own options")
        default:
            return .forbidden("\(source.rawValue) and \(target.rawValue) values do not convert")
        }
    }

    private static func article(_ type: FieldType) -> String {
        switch type {
        case .email: "an email address"
        case .phone: "a phone number"
        case .url: "a URL"
        case .number: "a number"
        case .date: "a date"
        case .datetime: "a date-time"
        case .boolean: "a boolean"
        case .address: "an address"
        case .enumeration: "one of the options"
        case .set: "a set of options"
        case .text: "text"
        }
    }

    /// Every ordered pair with its conversion, for documentation and tests.
    public static var rows: [(source: FieldType, target: FieldType, conversion: Conversion)] {
        FieldType.allCases.flatMap { source in FieldType.allCases.map { (source, $0, conversion(from: source, into: $0)) } }
    }
}
