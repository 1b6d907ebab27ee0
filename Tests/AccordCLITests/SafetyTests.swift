import Foundation
import Testing

/// The safety brake through the binary: a missing app fails, an emptied one and a mapping edit
/// that would clear a field on every contact are held (exit 3, nothing written, activity says
/// why), and `accord approve` lets the next run through; `accord log` and `accord revert` undo a
/// run field by field.
@Suite struct SafetyTests {
    /// A sandbox with `count` contacts in the CSV, synced once into the folder.
    static func synced(_ count: Int, rules: String = "") throws -> Sandbox {
        let sandbox = try Sandbox(rules: rules)
        var rows = ["id,email,first_name,last_name,job_title"]
        for i in 0..<count { rows.append("\(i),p\(i)@example.com,P\(i),Person,Engineer \(i % 7)") }
        try sandbox.writeCSV(rows.joined(separator: "\n") + "\n")
        let first = try sandbox.accord(["run"])
        try #require(first.status == 0, "\(first.stderr)")
        return sandbox
    }

    /// Every file's bytes, to show nothing was written.
    static func files(_ sandbox: Sandbox) throws -> [String: Data] {
        var files: [String: Data] = ["a.csv": try Data(contentsOf: URL(fileURLWithPath: sandbox.csv))]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: sandbox.vcards)) ?? [] {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: sandbox.vcards + "/" + name))
        }
        return files
    }

    @Test func aMissingFolderFailsAndWritesNothing() throws {
        let sandbox = try Self.synced(10)
        defer { sandbox.remove() }
        try FileManager.default.moveItem(atPath: sandbox.vcards, toPath: sandbox.directory + "/elsewhere")
        let before = try Self.files(sandbox)
        let run = try sandbox.accord(["run"])
        #expect(run.status == 1)
        #expect(run.stderr.contains(sandbox.vcards) && run.stderr.contains("does not exist"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.vcards))
        #expect(try Self.files(sandbox) == before)
    }

    @Test func anEmptiedFolderIsHeldUntilApproved() throws {
        let sandbox = try Self.synced(10)
        defer { sandbox.remove() }
        for name in try FileManager.default.contentsOfDirectory(atPath: sandbox.vcards) {
            try FileManager.default.removeItem(atPath: sandbox.vcards + "/" + name)
        }
        let before = try Self.files(sandbox)
        let held = try sandbox.accord(["run"])
        #expect(held.status == 3, "\(held.stdout)\(held.stderr)")
        #expect(held.stdout.contains("held by the safety budget, nothing written"))
        #expect(held.stdout.contains("app 'vcard-dir' (b) lists no contacts, while the state links 10"))
        #expect(held.stdout.contains("accord approve sandbox"))
        #expect(try Self.files(sandbox) == before)
        let activity = try sandbox.accord(["activity", "sandbox"])
        #expect(activity.stdout.split(separator: "\n").first?.contains(" held ") == true, "\(activity.stdout)")
        // Held again until approved; then the run goes through once.
        #expect(try sandbox.accord(["run"]).status == 3)
        let approve = try sandbox.accord(["approve", "sandbox"])
        #expect(approve.status == 0 && approve.stdout.contains("the next run may go over the safety budget once"))
        let approved = try sandbox.accord(["run"])
        #expect(approved.status == 0, "\(approved.stdout)\(approved.stderr)")
        #expect(approved.stdout.contains("10 markers"))
        #expect(try String(contentsOfFile: sandbox.csv, encoding: .utf8).components(separatedBy: "Accord Trash").count == 11)
    }

    /// An edit of the connection that reads an empty column for a mapped field would clear it on
    /// every contact: held, with its exit code, and it names the limit.
    @Test func aMappingEditThatWouldClearAFieldEverywhereIsHeld() throws {
        let sandbox = try Self.synced(12)
        defer { sandbox.remove() }
        var connection = try String(contentsOfFile: sandbox.connection, encoding: .utf8)
        connection = connection.replacingOccurrences(
            of: "a: {app: csv, settings: {path: a.csv,", with: "a: {app: csv, settings: {columns: {job_title: Position}, path: a.csv,")
        try connection.write(toFile: sandbox.connection, atomically: true, encoding: .utf8)
        let before = try Self.files(sandbox)
        let held = try sandbox.accord(["run"])
        #expect(held.status == 3, "\(held.stdout)\(held.stderr)")
        #expect(held.stdout.contains("12 contacts with values cleared in app 'vcard-dir' (b)"), "\(held.stdout)")
        #expect(held.stdout.contains("title: 'Engineer 0' → (empty)"))
        #expect(try Self.files(sandbox) == before)
        let dry = try sandbox.accord(["run", "--dry-run"])
        #expect(dry.status == 0 && dry.stdout.contains("this run would be held by the safety budget"))
        let accepted = try sandbox.accord(["run", "--accept-held"])
        #expect(accepted.status == 0, "\(accepted.stderr)")
    }

    /// `accord revert` undoes a run that overwrote 1,000 contacts' job titles, field by field;
    /// a title edited since is a conflict, left alone; the next run syncs the restored titles.
    @Test func revertUndoesARunThatOverwroteAThousandTitles() throws {
        let sandbox = try Self.synced(1_000, rules: "safety: {max_updates: {percent: 100, count: 100000}}")
        defer { sandbox.remove() }
        let original = try Self.titles(sandbox)
        #expect(original.count == 1_000 && Set(original.values).count == 7)
        let csv = try String(contentsOfFile: sandbox.csv, encoding: .utf8)
        try sandbox.writeCSV(csv.replacingOccurrences(of: ",Engineer ", with: ",Manager "))
        let overwrite = try sandbox.accord(["run"])
        #expect(overwrite.status == 0 && overwrite.stdout.contains("updated 1000 a→b"), "\(overwrite.stdout)")
        let runID = try Self.lastRun(sandbox)
        let log = try sandbox.accord(["log", "sandbox", "--run", "\(runID)"])
        #expect(log.stdout.contains("1000 updated") && log.stdout.contains("title: 'Engineer 3' → 'Manager 3'"))
        // Someone edits one card since.
        let edited = try #require(try FileManager.default.contentsOfDirectory(atPath: sandbox.vcards).sorted().first)
        let path = sandbox.vcards + "/" + edited
        try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "TITLE:Manager", with: "TITLE:Boss ").write(toFile: path, atomically: true, encoding: .utf8)
        let dry = try sandbox.accord(["revert", "sandbox", "--run", "\(runID)", "--dry-run"])
        #expect(dry.status == 0 && dry.stdout.contains("would restore 999 fields"), "\(dry.stdout)\(dry.stderr)")
        let revert = try sandbox.accord(["revert", "sandbox", "--run", "\(runID)"])
        #expect(revert.status == 0 && revert.stdout.contains("restored 999 fields") && revert.stdout.contains("1 conflicts left alone"), "\(revert.stdout)\(revert.stderr)")
        let reverted = try Self.titles(sandbox)
        for (email, title) in original where !reverted[email, default: ""].hasPrefix("Boss") {
            #expect(reverted[email] == title, "\(email)")
        }
        #expect(reverted.values.filter { $0.hasPrefix("Boss") }.count == 1)
        // The restored titles are edits made in the address book: the next run (approved, as it
        // changes every row) carries them to the CSV.
        let next = try sandbox.accord(["run", "--accept-held"])
        #expect(next.status == 0 && next.stdout.contains("updated 0 a→b / 1000 b→a"), "\(next.stdout)")
    }

    /// Every card's title by its email.
    static func titles(_ sandbox: Sandbox) throws -> [String: String] {
        var titles: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: sandbox.vcards) {
            let lines = try String(contentsOfFile: sandbox.vcards + "/" + name, encoding: .utf8).components(separatedBy: "\r\n")
            guard let email = lines.first(where: { $0.hasPrefix("EMAIL") })?.split(separator: ":").last else { continue }
            titles[String(email)] = lines.first { $0.hasPrefix("TITLE:") }.map { String($0.dropFirst(6)) } ?? ""
        }
        return titles
    }

    static func lastRun(_ sandbox: Sandbox) throws -> Int {
        let json = try sandbox.accord(["activity", "sandbox", "--format", "json", "--limit", "1"]).stdout
        let runs = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]
        return try #require(runs?.first?["id"] as? Int)
    }
}

/// A dry run leaves the state file byte for byte as it was, and creates none where there is none.
@Suite struct DryRunStateTests {
    @Test func aDryRunLeavesTheStateFileAsItWas() throws {
        let sandbox = try SafetyTests.synced(5)
        defer { sandbox.remove() }
        try sandbox.writeCSV("id,email,first_name,last_name,job_title\n0,p0@example.com,P0,Person,Changed\n9,new@example.com,New,Person,\n")
        let before = try Data(contentsOf: URL(fileURLWithPath: sandbox.state))
        let dry = try sandbox.accord(["run", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        for command in [["health", "sandbox"], ["activity", "sandbox"], ["log", "sandbox"]] { _ = try sandbox.accord(command) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: sandbox.state)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.directory).filter { $0.hasPrefix("state.sqlite") } == ["state.sqlite"])
        let fresh = try Sandbox()
        defer { fresh.remove() }
        try fresh.writeCSV("id,email\n1,a@example.com\n")
        #expect(try fresh.accord(["run", "--dry-run"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: fresh.state))
    }
}
