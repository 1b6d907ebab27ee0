import AccordConnectors
import AccordRunner
import AccordStore
import Foundation
import Testing

/// A record's identity survives what users do to files, a contact that leaves and re-enters a
/// rule's scope catches up, health is exact, and nothing is written where the source is missing.
@Suite struct IdentityScenarioTests {
    static let header = "email,first_name,last_name,job_title,tags"

    /// Renaming a card's file, or deleting it and restoring it from a backup, is not a deletion
    /// plus a new contact: no marker, nothing created, the pair syncs on.
    @Test func aRenamedOrRestoredCardKeepsItsIdentity() async throws {
        let apps = try LocalApps("direction: two-way\nwinner: a\nsync_deletions: true")
        defer { apps.remove() }
        try apps.writeCSV([Self.header, "ann@example.com,Ann,Lee,CEO,"])
        try apps.writeCard("ann-lee", ["VERSION:3.0", "UID:ann-uid", "FN:Ann Lee", "N:Lee;Ann;;;", "EMAIL:ann@example.com"])
        try await apps.run()
        try FileManager.default.moveItem(atPath: apps.cards + "/ann-lee.vcf", toPath: apps.cards + "/renamed by the user.vcf")
        let renamed = try await apps.run()
        #expect(renamed.counts.markers_added == 0 && renamed.counts.created_a_to_b == 0 && renamed.counts.created_b_to_a == 0)
        #expect(try apps.cardTexts().count == 1 && apps.csvLines().count == 2)
        // Deleted, seen deleted by a run, then restored: the same contact again.
        let backup = try Data(contentsOf: URL(fileURLWithPath: apps.cards + "/renamed by the user.vcf"))
        try FileManager.default.removeItem(atPath: apps.cards + "/renamed by the user.vcf")
        try backup.write(to: URL(fileURLWithPath: apps.cards + "/restored.vcf"))
        let restored = try await apps.run()
        #expect(restored.counts.created_a_to_b == 0 && restored.counts.created_b_to_a == 0)
        try apps.writeCSV([Self.header, "ann@example.com,Ann,Lee,Chair,"])
        try await apps.run()
        #expect(lines(try apps.card(containing: "UID:ann-uid"), "TITLE") == ["TITLE:Chair"])
        #expect(try apps.cardTexts().count == 1 && apps.csvLines().count == 2)
    }

    /// In a CSV without an id column, inserting a row above another never sends one person's
    /// values to another (an id by row position would).
    @Test func insertingARowAboveNeverMovesValuesToAnotherPerson() async throws {
        let apps = try LocalApps()
        defer { apps.remove() }
        try apps.writeCSV([Self.header, "ann@example.com,Ann,Lee,CEO,", "bob@example.com,Bob,Ray,CTO,"])
        try await apps.run()
        try apps.writeCSV([Self.header, "cy@example.com,Cy,Moe,Intern,", "ann@example.com,Ann,Lee,CEO,", "bob@example.com,Bob,Ray,CTO,"])
        try await apps.run()
        #expect(lines(try apps.card(containing: "ann@example.com"), "TITLE") == ["TITLE:CEO"])
        #expect(lines(try apps.card(containing: "bob@example.com"), "TITLE") == ["TITLE:CTO"])
        #expect(lines(try apps.card(containing: "cy@example.com"), "TITLE") == ["TITLE:Intern"])
        #expect(try apps.cardTexts().count == 3)
    }

    /// A contact that leaves a rule's scope is listed as excluded; what changes meanwhile syncs
    /// once it matches again, and the two agree.
    @Test func aContactBackInScopeCatchesUp() async throws {
        let apps = try LocalApps("""
            direction: two-way
            winner: a
            rules:
              a-to-b:
                - if: [{has_tag: customer}]
            """)
        defer { apps.remove() }
        try apps.writeCSV([Self.header, "ann@example.com,Ann,Lee,CEO,customer"])
        try await apps.run()
        try apps.writeCSV([Self.header, "ann@example.com,Ann,Lee,Chair,"])
        try await apps.run()
        #expect(lines(try apps.card(containing: "ann@example.com"), "TITLE") == ["TITLE:CEO"])
        #expect(try apps.health().contains { $0.kind == .excluded && $0.reason.hasPrefix("it matches no a-to-b rule") })
        try await apps.run()  // an unchanged run keeps saying so
        #expect(try apps.health().contains { $0.kind == .excluded && $0.side == .a })
        try apps.writeCSV([Self.header, "ann@example.com,Ann,Lee,Chair,customer"])
        try await apps.run()
        #expect(lines(try apps.card(containing: "ann@example.com"), "TITLE") == ["TITLE:Chair"])
        #expect(try !apps.health().contains { $0.kind == .excluded })
        #expect(try await apps.run().counts.writes == 0)
    }

    /// Health is exact: a pair whose other contact was deleted is not in sync, and a failure of
    /// a record that is gone is no longer listed.
    @Test func healthCountsOnlyLivePairsInSync() async throws {
        let apps = try LocalApps("direction: two-way\nwinner: a\nsync_deletions: true")
        defer { apps.remove() }
        try apps.writeCSV([Self.header, "ann@example.com,Ann,Lee,,", "bob@example.com,Bob,Ray,,", "cy@example.com,Cy,Moe,,"])
        try await apps.run()
        #expect(try apps.store.counts("local").links == 3)
        let bob = try #require(try apps.cardTexts().first { $0.value.contains("bob@") }?.key)
        try FileManager.default.removeItem(atPath: apps.cards + "/" + bob)
        try await apps.run()
        #expect(try apps.store.counts("local").links == 2)
        #expect(try apps.health().contains { $0.kind == .deletedOpposite && $0.side == .a })
    }

    /// A source that is not there is an error naming it, not an empty app: the run writes
    /// nothing on the other side, and the folder is not created.
    @Test func aMissingFolderStopsTheRunBeforeAnyWrite() async throws {
        let apps = try LocalApps("direction: two-way\nwinner: a\nsync_deletions: true")
        defer { apps.remove() }
        try apps.writeCSV([Self.header, "ann@example.com,Ann,Lee,,"])
        try await apps.run()
        let csv = try apps.readCSV()
        try FileManager.default.moveItem(atPath: apps.cards, toPath: apps.directory + "/cards (unmounted)")
        await #expect {
            try await apps.run()
        } throws: { error in
            "\(error)".contains(apps.cards) && "\(error)".contains("does not exist")
        }
        #expect(!FileManager.default.fileExists(atPath: apps.cards))
        #expect(try apps.readCSV() == csv)
        #expect(try apps.store.runs("local").first?.status == .failed)
    }

    /// A dry run writes nothing: apps and state alike.
    @Test func aDryRunWritesNothing() async throws {
        let apps = try LocalApps()
        defer { apps.remove() }
        try apps.writeCSV([Self.header, "ann@example.com,Ann,Lee,CEO,"])
        try await apps.run()
        try apps.writeCSV([Self.header, "ann@example.com,Ann,Lee,Chair,", "bob@example.com,Bob,Ray,,"])
        let cards = try apps.cardTexts(), runs = try apps.store.runs("local")
        let report = try await apps.run(RunOptions(dryRun: true))
        #expect(report.counts.created_a_to_b == 1 && report.counts.updated_a_to_b == 1)
        #expect(try apps.cardTexts() == cards)
        #expect(try apps.store.runs("local") == runs)
    }
}

/// A state written while cards were known by their file names: the next run finds each card
/// under its UID, keeps its link and baseline, and marks nothing deleted.
@Suite struct LegacyIdentityTests {
    @Test func cardsKnownByFileNameAreReidentifiedByTheirUID() async throws {
        let apps = try LocalApps("direction: two-way\nwinner: a\nsync_deletions: true")
        defer { apps.remove() }
        try apps.writeCSV(["id,email,first_name,last_name,job_title", "1,ann@example.com,Ann,Lee,CEO"])
        try apps.writeCard("ann", ["VERSION:3.0", "UID:ann-uid", "FN:Ann Lee", "N:Lee;Ann;;;", "EMAIL:ann@example.com", "TITLE:CEO"])
        try await apps.run()
        // What an earlier accord left: the card known as "ann.vcf", its version a size and a time.
        let plan = try apps.plan()
        try apps.store.reidentify("local", side: .b, ["ann-uid": "ann.vcf"])
        var legacy = StateChanges()
        legacy.records[.b] = [RecordSnapshot(
            id: "ann.vcf", email: "ann@example.com", version: "123-456",
            fields: ["email": ["ann@example.com"], "given_name": ["Ann"], "family_name": ["Lee"], "title": ["CEO"]], rules: [0])]
        try apps.store.apply(legacy, connection: "local")
        #expect(try apps.store.load("local").fingerprint == plan.fingerprint)
        try apps.writeCSV(["id,email,first_name,last_name,job_title", "1,ann@example.com,Ann,Lee,Chair"])
        let report = try await apps.run()
        #expect(report.counts.markers_added == 0 && report.counts.created_a_to_b == 0 && report.counts.created_b_to_a == 0)
        #expect(report.counts.updated_a_to_b == 1)
        #expect(lines(try apps.card(containing: "UID:ann-uid"), "TITLE") == ["TITLE:Chair"])
        let state = try apps.store.load("local")
        #expect(state.links == [RecordLink(a: "1", b: "ann-uid")])
        #expect(state.records[.b]?["ann.vcf"] == nil && state.records[.b]?["ann-uid"]?.deleted == false)
    }
}
