/// A stable diagnostic code: `C1xxx` file and YAML shape, `C2xxx` names and references,
/// `C3xxx` field mappings and types, `C4xxx` IF/THEN rules, `C5xxx` connection options,
/// `S1xxx` app schema files, `R1xxx` talking to an app at run time, `R2xxx` CardDAV.
///
/// The catalogue of every code lives in ``DiagnosticCatalog``.
public struct DiagnosticCode: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    /// The code itself, such as `C3002`.
    public let rawValue: String
    /// A stable camelCase name, such as `incompatibleFieldTypes`.
    public let name: String
    /// The severity diagnostics with this code have unless promoted.
    public let defaultSeverity: Severity
    /// One line, used in `accord explain` and the docs table.
    public let summary: String
    /// Markdown explanation with an example and the fix, printed by `accord explain`.
    public let explanation: String

    init(_ rawValue: String, _ name: String, _ severity: Severity, _ summary: String, explanation: String) {
        self.rawValue = rawValue
        self.name = name
        self.defaultSeverity = severity
        self.summary = summary
        self.explanation = explanation
    }

    public var description: String { rawValue }

    public static func < (lhs: DiagnosticCode, rhs: DiagnosticCode) -> Bool { lhs.rawValue < rhs.rawValue }

    public static func == (lhs: DiagnosticCode, rhs: DiagnosticCode) -> Bool { lhs.rawValue == rhs.rawValue }

    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    // Encoded as the bare code string.
    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let code = DiagnosticCatalog.code(raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown code \(raw)"))
        }
        self = code
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
