import AccordCompiler
import AccordDiagnostics
import Foundation
import Testing

/// One fixture under `Fixtures/diagnostics`: a connection file, or a directory of connections
/// (with its own `schemas/` when the fixture is about app schemas). Its name starts with the
/// code it must produce; `<name>.txt` beside it holds the expected text output.
struct DiagnosticFixture: CustomTestStringConvertible, Sendable {
    var name: String
    var path: String

    var code: String { String(name.prefix(5)) }
    var golden: String { (path.hasSuffix(".yaml") ? String(path.dropLast(5)) : path) + ".txt" }
    var testDescription: String { name }

    static let directory = packageRoot + "/Tests/AccordCompilerTests/Fixtures/diagnostics"

    static let all: [DiagnosticFixture] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.first == "C" || $0.first == "S" }.filter { !$0.hasSuffix(".txt") }.sorted()
            .map { DiagnosticFixture(name: $0, path: directory + "/" + $0) }
    }()

    func run() -> (output: String, codes: Set<String>) {
        let ownSchemas = path + "/schemas"
        let compiler = FileManager.default.fileExists(atPath: ownSchemas) ? Compiler(schemasDirectory: ownSchemas) : repositoryCompiler
        let inputs = FileManager.default.fileExists(atPath: path + "/connections") ? [path + "/connections"] : [path]
        let validation = compiler.validate(paths: inputs)
        return (
            renderRelative(validation.diagnostics, sources: validation.sources, filesChecked: validation.filesChecked),
            Set(validation.diagnostics.map(\.code.rawValue)))
    }
}

@Suite struct GoldenDiagnosticsTests {
    @Test(arguments: DiagnosticFixture.all)
    func fixtureMatchesGolden(_ fixture: DiagnosticFixture) {
        let (output, codes) = fixture.run()
        #expect(codes.contains(fixture.code), "fixture \(fixture.name) did not produce \(fixture.code); got \(codes.sorted())")
        assertGolden(output, path: fixture.golden)
    }

    /// Codes that need a file system state a fixture cannot hold are covered by tests in
    /// `RobustnessTests` (C1000 missing path, C1008 huge file, C1009 empty directory).
    static let inlineCodes: Set<String> = ["C1000", "C1008", "C1009"]

    /// Run-time codes (`R…`) come from talking to apps, not from files: the HTTP and CardDAV
    /// suites (`HTTPClientTests`, `CardDAVTests`) produce each of them against real servers.
    @Test func everyCodeHasAFixture() {
        let covered = Set(DiagnosticFixture.all.map(\.code)).union(Self.inlineCodes)
        let missing = DiagnosticCatalog.all.map(\.rawValue).filter { !covered.contains($0) && !$0.hasPrefix("R") }
        #expect(missing.isEmpty, "codes without a golden fixture: \(missing)")
    }
}
