import AccordCompiler
import AccordConnectors
import AccordDiagnostics
import AccordPlan
import AccordRunner
import AccordStore
import Foundation
import Testing

/// A connection between a real CSV file (a) and a real folder of vCards (b) in a temporary
/// folder of its own, run through `Runner` with a state store in memory: scenarios on the files
/// users have.
struct LocalApps {
    let directory: String
    let store: StateStore
    let connection: String
    var csv: String { directory + "/crm.csv" }
    var cards: String { directory + "/cards" }

    /// - Parameters:
    ///   - body: connection YAML after `apps:` (direction, winner, mappings, rules...).
    ///   - csvSettings / cardSettings: extra settings of each app, as YAML flow entries.
    init(_ body: String = "direction: two-way\nwinner: a", csvSettings: String = "", cardSettings: String = "", csvCustom: String = "", cardCustom: String = "") throws {
        directory = NSTemporaryDirectory() + "accord-local-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory + "/cards", withIntermediateDirectories: true)
        store = try StateStore()
        connection = """
        connection: local
        apps:
          a:
            app: csv
            settings: {path: crm.csv\(csvSettings.isEmpty ? "" : ", " + csvSettings)}
        \(csvCustom.isEmpty ? "" : "    custom_fields: " + csvCustom)
          b:
            app: vcard-dir
            settings: {path: cards\(cardSettings.isEmpty ? "" : ", " + cardSettings)}
        \(cardCustom.isEmpty ? "" : "    custom_fields: " + cardCustom)
        \(body)
        """
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    func plan(_ connection: String? = nil) throws -> SyncPlan {
        let unit = compiler.check(SourceFile(path: directory + "/local.yaml", text: connection ?? self.connection))
        #expect(!unit.diagnostics.containsErrors, "\(unit.diagnostics.map(\.message))")
        return Planner.plan(try #require(unit.checked))
    }

    /// One run (a dry run leaves everything as it is).
    @discardableResult
    func run(_ options: RunOptions = RunOptions(), connection: String? = nil) async throws -> RunReport {
        let plan = try plan(connection)
        let a = try ConnectorFactory.make(plan.app(.a), baseDirectory: directory)
        let b = try ConnectorFactory.make(plan.app(.b), baseDirectory: directory)
        return try await Runner(plan: plan, a: a, b: b, store: store, baseDirectory: directory).run(options)
    }

    // MARK: - The files

    func writeCSV(_ lines: [String], lineEnd: String = "\r\n") throws {
        try (lines.joined(separator: lineEnd) + lineEnd).write(toFile: csv, atomically: true, encoding: .utf8)
    }

    func readCSV() throws -> String { try String(contentsOfFile: csv, encoding: .utf8) }

    /// Writes a card made of `lines` (between BEGIN and END) as `name`.vcf.
    func writeCard(_ name: String, _ lines: [String]) throws {
        try writeCardBytes(name, Array((["BEGIN:VCARD"] + lines + ["END:VCARD"]).map { $0 + "\r\n" }.joined().utf8))
    }

    func writeCardBytes(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: cards + "/" + name + ".vcf"))
    }

    /// The text of every card, by file name.
    func cardTexts() throws -> [String: String] {
        var texts: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: cards) where name.hasSuffix(".vcf") {
            texts[name] = String(decoding: try Data(contentsOf: URL(fileURLWithPath: cards + "/" + name)), as: UTF8.self)
        }
        return texts
    }

    /// The text of the one card holding `needle`.
    func card(containing needle: String) throws -> String {
        let matching = try cardTexts().values.filter { $0.contains(needle) }
        #expect(matching.count == 1, "\(matching.count) cards hold '\(needle)'")
        return matching.first ?? ""
    }

    /// The lines of the CSV file, split on line ends.
    func csvLines() throws -> [String] {
        try readCSV().split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
    }

    func health() throws -> [HealthEntry] { try store.health("local") }
}

/// The property lines of a card's text that start with `name` (`EMAIL`, `TEL;TYPE=cell`...).
func lines(_ card: String, _ name: String) -> [String] {
    card.components(separatedBy: "\r\n").filter { $0.uppercased().hasPrefix(name.uppercased()) }
}
