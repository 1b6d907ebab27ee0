import AccordDiagnostics

/// Reads the shape of YAML nodes (mappings with known keys, strings, booleans, choices) and
/// collects a diagnostic for every mismatch instead of stopping at the first.
struct ShapeReader {
    let file: String
    var diagnostics: [Diagnostic] = []

    init(file: String) { self.file = file }

    mutating func report(
        _ code: DiagnosticCode, _ message: String, at range: SourceRange?, notes: [Note] = [], fixIts: [FixIt] = []
    ) {
        diagnostics.append(Diagnostic(code, message, file: file, range: range, notes: notes, fixIts: fixIts))
    }

    mutating func wrongType(_ node: YAMLNode, expected: String, for context: String) {
        report(DiagnosticCatalog.wrongType, "expected \(expected) for \(context), found \(node.kindDescription)", at: node.range)
    }

    /// The entries of a mapping with the given keys; reports unknown keys (with did-you-mean),
    /// missing required keys, and a value that is not a mapping.
    mutating func mapping(
        _ node: YAMLNode, context: String, known: [String], required: [String] = []
    ) -> Fields? {
        guard let pairs = node.pairs else {
            wrongType(node, expected: "a mapping", for: context)
            return nil
        }
        var fields = Fields(range: node.range)
        for pair in pairs {
            guard let name = pair.name, pair.key.scalar != nil else {
                wrongType(pair.key, expected: "a key name", for: context)
                continue
            }
            if known.contains(name) {
                fields.entries[name] = pair
            } else {
                unknownKey(pair.key, name: name, in: context, known: known)
            }
        }
        for key in required where fields.entries[key] == nil {
            report(DiagnosticCatalog.missingKey, "\(context) is missing the required key '\(key)'", at: node.range)
        }
        return fields
    }

    mutating func unknownKey(_ key: YAMLNode, name: String, in context: String, known: [String]) {
        let suggestion = Suggestions.bestMatch(for: name, in: known)
        var message = "unknown key '\(name)' in \(context)"
        if let suggestion {
            message += "; did you mean '\(suggestion)'?"
        } else {
            message += "; expected one of " + known.map { "'\($0)'" }.joined(separator: ", ")
        }
        report(
            DiagnosticCatalog.unknownKey, message, at: key.range,
            fixIts: suggestion.map { [FixIt.replace(name, with: $0, at: key.range)] } ?? [])
    }

    mutating func string(_ node: YAMLNode, for context: String) -> Located<String>? {
        guard let scalar = node.scalar, !node.isNull else {
            wrongType(node, expected: "text", for: context)
            return nil
        }
        return Located(scalar.text, at: node.range)
    }

    mutating func bool(_ node: YAMLNode, for context: String) -> Located<Bool>? {
        guard let value = node.bool else {
            wrongType(node, expected: "a boolean (true or false)", for: context)
            return nil
        }
        return Located(value, at: node.range)
    }

    mutating func integer(_ node: YAMLNode, for context: String) -> Located<Int>? {
        guard let scalar = node.scalar, scalar.isPlain, let value = Int(scalar.text) else {
            wrongType(node, expected: "a whole number", for: context)
            return nil
        }
        return Located(value, at: node.range)
    }

    mutating func number(_ node: YAMLNode, for context: String) -> Located<Double>? {
        guard let scalar = node.scalar, scalar.isPlain, let value = Double(scalar.text) else {
            wrongType(node, expected: "a number", for: context)
            return nil
        }
        return Located(value, at: node.range)
    }

    /// A text value that must be one of `choices`.
    mutating func choice(_ node: YAMLNode, among choices: [String], for context: String) -> Located<String>? {
        guard let text = string(node, for: context) else { return nil }
        guard choices.contains(text.value) else {
            let suggestion = Suggestions.bestMatch(for: text.value, in: choices)
            report(
                DiagnosticCatalog.invalidValue,
                "'\(text.value)' is not a valid \(context); expected one of "
                    + choices.map { "'\($0)'" }.joined(separator: ", ")
                    + (suggestion.map { "; did you mean '\($0)'?" } ?? ""),
                at: node.range,
                fixIts: suggestion.map { [FixIt.replace(text.value, with: $0, at: node.range)] } ?? [])
            return nil
        }
        return text
    }

    /// A list of text values; a single scalar counts as a one-element list.
    mutating func stringList(_ node: YAMLNode, for context: String) -> [Located<String>]? {
        if node.scalar != nil {
            return string(node, for: context).map { [$0] }
        }
        guard let items = node.items else {
            wrongType(node, expected: "a list of text values", for: context)
            return nil
        }
        return items.compactMap { string($0, for: context) }
    }

    /// The items of a list.
    mutating func list(_ node: YAMLNode, for context: String) -> [YAMLNode]? {
        guard let items = node.items else {
            wrongType(node, expected: "a list", for: context)
            return nil
        }
        return items
    }
}

/// The known entries of a mapping read by ``ShapeReader/mapping(_:context:known:required:)``.
struct Fields {
    var range: SourceRange
    var entries: [String: YAMLPair] = [:]

    subscript(_ key: String) -> YAMLNode? { entries[key]?.value }

    func keyRange(_ key: String) -> SourceRange? { entries[key]?.key.range }
}
