/// The output formats of `accord validate`.
public enum DiagnosticFormat: String, CaseIterable, Sendable {
    /// `file:line:column: error: message [code]` with a source excerpt, like a compiler.
    case text
    /// One JSON object with `valid`, counts and `diagnostics`.
    case json
    /// GitHub Actions workflow commands (`::error file=…,line=…,col=…::…`).
    case github
    /// SARIF 2.1.0, for code-scanning upload.
    case sarif

    /// Renders `diagnostics` about `sources` (looked up by path for excerpts).
    public func render(_ diagnostics: [Diagnostic], sources: [String: SourceFile], filesChecked: Int) -> String {
        let sorted = diagnostics.sortedForOutput()
        switch self {
        case .text: return TextRenderer(sources: sources).render(sorted, filesChecked: filesChecked)
        case .json: return JSONRenderer.render(sorted, filesChecked: filesChecked)
        case .github: return GitHubRenderer.render(sorted)
        case .sarif: return SARIFRenderer.render(sorted)
        }
    }
}

/// Counts of diagnostics by severity.
public struct DiagnosticCounts: Hashable, Sendable, Codable {
    public var errors = 0
    public var warnings = 0
    public var notes = 0

    public init(_ diagnostics: [Diagnostic]) {
        for diagnostic in diagnostics {
            switch diagnostic.severity {
            case .error: errors += 1
            case .warning: warnings += 1
            case .note: notes += 1
            }
        }
    }
}
