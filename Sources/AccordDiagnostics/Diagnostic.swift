/// One finding about a connection file, an app schema or the command line.
///
/// Diagnostics are data: the checker collects all of them and a renderer turns them into text,
/// JSON, GitHub annotations or SARIF.
public struct Diagnostic: Hashable, Sendable, Codable {
    /// The stable code, such as `C3002`.
    public var code: DiagnosticCode
    /// The severity; starts as the code's default and may be promoted by `--warnings-as-errors`.
    public var severity: Severity
    /// Lowercase, without a trailing period, with names in single quotes.
    public var message: String
    /// The file the diagnostic points into, as given on the command line.
    public var file: String?
    /// Where in `file`; `nil` for diagnostics about a whole file.
    public var range: SourceRange?
    /// Related places, each with its own message.
    public var notes: [Note]
    /// Suggested edits that fix the problem.
    public var fixIts: [FixIt]

    public init(
        _ code: DiagnosticCode,
        _ message: String,
        file: String? = nil,
        range: SourceRange? = nil,
        severity: Severity? = nil,
        notes: [Note] = [],
        fixIts: [FixIt] = []
    ) {
        self.code = code
        self.severity = severity ?? code.defaultSeverity
        self.message = message
        self.file = file
        self.range = range
        self.notes = notes
        self.fixIts = fixIts
    }

    /// The start of `range`, if any.
    public var location: SourceLocation? { range?.start }
}

/// A related place attached to a diagnostic ("'score' declared here as number").
public struct Note: Hashable, Sendable, Codable {
    public var message: String
    public var file: String?
    public var range: SourceRange?

    public init(_ message: String, file: String? = nil, range: SourceRange? = nil) {
        self.message = message
        self.file = file
        self.range = range
    }
}

/// A suggested change: replace the text in `range` with `replacement`.
public struct FixIt: Hashable, Sendable, Codable {
    public var message: String
    public var range: SourceRange
    public var replacement: String

    public init(_ message: String, range: SourceRange, replacement: String) {
        self.message = message
        self.range = range
        self.replacement = replacement
    }

    /// "replace 'dirction' with 'direction'".
    public static func replace(_ old: String, with new: String, at range: SourceRange) -> FixIt {
        FixIt("replace '\(old)' with '\(new)'", range: range, replacement: new)
    }
}

extension Array where Element == Diagnostic {
    /// Whether any diagnostic is an error.
    public var containsErrors: Bool { contains { $0.severity == .error } }

    /// Diagnostics in a stable order: file, line, column, code, message.
    public func sortedForOutput() -> [Diagnostic] {
        enumerated().sorted { lhs, rhs in
            let l = lhs.element, r = rhs.element
            if l.file != r.file { return (l.file ?? "") < (r.file ?? "") }
            let ll = l.location ?? SourceLocation(line: 0, column: 0)
            let rl = r.location ?? SourceLocation(line: 0, column: 0)
            if ll != rl { return ll < rl }
            if l.code != r.code { return l.code.rawValue < r.code.rawValue }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }
}

/// A diagnostic can be thrown where a stage cannot go on (a file that cannot be read at all).
extension Diagnostic: Error {}
