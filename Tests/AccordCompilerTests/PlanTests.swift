import AccordCompiler
import AccordSyntax
import AccordPlan
import Foundation
import Testing

/// Every example connection compiles, and its plan matches the golden plan under `Fixtures/plans`.
@Suite struct PlanTests {
    static let examples: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: packageRoot + "/connections")) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted()
    }()

    @Test func examplesExist() {
        #expect(Self.examples.count >= 5)
    }

    @Test(arguments: examples)
    func exampleCompilesToGoldenPlan(_ name: String) throws {
        let (plan, unit) = repositoryCompiler.compile(path: packageRoot + "/connections/" + name)
        #expect(unit.diagnostics.isEmpty, "\(unit.diagnostics.map(\.message))")
        let compiled = try #require(plan)
        let golden = packageRoot + "/Tests/AccordCompilerTests/Fixtures/plans/" + name.replacingOccurrences(of: ".yaml", with: ".plan.json")
        assertGolden(compiled.canonicalJSON(), path: golden)
    }

    /// `accord run` loads only the schemas a connection names; the plan is the one a full load gives.
    @Test(arguments: examples)
    func compilingWithOnlyTheNamedSchemasGivesTheSamePlan(_ name: String) throws {
        let path = packageRoot + "/connections/" + name
        let selective = Compiler.compile(path: path, schemasDirectory: packageRoot + "/schemas")
        #expect(selective.compiler.schemas.ids.count == Set(selective.unit.syntax?.apps.compactMap(\.app?.value) ?? []).count)
        let full = try #require(repositoryCompiler.compile(path: path).plan)
        #expect(try #require(selective.plan).canonicalJSON() == full.canonicalJSON())
    }

    /// An app no schema file declares makes the compiler load them all, for "did you mean".
    @Test func anUnknownAppStillGetsEveryCandidate() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/typo.yaml"
        try "connection: typo\napps:\n  a: {app: hubspt}\n  b: {app: mailchimp}\ndirection: two-way\nwinner: a\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let (plan, unit, compiler) = Compiler.compile(path: path, schemasDirectory: packageRoot + "/schemas")
        #expect(plan == nil && compiler.schemas.ids == repositoryCompiler.schemas.ids)
        #expect(unit.diagnostics.contains { $0.message.contains("hubspt") && $0.fixIts.contains { $0.replacement == "hubspot" } })
    }

    @Test(arguments: [
        ("app: hubspot\nname: HubSpot\n", "hubspot"), ("# comment\napp: 'csv' # the file\n", "csv"), ("app: \"vcard-dir\"\n", "vcard-dir"),
        ("name: x\n  app: nested\n", nil), ("app:\n  - odd\n", nil), ("# c\r\napp: csv\r\nname: x\r\n", "csv"), ("name: x\napp: csv", "csv"),
    ] as [(String, String?)])
    func aSchemaFileSaysWhichAppItDeclares(_ text: String, _ app: String?) {
        #expect(AppSchemaParser.declaredApp(in: text) == app)
    }

    @Test func fingerprintIsStableAndCoversThePlan() throws {
        let path = packageRoot + "/connections/demo.yaml"
        let first = try #require(repositoryCompiler.compile(path: path).plan)
        let second = try #require(repositoryCompiler.compile(path: path).plan)
        #expect(first.fingerprint == second.fingerprint)
        #expect(first.fingerprint.hasPrefix("sha256:") && first.fingerprint.count == 71)
        #expect(first.computedFingerprint == first.fingerprint)

        var changed = first
        changed.paused = true
        #expect(changed.computedFingerprint != first.fingerprint)
    }

    @Test func canonicalJSONRoundTrips() throws {
        let plan = try #require(repositoryCompiler.compile(path: packageRoot + "/connections/hubspot-mailchimp.yaml").plan)
        let decoded = try JSONDecoder().decode(SyncPlan.self, from: Data(plan.canonicalJSON().utf8))
        #expect(decoded == plan)
        #expect(decoded.canonicalJSON() == plan.canonicalJSON())
    }

    @Test func equivalentRuleSpellingsLowerToOnePlan() throws {
        func plan(_ rules: String) throws -> SyncPlan {
            let text = """
            connection: same
            apps:
              a: {app: csv, settings: {path: a.csv}}
              b: {app: vcard-dir, settings: {path: b}}
            direction: a-to-b
            rules:
              a-to-b:
            \(rules)
            """
            let unit = repositoryCompiler.check(.init(path: "inline.yaml", text: text))
            #expect(unit.diagnostics.isEmpty, "\(unit.diagnostics.map(\.message))")
            return Planner.plan(try #require(unit.checked))
        }
        let list = try plan("    - if: [{has_tag: x}, {has_tag: y}]")
        let group = try plan("    - if: {all: [{has_tag: x}, {all: [{has_tag: y}]}]}")
        #expect(list.fingerprint == group.fingerprint)
    }
}

/// Examples validate against the JSON Schema editors use, and the JSON Schema rejects mistakes.
@Suite struct JSONSchemaTests {
    static let script = """
    import json, sys, yaml, jsonschema
    schema = json.load(open(sys.argv[1]))
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    failed = 0
    for path in sys.argv[2:]:
        errors = list(validator.iter_errors(yaml.safe_load(open(path))))
        for error in errors:
            print(path, list(error.path), error.message)
        failed += bool(errors)
    print("invalid", failed)
    """

    /// Runs the Python jsonschema validator (installed by .ci/run) over `files`.
    func validate(_ files: [String]) throws -> (output: String, invalid: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, packageRoot + "/schemas/connection.schema.json"] + files
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        try #require(process.terminationStatus == 0, "python3 with jsonschema and PyYAML is needed (pip install jsonschema pyyaml): \(output)")
        let last = output.split(separator: "\n").last ?? ""
        return (output, Int(last.split(separator: " ").last ?? "") ?? -1)
    }

    @Test func everyExampleValidatesAgainstTheJSONSchema() throws {
        let files = PlanTests.examples.map { packageRoot + "/connections/" + $0 }
        let result = try validate(files)
        #expect(result.invalid == 0, "\(result.output)")
    }

    @Test func everyExampleCarriesTheModeline() throws {
        for name in PlanTests.examples {
            let text = try String(contentsOfFile: packageRoot + "/connections/" + name, encoding: .utf8)
            #expect(text.hasPrefix("# yaml-language-server: $schema=../schemas/connection.schema.json\n"), "\(name)")
        }
    }

    @Test func theJSONSchemaRejectsMistakes() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let broken = [
            "connection: x\napps: {a: {app: csv}, b: {app: csv}}\ndirection: two_way\n",
            "connection: x\napps: {a: {app: csv}, b: {app: csv}}\ndirection: a-to-b\ndirction: a-to-b\n",
            "connection: x\napps: {a: {app: csv, auth: {token: {env: 1X}}}, b: {app: csv}}\ndirection: a-to-b\n",
        ]
        var files: [String] = []
        for (index, text) in broken.enumerated() {
            let path = directory + "/broken\(index).yaml"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
        }
        #expect(try validate(files).invalid == broken.count)
    }
}

/// `docs/diagnostics.md` is generated from the catalogue and must stay in step with it.
@Suite struct DocumentationTests {
    @Test func diagnosticsReferenceIsCurrent() {
        assertGolden(DiagnosticDocumentation.catalogue(), path: packageRoot + "/docs/diagnostics.md")
    }
}

extension DocumentationTests {
    @Test func compatibilityTableIsCurrent() {
        assertGolden(CompatibilityDocumentation.table(), path: packageRoot + "/docs/compatibility.md")
    }
}
