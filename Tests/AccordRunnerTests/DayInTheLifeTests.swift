import AccordConnectors
import AccordRunner
import AccordStore
import Foundation
import Testing

/// A day in the life of a connection: a CRM export (CSV) and an address book (vCards from
/// several clients) of 5,000 contacts, 20 rounds of the edits users make on both sides, a run
/// after each. After every round: no email was created twice, every linked pair agrees on its
/// mapped fields, no secondary value or unmapped property was lost, and nothing was deleted.
@Suite struct DayInTheLifeTests {
    static let header = "id,email,first_name,last_name,phone,company,job_title,tags"
    static let givenNames = ["Ann", "Björn", "Zoë", "José", "Małgorzata", "Søren", "Élodie", "Ng", "O'Brien", "Anne-Marie", "美咲"]
    static let familyNames = ["Lee", "Müller", "van Dam", "García", "Nowak", "Ødegård", "de la Cruz", "Smith-Jones", "佐藤", "Ray"]
    static let titles = ["CEO", "Engineer", "Chef d'équipe", "Buyer", "Head of Sales, EMEA", "Ingénieure", "\"Senior\" Analyst"]
    static let companies = ["ACME", "Initech", "Hooli GmbH", "Société Générale", "Umbrella; Ltd", "Café Ünïcode"]

    /// `PropertyTests.Generator`, with picks.
    typealias Generator = PropertyTests.Generator

    /// A CRM row as the test writes it.
    struct Row {
        var id: String
        var email: String
        var first: String
        var last: String
        var phone = ""
        var company = ""
        var title = ""
        var tags = ""
        var line: String {
            [id, email, first, last, phone, company, title, tags].map { value in
                value.contains(",") || value.contains("\"") ? "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : value
            }.joined(separator: ",")
        }
    }

    /// An address-book card as the test first writes it, and what of it must never be lost:
    /// its unmapped properties and the emails only the address book has.
    struct Card {
        var uid: String
        var file: String
        var given: String
        var family: String
        var emails: [String]
        var phones: [String]
        var title = ""
        /// An unmapped property every card keeps.
        var profile: String
        /// Emails the CRM never had: accord must keep them whatever else it writes.
        var kept: Set<String> = []
        var garbled = false

        var lines: [String] {
            var lines = ["VERSION:3.0", "UID:\(uid)", "FN:\(given) \(family)", "N:\(family);\(given);;;"]
            for (index, email) in emails.enumerated() { lines.append("item\(index + 1).EMAIL;TYPE=\(index == 0 ? "work" : "home"):\(email)") }
            for (index, phone) in phones.enumerated() { lines.append("TEL;TYPE=\(index == 0 ? "cell" : "home"):\(phone)") }
            if !title.isEmpty { lines.append("TITLE:\(title.replacingOccurrences(of: ",", with: "\\,").replacingOccurrences(of: ";", with: "\\;"))") }
            lines.append("X-SOCIALPROFILE;TYPE=linkedin:\(profile)")
            lines.append("NOTE:Kept by hand: \(uid) ✓")
            return lines
        }
    }

    /// Edits a card's file as a client would: its text as it is now, one property changed.
    static func editCard(_ path: String, _ change: (inout [String]) -> Void) throws {
        var lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\r\n")
        change(&lines)
        try lines.joined(separator: "\r\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// The CRM's rows as the file holds them now (accord's writes included), in file order.
    static func currentRows(_ apps: LocalApps) async throws -> [Row] {
        try await CSVConnector(path: apps.csv).list(since: .full).changed.map { record in
            func one(_ field: String) -> String { record.fields[field]?.first ?? "" }
            return Row(
                id: record.id, email: one("email"), first: one("first_name"), last: one("last_name"), phone: one("phone"), company: one("company"),
                title: one("job_title"), tags: (record.segments["tag"] ?? []).sorted().joined(separator: ";"))
        }
    }

    @Test func twentyRoundsOfEditsOnFiveThousandContacts() async throws {
        let apps = try LocalApps("""
            direction: two-way
            winner: a
            sync_deletions: true
            mappings:
              toggles: {notes: off}
            rules:
              a-to-b:
                - if: [{has_not_tag: private}]
            safety: {enabled: false}
            """)
        defer { apps.remove() }
        var random = Generator(state: 2026)
        var rows: [Row] = []
        var cards: [Card] = []
        var email = 0
        var garbled: [String: Data] = [:]  // the cards garbled now, as they were
        func newEmail() -> String {
            email += 1
            return "person\(email)@example.com"
        }
        func newRow() -> Row {
            Row(id: "r\(rows.count)", email: newEmail(), first: random.pick(Self.givenNames), last: random.pick(Self.familyNames),
                phone: random.chance(50) ? "+49 30 \(random.next(9_000_000) + 1_000_000)" : "", company: random.pick(Self.companies),
                title: random.pick(Self.titles), tags: random.chance(10) ? "private" : "customer")
        }
        func newCard(sharing row: Row? = nil) -> Card {
            let uid = "card-\(cards.count)-\(random.next(1_000_000))"
            var emails = [row?.email ?? newEmail()]
            if random.chance(40) { emails.append(newEmail()) }
            if let row, random.chance(30) { emails = [newEmail(), row.email] }  // the CRM's email in the second slot
            return Card(
                uid: uid, file: uid, given: row?.first ?? random.pick(Self.givenNames), family: row?.last ?? random.pick(Self.familyNames),
                emails: emails, phones: random.chance(60) ? ["+1 555 \(random.next(9000) + 1000)", "+1 666 \(random.next(9000) + 1000)"] : [],
                title: random.chance(50) ? random.pick(Self.titles) : "", profile: "https://www.linkedin.com/in/\(uid)",
                kept: Set(emails.filter { $0 != row?.email }))
        }
        for _ in 0..<2_000 { rows.append(newRow()) }
        for index in 0..<1_000 { cards.append(newCard(sharing: rows[index])) }
        for _ in 0..<2_000 { cards.append(newCard()) }
        try apps.writeCSV([Self.header] + rows.map(\.line))
        for card in cards { try apps.writeCard(card.file, card.lines) }

        let first = try await apps.run()
        #expect(first.counts.linked == 1_000, "\(first.counts)")
        try await check(apps, cards: cards, round: 0)

        for round in 1...20 {
            // The CRM is edited as it is now, a cell at a time, and written out again.
            rows = try await Self.currentRows(apps)
            // An email the CRM holds is its one value, which it may replace: only the others are
            // an address book's own, which accord must keep.
            let held = Set(rows.map { $0.email.lowercased() })
            for index in cards.indices { cards[index].kept.subtract(held) }
            func cardPath(_ index: Int) -> String { apps.cards + "/\(cards[index].file).vcf" }
            for _ in 0..<60 {
                switch random.next(12) {
                case 0:  // a CRM edit of a field or two
                    let index = random.next(rows.count)
                    rows[index].title = random.pick(Self.titles)
                    if random.chance(50) { rows[index].company = random.pick(Self.companies) }
                case 1:  // a rename in the CRM
                    let index = random.next(rows.count)
                    rows[index].first = random.pick(Self.givenNames)
                    rows[index].last = random.pick(Self.familyNames)
                case 2:  // a changed email in the CRM
                    rows[random.next(rows.count)].email = newEmail()
                case 3:  // a contact goes private (out of scope) or comes back
                    let index = random.next(rows.count)
                    rows[index].tags = rows[index].tags.contains("private") ? "customer" : "private"
                case 4:  // a new row in the CRM
                    rows.append(newRow())
                case 5:  // an address-book edit of the title
                    let index = random.next(cards.count)
                    guard !cards[index].garbled else { continue }
                    let title = random.pick(Self.titles).replacingOccurrences(of: ",", with: "\\,").replacingOccurrences(of: ";", with: "\\;")
                    try Self.editCard(cardPath(index)) { lines in
                        lines.removeAll { $0.hasPrefix("TITLE:") }
                        lines.insert("TITLE:\(title)", at: lines.count - 2)
                    }
                case 6:  // an email added in the address book
                    let index = random.next(cards.count)
                    guard !cards[index].garbled else { continue }
                    let email = newEmail()
                    cards[index].kept.insert(email)
                    try Self.editCard(cardPath(index)) { $0.insert("EMAIL;TYPE=other:\(email)", at: $0.count - 2) }
                case 7:  // an email removed in the address book (the last one, or the first)
                    let index = random.next(cards.count)
                    guard !cards[index].garbled else { continue }
                    try Self.editCard(cardPath(index)) { lines in
                        let emails = lines.indices.filter { lines[$0].uppercased().contains("EMAIL") && !lines[$0].hasPrefix("X-") }
                        guard emails.count > 1, let removed = random.chance(70) ? emails.last : emails.first else { return }
                        if let address = lines[removed].split(separator: ":").last { cards[index].kept.remove(String(address)) }
                        lines.remove(at: removed)
                    }
                case 8:  // a card renamed on disk
                    let index = random.next(cards.count)
                    guard !cards[index].garbled else { continue }
                    let renamed = cards[index].file + "-renamed"
                    try FileManager.default.moveItem(atPath: cardPath(index), toPath: apps.cards + "/\(renamed).vcf")
                    cards[index].file = renamed
                case 9:  // a card garbled by another program, or repaired from a backup
                    let index = random.next(cards.count)
                    if let backup = cards[index].garbled ? garbled.removeValue(forKey: cards[index].uid) : nil {
                        cards[index].garbled = false
                        try backup.write(to: URL(fileURLWithPath: cardPath(index)))
                    } else if !cards[index].garbled {
                        garbled[cards[index].uid] = try Data(contentsOf: URL(fileURLWithPath: cardPath(index)))
                        cards[index].garbled = true
                        try apps.writeCardBytes(cards[index].file, Array("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:\(cards[index].uid)\r\nFN:Trunc".utf8))
                    }
                case 10:  // a new card
                    let card = newCard()
                    cards.append(card)
                    try apps.writeCard(card.file, card.lines)
                default:  // a phone edited in the CRM
                    rows[random.next(rows.count)].phone = "+49 40 \(random.next(9_000_000) + 1_000_000)"
                }
            }
            try apps.writeCSV([Self.header] + rows.map(\.line))

            let report = try await apps.run()
            #expect(report.error == nil, "round \(round)")
            try await check(apps, cards: cards, round: round)
        }
        let last = try await apps.run()
        #expect(last.counts.writes == 0, "\(last.counts)")
    }

    /// The invariants, after a round.
    func check(_ apps: LocalApps, cards model: [Card], round: Int) async throws {
        let csv = try await CSVConnector(path: apps.csv).list(since: .full).changed
        let listing = try await VCardDirectoryConnector(directory: apps.cards).list(since: .full)
        let cards = listing.changed
        // Nothing deleted: every card the test made is there (as a record, or unreadable while garbled).
        #expect(cards.count + listing.unreadable.count >= model.count, "round \(round): \(cards.count) cards, the test made \(model.count)")
        // No email created twice: every normalised email is in at most one record of each app.
        for (name, emails) in [("csv", csv.flatMap { $0.fields["email"] ?? [] }), ("cards", cards.flatMap { $0.fields["email"] ?? [] })] {
            let normalised = emails.map { $0.lowercased().trimmingCharacters(in: .whitespaces) }
            #expect(Set(normalised).count == normalised.count, "round \(round): an email twice in \(name)")
        }
        // No secondary value or unmapped property lost.
        let texts = try apps.cardTexts()
        var byUID: [String: String] = [:]
        for text in texts.values {
            if let uid = text.components(separatedBy: "\r\n").first(where: { $0.hasPrefix("UID:") })?.dropFirst(4) { byUID[String(uid)] = text }
        }
        for card in model where !card.garbled {
            let text = try #require(byUID[card.uid], "round \(round): card \(card.uid) is gone")
            #expect(text.contains("X-SOCIALPROFILE;TYPE=linkedin:\(card.profile)\r\n") && text.contains("NOTE:Kept by hand: \(card.uid) ✓"), "round \(round): \(card.uid) lost a property")
            for email in card.kept {
                #expect(text.lowercased().contains(email), "round \(round): \(card.uid) lost \(email)")
            }
        }
        // Every linked pair agrees on the mapped fields, but pairs health reports on.
        let state = try apps.store.load("local")
        let reported = Set(state.health.filter { [.failed, .keptValue, .excluded, .deferred].contains($0.kind) }.map { "\($0.side.rawValue) \($0.recordID)" })
        let rows = Dictionary(csv.map { ($0.id, $0.fields) }) { first, _ in first }
        let records = Dictionary(cards.map { ($0.id, $0.fields) }) { first, _ in first }
        var compared = 0
        for link in state.links where !reported.contains("a \(link.a)") && !reported.contains("b \(link.b)") {
            guard let row = rows[link.a], let card = records[link.b] else { continue }
            compared += 1
            func one(_ values: [String]?) -> String { values?.first ?? "" }
            #expect(one(row["email"]).lowercased() == one(card["email"]).lowercased(), "round \(round): \(link) email")
            #expect(one(row["first_name"]) == one(card["given_name"]) && one(row["last_name"]) == one(card["family_name"]), "round \(round): \(link) name")
            #expect(one(row["job_title"]) == one(card["title"]) && one(row["company"]) == one(card["org"]), "round \(round): \(link) title/company")
            #expect(one(row["phone"]) == one(card["tel"]), "round \(round): \(link) phone")
        }
        #expect(compared > 1_000, "round \(round): only \(compared) pairs compared")
    }
}

