import Foundation
import Testing

/// Kills `accord run` at every write boundary (`ACCORD_FAILPOINT`) and checks that the next runs
/// converge to what an uninterrupted run produces: no duplicate, no lost change, nothing deleted.
@Suite struct CrashTests {
    enum Scenario: String, CaseIterable, Sendable {
        /// First run: creates both ways, links, conflicts at first match.
        case initial
        /// After a clean first run: edits both sides, a conflict, new contacts, a deletion.
        case incremental
    }

    static let failpoints = [
        "before-create", "after-create", "after-create-commit", "before-update", "after-update", "after-update-commit",
        "vcard-file-written", "before-save",
    ]

    static func prepare(_ scenario: Scenario) async throws -> Sandbox {
        // The incremental scenario edits most of its 13 contacts at once, which the default
        // safety budget would hold for review; this test is about crashes, not the budget.
        let sandbox = try Sandbox(rules: """
        rules:
          a-to-b:
            - if: [{field: email, not_empty: true}]
              then: [{add_tag: crm}]
        safety:
          max_updates: {percent: 100}
        """, batchSize: 2)
        var rows = ["id,email,first_name,last_name,company,phone,tags"]
        for i in 0..<6 { rows.append("\(i),a\(i)@example.com,A\(i),Only,Alpha,,") }
        for i in 0..<3 { rows.append("\(10 + i),both\(i)@example.com,Both\(i),FromA,Acme,,customer") }
        try sandbox.writeCSV(rows.joined(separator: "\n") + "\n")
        for i in 0..<4 { try sandbox.writeVCard("b\(i)", ["FN:B\(i) Only", "N:Only;B\(i);;;", "EMAIL:b\(i)@example.com", "NOTE:kept"]) }
        for i in 0..<3 { try sandbox.writeVCard("both\(i)", ["FN:Both\(i) FromB", "N:FromB;Both\(i);;;", "EMAIL:BOTH\(i)@example.com", "TEL:+1 555 010\(i)"]) }
        guard scenario == .incremental else { return sandbox }

        let first = try sandbox.accord(["run"])
        try #require(first.status == 0, "\(first.stderr)")
        // Edits on both sides, as users would make them between runs.
        var csv = try String(contentsOfFile: sandbox.csv, encoding: .utf8)
        csv = csv.replacingOccurrences(of: "Alpha", with: "Alpha 2")
            .replacingOccurrences(of: "Both0,FromA", with: "Both0,Conflict-A")
            .replacingOccurrences(of: "Both2,FromA,Acme", with: "Both2,FromA,Acme Two")  // and b edits another field of this pair
        // New rows follow the header accord wrote (it adds columns for the fields it fills).
        let header = csv.split(whereSeparator: \.isNewline)[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        for i in 0..<3 {
            let row = ["id": "\(20 + i)", "email": "new-a\(i)@example.com", "first_name": "NewA\(i)", "last_name": "Late", "company": "Beta"]
            csv += header.map { row[$0] ?? "" }.joined(separator: ",") + "\r\n"
        }
        try sandbox.writeCSV(csv)
        for name in try FileManager.default.contentsOfDirectory(atPath: sandbox.vcards) {
            let path = sandbox.vcards + "/" + name
            var card = try String(contentsOfFile: path, encoding: .utf8)
            if card.contains("both0@") || card.contains("BOTH0@") { card = card.replacingOccurrences(of: "N:FromB;", with: "N:Conflict-B;") }
            if card.contains("both1@") || card.contains("BOTH1@") { card = card.replacingOccurrences(of: "TEL:+1 555 0101", with: "TEL:+1 555 9999") }
            if card.contains("both2@") || card.contains("BOTH2@") { card = card.replacingOccurrences(of: "TEL:+1 555 0102", with: "TEL:+1 555 7777") }
            if card.contains("b3@example.com") { try FileManager.default.removeItem(atPath: path); continue }
            try card.write(toFile: path, atomically: true, encoding: .utf8)
        }
        for i in 0..<2 { try sandbox.writeVCard("new-b\(i)", ["FN:NewB\(i) Late", "N:Late;NewB\(i);;;", "EMAIL:new-b\(i)@example.com"]) }
        return sandbox
    }

    /// Runs until a run succeeds, then checks that one more run writes nothing.
    static func converge(_ sandbox: Sandbox) throws {
        var output = try sandbox.accord(["run"])
        if output.status != 0 { output = try sandbox.accord(["run"]) }
        #expect(output.status == 0, "\(output.stderr)")
        let again = try sandbox.accord(["run"])
        #expect(again.stdout.contains("created 0 a→b / 0 b→a, updated 0 a→b / 0 b→a, 0 markers"), "\(again.stdout)")
    }

    @Test(arguments: Scenario.allCases, failpoints)
    func convergesAfterACrash(scenario: Scenario, failpoint: String) async throws {
        let reference = try await Self.prepare(scenario)
        defer { reference.remove() }
        try Self.converge(reference)
        let expected = (a: try await reference.contents("a"), b: try await reference.contents("b"))
        #expect(expected.a.count == (scenario == .initial ? 13 : 18) && expected.b.count == (scenario == .initial ? 13 : 17))

        var crashes = 0
        for count in 1...4 {
            let sandbox = try await Self.prepare(scenario)
            defer { sandbox.remove() }
            let crashed = try sandbox.accord(["run"], environment: ["ACCORD_FAILPOINT": "\(failpoint):\(count)"])
            if crashed.status == 99 { crashes += 1 } else { #expect(crashed.status == 0, "\(crashed.stderr)") }
            try Self.converge(sandbox)
            #expect(try await sandbox.contents("a") == expected.a, "crash at \(failpoint):\(count)")
            let actualB = try await sandbox.contents("b")
            #expect(actualB == expected.b, "crash at \(failpoint):\(count): missing \(Set(expected.b).subtracting(actualB)), unexpected \(Set(actualB).subtracting(expected.b))")
            for side in ["a", "b"] {
                let emails = try await sandbox.emails(side)
                #expect(Set(emails).count == emails.count, "a duplicate in \(side) after a crash at \(failpoint):\(count)")
            }
            if crashed.status != 99 { break }
        }
        #expect(crashes > 0, "the failpoint '\(failpoint)' was never reached")
    }
}
