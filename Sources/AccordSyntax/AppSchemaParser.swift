import AccordDiagnostics
import AccordModel

/// Reads app schema files (`schemas/<app>.yaml`) and schema overlays into ``AppSchema`` values.
///
/// The format is documented in `docs/app-schemas.md`.
public enum AppSchemaParser {
    public struct Result: Sendable {
        public var schema: AppSchema?
        public var diagnostics: [Diagnostic]
    }

    public struct OverlayResult: Sendable {
        /// The overlay file.
        public var file: String
        /// The app id the overlay extends.
        public var overlayFor: Located<String>?
        public var fields: [FieldDefinition]
        public var diagnostics: [Diagnostic]
    }

    static let keys = [
        "app", "name", "description", "documentation", "contact_types", "auth", "settings", "subsets", "fields",
        "conditions", "actions", "events", "marker", "limits",
    ]

    /// The app id a schema file declares, told from its text without parsing it: the value of a
    /// top-level `app:` line. Nil when the text does not say it plainly.
    public static func declaredApp(in text: String) -> String? {
        // Line by line over UTF-8, up to the `app:` line: `accord run` asks this of every schema file.
        let utf8 = text.utf8
        var start = utf8.startIndex
        var found: Substring?
        while start < utf8.endIndex, found == nil {
            let end = utf8[start...].firstIndex(of: UInt8(ascii: "\n")) ?? utf8.endIndex
            if utf8[start..<end].starts(with: "app:".utf8) { found = text[start..<end] }
            start = end < utf8.endIndex ? utf8.index(after: end) : end
        }
        guard let line = found else { return nil }
        var value = line.dropFirst(4)
        if let comment = value.firstRange(of: " #") { value = value[..<comment.lowerBound] }
        value = value.drop { $0 == " " || $0 == "\t" }
        while let last = value.last, last == " " || last == "\t" || last == "\r" { value = value.dropLast() }
        if let first = value.first, first == "\"" || first == "'", value.count >= 2, value.last == first { value = value.dropFirst().dropLast() }
        return value.isEmpty ? nil : String(value)
    }

    /// Parses an app schema.
    public static func parse(_ source: SourceFile) -> Result {
        let yaml = YAMLReader.read(source)
        guard let root = yaml.root else { return Result(schema: nil, diagnostics: yaml.diagnostics) }
        var reader = ShapeReader(file: source.path)
        let schema = parse(root, reader: &reader)
        return Result(schema: schema, diagnostics: yaml.diagnostics + reader.diagnostics)
    }

    /// Parses a schema overlay: `overlay_for: APP` and extra `fields:`.
    public static func parseOverlay(_ source: SourceFile) -> OverlayResult {
        let yaml = YAMLReader.read(source)
        guard let root = yaml.root else { return OverlayResult(file: source.path, overlayFor: nil, fields: [], diagnostics: yaml.diagnostics) }
        var reader = ShapeReader(file: source.path)
        var overlayFor: Located<String>?
        var fields: [FieldDefinition] = []
        if let entries = reader.mapping(root, context: "a schema overlay", known: ["overlay_for", "fields"], required: ["overlay_for", "fields"]) {
            overlayFor = entries["overlay_for"].flatMap { reader.string($0, for: "'overlay_for'") }
            if let node = entries["fields"], let items = reader.list(node, for: "'fields'") {
                var fieldReader = FieldDeclarationReader(reader: reader)
                fields = items.compactMap { fieldReader.field($0, isCustom: true) }
                reader = fieldReader.reader
            }
        }
        return OverlayResult(file: source.path, overlayFor: overlayFor, fields: fields, diagnostics: yaml.diagnostics + reader.diagnostics)
    }

    private static func parse(_ root: YAMLNode, reader: inout ShapeReader) -> AppSchema? {
        guard let entries = reader.mapping(root, context: "an app schema", known: keys, required: ["app", "name", "fields"]),
              let id = entries["app"].flatMap({ reader.string($0, for: "'app'") }),
              let name = entries["name"].flatMap({ reader.string($0, for: "'name'") })
        else { return nil }
        var schema = AppSchema(id: id.value, name: name.value, site: DeclarationSite(file: reader.file, range: id.range))
        schema.description = entries["description"].flatMap { reader.string($0, for: "'description'") }?.value ?? ""
        schema.documentation = entries["documentation"].flatMap { reader.string($0, for: "'documentation'") }?.value
        if let types = entries["contact_types"].flatMap({ reader.stringList($0, for: "'contact_types'") }), !types.isEmpty {
            schema.contactTypes = types.map(\.value)
        }
        schema.auth = parameters(entries["auth"], context: "'auth'", reader: &reader)
        schema.settings = parameters(entries["settings"], context: "'settings'", reader: &reader)
        if let node = entries["subsets"], let items = reader.list(node, for: "'subsets'") {
            schema.subsets = items.compactMap { item in
                guard let fields = reader.mapping(item, context: "a subset", known: ["kind", "required", "description"], required: ["kind"]),
                      let kind = fields["kind"].flatMap({ reader.string($0, for: "'kind'") })
                else { return nil }
                return SubsetDefinition(
                    kind: kind.value,
                    required: fields["required"].flatMap { reader.bool($0, for: "'required'") }?.value ?? false,
                    description: fields["description"].flatMap { reader.string($0, for: "'description'") }?.value ?? "")
            }
        }
        if let node = entries["fields"], let items = reader.list(node, for: "'fields'") {
            var fieldReader = FieldDeclarationReader(reader: reader)
            schema.fields = items.compactMap { fieldReader.field($0, isCustom: false) }
            reader = fieldReader.reader
        }
        var conditionSites: [String: SourceRange] = [:]
        if let node = entries["conditions"], let items = reader.list(node, for: "'conditions'") {
            schema.conditions = items.compactMap { item in
                guard let fields = reader.mapping(
                    item, context: "a condition definition", known: ["name", "kind", "segment", "negated", "field", "description"],
                    required: ["name", "kind"]),
                    let name = fields["name"].flatMap({ reader.string($0, for: "'name'") }),
                    let kind = fields["kind"].flatMap({
                        reader.choice($0, among: ConditionDefinition.Kind.allCases.map(\.rawValue), for: "condition kind")
                    })
                else { return nil }
                conditionSites[name.value] = name.range
                return ConditionDefinition(
                    name: name.value, kind: ConditionDefinition.Kind(rawValue: kind.value)!,
                    segment: fields["segment"].flatMap { reader.string($0, for: "'segment'") }?.value,
                    negated: fields["negated"].flatMap { reader.bool($0, for: "'negated'") }?.value ?? false,
                    field: fields["field"].flatMap { reader.string($0, for: "'field'") }?.value,
                    description: fields["description"].flatMap { reader.string($0, for: "'description'") }?.value ?? "")
            }
        }
        var actionSites: [String: SourceRange] = [:]
        if let node = entries["actions"], let items = reader.list(node, for: "'actions'") {
            schema.actions = items.compactMap { item in
                guard let fields = reader.mapping(
                    item, context: "an action definition",
                    known: ["name", "kind", "segment", "field", "value", "undo", "description"], required: ["name", "kind"]),
                    let name = fields["name"].flatMap({ reader.string($0, for: "'name'") }),
                    let kind = fields["kind"].flatMap({
                        reader.choice($0, among: ActionDefinition.Kind.allCases.map(\.rawValue), for: "action kind")
                    })
                else { return nil }
                actionSites[name.value] = name.range
                return ActionDefinition(
                    name: name.value, kind: ActionDefinition.Kind(rawValue: kind.value)!,
                    segment: fields["segment"].flatMap { reader.string($0, for: "'segment'") }?.value,
                    field: fields["field"].flatMap { reader.string($0, for: "'field'") }?.value,
                    value: fields["value"].flatMap { reader.string($0, for: "'value'") }?.value,
                    undo: fields["undo"].flatMap { reader.string($0, for: "'undo'") }?.value,
                    description: fields["description"].flatMap { reader.string($0, for: "'description'") }?.value ?? "")
            }
        }
        if let node = entries["events"], let fields = reader.mapping(node, context: "'events'", known: ["deletions", "unsubscribes"]) {
            schema.events = EventSupport(
                deletions: fields["deletions"].flatMap { reader.bool($0, for: "'deletions'") }?.value ?? false,
                unsubscribes: fields["unsubscribes"].flatMap { reader.bool($0, for: "'unsubscribes'") }?.value ?? false)
        }
        if let node = entries["marker"], let fields = reader.mapping(node, context: "'marker'", known: ["kind"], required: ["kind"]),
           let kind = fields["kind"].flatMap({ reader.string($0, for: "'kind'") }) {
            schema.marker = MarkerDefinition(kind: kind.value)
        }
        if let node = entries["limits"], let fields = reader.mapping(
            node, context: "'limits'", known: ["batch_size", "requests_per_second", "concurrency"]) {
            schema.limits = Limits(
                batchSize: fields["batch_size"].flatMap { reader.integer($0, for: "'batch_size'") }?.value ?? 1,
                requestsPerSecond: fields["requests_per_second"].flatMap { reader.number($0, for: "'requests_per_second'") }?.value,
                concurrency: fields["concurrency"].flatMap { reader.integer($0, for: "'concurrency'") }?.value ?? 1)
        }
        checkReferences(schema, conditionSites: conditionSites, actionSites: actionSites, reader: &reader)
        return schema
    }

    private static func parameters(_ node: YAMLNode?, context: String, reader: inout ShapeReader) -> [ParameterDefinition] {
        guard let node, let items = reader.list(node, for: context) else { return [] }
        return items.compactMap { item in
            guard let fields = reader.mapping(
                item, context: "a parameter", known: ["name", "kind", "secret", "required", "description"], required: ["name"]),
                let name = fields["name"].flatMap({ reader.string($0, for: "'name'") })
            else { return nil }
            var definition = ParameterDefinition(
                name: name.value,
                secret: fields["secret"].flatMap { reader.bool($0, for: "'secret'") }?.value ?? false,
                required: fields["required"].flatMap { reader.bool($0, for: "'required'") }?.value ?? false,
                description: fields["description"].flatMap { reader.string($0, for: "'description'") }?.value ?? "")
            if let kind = fields["kind"].flatMap({ reader.choice($0, among: ParameterDefinition.Kind.allCases.map(\.rawValue), for: "parameter kind") }) {
                definition.kind = ParameterDefinition.Kind(rawValue: kind.value)!
            }
            return definition
        }
    }

    /// Conditions and actions may only refer to fields and actions the schema defines.
    private static func checkReferences(
        _ schema: AppSchema, conditionSites: [String: SourceRange], actionSites: [String: SourceRange], reader: inout ShapeReader
    ) {
        let fieldNames = schema.fields.map(\.name)
        var seen: Set<String> = []
        for field in schema.fields where !seen.insert(field.name).inserted {
            reader.report(
                DiagnosticCatalog.invalidSchemaReference, "field '\(field.name)' is defined twice", at: field.site?.range)
        }
        for condition in schema.conditions {
            let range = conditionSites[condition.name]
            switch condition.kind {
            case .segment where condition.segment == nil:
                reader.report(DiagnosticCatalog.invalidSchemaReference, "segment condition '\(condition.name)' needs 'segment'", at: range)
            case .fieldIs:
                guard let field = condition.field else {
                    reader.report(DiagnosticCatalog.invalidSchemaReference, "condition '\(condition.name)' needs 'field'", at: range)
                    break
                }
                if schema.field(named: field) == nil {
                    reader.report(
                        DiagnosticCatalog.invalidSchemaReference,
                        "condition '\(condition.name)' refers to unknown field '\(field)'\(Suggestions.didYouMean(field, in: fieldNames))",
                        at: range)
                }
            default: break
            }
        }
        for action in schema.actions {
            let range = actionSites[action.name]
            switch action.kind {
            case .addToSegment, .removeFromSegment:
                if action.segment == nil {
                    reader.report(DiagnosticCatalog.invalidSchemaReference, "segment action '\(action.name)' needs 'segment'", at: range)
                }
            case .setFlag:
                if let field = action.field, schema.field(named: field) != nil, action.value != nil { break }
                reader.report(
                    DiagnosticCatalog.invalidSchemaReference,
                    "flag action '\(action.name)' needs 'field' naming a field of the schema and a 'value'", at: range)
            case .setField:
                break
            }
            if let undo = action.undo, schema.action(named: undo) == nil {
                reader.report(
                    DiagnosticCatalog.invalidSchemaReference,
                    "action '\(action.name)' names unknown undo action '\(undo)'\(Suggestions.didYouMean(undo, in: schema.actions.map(\.name)))",
                    at: range)
            }
        }
    }
}
