import AccordDiagnostics

/// Where something was declared: a file and a range in it. Used for diagnostic notes such as
/// "'score' declared here as number".
public struct DeclarationSite: Hashable, Sendable {
    public var file: String
    public var range: SourceRange?

    public init(file: String, range: SourceRange?) {
        self.file = file
        self.range = range
    }

    /// A note pointing at this site.
    public func note(_ message: String) -> Note {
        Note(message, file: file, range: range)
    }
}
