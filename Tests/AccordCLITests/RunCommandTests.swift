import Foundation
import Testing

/// `accord run`, `health`, `activity`, `pause`, `resume`, `retry` on local apps, through the binary.
@Suite struct RunCommandTests {
    static let csv = """
    id,email,first_name,last_name,company,tags
    1,ann@example.com,Ann,Lee,ACME,customer
    2,bob@example.com,Bob,Ray,Initech,
    3,,No,Mail,,
    """

    func makeSandbox() throws -> Sandbox {
        let sandbox = try Sandbox(rules: """
        rules:
          a-to-b:
            - if: [{has_tag: customer}]
              then: [{add_tag: crm}]
            - if: [{field: company, equals: Initech}]
          b-to-a:
            - if: [{exists_in_other_app: true}]
        """)
        try sandbox.writeCSV(Self.csv)
        try sandbox.writeVCard("ann", ["FN:Ann Lee", "N:Lee;Ann;;;", "EMAIL:ANN@example.com", "TEL:+1 555 0100", "BDAY:1980-02-03"])
        try sandbox.writeVCard("cid", ["FN:Cid Moe", "N:Moe;Cid;;;", "EMAIL:cid@example.com"])
        return sandbox
    }

    @Test func dryRunPrintsFieldChangesAndWritesNothing() throws {
        let sandbox = try makeSandbox()
        defer { sandbox.remove() }
        let before = try sandbox.fingerprint()
        let output = try sandbox.accord(["run", "--dry-run"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("sandbox: dry run, nothing written"))
        #expect(output.stdout.contains("  a-to-b:\n    create bob@example.com\n"))
        #expect(output.stdout.contains("      tag: +'crm'"))
        #expect(!output.stdout.contains("#tag"))  // segments show as segments, not as internal keys
        #expect(output.stdout.contains("created 1 a→b / 0 b→a"))
        #expect(try sandbox.fingerprint() == before)
        let activity = try sandbox.accord(["activity", "sandbox"])
        #expect(activity.status == 0 && activity.stdout.isEmpty)
    }

    /// Once a run is over the state is one file: the store is closed and its log folded in,
    /// although the finished run's tables are freed in the background.
    @Test func aFinishedRunLeavesOnlyTheStateFile() throws {
        let sandbox = try makeSandbox()
        defer { sandbox.remove() }
        for _ in 0..<2 {
            let output = try sandbox.accord(["run"])
            #expect(output.status == 0, "\(output.stderr)")
            let files = try FileManager.default.contentsOfDirectory(atPath: sandbox.directory).filter { $0.hasPrefix("state.sqlite") }
            #expect(files == ["state.sqlite"])
        }
    }

    @Test func runHealthActivityInTextAndJSON() async throws {
        let sandbox = try makeSandbox()
        defer { sandbox.remove() }
        let first = try sandbox.accord(["run", "--format", "json"])
        #expect(first.status == 0, "\(first.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        let counts = try #require(report["counts"] as? [String: Int])
        #expect(counts["created_a_to_b"] == 1 && counts["linked"] == 1 && counts["excluded"] == 2)
        #expect(report["fullScan"] as? Bool == true)
        #expect(try await sandbox.contents("b").contains(
            "bday=1980-02-03 email=ANN@example.com family_name=Lee formatted_name=Ann Lee given_name=Ann org=ACME tel=+1 555 0100 #tag=crm"))
        #expect(try await sandbox.contents("a").contains("company=ACME email=ann@example.com first_name=Ann last_name=Lee phone=+1 555 0100 #tag=customer"))

        let second = try sandbox.accord(["run"])
        #expect(second.stdout.contains("incremental, created 0 a→b / 0 b→a, updated 0 a→b / 0 b→a"))

        let health = try sandbox.accord(["health", "sandbox"])
        #expect(health.stdout.contains("sandbox: 2 in sync"))
        #expect(health.stdout.contains("  the contact has no email address (1)\n    a 3\n"))
        #expect(health.stdout.contains("  it matches no b-to-a rule (1)\n    b cid <cid@example.com>\n"))
        let healthJSON = try #require(try JSONSerialization.jsonObject(with: Data(try sandbox.accord(["health", "sandbox", "--format", "json"]).stdout.utf8)) as? [String: Any])
        #expect(healthJSON["in_sync"] as? Int == 2)

        let activity = try sandbox.accord(["activity", "sandbox"]).stdout.split(separator: "\n")
        #expect(activity.count == 2)
        #expect(activity[0].contains("#2 ") && activity[0].contains(" ok incremental "))
        #expect(activity[1].contains(" ok full ") && activity[1].contains("created_a_to_b=1"))
        let runs = try #require(try JSONSerialization.jsonObject(with: Data(try sandbox.accord(["activity", "sandbox", "--format", "json"]).stdout.utf8)) as? [[String: Any]])
        #expect(runs.count == 2)
    }

    @Test func pauseResumeAndRetry() throws {
        let sandbox = try makeSandbox()
        defer { sandbox.remove() }
        #expect(try sandbox.accord(["pause", "sandbox"]).stdout == "sandbox: paused\n")
        let before = try sandbox.fingerprint()
        let paused = try sandbox.accord(["run"])
        #expect(paused.status == 0)
        #expect(paused.stderr.contains("skipped: the connection is paused"))
        #expect(try sandbox.fingerprint() == before)
        #expect(try sandbox.accord(["resume", "sandbox"]).stdout == "sandbox: resumed\n")
        #expect(try sandbox.accord(["run"]).stdout.contains("created 1 a→b"))
        #expect(try sandbox.accord(["retry", "sandbox"]).stdout.contains("will be retried at the next run"))
    }

    @Test func malformedRowFailsTheRunWithItsLineAndKeepsState() throws {
        let sandbox = try makeSandbox()
        defer { sandbox.remove() }
        #expect(try sandbox.accord(["run"]).status == 0)
        let synced = try String(contentsOfFile: sandbox.csv, encoding: .utf8)
        // accord keeps the file's layout: the sample has no final line end.
        try sandbox.writeCSV(synced + (synced.hasSuffix("\n") ? "" : "\n") + "4,\"dan@example.com,Dan\n")
        let failed = try sandbox.accord(["run"])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("cannot list app 'csv' (a)"))
        #expect(failed.stderr.contains("a.csv' line 5: a quoted field is never closed"), "\(failed.stderr)")
        let activity = try sandbox.accord(["activity", "sandbox"]).stdout
        #expect(activity.contains(" failed ") && activity.contains("error: cannot list app 'csv'"))
        try sandbox.writeCSV(synced)
        #expect(try sandbox.accord(["run"]).stdout.contains("created 0 a→b / 0 b→a, updated 0 a→b / 0 b→a"))
    }

    @Test func appsWithoutAConnectorAndMissingFolders() throws {
        let file = NSTemporaryDirectory() + "accord-hubspot-" + UUID().uuidString + ".yaml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try String(contentsOfFile: packageRoot + "/connections/hubspot-mailchimp.yaml", encoding: .utf8).write(toFile: file, atomically: true, encoding: .utf8)
        let output = try runAccord(["run", file, "--state", file + ".sqlite", "--schemas", packageRoot + "/schemas"])
        #expect(output.status == 1)
        #expect(output.stderr.contains("accord cannot run app 'hubspot' yet"))
    }

    @Test func everyStopsCleanlyOnSIGTERM() throws {
        let sandbox = try makeSandbox()
        defer { sandbox.remove() }
        let prefix = sandbox.directory + "/every"
        let process = try startAccord(["run", "--every", "1s"] + sandbox.runArguments(["run"]), outputPrefix: prefix)
        #expect(waitFor("incremental", in: prefix + ".out"), "the second run did not happen")
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(waitFor("stopping after the current batch", in: prefix + ".err", seconds: 1))
    }
}
