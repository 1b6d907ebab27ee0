import AccordCompiler
import AccordDiagnostics
import Foundation
import Testing

/// Hostile and broken inputs: each gets a clear diagnostic, never a crash, a hang or a blow-up.
@Suite struct RobustnessTests {
    func codes(_ text: String, file: String = "input.yaml") -> [String] {
        repositoryCompiler.check(SourceFile(path: file, text: text)).diagnostics.map(\.code.rawValue)
    }

    @Test func missingPathIsReported() {
        let validation = repositoryCompiler.validate(paths: ["/nonexistent/accord/connections"])
        let diagnostic = validation.diagnostics.first { $0.code == DiagnosticCatalog.unreadableFile }
        #expect(diagnostic?.message == "no such file or directory")
        #expect(diagnostic?.file == "/nonexistent/accord/connections")
    }

    @Test func emptyDirectoryIsAWarning() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let validation = repositoryCompiler.validate(paths: [directory])
        #expect(validation.diagnostics.map(\.code) == [DiagnosticCatalog.noConnectionFiles])
        #expect(!validation.diagnostics.containsErrors)
    }

    @Test func tenMegabyteFileIsRefusedWithoutReadingItWhole() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/huge.yaml"
        let line = "key_\(UUID().uuidString): value value value value value value value value\n"
        let text = String(repeating: line, count: 10 * 1_048_576 / line.utf8.count + 1)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        let validation = repositoryCompiler.validate(paths: [path])
        let diagnostic = try #require(validation.diagnostics.first)
        #expect(diagnostic.code == DiagnosticCatalog.fileTooLarge)
        #expect(diagnostic.message.hasPrefix("file is 10.0 MiB"))
    }

    @Test func invalidUTF8IsRefused() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/latin1.yaml"
        try Data("connection: M".utf8 + [0xFC] + "ller\n".utf8).write(to: URL(fileURLWithPath: path))
        let validation = repositoryCompiler.validate(paths: [path])
        #expect(validation.diagnostics.map(\.message) == ["file is not UTF-8 text: invalid byte sequence at offset 13"])
    }

    @Test func byteOrderMarkIsAccepted() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/bom.yaml"
        let text = try String(contentsOfFile: packageRoot + "/connections/demo.yaml", encoding: .utf8)
        try Data([0xEF, 0xBB, 0xBF] + Array(text.utf8)).write(to: URL(fileURLWithPath: path))
        #expect(repositoryCompiler.validate(paths: [path]).diagnostics.isEmpty)
    }

    @Test(arguments: [
        ("", "C1003"),
        ("   \n# comment\n", "C1003"),
        ("connection: x\n\tapps: {}\n", "C1001"),
        ("connection: [unclosed\n", "C1001"),
        ("a: 1\na: 2\n", "C1002"),
        ("connection: a\n---\nconnection: b\n", "C1005"),
        ("- just\n- a list\n", "C1011"),
        ("connection: x\nnested: " + String(repeating: "[", count: 2_000) + String(repeating: "]", count: 2_000) + "\n", "C1006"),
        ("x: &a [1, 2]\n*a : 3\n", "C1007"),
        ("x: &a {k: v}\n? *a\n: 3\n", "C1007"),
    ])
    func brokenYAMLGetsItsCode(_ text: String, _ code: String) {
        #expect(codes(text).contains(code), "\(codes(text))")
    }

    @Test func deepBlockNestingIsRefused() {
        var text = "connection: x\n"
        for depth in 0..<200 { text += String(repeating: "  ", count: depth) + "k\(depth):\n" }
        #expect(codes(text).contains("C1006"))
    }

    @Test func aliasBombIsRefusedQuickly() {
        var lines = ["connection: bomb", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for level in 1...20 {
            lines.append("a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]")
        }
        let start = ContinuousClock.now
        #expect(codes(lines.joined(separator: "\n")) == ["C1007"])
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test func smallAliasesAreExpanded() {
        let text = """
        connection: aliases
        apps:
          a: &csv {app: csv, settings: {path: a.csv}}
          b: *csv
        direction: a-to-b
        """
        #expect(codes(text).isEmpty)
    }

    @Test func directoryWithAThousandFiles() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for index in 0..<1_000 {
            let text = """
            connection: c\(index)
            apps:
              a: {app: csv, settings: {path: a\(index).csv}}
              b: {app: vcard-dir, settings: {path: b\(index)}}
            direction: a-to-b
            """
            try text.write(toFile: directory + String(format: "/c%04d.yaml", index), atomically: false, encoding: .utf8)
        }
        let validation = repositoryCompiler.validate(paths: [directory])
        #expect(validation.filesChecked == 1_000)
        #expect(validation.diagnostics.isEmpty)
    }

    @Test func columnsCountCharactersNotBytes() {
        let text = "connection: x\napps:\n  a: {app: csv, settings: {path: 'Müllerstraße.csv'}, contact_typ: contacts}\n"
        let diagnostic = repositoryCompiler.check(SourceFile(path: "umlaut.yaml", text: text)).diagnostics
            .first { $0.code == DiagnosticCatalog.unknownKey }
        // 55 characters in; counting UTF-8 bytes would give 57.
        #expect(diagnostic?.location == AccordDiagnostics.SourceLocation(line: 3, column: 55))
    }
}

/// Mutates the example connections many times (byte flips, truncations, key swaps, line
/// shuffles) and checks that the compiler always answers with diagnostics, never a crash.
@Suite struct FuzzTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let keys = ["connection", "apps", "direction", "winner", "rules", "mappings", "if", "then", "field", "app", "auth",
                       "env", "a", "b", "any", "all", "values", "custom", "toggles", "undo", "subset", "&x", "*x", "- ", ": ", "[", "{", "\t"]

    static func mutate(_ text: String, using generator: inout Generator) -> String {
        var bytes = Array(text.utf8)
        switch Int.random(in: 0..<5, using: &generator) {
        case 0:
            for _ in 0..<Int.random(in: 1...8, using: &generator) where !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
        case 1:
            bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator)))
        case 2:
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.count > 1 {
                let i = Int.random(in: 0..<lines.count, using: &generator), j = Int.random(in: 0..<lines.count, using: &generator)
                lines.swapAt(i, j)
            }
            bytes = Array(lines.joined(separator: "\n").utf8)
        case 3:
            var result = text
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let from = keys.randomElement(using: &generator)!, to = keys.randomElement(using: &generator)!
                if let range = result.range(of: from) { result.replaceSubrange(range, with: to) }
            }
            bytes = Array(result.utf8)
        default:
            let insert = Array(keys.randomElement(using: &generator)!.utf8)
            bytes.insert(contentsOf: insert, at: Int.random(in: 0...bytes.count, using: &generator))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test(arguments: PlanTests.examples)
    func mutatedExamplesNeverCrash(_ name: String) throws {
        let original = try String(contentsOfFile: packageRoot + "/connections/" + name, encoding: .utf8)
        var generator = Generator(state: UInt64(name.utf8.reduce(0) { $0 &* 31 &+ Int($1) }.magnitude))
        var sawErrors = 0
        for iteration in 0..<400 {
            let text = Self.mutate(original, using: &generator)
            let unit = repositoryCompiler.check(SourceFile(path: "\(name)#\(iteration)", text: text))
            if unit.diagnostics.containsErrors {
                sawErrors += 1
                #expect(unit.checked == nil)
            }
            for diagnostic in unit.diagnostics {
                #expect(!diagnostic.message.isEmpty)
                if let location = diagnostic.location { #expect(location.line >= 1 && location.column >= 1) }
            }
            // Rendering must not trap on any location either.
            _ = DiagnosticFormat.text.render(unit.diagnostics, sources: ["\(name)#\(iteration)": SourceFile(path: "", text: text)], filesChecked: 1)
        }
        #expect(sawErrors > 100)
    }
}
