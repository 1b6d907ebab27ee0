import AccordChecker
import AccordDiagnostics
import AccordModel
import AccordPlan
import AccordSyntax
import Foundation

/// The compiler driver: finds files, loads app schemas, and runs parse → check → plan.
/// `accord validate`, `accord compile`, the benchmark and the tests all go through it.
public struct Compiler: Sendable {
    /// The loaded app schemas.
    public let schemas: SchemaRegistry
    /// Problems found in the schema files themselves.
    public let schemaDiagnostics: [Diagnostic]
    /// Schema files by path, for diagnostic excerpts.
    public let schemaSources: [String: SourceFile]

    /// Loads every `*.yaml` / `*.yml` app schema directly in `schemasDirectory` (overlays may live
    /// in a subdirectory).
    ///
    /// - Parameter apps: the apps a compilation needs, when known: only the schema files that
    ///   declare one of them (or do not say plainly which app they declare) are parsed. When one
    ///   of them is not found that way, every file is, so the diagnostics are those of a full load.
    public init(schemasDirectory: String, apps: Set<String>? = nil) {
        var loaded = Self.loadSchemas(schemasDirectory, apps: apps)
        if let apps, !apps.isSubset(of: loaded.schemas.map(\.id)) {
            loaded = Self.loadSchemas(schemasDirectory, apps: nil)
        }
        self.schemas = SchemaRegistry(loaded.schemas)
        self.schemaDiagnostics = loaded.diagnostics
        self.schemaSources = loaded.sources
    }

    private static func loadSchemas(
        _ schemasDirectory: String, apps: Set<String>?
    ) -> (schemas: [AppSchema], diagnostics: [Diagnostic], sources: [String: SourceFile]) {
        var diagnostics: [Diagnostic] = []
        var sources: [String: SourceFile] = [:]
        var schemas: [AppSchema] = []
        var firstSite: [String: DeclarationSite] = [:]
        let files = FileDiscovery.yamlFiles(in: [schemasDirectory], recursive: false)
        diagnostics += files.diagnostics
        if files.diagnostics.isEmpty, files.paths.isEmpty {
            diagnostics.append(Diagnostic(
                DiagnosticCatalog.unreadableFile, "no app schemas found in '\(schemasDirectory)'; pass --schemas DIR",
                file: schemasDirectory))
        }
        for path in files.paths {
            switch FileDiscovery.read(path) {
            case .failure(let diagnostic):
                diagnostics.append(diagnostic)
            case .success(let source):
                if let apps, let declared = AppSchemaParser.declaredApp(in: source.text), !apps.contains(declared) { continue }
                sources[path] = source
                let result = AppSchemaParser.parse(source)
                diagnostics += result.diagnostics
                guard let schema = result.schema else { continue }
                if let first = firstSite[schema.id] {
                    diagnostics.append(Diagnostic(
                        DiagnosticCatalog.duplicateAppSchema, "app '\(schema.id)' is already defined by '\(first.file)'",
                        file: path, range: schema.site.range, notes: [first.note("'\(schema.id)' first defined here")]))
                } else {
                    firstSite[schema.id] = schema.site
                    schemas.append(schema)
                }
            }
        }
        return (schemas, diagnostics, sources)
    }

    /// Compiles one connection file, loading only the app schemas it names (all of them when it
    /// cannot be parsed or names an app no schema file declares plainly).
    public static func compile(path: String, schemasDirectory: String) -> (plan: SyncPlan?, unit: Unit, compiler: Compiler) {
        // The file is read and parsed once: first for the apps it names, then checked.
        let source = try? FileDiscovery.read(path).get()
        let parsed = source.map(ConnectionParser.parse)
        let compiler = Compiler(schemasDirectory: schemasDirectory, apps: parsed?.syntax.map { Set($0.apps.compactMap(\.app?.value)) })
        guard let source, let parsed else {
            let (plan, unit) = compiler.compile(path: path)  // reports why the file cannot be read
            return (plan, unit, compiler)
        }
        let (plan, unit) = compiler.planned(compiler.check(source, parsed: parsed))
        return (plan, unit, compiler)
    }

    /// The outcome of compiling one connection file.
    public struct Unit: Sendable {
        public var source: SourceFile?
        public var syntax: ConnectionSyntax?
        public var checked: CheckedConnection?
        public var diagnostics: [Diagnostic]
        /// Overlay files read for this connection, by path.
        public var overlaySources: [String: SourceFile] = [:]
    }

    /// Parses and checks one connection file.
    public func check(path: String) -> Unit {
        switch FileDiscovery.read(path) {
        case .failure(let diagnostic):
            return Unit(source: nil, syntax: nil, checked: nil, diagnostics: [diagnostic])
        case .success(let source):
            return check(source)
        }
    }

    /// Parses and checks one connection file's text.
    public func check(_ source: SourceFile) -> Unit {
        check(source, parsed: ConnectionParser.parse(source))
    }

    private func check(_ source: SourceFile, parsed: ConnectionParser.Result) -> Unit {
        guard let syntax = parsed.syntax else {
            return Unit(source: source, syntax: nil, checked: nil, diagnostics: parsed.diagnostics)
        }
        var diagnostics = parsed.diagnostics
        var overlays: [Side: AppSchemaParser.OverlayResult] = [:]
        var overlaySources: [String: SourceFile] = [:]
        for binding in syntax.apps {
            guard let overlay = binding.overlay else { continue }
            let directory = (source.path as NSString).deletingLastPathComponent
            let path = overlay.value.hasPrefix("/") ? overlay.value : (directory as NSString).appendingPathComponent(overlay.value)
            switch FileDiscovery.read(path) {
            case .failure(let failure):
                diagnostics.append(Diagnostic(
                    DiagnosticCatalog.invalidOverlay, "cannot use overlay '\(overlay.value)': \(failure.message)",
                    file: source.path, range: overlay.range))
            case .success(let overlaySource):
                overlaySources[path] = overlaySource
                overlays[binding.side] = AppSchemaParser.parseOverlay(overlaySource)
            }
        }
        let checked = Checker.check(syntax, schemas: schemas, overlays: overlays)
        diagnostics += checked.diagnostics
        return Unit(
            source: source, syntax: syntax, checked: diagnostics.containsErrors ? nil : checked.connection,
            diagnostics: diagnostics, overlaySources: overlaySources)
    }

    /// The outcome of validating a set of files and directories.
    public struct Validation: Sendable {
        public var units: [Unit]
        /// Every diagnostic: schema problems, per-file problems and cross-file problems.
        public var diagnostics: [Diagnostic]
        /// Every file read, by path, for excerpts.
        public var sources: [String: SourceFile]
        public var filesChecked: Int { units.count }
    }

    /// Validates connection files and directories (searched recursively for `.yaml` / `.yml`).
    public func validate(paths: [String]) -> Validation {
        let files = FileDiscovery.yamlFiles(in: paths)
        var diagnostics = schemaDiagnostics + files.diagnostics
        var sources = schemaSources
        let units = files.paths.map(check(path:))
        for unit in units {
            diagnostics += unit.diagnostics
            if let source = unit.source { sources[source.path] = source }
            sources.merge(unit.overlaySources) { first, _ in first }
        }
        diagnostics += Checker.checkUniqueNames(units.compactMap(\.syntax))
        return Validation(units: units, diagnostics: diagnostics, sources: sources)
    }

    /// Compiles one connection file into a plan; the plan is `nil` when there are errors.
    public func compile(path: String) -> (plan: SyncPlan?, unit: Unit) {
        planned(check(path: path))
    }

    /// A checked unit's plan, with the schema files' problems in front of its own.
    private func planned(_ checked: Unit) -> (plan: SyncPlan?, unit: Unit) {
        var unit = checked
        unit.diagnostics = schemaDiagnostics + unit.diagnostics
        return (unit.checked.map(Planner.plan), unit)
    }
}
