/// Renders diagnostics the way swiftc does: a header line, the source line with a caret under
/// the column, and notes on their own lines.
///
/// ```
/// connections/crm.yaml:14:11: error: 'birthday' (date) cannot be written into 'score' (number) [C3002]
///    14 |       b: score
///       |          ^~~~~
/// ```
public struct TextRenderer: Sendable {
    public var sources: [String: SourceFile]
    /// Ranges never shown in excerpts: secrets written into a file (C2003) are masked with `*`,
    /// so they do not spread into CI logs.
    private var masked: [String: [SourceRange]] = [:]

    public init(sources: [String: SourceFile]) {
        self.sources = sources
    }

    public func render(_ diagnostics: [Diagnostic], filesChecked: Int) -> String {
        var renderer = self
        for diagnostic in diagnostics where diagnostic.code == DiagnosticCatalog.literalSecret {
            if let file = diagnostic.file, let range = diagnostic.range { renderer.masked[file, default: []].append(range) }
        }
        return renderer.renderAll(diagnostics, filesChecked: filesChecked)
    }

    private func renderAll(_ diagnostics: [Diagnostic], filesChecked: Int) -> String {
        var out = ""
        for diagnostic in diagnostics {
            out += render(diagnostic)
        }
        let counts = DiagnosticCounts(diagnostics)
        let files = filesChecked == 1 ? "1 file" : "\(filesChecked) files"
        out += "\(files) checked: \(plural(counts.errors, "error")), \(plural(counts.warnings, "warning"))\n"
        return out
    }

    /// One diagnostic with its excerpt, notes and fix-its.
    public func render(_ diagnostic: Diagnostic) -> String {
        var out = header(file: diagnostic.file, range: diagnostic.range)
        out += "\(diagnostic.severity.rawValue): \(diagnostic.message) [\(diagnostic.code.rawValue)]\n"
        out += excerpt(file: diagnostic.file, range: diagnostic.range)
        for fixIt in diagnostic.fixIts {
            out += "   = fix-it: \(fixIt.message)\n"
        }
        for note in diagnostic.notes {
            out += header(file: note.file, range: note.range) + "note: \(note.message)\n"
            out += excerpt(file: note.file, range: note.range)
        }
        return out
    }

    private func header(file: String?, range: SourceRange?) -> String {
        guard let file else { return "accord: " }
        guard let start = range?.start else { return "\(file): " }
        return "\(file):\(start.line):\(start.column): "
    }

    private func excerpt(file: String?, range: SourceRange?) -> String {
        guard let file, let range, let source = sources[file], let line = source.line(range.start.line) else {
            return ""
        }
        let number = String(range.start.line)
        let gutter = String(repeating: " ", count: max(number.count, 4))
        var scalars = Array(line.unicodeScalars)
        for secret in masked[file] ?? [] where secret.start.line == range.start.line {
            let end = secret.end.line == secret.start.line ? secret.end.column - 1 : scalars.count
            for index in max(secret.start.column - 1, 0)..<min(end, scalars.count) { scalars[index] = "*" }
        }
        let lineText = String(String.UnicodeScalarView(scalars)).replacingTabs()
        // Columns are scalars; the caret lines up by counting display columns of what precedes it.
        let prefix = String(String.UnicodeScalarView(scalars.prefix(max(range.start.column - 1, 0)))).replacingTabs()
        var width = 1
        if range.end.line == range.start.line, range.end.column > range.start.column {
            let endIndex = min(range.end.column - 1, scalars.count)
            let startIndex = min(range.start.column - 1, endIndex)
            width = max(1, String(String.UnicodeScalarView(scalars[startIndex..<endIndex])).count)
        }
        let marker = "^" + String(repeating: "~", count: width - 1)
        let paddedNumber = String(repeating: " ", count: gutter.count - number.count) + number
        return "\(paddedNumber) | \(lineText)\n\(gutter) | \(String(repeating: " ", count: prefix.count))\(marker)\n"
    }

    private func plural(_ count: Int, _ word: String) -> String {
        count == 1 ? "1 \(word)" : "\(count) \(word)s"
    }
}

extension StringProtocol {
    /// Tabs shown as one space, so the caret line stays aligned.
    fileprivate func replacingTabs() -> String {
        String(map { $0 == "\t" ? " " : $0 })
    }
}
