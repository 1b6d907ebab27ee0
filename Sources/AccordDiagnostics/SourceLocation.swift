/// A position in a source file.
///
/// Lines and columns are 1-based. Columns count Unicode scalars, the unit libyaml reports, so a
/// line with `Müller` on it has the same column numbers whatever the byte length of `ü`.
public struct SourceLocation: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// The 1-based line number.
    public var line: Int
    /// The 1-based column, in Unicode scalars.
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// A half-open range of source text, `start` included and `end` excluded.
public struct SourceRange: Hashable, Sendable, Codable {
    public var start: SourceLocation
    public var end: SourceLocation

    public init(start: SourceLocation, end: SourceLocation) {
        self.start = start
        self.end = end
    }

    /// A range covering `length` scalars from `start` on one line (at least one column wide).
    public init(start: SourceLocation, length: Int) {
        self.start = start
        self.end = SourceLocation(line: start.line, column: start.column + max(length, 1))
    }
}
