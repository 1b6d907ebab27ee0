import AccordCompiler
import AccordConnectors
import AccordDiagnostics
import AccordPlan
import AccordRunner
import AccordStore
import Foundation
import Testing

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
let compiler = Compiler(schemasDirectory: packageRoot + "/schemas")

let csvAndVCardDirectory = """
  a: {app: csv, settings: {path: a.csv}}
  b: {app: vcard-dir, settings: {path: b}}
"""

/// A plan from connection YAML after the `apps:` block, by default csv (a) ↔ vcard-dir (b).
func plan(_ body: String, direction: String = "two-way", winner: String? = "a", apps: String = csvAndVCardDirectory) throws -> SyncPlan {
    let text = """
    connection: scenario
    apps:
    \(apps)
    direction: \(direction)
    \(winner.map { "winner: \($0)" } ?? "")
    \(body)
    """
    let unit = compiler.check(SourceFile(path: "scenario.yaml", text: text))
    #expect(!unit.diagnostics.containsErrors, "\(unit.diagnostics.map(\.message))")
    return Planner.plan(try #require(unit.checked))
}

/// Two in-memory apps, a store and a runner.
struct Harness {
    let a: InMemoryConnector
    let b: InMemoryConnector
    let store: StateStore
    var plan: SyncPlan

    init(_ plan: SyncPlan, a: InMemoryConnector = InMemoryConnector(), b: InMemoryConnector = InMemoryConnector()) throws {
        self.a = a
        self.b = b
        self.store = try StateStore()
        self.plan = plan
    }

    @discardableResult
    func run(dryRun: Bool = false) async throws -> RunReport {
        try await Runner(plan: plan, a: a, b: b, store: store).run(RunOptions(dryRun: dryRun))
    }

    func bRecord(email: String) -> ContactRecord? { b.records.first { $0.fields["email"]?.first == email } }
    func aRecord(email: String) -> ContactRecord? { a.records.first { $0.fields["email"]?.first == email } }
}

/// A contact's fields under the given names, leaving out empty values.
func contact(_ values: KeyValuePairs<String, String?>) -> [String: [String]] {
    var fields: [String: [String]] = [:]
    for (name, value) in values {
        if let value, !value.isEmpty { fields[name] = [value] }
    }
    return fields
}

func csvContact(_ email: String?, first: String = "", last: String = "", company: String = "") -> [String: [String]] {
    contact(["email": email, "first_name": first, "last_name": last, "company": company])
}

func vcardContact(_ email: String?, first: String = "", last: String = "", org: String = "") -> [String: [String]] {
    contact(["email": email, "given_name": first, "family_name": last, "org": org])
}

@Suite struct ScenarioTests {
    @Test func initialSyncCreatesBothWaysAndSecondRunWritesNothing() async throws {
        let h = try Harness(try plan(""))
        h.a.add(csvContact("ann@example.com", first: "Ann", last: "Lee"))
        h.b.add(vcardContact("bob@example.com", first: "Bob", last: "Ray"))
        let first = try await h.run()
        #expect(first.fullScan)
        #expect(first.counts.created_a_to_b == 1 && first.counts.created_b_to_a == 1)
        #expect(h.bRecord(email: "ann@example.com")?.fields["given_name"] == ["Ann"])
        #expect(h.aRecord(email: "bob@example.com")?.fields["last_name"] == ["Ray"])
        let writes = h.a.writeCount + h.b.writeCount
        let second = try await h.run()
        #expect(!second.fullScan)
        #expect(second.counts.writes == 0)
        #expect(h.a.writeCount + h.b.writeCount == writes)
    }

    @Test func matchesByEmailAndWinnerSettlesFirstMatch() async throws {
        let h = try Harness(try plan("", winner: "b"))
        h.a.add(csvContact("Ann@Example.com", first: "Ann", last: "Lee", company: ""))
        h.b.add(vcardContact("ann@example.com", first: "Anna", last: "", org: "ACME"))
        let report = try await h.run()
        #expect(report.counts.created_a_to_b == 0 && report.counts.linked == 1)
        let a = try #require(h.a.records.first)
        let b = try #require(h.bRecord(email: "ann@example.com"))
        #expect(a.fields["first_name"] == ["Anna"])     // winner b
        #expect(a.fields["company"] == ["ACME"])        // filled from b
        #expect(a.fields["email"] == ["Ann@Example.com"]) // the same address: each app keeps its own spelling
        #expect(b.fields["family_name"] == ["Lee"])     // empty winner never clears: filled from a
        #expect(h.a.records.count == 1 && h.b.records.count == 1)
    }

    @Test func threeWayMergeCopiesChangesAndWinnerSettlesConflicts() async throws {
        let h = try Harness(try plan(""))
        let annA = h.a.add(csvContact("ann@example.com", first: "Ann", last: "Lee", company: "Old"))
        try await h.run()
        let annB = try #require(h.bRecord(email: "ann@example.com")).id
        // One side changes: copied.
        h.b.edit(annB) { $0.fields["org"] = ["New Co"] }
        try await h.run()
        #expect(h.a.records.first { $0.id == annA }?.fields["company"] == ["New Co"])
        // Both change the same field: winner a.
        h.a.edit(annA) { $0.fields["last_name"] = ["Lee-A"] }
        h.b.edit(annB) { $0.fields["family_name"] = ["Lee-B"] }
        let report = try await h.run()
        #expect(report.counts.conflicts_resolved == 1)
        #expect(h.b.records.first { $0.id == annB }?.fields["family_name"] == ["Lee-A"])
        #expect(h.a.records.first { $0.id == annA }?.fields["last_name"] == ["Lee-A"])
        // Different fields changed on each side: both kept.
        h.a.edit(annA) { $0.fields["first_name"] = ["Annie"] }
        h.b.edit(annB) { $0.fields["org"] = ["Third"] }
        try await h.run()
        #expect(h.b.records.first { $0.id == annB }?.fields["given_name"] == ["Annie"])
        #expect(h.a.records.first { $0.id == annA }?.fields["company"] == ["Third"])
        #expect(try await h.run().counts.writes == 0)
    }

    @Test func contactsWithoutEmailAreExcludedAndDuplicatesReported() async throws {
        let h = try Harness(try plan(""))
        h.a.add(csvContact(nil, first: "No", last: "Mail"))
        h.a.add(csvContact("dup@example.com", first: "One"))
        h.a.add(csvContact("DUP@example.com", first: "Two"))
        let report = try await h.run()
        #expect(report.counts.writes == 0)
        let health = try h.store.health("scenario")
        #expect(health.filter { $0.kind == .excluded }.map(\.reason) == ["the contact has no email address"])
        #expect(health.filter { $0.kind == .duplicate }.count == 2)
        #expect(h.b.records.isEmpty)
    }

    /// A record left unchanged is created, with all its values, once it stops being a
    /// duplicate (here its twin is deleted), though a run looks at no unchanged unlinked record's
    /// values unless it creates it.
    @Test func anUnchangedDuplicateIsCreatedOnceItsTwinIsGone() async throws {
        let h = try Harness(try plan(""))
        let one = h.a.add(csvContact("dup@example.com", first: "One", last: "Kept", company: "ACME"))
        let two = h.a.add(csvContact("DUP@example.com", first: "Two"))
        h.a.add(csvContact(nil, first: "No", last: "Mail"))
        try await h.run()
        #expect(h.b.records.isEmpty)
        h.a.delete(two)
        let report = try await h.run()
        #expect(report.counts.created_a_to_b == 1)
        #expect(h.b.records.map(\.fields) == [vcardContact("dup@example.com", first: "One", last: "Kept", org: "ACME")])
        #expect(h.a.records.first { $0.id == one }?.fields == csvContact("dup@example.com", first: "One", last: "Kept", company: "ACME"))
        let health = try h.store.health("scenario")
        #expect(health.map(\.kind) == [.excluded] && health.first?.reason == "the contact has no email address")
        #expect(try await h.run().counts.writes == 0)
    }

    @Test func rulesFilterActionsApplyAndUndoReverses() async throws {
        let h = try Harness(try plan("""
        rules:
          a-to-b:
            - if: [{has_tag: customer}]
              then: [{add_tag: crm}]
              undo: true
            - if: [{field: company, equals: ACME}]
        """, direction: "a-to-b", winner: nil))
        let customer = h.a.add(csvContact("c@example.com", first: "Cus"), segments: ["tag": ["customer"]])
        h.a.add(csvContact("acme@example.com", company: "acme"))
        h.a.add(csvContact("other@example.com"))
        try await h.run()
        #expect(h.bRecord(email: "c@example.com")?.segments["tag"] == ["crm"])
        #expect(h.bRecord(email: "acme@example.com")?.segments["tag"] == nil)
        #expect(h.bRecord(email: "other@example.com") == nil)
        #expect(try h.store.health("scenario").contains { $0.reason == "it matches no a-to-b rule" })
        // The customer tag goes: the rule stops matching and its action is undone.
        h.a.edit(customer) { $0.segments["tag"] = [] }
        try await h.run()
        #expect(h.bRecord(email: "c@example.com")?.segments["tag"] ?? [] == [])
    }

    @Test func updateOnlyRulesNeverCreate() async throws {
        let h = try Harness(try plan("""
        rules:
          b-to-a:
            - if: [{exists_in_other_app: true}]
        """))
        h.a.add(csvContact("ann@example.com", first: "Ann"))
        h.b.add(vcardContact("ann@example.com", first: "Ann", org: "ACME"))
        h.b.add(vcardContact("new@example.com", first: "New"))
        try await h.run()
        #expect(h.aRecord(email: "new@example.com") == nil)
        #expect(h.aRecord(email: "ann@example.com")?.fields["company"] == ["ACME"])
    }

    @Test func deletionsBecomeMarkersAndAreNeverRecreated() async throws {
        let h = try Harness(try plan("sync_deletions: {enabled: true, marker: Accord Trash}"))
        let ann = h.a.add(csvContact("ann@example.com", first: "Ann"))
        try await h.run()
        h.a.delete(ann)
        let report = try await h.run()
        #expect(report.counts.markers_added == 1)
        let b = try #require(h.bRecord(email: "ann@example.com"))
        #expect(b.segments["tag"] == ["Accord Trash"])
        #expect(h.a.records.isEmpty)
        try await h.run()
        #expect(h.a.records.isEmpty)
        #expect(try h.store.health("scenario").contains { $0.kind == .deletedOpposite })
    }

    @Test func failedWritesAreRecordedAndRetriedWhenTheContactChanges() async throws {
        let h = try Harness(try plan("", direction: "a-to-b", winner: nil), b: InMemoryConnector(requiredFields: ["org"]))
        let ann = h.a.add(csvContact("ann@example.com", first: "Ann"))
        let report = try await h.run()
        #expect(report.counts.failed == 1)
        #expect(try h.store.health("scenario").first { $0.kind == .failed }?.reason == "required field 'org' is missing")
        // Unchanged: not retried.
        #expect(try await h.run().counts.failed == 0)
        h.a.edit(ann) { $0.fields["company"] = ["ACME"] }
        let retried = try await h.run()
        #expect(retried.counts.created_a_to_b == 1)
        #expect(try h.store.health("scenario").isEmpty)
    }

    @Test func dryRunWritesNothing() async throws {
        let h = try Harness(try plan(""))
        h.a.add(csvContact("ann@example.com", first: "Ann"))
        let report = try await h.run(dryRun: true)
        #expect(report.counts.created_a_to_b == 1)
        #expect(report.changes.first?.fields.contains { $0.field == "given_name" && $0.after == ["Ann"] } == true)
        #expect(h.b.records.isEmpty)
        #expect(try h.store.load("scenario").links.isEmpty)
        #expect(try h.store.runs("scenario").isEmpty)
    }

    @Test func linksSurviveEmailChanges() async throws {
        let h = try Harness(try plan(""))
        let ann = h.a.add(csvContact("ann@example.com", first: "Ann"))
        try await h.run()
        h.a.edit(ann) { $0.fields["email"] = ["ann@new.example"] }
        try await h.run()
        #expect(h.b.records.count == 1)
        #expect(h.b.records.first?.fields["email"] == ["ann@new.example"])
    }

    @Test func aSecondRunnerIsRefusedNamingTheHolder() async throws {
        let h = try Harness(try plan(""))
        _ = try h.store.acquireLock("scenario", pid: 1, host: ProcessInfo.processInfo.hostName == "x" ? "y" : "elsewhere", isAlive: { _ in true })
        do {
            try await h.run()
            Issue.record("the run was not refused")
        } catch let refusal as RunRefusal {
            #expect("\(refusal)".contains("pid 1 on elsewhere"))
        }
    }
}
