import AccordDiagnostics
import AccordModel
import AccordSyntax

/// The check stage: binds a connection's names to app schemas and checks fields, types,
/// directions, rules and options. Pure: it reads no files and collects every diagnostic.
public enum Checker {
    public struct Result: Sendable {
        /// `nil` when an error makes the connection impossible to plan.
        public var connection: CheckedConnection?
        public var diagnostics: [Diagnostic]
    }

    /// Checks one connection.
    ///
    /// - Parameters:
    ///   - syntax: the parsed connection file.
    ///   - schemas: the known app schemas.
    ///   - overlays: schema overlays named by `apps.a.overlay` / `apps.b.overlay`, already read.
    public static func check(
        _ syntax: ConnectionSyntax, schemas: SchemaRegistry, overlays: [Side: AppSchemaParser.OverlayResult] = [:]
    ) -> Result {
        var context = CheckContext(file: syntax.file)
        let direction = syntax.direction?.value ?? .twoWay

        var apps: [Side: ResolvedApp] = [:]
        for binding in syntax.apps {
            if let app = context.resolveApp(binding, schemas: schemas, overlay: overlays[binding.side]) {
                apps[binding.side] = app
            }
        }
        if direction == .twoWay, syntax.winner == nil, syntax.direction != nil {
            context.report(
                DiagnosticCatalog.missingWinner,
                "a two-way connection needs a winning app to settle conflicts; add 'winner: a' or 'winner: b'",
                at: syntax.direction?.range)
        }
        guard let a = apps[.a], let b = apps[.b], let name = syntax.name?.value, syntax.direction != nil else {
            return Result(connection: nil, diagnostics: context.diagnostics)
        }

        let avoidDuplicates = syntax.avoidDuplicates?.value ?? true
        var mappingCheck = MappingCheck(context: context, a: a, b: b, direction: direction, avoidDuplicates: avoidDuplicates)
        let mappings = mappingCheck.check(syntax.mappings)
        context = mappingCheck.context

        var ruleCheck = RuleCheck(context: context, a: a, b: b, direction: direction, mappings: mappings)
        let rules = ruleCheck.check(syntax.rules)
        context = ruleCheck.context

        context.checkRequiredFields(apps: [a, b], direction: direction, mappings: mappings, rules: rules, syntax: syntax)
        let deletions = context.markerOption(
            syntax.syncDeletions, apps: [a, b], direction: direction, defaultMarker: "Accord Trash",
            detects: \.deletions, code: DiagnosticCatalog.deletionsUnsupported, event: "deletions")
        let unsubscribes = context.markerOption(
            syntax.syncUnsubscribes, apps: [a, b], direction: direction, defaultMarker: "Accord Unsubscribes",
            detects: \.unsubscribes, code: DiagnosticCatalog.unsubscribesUnsupported, event: "unsubscribes")

        let connection = CheckedConnection(
            name: name, file: syntax.file, description: syntax.description?.value,
            paused: syntax.paused?.value ?? false, apps: [a, b], direction: direction,
            winner: direction == .twoWay ? syntax.winner?.value : nil,
            avoidDuplicates: avoidDuplicates, syncDeletions: deletions, syncUnsubscribes: unsubscribes,
            mappings: mappings, rules: rules, safety: syntax.safety?.value ?? .defaults)
        return Result(
            connection: context.diagnostics.containsErrors ? nil : connection, diagnostics: context.diagnostics)
    }

    /// Reports connection names used by more than one file, pointing at the first use.
    public static func checkUniqueNames(_ connections: [ConnectionSyntax]) -> [Diagnostic] {
        var firstByName: [String: (file: String, range: SourceRange)] = [:]
        var diagnostics: [Diagnostic] = []
        for connection in connections {
            guard let name = connection.name else { continue }
            if let first = firstByName[name.value] {
                diagnostics.append(Diagnostic(
                    DiagnosticCatalog.duplicateConnectionName,
                    "connection name '\(name.value)' is already used by '\(first.file)'; connection names must be unique",
                    file: connection.file, range: name.range,
                    notes: [Note("'\(name.value)' first used here", file: first.file, range: first.range)]))
            } else {
                firstByName[name.value] = (connection.file, name.range)
            }
        }
        return diagnostics
    }
}

/// The state shared by the checks of one connection: its file and the diagnostics so far.
struct CheckContext {
    let file: String
    var diagnostics: [Diagnostic] = []

    mutating func report(
        _ code: DiagnosticCode, _ message: String, at range: SourceRange?, notes: [Note] = [], fixIts: [FixIt] = []
    ) {
        diagnostics.append(Diagnostic(code, message, file: file, range: range, notes: notes, fixIts: fixIts))
    }

    mutating func report(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }

    /// Resolves a field name of an app, reporting an unknown one with a did-you-mean.
    mutating func field(_ name: Located<String>, in app: ResolvedApp) -> FieldDefinition? {
        let fields = app.schema.fields(for: app.contactType)
        if let field = fields.first(where: { $0.name == name.value }) { return field }
        let suggestion = Suggestions.bestMatch(for: name.value, in: fields.map(\.name))
        report(
            DiagnosticCatalog.unknownField,
            "app '\(app.schema.id)' (\(app.side.rawValue)) has no field '\(name.value)'"
                + (suggestion.map { "; did you mean '\($0)'?" } ?? "; `accord schema show \(app.schema.id)` lists its fields"),
            at: name.range,
            fixIts: suggestion.map { [FixIt.replace(name.value, with: $0, at: name.range)] } ?? [])
        return nil
    }
}
