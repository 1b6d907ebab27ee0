import AccordDiagnostics
import Yams

/// Reads one YAML document into a located ``YAMLNode`` tree.
///
/// This is the only place accord calls Yams (libyaml). It never throws for bad input: every
/// problem becomes a diagnostic, and the node is `nil` when nothing usable was read.
public enum YAMLReader {
    /// Nodes an expanded document may have; bounds what aliases can expand to.
    public static let maximumNodes = 100_000
    /// Nesting depth accord reads; no connection file comes close.
    public static let maximumDepth = 64

    public struct Result: Sendable {
        public var root: YAMLNode?
        public var diagnostics: [Diagnostic]
    }

    public static func read(_ source: SourceFile) -> Result {
        let file = source.path
        if isBlank(source.text) {
            return Result(root: nil, diagnostics: [
                Diagnostic(DiagnosticCatalog.emptyFile, "file holds no YAML document; expected a mapping", file: file)
            ])
        }
        if let location = aliasUsedAsKey(in: source.text) {
            return Result(root: nil, diagnostics: [
                Diagnostic(
                    DiagnosticCatalog.aliasExpansionTooLarge,
                    "an alias is used as a mapping key; accord does not expand such aliases",
                    file: file, range: SourceRange(start: location, length: 1))
            ])
        }
        do {
            // No tag resolution: accord types scalars itself (by the text and whether it was
            // quoted), and Yams' default resolver runs several regular expressions per scalar.
            let parser = try Parser(yaml: source.text, resolver: .basic)
            guard let node = try parser.nextRoot() else {
                return Result(root: nil, diagnostics: [
                    Diagnostic(DiagnosticCatalog.emptyFile, "file holds no YAML document; expected a mapping", file: file)
                ])
            }
            var converter = Converter(file: file)
            let root = converter.convert(node, depth: 1)
            var diagnostics = converter.diagnostics
            if root != nil, let second = try? parser.nextRoot() {
                let start = documentStart(after: node.mark, in: source) ?? second.mark.map(location) ?? SourceLocation(line: 1, column: 1)
                diagnostics.append(Diagnostic(
                    DiagnosticCatalog.multipleDocuments,
                    "file holds more than one YAML document; put each connection in a file of its own",
                    file: file, range: SourceRange(start: start, length: 3)))
            }
            return Result(root: diagnostics.containsErrors ? nil : root, diagnostics: diagnostics)
        } catch let error as YamlError {
            return Result(root: nil, diagnostics: [diagnostic(for: error, in: source)])
        } catch {
            return Result(root: nil, diagnostics: [
                Diagnostic(DiagnosticCatalog.invalidYAML, "cannot parse YAML: \(error)", file: file)
            ])
        }
    }

    // MARK: - Converting Yams nodes

    private struct Converter {
        let file: String
        var diagnostics: [Diagnostic] = []
        var nodeCount = 0

        init(file: String) { self.file = file }

        /// Reports `code` once (the walk stops at the first offending node) and yields no node.
        private mutating func refuse(_ code: DiagnosticCode, _ message: String, at start: SourceLocation) -> YAMLNode? {
            if !diagnostics.contains(where: { $0.code == code }) {
                diagnostics.append(Diagnostic(code, message, file: file, range: SourceRange(start: start, length: 1)))
            }
            return nil
        }

        mutating func convert(_ node: Node, depth: Int) -> YAMLNode? {
            nodeCount += 1
            let start = node.mark.map(location) ?? SourceLocation(line: 1, column: 1)
            if nodeCount > YAMLReader.maximumNodes {
                return refuse(
                    DiagnosticCatalog.aliasExpansionTooLarge,
                    "document expands to more than \(YAMLReader.maximumNodes) nodes (an alias bomb?); accord refuses to expand it",
                    at: start)
            }
            if depth > YAMLReader.maximumDepth {
                return refuse(DiagnosticCatalog.nestingTooDeep, "YAML nests more than \(YAMLReader.maximumDepth) levels deep", at: start)
            }
            switch node {
            case .scalar(let scalar):
                let plain = scalar.style == .plain
                let length = plain || scalar.style == .literal || scalar.style == .folded
                    ? scalar.string.unicodeScalars.count
                    : scalar.string.unicodeScalars.count + 2
                let singleLine = !scalar.string.contains(where: \.isNewline)
                return YAMLNode(
                    .scalar(.init(text: scalar.string, isPlain: plain)),
                    range: SourceRange(start: start, length: singleLine ? length : 1))
            case .sequence(let sequence):
                var items: [YAMLNode] = []
                items.reserveCapacity(sequence.count)
                for item in sequence {
                    guard let converted = convert(item, depth: depth + 1) else { return nil }
                    items.append(converted)
                }
                return YAMLNode(.sequence(items), range: SourceRange(start: start, length: 1))
            case .mapping(let mapping):
                var pairs: [YAMLPair] = []
                pairs.reserveCapacity(mapping.count)
                for (key, value) in mapping {
                    guard let k = convert(key, depth: depth + 1), let v = convert(value, depth: depth + 1) else { return nil }
                    pairs.append(YAMLPair(key: k, value: v))
                }
                return YAMLNode(.mapping(pairs), range: SourceRange(start: start, length: 1))
            case .alias:
                // Yams resolves aliases while composing; a bare alias node never reaches here.
                return YAMLNode(.scalar(.init(text: "", isPlain: true)), range: SourceRange(start: start, length: 1))
            }
        }
    }

    // MARK: - Errors

    static func diagnostic(for error: YamlError, in source: SourceFile) -> Diagnostic {
        let file = source.path
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let start = location(mark)
            let range = SourceRange(start: start, length: 1)
            if problem.contains("Maximum nesting level") || context?.text.contains("Maximum nesting level") == true {
                return Diagnostic(
                    DiagnosticCatalog.nestingTooDeep, "YAML nests more than \(maximumDepth) levels deep",
                    file: file, range: range)
            }
            if let line = source.line(mark.line), character(at: mark.column, in: line) == "\t" {
                return Diagnostic(
                    DiagnosticCatalog.invalidYAML, "a tab character is not allowed here; YAML indents with spaces only",
                    file: file, range: range,
                    fixIts: [FixIt("replace the tab with two spaces", range: range, replacement: "  ")])
            }
            var message = "invalid YAML: \(problem)"
            var notes: [Note] = []
            if let context {
                let contextLocation = location(context.mark)
                if contextLocation != start {
                    notes.append(Note(context.text, file: file, range: SourceRange(start: contextLocation, length: 1)))
                } else {
                    message += " \(context.text)"
                }
            }
            return Diagnostic(DiagnosticCatalog.invalidYAML, message, file: file, range: range, notes: notes)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let first = location(context.mark)
            let key = duplicates.first ?? ""
            let second = secondOccurrence(of: key, after: first, in: source) ?? first
            return Diagnostic(
                DiagnosticCatalog.duplicateKey, "duplicate key '\(key)' in a mapping; keep one of them",
                file: file, range: SourceRange(start: second, length: key.unicodeScalars.count),
                notes: second != first
                    ? [Note("'\(key)' first given here", file: file, range: SourceRange(start: first, length: key.unicodeScalars.count))]
                    : [])
        case .reader(let problem, let offset, _, _):
            return Diagnostic(
                DiagnosticCatalog.notText,
                "file is not readable text: \(problem)" + (offset.map { " at offset \($0)" } ?? ""), file: file)
        default:
            return Diagnostic(DiagnosticCatalog.invalidYAML, "invalid YAML: \(error)", file: file)
        }
    }

    // MARK: - Helpers

    static func location(_ mark: Mark) -> SourceLocation {
        SourceLocation(line: max(mark.line, 1), column: max(mark.column, 1))
    }

    private static func character(at column: Int, in line: Substring) -> Unicode.Scalar? {
        let scalars = line.unicodeScalars
        guard column >= 1, column <= scalars.count else { return nil }
        return scalars[scalars.index(scalars.startIndex, offsetBy: column - 1)]
    }

    /// Whether the text holds only white space and comments.
    private static func isBlank(_ text: String) -> Bool {
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if !trimmed.isEmpty, trimmed.first != "#" { return false }
        }
        return true
    }

    /// Yams reports a duplicate key at its first occurrence; find the next one at the same column.
    private static func secondOccurrence(of key: String, after first: SourceLocation, in source: SourceFile) -> SourceLocation? {
        let lines = source.text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        guard first.line < lines.count else { return nil }
        for index in first.line..<lines.count {
            let scalars = Array(lines[index].unicodeScalars)
            let column = first.column - 1
            guard column + key.unicodeScalars.count <= scalars.count, column >= 0 else { continue }
            let candidate = String(String.UnicodeScalarView(scalars[column..<(column + key.unicodeScalars.count)]))
            let prefix = scalars[..<column]
            guard candidate == key, prefix.allSatisfy({ $0 == " " || $0 == "-" }) else { continue }
            let rest = scalars[(column + key.unicodeScalars.count)...].drop { $0 == " " || $0 == "\"" || $0 == "'" }
            if rest.first == ":" { return SourceLocation(line: index + 1, column: first.column) }
        }
        return nil
    }

    /// The location of the `---` that starts the document after the one starting at `mark`.
    private static func documentStart(after mark: Mark?, in source: SourceFile) -> SourceLocation? {
        let lines = source.text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        let firstLine = mark?.line ?? 1
        for index in firstLine..<max(lines.count, firstLine) where lines[index].hasPrefix("---") {
            return SourceLocation(line: index + 1, column: 1)
        }
        return nil
    }

    /// Finds an alias used as a mapping key (`*name:` or `? *name`), which Yams would hash in
    /// full: with nested aliases that costs exponential time, so such files are refused up front.
    private static func aliasUsedAsKey(in text: String) -> SourceLocation? {
        guard text.contains("*") else { return nil }
        var lineNumber = 0
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let scalars = Array(line.unicodeScalars)
            var i = 0
            while i < scalars.count, scalars[i] == " " || scalars[i] == "-" { i += 1 }
            if i < scalars.count, scalars[i] == "?" {
                i += 1
                while i < scalars.count, scalars[i] == " " { i += 1 }
                if i < scalars.count, scalars[i] == "*" { return SourceLocation(line: lineNumber, column: i + 1) }
                continue
            }
            // A flow or block key: `*name :` or `*name:` after indentation, `{` or `,`.
            var j = 0
            var inQuote: Unicode.Scalar?
            while j < scalars.count {
                let c = scalars[j]
                if let quote = inQuote {
                    if c == quote { inQuote = nil }
                } else if c == "\"" || c == "'" {
                    inQuote = c
                } else if c == "#" && (j == 0 || scalars[j - 1] == " ") {
                    break
                } else if c == "*" {
                    let before = scalars[..<j].last { $0 != " " }
                    if before == nil || before == "{" || before == "," || before == "-" || before == "?" {
                        var k = j + 1
                        while k < scalars.count, !" ,[]{}:".unicodeScalars.contains(scalars[k]) { k += 1 }
                        while k < scalars.count, scalars[k] == " " { k += 1 }
                        if k < scalars.count, scalars[k] == ":" { return SourceLocation(line: lineNumber, column: j + 1) }
                    }
                }
                j += 1
            }
        }
        return nil
    }
}
