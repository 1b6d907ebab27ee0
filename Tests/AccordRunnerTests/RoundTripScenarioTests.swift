import AccordConnectors
import AccordRunner
import AccordStore
import Foundation
import Testing

/// Values round-trip without loss between a CSV file and a folder of vCards: multi-value
/// fields, emails in any slot and in any spelling, removed emails, structured names, cards in
/// other encodings and from other clients, custom fields.
@Suite struct RoundTripScenarioTests {
    static let header = "id,email,first_name,last_name,phone,company,job_title,tags"

    /// A first sync keeps a card's second email and second phone: the single CSV value is the
    /// card's first (preferred) one, and writing it replaces only that value.
    @Test func aFirstSyncKeepsEverySecondaryValue() async throws {
        let apps = try LocalApps()
        defer { apps.remove() }
        try apps.writeCSV([Self.header, "1,ann@example.com,Ann,Lee,+1 555 0100,ACME,CEO,"])
        try apps.writeCard("ann", [
            "VERSION:3.0", "UID:ann", "FN:Ann Lee", "N:Lee;Ann;;;", "EMAIL;TYPE=work:ann@example.com",
            "EMAIL;TYPE=home:ann.lee@home.example", "TEL;TYPE=cell:+1 555 0199", "TEL;TYPE=home:+1 555 0777", "ADR;TYPE=home:;;1 Main St;Springfield;;;",
        ])
        let report = try await apps.run()
        #expect(report.counts.linked == 1 && report.counts.writes > 0)
        let card = try apps.card(containing: "UID:ann")
        #expect(lines(card, "EMAIL") == ["EMAIL;TYPE=work:ann@example.com", "EMAIL;TYPE=home:ann.lee@home.example"])
        // The CSV wins the first match: its phone takes the first phone's place and parameters.
        #expect(lines(card, "TEL") == ["TEL;TYPE=cell:+1 555 0100", "TEL;TYPE=home:+1 555 0777"])
        #expect(lines(card, "ADR") == ["ADR;TYPE=home:;;1 Main St;Springfield;;;"])
        #expect(try await apps.run().counts.writes == 0)

        // An edit of the CSV's email replaces the first email only.
        try apps.writeCSV([Self.header, "1,ann.new@example.com,Ann,Lee,+1 555 0100,ACME,CEO,"])
        try await apps.run()
        let edited = try apps.card(containing: "UID:ann")
        #expect(lines(edited, "EMAIL") == ["EMAIL;TYPE=work:ann.new@example.com", "EMAIL;TYPE=home:ann.lee@home.example"])
        #expect(lines(edited, "TEL") == ["TEL;TYPE=cell:+1 555 0100", "TEL;TYPE=home:+1 555 0777"])
        #expect(try await apps.run().counts.writes == 0)
    }

    /// A contact is matched by any of its emails: the CSV row holding a card's second email is
    /// that card, and nothing is created on either side.
    @Test func matchingConsidersEveryEmail() async throws {
        let apps = try LocalApps()
        defer { apps.remove() }
        try apps.writeCSV([Self.header, "1,  ANN.LEE@Home.Example ,Ann,Lee,,,,"])
        try apps.writeCard("ann", ["VERSION:3.0", "UID:ann", "FN:Ann Lee", "N:Lee;Ann;;;", "EMAIL:ann@work.example", "EMAIL:ann.lee@home.example"])
        let report = try await apps.run()
        #expect(report.counts.linked == 1 && report.counts.created_a_to_b == 0 && report.counts.created_b_to_a == 0)
        #expect(try apps.csvLines().count == 2)
        #expect(try apps.cardTexts().count == 1)
        // Each keeps its own spelling of the address.
        #expect(try apps.readCSV().contains("  ANN.LEE@Home.Example "))
        #expect(try apps.card(containing: "UID:ann").contains("EMAIL:ann.lee@home.example"))
    }

    /// A contact whose email is removed on one side keeps its email on the other, stays linked,
    /// and health says why; its other changes still sync.
    @Test func aRemovedEmailIsNotCarriedAcross() async throws {
        let apps = try LocalApps()
        defer { apps.remove() }
        try apps.writeCSV([Self.header, "1,ann@example.com,Ann,Lee,,ACME,CEO,"])
        try await apps.run()
        try apps.writeCSV([Self.header, "1,,Ann,Lee,,ACME,Chief Executive,"])
        let report = try await apps.run()
        let card = try apps.card(containing: "FN:Ann Lee")
        #expect(lines(card, "EMAIL") == ["EMAIL:ann@example.com"])
        #expect(lines(card, "TITLE") == ["TITLE:Chief Executive"])
        #expect(report.counts.created_a_to_b == 0 && report.counts.markers_added == 0)
        let kept = try #require(try apps.health().first { $0.kind == .keptValue })
        #expect(kept.side == .b && kept.reason.contains("email was removed in app 'csv' (a)"))
        #expect(try await apps.run().counts.writes == 0)
        #expect(try apps.health().contains { $0.kind == .keptValue })
    }

    /// FN follows N when FN is not mapped (a rename in the CRM renames the card); a card with FN
    /// only gives the CRM a first and a last name.
    @Test func theFormattedNameFollowsTheNameAndIsSplitWhenAlone() async throws {
        let apps = try LocalApps()
        defer { apps.remove() }
        try apps.writeCSV([Self.header, "1,ann@example.com,Ann,Lee,,,,"])
        try apps.writeCard("dam", ["VERSION:3.0", "UID:dam", "FN:Joost van Dam", "EMAIL:joost@example.com"])
        try await apps.run()
        #expect(try apps.readCSV().contains("joost@example.com,Joost,van Dam,"))
        try apps.writeCSV(try apps.readCSV().components(separatedBy: "\r\n").filter { !$0.isEmpty }.map { $0.replacingOccurrences(of: ",Ann,Lee,", with: ",Anna,Lee-Smith,") })
        try await apps.run()
        let card = try apps.card(containing: "ann@example.com")
        #expect(lines(card, "N:") == ["N:Lee-Smith;Anna;;;"])
        #expect(lines(card, "FN:") == ["FN:Anna Lee-Smith"])
    }

    /// Cards from other clients: quoted-printable Latin-1 (Outlook 2.1), item groups with labels
    /// (iPhone), a vCard 4.0 phone typed as a URI. A change of one mapped field rewrites that
    /// property only; the rest of each card stays byte for byte.
    @Test func cardsFromOtherClientsKeepWhatAccordDoesNotChange() async throws {
        let apps = try LocalApps()
        defer { apps.remove() }
        try apps.writeCSV([Self.header])
        let outlook = Array("BEGIN:VCARD\r\nVERSION:2.1\r\nUID:outlook\r\nN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:M=FCller;J=FCrgen;;;\r\nFN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:J=FCrgen M=FCller\r\nNOTE;ENCODING=QUOTED-PRINTABLE:Line one=0D=0A=\r\nline two\r\nEMAIL;PREF;INTERNET:juergen@example.de\r\nTITLE:Leiter\r\nEND:VCARD\r\n".utf8)
        try apps.writeCardBytes("outlook", outlook)
        try apps.writeCard("iphone", [
            "VERSION:3.0", "UID:iphone", "N:Ray;Bob;;;", "FN:Bob Ray", "item1.EMAIL;type=INTERNET;type=pref:bob@example.com",
            "item1.X-ABLabel:_$!<Other>!$_", "item2.TEL:+1 555 0123", "item2.X-ABLabel:mobile", "TITLE:Engineer",
        ])
        try apps.writeCard("four", ["VERSION:4.0", "UID:four", "FN:Cy Moe", "N:Moe;Cy;;;", "EMAIL:cy@example.com", "TEL;VALUE=uri;TYPE=cell:tel:+49-30-1234567"])
        try await apps.run()
        // Read right into the CSV (as UTF-8), and the cards untouched.
        let csv = try apps.readCSV()
        #expect(csv.contains("juergen@example.de,Jürgen,Müller,"))
        #expect(csv.contains("cy@example.com,Cy,Moe,+49-30-1234567,"))
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: apps.cards + "/outlook.vcf"))) == outlook)
        // One field changed in the CRM: that property only.
        var rows = try apps.csvLines()
        rows = rows.map { $0.replacingOccurrences(of: "Leiter", with: "Geschäftsführer").replacingOccurrences(of: "+49-30-1234567", with: "+49 30 7654321") }
        try apps.writeCSV(rows)
        try await apps.run()
        let written = String(decoding: try Data(contentsOf: URL(fileURLWithPath: apps.cards + "/outlook.vcf")), as: UTF8.self)
        #expect(written.contains("N;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:M=FCller;J=FCrgen;;;\r\n"))
        #expect(written.contains("NOTE;ENCODING=QUOTED-PRINTABLE:Line one=0D=0A=\r\nline two\r\n"))
        #expect(!written.contains("TITLE:Leiter") && written.contains("TITLE"))
        let four = try apps.card(containing: "UID:four")
        #expect(lines(four, "TEL") == ["TEL;VALUE=uri;TYPE=cell:tel:+49-30-7654321"])
        let iphone = try apps.card(containing: "UID:iphone")
        #expect(iphone.contains("item1.EMAIL;type=INTERNET;type=pref:bob@example.com\r\nitem1.X-ABLabel:_$!<Other>!$_\r\n"))
        #expect(try await apps.run().counts.writes == 0)
    }

    /// A card that cannot be read (8-bit text that names no charset, a truncated card) is a
    /// failed entry of its own, its file untouched; the rest of the folder syncs.
    @Test func aCardThatCannotBeReadIsOneFailedRecord() async throws {
        let apps = try LocalApps()
        defer { apps.remove() }
        try apps.writeCSV([Self.header, "1,ann@example.com,Ann,Lee,,,,"])
        let latin1 = Array("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:rene\r\nFN:Ren".utf8) + [0xE9] + Array("\r\nEMAIL:rene@example.com\r\nEND:VCARD\r\n".utf8)
        try apps.writeCardBytes("rene", latin1)
        try apps.writeCardBytes("cut", Array("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:cut\r\nFN:Cut Off\r\nEMAIL:cut@exa".utf8))
        try apps.writeCard("bob", ["VERSION:3.0", "UID:bob", "FN:Bob Ray", "N:Ray;Bob;;;", "EMAIL:bob@example.com"])
        let report = try await apps.run()
        #expect(report.counts.created_a_to_b == 1 && report.counts.created_b_to_a == 1 && report.counts.failed == 2)
        let failed = try apps.health().filter { $0.kind == .failed }
        #expect(failed.map(\.recordID).sorted() == ["cut.vcf", "rene.vcf"])  // never read: known by file name
        #expect(failed.allSatisfy { $0.reason.hasPrefix("cannot be read: ") })
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: apps.cards + "/rene.vcf"))) == latin1)
        #expect(!(try apps.readCSV().contains("rene@")))
    }

    /// Custom fields are read and written: an X- property of the cards and an extra column of
    /// the CSV, mapped to each other.
    @Test func customFieldsAreReallyReadAndWritten() async throws {
        let apps = try LocalApps(
            """
            direction: two-way
            winner: a
            mappings:
              custom:
                - {a: skype, b: X-SKYPE}
            """, csvCustom: "[{name: skype, type: text}]", cardCustom: "[{name: X-SKYPE, type: text}]")
        defer { apps.remove() }
        try apps.writeCSV([Self.header + ",Skype", "1,ann@example.com,Ann,Lee,,,,,ann.lee"])
        try apps.writeCard("bob", ["VERSION:3.0", "UID:bob", "FN:Bob Ray", "N:Ray;Bob;;;", "EMAIL:bob@example.com", "item1.X-SKYPE:bob.ray", "item1.X-ABLabel:Skype"])
        try await apps.run()
        #expect(try apps.card(containing: "ann@example.com").contains("X-SKYPE:ann.lee"))
        #expect(try apps.readCSV().contains("bob@example.com,Bob,Ray,,,,,bob.ray"))
        #expect(!(try apps.csvLines()[0].contains(",skype")))  // the header as written, no second column
        try apps.writeCSV(try apps.csvLines().map { $0.replacingOccurrences(of: "bob.ray", with: "bob.ray2") })
        try await apps.run()
        #expect(try apps.card(containing: "UID:bob").contains("item1.X-SKYPE:bob.ray2\r\nitem1.X-ABLabel:Skype"))
    }

    /// A value that is not in a value map's source options never clears the other side: it is a
    /// failed entry naming the value and the mapping.
    @Test func aValueOutsideTheValueMapIsAFailedEntryNotAClearedField() async throws {
        let apps = try LocalApps(
            """
            direction: two-way
            winner: a
            mappings:
              custom:
                - a: stage
                  b: X-STAGE
                  values: {lead: Lead, customer: Customer}
            """, csvCustom: "[{name: stage, type: enum, options: [lead, customer]}]", cardCustom: "[{name: X-STAGE, type: enum, options: [Lead, Customer]}]")
        defer { apps.remove() }
        try apps.writeCSV([Self.header + ",stage", "1,ann@example.com,Ann,Lee,,,,,lead"])
        try await apps.run()
        #expect(try apps.card(containing: "ann@example.com").contains("X-STAGE:Lead"))
        try apps.writeCSV(try apps.csvLines().map { $0.replacingOccurrences(of: ",lead", with: ",prospect") })
        let report = try await apps.run()
        #expect(report.counts.failed == 1)
        #expect(try apps.card(containing: "ann@example.com").contains("X-STAGE:Lead"))
        let entry = try #require(try apps.health().first { $0.kind == .failed })
        #expect(entry.reason.contains("'prospect'") && entry.reason.contains("value map of mapping custom:1"))
    }
}
