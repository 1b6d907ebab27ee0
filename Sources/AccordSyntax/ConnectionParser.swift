import AccordDiagnostics
import AccordModel

/// Reads a connection file into a ``ConnectionSyntax``: the shape stage of the compiler.
///
/// Checks keys, value types and fixed choices (direction, winner); everything that needs an app
/// schema is left to the checker.
public enum ConnectionParser {
    public struct Result: Sendable {
        public var syntax: ConnectionSyntax?
        public var diagnostics: [Diagnostic]
    }

    static let topLevelKeys = [
        "connection", "description", "paused", "apps", "direction", "winner", "avoid_duplicates",
        "sync_deletions", "sync_unsubscribes", "mappings", "rules", "safety",
    ]
    static let safetyKeys = ["enabled", "max_deletions", "max_updates", "max_cleared", "changelog_days"]
    static let appKeys = ["app", "auth", "settings", "subset", "contact_type", "custom_fields", "overlay"]

    /// Parses `source` from YAML text to a connection syntax tree.
    public static func parse(_ source: SourceFile) -> Result {
        let yaml = YAMLReader.read(source)
        guard let root = yaml.root else { return Result(syntax: nil, diagnostics: yaml.diagnostics) }
        var parser = Parser(reader: ShapeReader(file: source.path))
        let syntax = parser.connection(root)
        return Result(syntax: syntax, diagnostics: yaml.diagnostics + parser.reader.diagnostics)
    }

    struct Parser {
        var reader: ShapeReader

        mutating func connection(_ root: YAMLNode) -> ConnectionSyntax? {
            guard let fields = reader.mapping(
                root, context: "the connection file", known: ConnectionParser.topLevelKeys,
                required: ["connection", "apps", "direction"])
            else { return nil }
            var syntax = ConnectionSyntax(file: reader.file, range: root.range)
            syntax.name = fields["connection"].flatMap { reader.string($0, for: "'connection'") }
            if let name = syntax.name, name.value.trimmingCharacters(in: .whitespaces).isEmpty {
                reader.report(DiagnosticCatalog.invalidValue, "the connection name must not be empty", at: name.range)
            }
            syntax.description = fields["description"].flatMap { reader.string($0, for: "'description'") }
            syntax.paused = fields["paused"].flatMap { reader.bool($0, for: "'paused'") }
            if let apps = fields["apps"] { syntax.apps = self.apps(apps) }
            if let node = fields["direction"], let text = reader.choice(node, among: SyncDirection.names, for: "direction") {
                syntax.direction = Located(SyncDirection(name: text.value)!, at: text.range)
            }
            if let node = fields["winner"], let text = reader.choice(node, among: ["a", "b"], for: "winner") {
                syntax.winner = Located(Side(rawValue: text.value)!, at: text.range)
            }
            syntax.avoidDuplicates = fields["avoid_duplicates"].flatMap { reader.bool($0, for: "'avoid_duplicates'") }
            syntax.syncDeletions = fields["sync_deletions"].flatMap { markerOption($0, key: "sync_deletions") }
            syntax.syncUnsubscribes = fields["sync_unsubscribes"].flatMap { markerOption($0, key: "sync_unsubscribes") }
            if let mappings = fields["mappings"] { syntax.mappings = self.mappings(mappings) }
            if let rules = fields["rules"] { syntax.rules = self.rules(rules) }
            if let safety = fields["safety"] { syntax.safety = self.safety(safety) }
            return syntax
        }

        // MARK: Safety

        /// `safety:`: the budget a run may not go over without approval; keys left out keep
        /// their defaults (`SafetyBudget.defaults`).
        mutating func safety(_ node: YAMLNode) -> Located<SafetyBudget>? {
            guard let fields = reader.mapping(node, context: "'safety'", known: ConnectionParser.safetyKeys) else { return nil }
            var budget = SafetyBudget.defaults
            if let enabled = fields["enabled"].flatMap({ reader.bool($0, for: "'safety.enabled'") }) { budget.enabled = enabled.value }
            if let node = fields["max_deletions"] { budget.max_deletions = limit(node, key: "max_deletions", defaults: budget.max_deletions) }
            if let node = fields["max_updates"] { budget.max_updates = limit(node, key: "max_updates", defaults: budget.max_updates) }
            if let node = fields["max_cleared"] { budget.max_cleared = limit(node, key: "max_cleared", defaults: budget.max_cleared) }
            if let days = fields["changelog_days"].flatMap({ reader.integer($0, for: "'safety.changelog_days'") }) {
                if days.value < 1 {
                    reader.report(DiagnosticCatalog.invalidValue, "'safety.changelog_days' must be at least 1, found \(days.value)", at: days.range)
                } else {
                    budget.changelog_days = days.value
                }
            }
            return Located(budget, at: node.range)
        }

        /// `{percent: 20, count: 500}`; a key left out keeps its default. The percent may be
        /// written `20` or `20%`.
        mutating func limit(_ node: YAMLNode, key: String, defaults: SafetyBudget.Limit) -> SafetyBudget.Limit {
            var limit = defaults
            guard let fields = reader.mapping(node, context: "'safety.\(key)'", known: ["percent", "count"]) else { return limit }
            if let percent = fields["percent"] {
                let text = percent.scalar?.text ?? ""
                if let value = Double(text.hasSuffix("%") ? String(text.dropLast()) : text), percent.scalar?.isPlain == true {
                    if (0...100).contains(value) {
                        limit.percent = value
                    } else {
                        reader.report(DiagnosticCatalog.invalidValue, "'safety.\(key).percent' must be between 0 and 100, found \(text)", at: percent.range)
                    }
                } else {
                    reader.wrongType(percent, expected: "a percentage (like 20 or 20%)", for: "'safety.\(key).percent'")
                }
            }
            if let count = fields["count"].flatMap({ reader.integer($0, for: "'safety.\(key).count'") }) {
                if count.value < 0 {
                    reader.report(DiagnosticCatalog.invalidValue, "'safety.\(key).count' must not be negative, found \(count.value)", at: count.range)
                } else {
                    limit.count = count.value
                }
            }
            return limit
        }

        // MARK: Apps

        mutating func apps(_ node: YAMLNode) -> [AppBindingSyntax] {
            guard let fields = reader.mapping(node, context: "'apps'", known: ["a", "b"], required: ["a", "b"]) else { return [] }
            return Side.allCases.compactMap { side in
                guard let pair = fields.entries[side.rawValue] else { return nil }
                return app(pair.value, side: side, keyRange: pair.key.range)
            }
        }

        mutating func app(_ node: YAMLNode, side: Side, keyRange: SourceRange) -> AppBindingSyntax? {
            let context = "'apps.\(side.rawValue)'"
            guard let fields = reader.mapping(node, context: context, known: ConnectionParser.appKeys, required: ["app"]) else {
                return nil
            }
            var binding = AppBindingSyntax(side: side, range: keyRange)
            binding.app = fields["app"].flatMap { reader.string($0, for: "'app'") }
            if let auth = fields["auth"] { binding.auth = parameters(auth, context: "\(context.dropLast()).auth'") }
            if let settings = fields["settings"] { binding.settings = parameters(settings, context: "\(context.dropLast()).settings'") }
            if let subset = fields["subset"] { binding.subset = self.subset(subset) }
            binding.contactType = fields["contact_type"].flatMap { reader.string($0, for: "'contact_type'") }
            if let custom = fields["custom_fields"], let items = reader.list(custom, for: "'custom_fields'") {
                var fieldReader = FieldDeclarationReader(reader: reader)
                binding.customFields = items.compactMap { fieldReader.field($0, isCustom: true) }
                reader = fieldReader.reader
            }
            binding.overlay = fields["overlay"].flatMap { reader.string($0, for: "'overlay'") }
            return binding
        }

        mutating func parameters(_ node: YAMLNode, context: String) -> [ParameterSyntax] {
            guard let pairs = node.pairs else {
                reader.wrongType(node, expected: "a mapping", for: context)
                return []
            }
            return pairs.compactMap { pair in
                guard let name = pair.name else {
                    reader.wrongType(pair.key, expected: "a parameter name", for: context)
                    return nil
                }
                let located = Located(name, at: pair.key.range)
                return ParameterSyntax(name: located, value: parameterValue(pair.value, name: name), range: pair.key.range)
            }
        }

        /// A parameter's value: a literal, a reference, or (for a parameter the schema declares
        /// a field map, like csv's `columns`) a mapping of names to text. Which of the last two a
        /// mapping is, only the schema says: a mapping that is not a valid reference is kept as
        /// entries, with the diagnostics it gets as a reference for the checker to report when the
        /// parameter takes no field map.
        mutating func parameterValue(_ node: YAMLNode, name: String) -> ParameterSyntax.Value {
            let before = reader.diagnostics.count
            let value = referenceValue(node, name: name)
            guard case .invalid = value, let pairs = node.pairs, !pairs.isEmpty else { return value }
            var entries: [ParameterSyntax.Entry] = []
            for pair in pairs {
                guard let key = pair.name, let text = pair.value.scalar?.text, !pair.value.isNull else { return value }
                entries.append(ParameterSyntax.Entry(key: Located(key, at: pair.key.range), value: Located(text, at: pair.value.range)))
            }
            let problems = Array(reader.diagnostics[before...])
            reader.diagnostics.removeSubrange(before...)
            return .entries(entries, asReference: problems)
        }

        mutating func referenceValue(_ node: YAMLNode, name: String) -> ParameterSyntax.Value {
            if let scalar = node.scalar, !node.isNull {
                return .literal(Located(scalar.text, at: node.range))
            }
            guard let pairs = node.pairs else {
                reader.report(
                    DiagnosticCatalog.invalidSecretReference,
                    "'\(name)' must be a value or a reference {env: NAME} or {file: PATH}, found \(node.kindDescription)",
                    at: node.range)
                return .invalid
            }
            guard pairs.count == 1, let pair = pairs.first, let kind = pair.name, kind == "env" || kind == "file" else {
                let keys = pairs.compactMap(\.name)
                let message = pairs.isEmpty
                    ? "the reference for '\(name)' is empty; write {env: NAME} or {file: PATH}"
                    : pairs.count > 1
                    ? "the reference for '\(name)' must have exactly one of 'env' or 'file', found " + keys.map { "'\($0)'" }.joined(separator: ", ")
                    : "unknown reference kind '\(keys.first ?? "")' for '\(name)'\(Suggestions.didYouMean(keys.first ?? "", in: ["env", "file"])); write {env: NAME} or {file: PATH}"
                reader.report(DiagnosticCatalog.invalidSecretReference, message, at: pairs.first?.key.range ?? node.range)
                return .invalid
            }
            guard let value = pair.value.scalar?.text, !pair.value.isNull, !value.isEmpty else {
                reader.report(
                    DiagnosticCatalog.invalidSecretReference, "the '\(kind)' reference for '\(name)' needs a non-empty value",
                    at: pair.value.range)
                return .invalid
            }
            let located = Located(value, at: pair.value.range)
            if kind == "env" {
                guard Self.isEnvironmentVariableName(value) else {
                    reader.report(
                        DiagnosticCatalog.invalidSecretReference,
                        "'\(value)' is not an environment variable name; use letters, digits and '_', not starting with a digit",
                        at: pair.value.range)
                    return .invalid
                }
                return .environment(located)
            }
            return .file(located)
        }

        static func isEnvironmentVariableName(_ name: String) -> Bool {
            guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
            return name.unicodeScalars.allSatisfy { $0 == "_" || ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
        }

        mutating func subset(_ node: YAMLNode) -> SubsetSyntax? {
            guard let pairs = node.pairs else {
                reader.wrongType(node, expected: "a mapping like {list: NAME}", for: "'subset'")
                return nil
            }
            guard pairs.count == 1, let pair = pairs.first, let kind = pair.name else {
                reader.report(
                    DiagnosticCatalog.wrongType, "'subset' must have exactly one entry, such as {list: Customers}", at: node.range)
                return nil
            }
            guard let value = reader.string(pair.value, for: "subset '\(kind)'") else { return nil }
            return SubsetSyntax(kind: Located(kind, at: pair.key.range), value: value)
        }

        mutating func markerOption(_ node: YAMLNode, key: String) -> MarkerOptionSyntax? {
            if let enabled = node.bool {
                return MarkerOptionSyntax(range: node.range, enabled: enabled, marker: nil)
            }
            guard node.pairs != nil else {
                reader.wrongType(node, expected: "true, false or {enabled: true, marker: NAME}", for: "'\(key)'")
                return nil
            }
            guard let fields = reader.mapping(node, context: "'\(key)'", known: ["enabled", "marker"]) else { return nil }
            let enabled = fields["enabled"].flatMap { reader.bool($0, for: "'enabled'") }?.value ?? true
            let marker = fields["marker"].flatMap { reader.string($0, for: "'marker'") }
            if let marker, marker.value.trimmingCharacters(in: .whitespaces).isEmpty {
                reader.report(DiagnosticCatalog.invalidValue, "the marker name must not be empty", at: marker.range)
            }
            return MarkerOptionSyntax(range: node.range, enabled: enabled, marker: marker)
        }

        // MARK: Mappings

        mutating func mappings(_ node: YAMLNode) -> MappingsSyntax {
            var syntax = MappingsSyntax()
            guard let fields = reader.mapping(node, context: "'mappings'", known: ["defaults", "toggles", "custom"]) else {
                return syntax
            }
            syntax.defaults = fields["defaults"].flatMap { reader.bool($0, for: "'defaults'") }
            if let toggles = fields["toggles"] {
                if let pairs = toggles.pairs {
                    syntax.toggles = pairs.compactMap { pair in
                        guard let role = pair.name, let enabled = reader.bool(pair.value, for: "toggle '\(role)'") else { return nil }
                        return ToggleSyntax(role: Located(role, at: pair.key.range), enabled: enabled)
                    }
                } else {
                    reader.wrongType(toggles, expected: "a mapping like {phone: off}", for: "'toggles'")
                }
            }
            if let custom = fields["custom"], let items = reader.list(custom, for: "'custom'") {
                syntax.custom = items.compactMap { customMapping($0) }
            }
            return syntax
        }

        mutating func customMapping(_ node: YAMLNode) -> CustomMappingSyntax? {
            guard let fields = reader.mapping(
                node, context: "a custom mapping", known: ["a", "b", "direction", "values", "enabled"], required: ["a", "b"])
            else { return nil }
            var syntax = CustomMappingSyntax(range: node.range)
            syntax.a = fields["a"].flatMap { mappingSide($0, side: "a") }
            syntax.b = fields["b"].flatMap { mappingSide($0, side: "b") }
            if let node = fields["direction"], let text = reader.choice(node, among: SyncDirection.names, for: "mapping direction") {
                syntax.direction = Located(SyncDirection(name: text.value)!, at: text.range)
            }
            syntax.enabled = fields["enabled"].flatMap { reader.bool($0, for: "'enabled'") }
            if let values = fields["values"] {
                if let pairs = values.pairs {
                    let entries = pairs.compactMap { pair -> ValueMapSyntax.Entry? in
                        guard let a = reader.string(pair.key, for: "a value map key"),
                              let b = reader.string(pair.value, for: "a value map value")
                        else { return nil }
                        return ValueMapSyntax.Entry(a: a, b: b)
                    }
                    syntax.values = ValueMapSyntax(range: fields.keyRange("values") ?? values.range, entries: entries)
                } else {
                    reader.wrongType(values, expected: "a mapping from 'a' options to 'b' options", for: "'values'")
                }
            }
            return syntax
        }

        mutating func mappingSide(_ node: YAMLNode, side: String) -> MappingSideSyntax? {
            guard let fields = reader.stringList(node, for: "mapping side '\(side)'") else { return nil }
            return MappingSideSyntax(fields: fields, isList: node.items != nil, range: node.range)
        }

        // MARK: Rules

        mutating func rules(_ node: YAMLNode) -> [RuleSetSyntax] {
            guard let fields = reader.mapping(node, context: "'rules'", known: Way.allCases.map(\.rawValue)) else { return [] }
            return Way.allCases.compactMap { way in
                guard let pair = fields.entries[way.rawValue] else { return nil }
                if pair.value.isNull { return RuleSetSyntax(way: way, range: pair.key.range, rules: []) }
                guard let items = reader.list(pair.value, for: "'rules.\(way.rawValue)'") else { return nil }
                return RuleSetSyntax(way: way, range: pair.key.range, rules: items.compactMap { rule($0) })
            }
        }

        mutating func rule(_ node: YAMLNode) -> RuleSyntax? {
            guard let fields = reader.mapping(node, context: "a rule", known: ["name", "if", "then", "undo"]) else { return nil }
            var syntax = RuleSyntax(range: node.range)
            syntax.name = fields["name"].flatMap { reader.string($0, for: "'name'") }
            if let condition = fields["if"], !condition.isNull {
                if condition.items != nil {
                    syntax.condition = group(condition, any: false)
                } else {
                    syntax.condition = self.condition(condition)
                }
            }
            if let then = fields["then"], !then.isNull, let items = reader.list(then, for: "'then'") {
                syntax.actions = items.compactMap { action($0) }
            }
            syntax.undo = fields["undo"].flatMap { reader.bool($0, for: "'undo'") }
            return syntax
        }

        mutating func group(_ node: YAMLNode, any: Bool) -> ConditionSyntax? {
            guard let items = reader.list(node, for: any ? "'any'" : "'all'") else { return nil }
            let children = items.compactMap { condition($0) }
            return any ? .any(children, node.range) : .all(children, node.range)
        }

        mutating func condition(_ node: YAMLNode) -> ConditionSyntax? {
            guard let pairs = node.pairs, let first = pairs.first, let firstName = first.name else {
                reader.wrongType(node, expected: "a condition such as {has_tag: NAME} or {field: NAME, equals: VALUE}", for: "'if'")
                return nil
            }
            if firstName == "any" || firstName == "all" {
                if pairs.count > 1 {
                    reader.report(
                        DiagnosticCatalog.wrongType, "'\(firstName)' must be alone in its condition; write another list item for the rest",
                        at: pairs[1].key.range)
                }
                return group(first.value, any: firstName == "any").map { group in
                    switch group {
                    case .any(let c, _): .any(c, first.key.range)
                    case .all(let c, _): .all(c, first.key.range)
                    default: group
                    }
                }
            }
            if let fieldPair = pairs.first(where: { $0.name == "field" }) {
                guard let field = reader.string(fieldPair.value, for: "'field'") else { return nil }
                let others = pairs.filter { $0.name != "field" }
                guard others.count == 1, let op = others.first, let opName = op.name else {
                    reader.report(
                        DiagnosticCatalog.missingKey,
                        "the condition on field '\(field.value)' needs exactly one operator, such as 'equals: VALUE'",
                        at: fieldPair.key.range)
                    return nil
                }
                return .field(field: field, operator: Located(opName, at: op.key.range), operand: literal(op.value))
            }
            if pairs.count > 1 {
                reader.report(
                    DiagnosticCatalog.wrongType,
                    "a condition has one key (or 'field' and an operator); found " + pairs.compactMap(\.name).map { "'\($0)'" }.joined(separator: ", "),
                    at: pairs[1].key.range)
            }
            return .named(name: Located(firstName, at: first.key.range), argument: literal(first.value))
        }

        mutating func literal(_ node: YAMLNode) -> LiteralSyntax {
            if let scalar = node.scalar {
                return LiteralSyntax(text: scalar.text, isPlain: scalar.isPlain, isNull: node.isNull, list: nil, range: node.range)
            }
            if let items = node.items {
                return LiteralSyntax(text: "", isPlain: false, isNull: false, list: items.map { literal($0) }, range: node.range)
            }
            reader.wrongType(node, expected: "a value", for: "a condition or action")
            return LiteralSyntax(text: "", isPlain: false, isNull: true, list: nil, range: node.range)
        }

        mutating func action(_ node: YAMLNode) -> ActionSyntax? {
            if let scalar = node.scalar, !node.isNull {
                return ActionSyntax(name: Located(scalar.text, at: node.range), argument: nil, field: nil, range: node.range)
            }
            guard let pairs = node.pairs, pairs.count == 1, let pair = pairs.first, let name = pair.name else {
                reader.wrongType(node, expected: "an action such as {add_tag: NAME} or a bare action name", for: "'then'")
                return nil
            }
            let located = Located(name, at: pair.key.range)
            if pair.value.pairs != nil {
                guard let fields = reader.mapping(pair.value, context: "action '\(name)'", known: ["field", "value"], required: ["field", "value"]),
                      let field = fields["field"].flatMap({ reader.string($0, for: "'field'") }),
                      let value = fields["value"]
                else { return nil }
                return ActionSyntax(name: located, argument: literal(value), field: field, range: pair.key.range)
            }
            return ActionSyntax(name: located, argument: literal(pair.value), field: nil, range: pair.key.range)
        }
    }
}
