import AccordConnectors
import AccordPlan
import AccordRunner
import AccordStore
import Foundation
import Testing

/// Runs over time: rescans, retries, pausing, batching, stopping, unsubscribes, rule cascades.
@Suite struct LifecycleScenarioTests {
    @Test func aChangedPlanTriggersAFullScanThatAppliesIt() async throws {
        var h = try Harness(try plan("", direction: "a-to-b", winner: nil))
        h.a.add(csvContact("ann@example.com", first: "Ann"))
        h.a.add(csvContact("vip@example.com", first: "Vic"), segments: ["tag": ["vip"]])
        try await h.run()
        #expect(try await h.run().fullScan == false)
        h.plan = try plan("""
        rules:
          a-to-b:
            - if: [{has_tag: vip}]
              then: [{add_tag: VIP}]
        """, direction: "a-to-b", winner: nil)
        let rescan = try await h.run()
        #expect(rescan.fullScan)
        #expect(h.bRecord(email: "vip@example.com")?.segments["tag"] == ["VIP"])
        #expect(h.bRecord(email: "ann@example.com")?.segments["tag"] ?? [] == [])
        #expect(try await h.run().fullScan == false)
    }

    /// A run after a run that wrote (in both apps) finds neither app changed and loads nothing;
    /// any change on either side, a deletion, a retry request or a new plan makes it look again.
    @Test func runsWithNothingChangedAreSkippedUntilSomethingChanges() async throws {
        var h = try Harness(try plan("", direction: "two-way", winner: "a"))
        let ann = h.a.add(csvContact("ann@example.com", first: "Ann"))
        let bob = h.b.add(vcardContact("bob@example.com", first: "Bob"))
        h.b.add(vcardContact(nil, first: "No email"))
        let first = try await h.run()
        #expect(first.counts.created_a_to_b == 1 && first.counts.created_b_to_a == 1 && !first.unchanged)
        let quiet = try await h.run()
        #expect(quiet.unchanged && quiet.counts.writes == 0)
        #expect(quiet.counts.excluded == first.counts.excluded && quiet.counts.excluded == 1)

        h.a.edit(ann) { $0.fields["company"] = ["ACME"] }
        let edited = try await h.run()
        #expect(!edited.unchanged && edited.counts.updated_a_to_b == 1)
        #expect(h.bRecord(email: "ann@example.com")?.fields["org"] == ["ACME"])
        #expect(try await h.run().unchanged)

        h.b.edit(bob) { $0.fields["org"] = ["Initech"] }
        #expect(try await h.run().counts.updated_b_to_a == 1)
        #expect(h.aRecord(email: "bob@example.com")?.fields["company"] == ["Initech"])
        #expect(try await h.run().unchanged)

        h.b.delete(bob)
        #expect(try await h.run().unchanged == false)
        #expect(h.aRecord(email: "bob@example.com") != nil)

        try h.store.requestRetry("scenario")
        #expect(try await h.run().unchanged == false)
        #expect(try await h.run().unchanged)

        h.plan = try plan("", direction: "a-to-b", winner: nil)
        #expect(try await h.run().fullScan)
        #expect(try await h.run().unchanged)
    }

    @Test func retryCommandRetriesUnchangedFailures() async throws {
        let b = InMemoryConnector(requiredFields: ["org"])
        let h = try Harness(try plan("", direction: "a-to-b", winner: nil), b: b)
        h.a.add(csvContact("ann@example.com", first: "Ann"))
        #expect(try await h.run().counts.failed == 1)
        #expect(try await h.run().counts.failed == 0)   // unchanged: skipped, still listed
        #expect(try h.store.health("scenario").filter { $0.kind == .failed }.count == 1)
        try h.store.requestRetry("scenario")
        #expect(try await h.run().counts.failed == 1)   // retried (and fails again)
        #expect(try await h.run().counts.failed == 0)   // the request was used up
    }

    @Test func pausedConnectionsAreSkipped() async throws {
        let h = try Harness(try plan(""))
        h.a.add(csvContact("ann@example.com"))
        try h.store.setPaused("scenario", true)
        await #expect(throws: RunRefusal.self) { try await h.run() }
        #expect(h.b.records.isEmpty)
        try h.store.setPaused("scenario", false)
        try await h.run()
        #expect(h.b.records.count == 1)
    }

    @Test func plansOfAnotherFormatAreRefused() async throws {
        var h = try Harness(try plan(""))
        h.plan.format_version = 99
        await #expect(throws: RunRefusal.self) { try await h.run() }
    }

    @Test func writesAreBatched() async throws {
        let b = InMemoryConnector(batchSize: 3)
        let h = try Harness(try plan("", direction: "a-to-b", winner: nil), b: b)
        for i in 0..<10 { h.a.add(csvContact("c\(i)@example.com", first: "C\(i)")) }
        try await h.run()
        #expect(b.records.count == 10 && b.writeCalls == 4)
        for record in h.a.records { h.a.edit(record.id) { $0.fields["company"] = ["ACME"] } }
        try await h.run()
        #expect(b.writeCalls == 8)
        #expect(b.records.allSatisfy { $0.fields["org"] == ["ACME"] })
    }

    @Test func aStopRequestEndsAfterTheBatchAndTheNextRunFinishes() async throws {
        let b = InMemoryConnector(batchSize: 2)
        let h = try Harness(try plan("", direction: "a-to-b", winner: nil), b: b)
        for i in 0..<6 { h.a.add(csvContact("c\(i)@example.com")) }
        let stopAfterFirstBatch: @Sendable () -> Bool = { b.writeCalls >= 1 }
        let report = try await Runner(plan: h.plan, a: h.a, b: h.b, store: h.store).run(RunOptions(shouldStop: stopAfterFirstBatch))
        #expect(report.counts.created_a_to_b == 2)
        // The creates journaled for the batches never sent are not left pending.
        #expect(try h.store.load(h.plan.connection).intents.isEmpty)
        try await h.run()
        #expect(b.records.count == 6)
        #expect(Set(b.records.compactMap { $0.fields["email"]?.first }).count == 6)
        #expect(try await h.run().counts.writes == 0)
    }

    @Test func unsubscribesBecomeMarkersInTheOtherApp() async throws {
        let h = try Harness(try plan("sync_unsubscribes: {enabled: true, marker: Unsubscribed}", apps: """
          a: {app: mailchimp, auth: {api_key: {env: MAILCHIMP_KEY}}, subset: {list: Customers}}
          b: {app: vcard-dir, settings: {path: b}}
        """))
        let ann = h.a.add(["email_address": ["ann@example.com"], "FNAME": ["Ann"]])
        try await h.run()
        h.a.edit(ann) { $0.unsubscribed = true }
        let report = try await h.run()
        #expect(report.counts.markers_added == 1)
        #expect(h.bRecord(email: "ann@example.com")?.segments["tag"] == ["Unsubscribed"])
        #expect(try await h.run().counts.writes == 0)
        #expect(h.a.records.count == 1 && h.b.records.count == 1)
    }

    @Test func recordsCreatedThisRunGetTheOtherWaysActionsAtOnce() async throws {
        let h = try Harness(try plan("""
        rules:
          a-to-b:
            - if: [{field: company, ends_with: " GmbH"}]
              then: [{add_tag: partner}]
          b-to-a:
            - if: [{has_tag: lead}]
              then: [{add_tag: from-address-book}]
        """))
        h.b.add(vcardContact("lead@example.com", org: "Acme GmbH"), segments: ["tag": ["lead"]])
        try await h.run()
        #expect(h.aRecord(email: "lead@example.com")?.segments["tag"] == ["from-address-book"])
        #expect(h.bRecord(email: "lead@example.com")?.segments["tag"] == ["lead", "partner"])
        #expect(try await h.run().counts.writes == 0)
    }

    @Test func anEmptyWinnerNeverClearsTheOtherSide() async throws {
        let h = try Harness(try plan(""))
        let ann = h.a.add(csvContact("ann@example.com", first: "Ann", company: "ACME"))
        try await h.run()
        let annB = try #require(h.bRecord(email: "ann@example.com")).id
        // Both change company: a (the winner) empties it, b sets a new value.
        h.a.edit(ann) { $0.fields["company"] = nil }
        h.b.edit(annB) { $0.fields["org"] = ["New Co"] }
        try await h.run()
        #expect(h.a.records.first { $0.id == ann }?.fields["company"] == ["New Co"])
        #expect(h.b.records.first { $0.id == annB }?.fields["org"] == ["New Co"])
    }
}
