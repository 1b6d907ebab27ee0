import AccordConnectors
import AccordRunner
import Testing

/// Custom mappings, value maps, name join/split and one-way directions, asserted on both apps.
@Suite struct MappingScenarioTests {
    @Test func valueMapsTranslateOptionsBothWays() async throws {
        let h = try Harness(try plan("""
        mappings:
          custom:
            - {a: stage, b: status, values: {lead: Prospect, customer: Client}}
        """, apps: """
          a: {app: csv, settings: {path: a.csv}, custom_fields: [{name: stage, type: enum, options: [lead, customer]}]}
          b: {app: vcard-dir, settings: {path: b}, custom_fields: [{name: status, type: enum, options: [Prospect, Client]}]}
        """))
        let ann = h.a.add(csvContact("ann@example.com").merging(["stage": ["lead"]]) { $1 })
        h.b.add(vcardContact("bob@example.com").merging(["status": ["Client"]]) { $1 })
        try await h.run()
        #expect(h.bRecord(email: "ann@example.com")?.fields["status"] == ["Prospect"])
        #expect(h.aRecord(email: "bob@example.com")?.fields["stage"] == ["customer"])
        h.a.edit(ann) { $0.fields["stage"] = ["customer"] }
        try await h.run()
        #expect(h.bRecord(email: "ann@example.com")?.fields["status"] == ["Client"])
        #expect(try await h.run().counts.writes == 0)
    }

    @Test func namesJoinOneWayAndSplitTheOther() async throws {
        let h = try Harness(try plan("""
        mappings:
          toggles: {name: off}
          custom:
            - {a: [first_name, last_name], b: formatted_name}
        """))
        let ann = h.a.add(csvContact("ann@example.com", first: "Ann", last: "Lee"))
        h.b.add(vcardContact("bob@example.com").merging(["formatted_name": ["Bob van Dam"]]) { $1 })
        try await h.run()
        let annB = try #require(h.bRecord(email: "ann@example.com"))
        #expect(annB.fields["formatted_name"] == ["Ann Lee"])
        #expect(h.aRecord(email: "bob@example.com")?.fields["first_name"] == ["Bob"])
        #expect(h.aRecord(email: "bob@example.com")?.fields["last_name"] == ["van Dam"])
        // Only the part that changed changes: a new last name keeps the first.
        h.b.edit(annB.id) { $0.fields["formatted_name"] = ["Ann Lee-Smith"] }
        try await h.run()
        let annA = try #require(h.a.records.first { $0.id == ann })
        #expect(annA.fields["first_name"] == ["Ann"] && annA.fields["last_name"] == ["Lee-Smith"])
        #expect(try await h.run().counts.writes == 0)
    }

    @Test func oneWayNeverWritesTheSource() async throws {
        let h = try Harness(try plan("", direction: "a-to-b", winner: nil))
        let ann = h.a.add(csvContact("ann@example.com", first: "Ann", company: "ACME"))
        h.b.add(vcardContact("bob@example.com", first: "Bob"))
        try await h.run()
        let annB = try #require(h.bRecord(email: "ann@example.com"))
        #expect(h.aRecord(email: "bob@example.com") == nil)
        // An edit in b is not copied back; the next edit in a overwrites it.
        h.b.edit(annB.id) { $0.fields["org"] = ["Changed in b"] }
        try await h.run()
        #expect(h.a.records.first { $0.id == ann }?.fields["company"] == ["ACME"])
        h.a.edit(ann) { $0.fields["company"] = ["ACME 2"] }
        try await h.run()
        #expect(h.b.records.first { $0.id == annB.id }?.fields["org"] == ["ACME 2"])
        #expect(h.a.records.count == 1)
    }

    @Test func multiValueIntoSingleValueTakesTheFirst() async throws {
        let h = try Harness(try plan(""))
        h.b.add(vcardContact("ann@example.com", first: "Ann").merging(["tel": ["+1 555 1", "+1 555 2"]]) { $1 })
        try await h.run()
        #expect(h.aRecord(email: "ann@example.com")?.fields["phone"] == ["+1 555 1"])
        #expect(try await h.run().counts.writes == 0)
    }
}
