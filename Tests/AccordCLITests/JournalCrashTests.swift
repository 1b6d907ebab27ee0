import Foundation
import Testing

/// Crashes between a create and the save of its link, and other programs writing the CSV while
/// accord runs.
@Suite struct JournalCrashTests {
    /// A create killed before its link is saved, and the new copy edited before the next run:
    /// the journal knows what was written, so the edit is a change of the copy and syncs back,
    /// rather than a first match the winning app overwrites.
    @Test func anEditOfACopyCreatedBeforeACrashIsKept() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.writeCSV("id,email,first_name,last_name,job_title\n1,ann@example.com,Ann,Lee,CEO\n")
        let crashed = try sandbox.accord(["run"], environment: ["ACCORD_FAILPOINT": "after-create:1"])
        #expect(crashed.status == 99, "\(crashed.stderr)")
        let cards = try FileManager.default.contentsOfDirectory(atPath: sandbox.vcards)
        try #require(cards.count == 1)
        let path = sandbox.vcards + "/" + cards[0]
        try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "TITLE:CEO", with: "TITLE:Chief Executive")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let next = try sandbox.accord(["run"])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("TITLE:Chief Executive"))
        #expect(try String(contentsOfFile: sandbox.csv, encoding: .utf8).contains("Chief Executive"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.vcards).count == 1)
    }

    /// Without matching by email (records without one sync too), a crash after some creates
    /// does not create them again on the next run: the journal finds them by correlation id.
    @Test(arguments: ["after-create", "after-create-commit", "vcard-file-written"])
    func createsWithoutEmailAreNotRepeatedAfterACrash(failpoint: String) async throws {
        let sandbox = try Sandbox(rules: "avoid_duplicates: false", batchSize: 2)
        defer { sandbox.remove() }
        var rows = ["id,email,first_name,last_name"]
        for i in 0..<5 { rows.append("\(i),,Nomail\(i),Person") }
        try sandbox.writeCSV(rows.joined(separator: "\n") + "\n")
        try sandbox.writeVCard("card", ["FN:Card Only", "N:Only;Card;;;"])
        let crashed = try sandbox.accord(["run"], environment: ["ACCORD_FAILPOINT": "\(failpoint):2"])
        #expect(crashed.status == 99, "\(crashed.stderr)")
        for _ in 0..<2 {
            let run = try sandbox.accord(["run"])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let names = try await sandbox.records("b").compactMap { $0.fields["given_name"]?.first }
        #expect(names.sorted() == ["Card"] + (0..<5).map { "Nomail\($0)" })
        let csvNames = try await sandbox.records("a").compactMap { $0.fields["first_name"]?.first }
        #expect(csvNames.sorted() == ["Card"] + (0..<5).map { "Nomail\($0)" })
    }

    /// Another program appends rows to the CSV while accord runs, again and again: no row is
    /// ever lost, and every appended contact reaches the address book.
    @Test func rowsAppendedDuringRunsAreNeverLost() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        var rows = ["id,email,first_name,last_name,job_title"]
        for i in 0..<300 { rows.append("\(i),p\(i)@example.com,P\(i),Person,Title \(i)") }
        try sandbox.writeCSV(rows.joined(separator: "\n") + "\n")
        for i in 0..<40 { try sandbox.writeVCard("card\(i)", ["FN:Card \(i)", "N:\(i);Card;;;", "EMAIL:card\(i)@example.com"]) }
        let appended = Appender(path: sandbox.csv)
        let writer = Task.detached { await appended.run(rows: 200) }
        for _ in 0..<8 {
            let run = try sandbox.accord(["run"])
            #expect(run.status == 0 || run.status == 3, "\(run.stderr)")
        }
        let count = await writer.value
        var settled = try sandbox.accord(["run"])
        if settled.status != 0 { settled = try sandbox.accord(["run"]) }
        #expect(settled.status == 0, "\(settled.stderr)")
        let csv = try String(contentsOfFile: sandbox.csv, encoding: .utf8)
        for i in 0..<count { #expect(csv.contains("late\(i)@example.com"), "row \(i) appended during a run is gone") }
        for i in 0..<300 { #expect(csv.contains("p\(i)@example.com")) }
        let emails = try await sandbox.emails("b")
        for i in 0..<count { #expect(emails.contains("late\(i)@example.com")) }
        #expect(Set(emails).count == emails.count)
    }

    /// Appends a row at a time, as an export tool or a script would, with short pauses.
    actor Appender {
        let path: String
        init(path: String) { self.path = path }

        func run(rows: Int) async -> Int {
            for i in 0..<rows {
                guard let handle = FileHandle(forWritingAtPath: path) else { return i }
                handle.seekToEndOfFile()
                handle.write(Data("late-\(i),late\(i)@example.com,Late\(i),Added,\n".utf8))
                try? handle.close()
                try? await Task.sleep(for: .milliseconds(5))
            }
            return rows
        }
    }
}
