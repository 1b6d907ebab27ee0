@testable import AccordConnectors
import AccordModel
import Foundation
import Testing

/// How changed values are written into a card read from elsewhere: in its encoding, on the
/// lines they replace, and nothing else.
@Suite struct VCardWritingTests {
    let mapping = VCardFields()

    func parse(_ bytes: [UInt8]) throws -> VCard {
        try bytes.withUnsafeBufferPointer { try VCard.parse(bytes: $0) }
    }

    func parse(_ lines: [String], end: String = "\r\n") throws -> VCard {
        try parse(SampleCard.bytes(lines, end: end))
    }

    /// `card` with `fields` applied, as bytes.
    func written(_ card: VCard, _ fields: [String: [String]], add: Set<String> = [], remove: Set<String> = []) -> [UInt8] {
        var card = card
        mapping.apply(fields, add: add, remove: remove, to: &card)
        return card.serializedBytes()
    }

    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    // MARK: - Encodings

    @Test func aQuotedPrintableValueStaysQuotedPrintableInItsCharset() throws {
        let card = try parse(SampleCard.outlook.bytes)
        let bytes = written(card, ["note": ["Rückruf erbeten"]])
        let note = Array("NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:R=FCckruf erbeten\r\n".utf8)
        #expect(bytes.firstRange(of: note) != nil, "\(text(bytes))")
    }

    @Test func aValueItsCharsetCannotHoldIsWrittenInUTF8() throws {
        let card = try parse(SampleCard.outlook.bytes)
        let bytes = written(card, ["note": ["Preis: 5 € — 日本"]])
        #expect(text(bytes).contains("\r\nNOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:Preis: 5 =E2=82=AC =E2=80=94 =\r\n=E6=97=A5=E6=9C=AC\r\n"), "\(text(bytes))")
        #expect(mapping.record(try parse(bytes), id: "x", version: nil).fields["note"] == ["Preis: 5 € — 日本"])
    }

    @Test func aLongQuotedPrintableValueIsSoftBrokenAt76Characters() throws {
        let card = try parse(SampleCard.outlook.bytes)
        let note = String(repeating: "Grüße und viel Erfolg! ", count: 8) + "\nZweite Zeile"
        let bytes = written(card, ["note": [note]])
        let lines = text(bytes).components(separatedBy: "\r\n")
        let start = try #require(lines.firstIndex { $0.hasPrefix("NOTE;") })
        #expect(lines[start...].prefix { $0.hasSuffix("=") }.allSatisfy { $0.count <= 76 })
        #expect(lines[start].hasSuffix("="))
        #expect(mapping.record(try parse(bytes), id: "x", version: nil).fields["note"] == [note])
    }

    @Test func an8BitShiftJISValueStaysShiftJIS() throws {
        let card = try parse(SampleCard.android.bytes)
        let bytes = written(card, ["org": ["株式会社ソニー"]])
        let org = Array("ORG;CHARSET=SHIFT_JIS:株式会社ソニー;開発部\r\n".data(using: .shiftJIS)!)
        #expect(bytes.firstRange(of: org) != nil)
        let emoji = written(card, ["org": ["株式会社😀"]])
        #expect(text(emoji).contains("ORG;CHARSET=UTF-8:株式会社😀;開発部\r\n"))
        #expect(mapping.record(try parse(emoji), id: "x", version: nil).fields["org"] == ["株式会社😀"])
    }

    /// 2.1 carries line breaks and 8-bit text only quoted-printable (or with a charset).
    @Test func aVCard21ValueWithALineBreakOrNonASCIIBecomesQuotedPrintable() throws {
        let card = try parse(["BEGIN:VCARD", "VERSION:2.1", "N:Lee;Ann", "TITLE:Boss", "NOTE:plain", "END:VCARD"])
        let bytes = written(card, ["note": ["one\ntwo"], "title": ["Geschäftsführerin"]])
        #expect(text(bytes).contains("NOTE;ENCODING=QUOTED-PRINTABLE:one=0Atwo\r\n"))
        #expect(text(bytes).contains("TITLE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:Gesch=C3=A4ftsf=C3=BChrerin\r\n"))
        let fields = mapping.record(try parse(bytes), id: "x", version: nil).fields
        #expect(fields["note"] == ["one\ntwo"] && fields["title"] == ["Geschäftsführerin"])
    }

    @Test func aUTF16FileStaysUTF16WithItsByteOrderMark() throws {
        let card = try parse(SampleCard.utf16.bytes)
        let bytes = written(card, ["note": ["Nowa notatka ✓"]])
        #expect(bytes.starts(with: [0xFF, 0xFE]))
        let units = stride(from: 2, to: bytes.count, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
        let decoded = String(decoding: units, as: UTF16.self)
        #expect(decoded.contains("\r\nNOTE:Nowa notatka ✓\r\nEND:VCARD\r\n") && decoded.contains("FN:Zoë Łukasiewicz\r\n"))
    }

    @Test func aBigEndianUTF16FileWithoutAByteOrderMarkIsReadAndWrittenSo() throws {
        let text = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Édith Piaf\r\nN:Piaf;Édith;;;\r\nEND:VCARD\r\n"
        let bytes = text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        let card = try parse(bytes)
        #expect(mapping.record(card, id: "x", version: nil).fields["given_name"] == ["Édith"])
        #expect(card.serializedBytes() == bytes)
        let changed = written(card, ["title": ["Chanteuse"]])
        #expect(changed.starts(with: [0, UInt8(ascii: "B")]))
        let units = stride(from: 0, to: changed.count, by: 2).map { UInt16(changed[$0]) << 8 | UInt16(changed[$0 + 1]) }
        #expect(String(decoding: units, as: UTF16.self) == "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Édith Piaf\r\nN:Piaf;Édith;;;\r\nTITLE:Chanteuse\r\nEND:VCARD\r\n")
    }

    @Test func aUTF8ByteOrderMarkIsKept() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\nEND:VCARD\r\n".utf8)
        let card = try parse(bytes)
        #expect(card.serializedBytes() == bytes)
        #expect(written(card, ["title": ["CTO"]]) == [0xEF, 0xBB, 0xBF] + Array("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\nTITLE:CTO\r\nEND:VCARD\r\n".utf8))
    }

    @Test func aChangedLineEndsAsTheFilesLinesDo() throws {
        let card = try parse(["BEGIN:VCARD", "VERSION:3.0", "FN:Ann", "NOTE:old", "END:VCARD"], end: "\n")
        let note = String(repeating: "long note ", count: 10)
        let bytes = written(card, ["note": [note]])
        #expect(!bytes.contains(0x0D))
        #expect(text(bytes) == "BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nNOTE:long note long note long note long note long note long note long note \n long note long note long note \nEND:VCARD\n")
    }

    @Test func aNameAndGroupKeepTheCaseTheyWereReadIn() throws {
        let card = try parse(["BEGIN:VCARD", "VERSION:3.0", "FN:Ann", "Item1.Tel;type=CELL:+1 555 0100", "item1.X-ABLabel:mobile", "END:VCARD"])
        #expect(text(written(card, ["tel": ["+1 555 0199"]])).contains("\r\nItem1.Tel;type=CELL:+1 555 0199\r\nitem1.X-ABLabel:mobile\r\n"))
    }

    @Test func aTelURIIsWrittenAsAURI() throws {
        let card = try parse(SampleCard.vCard40.bytes)
        let bytes = written(card, ["tel": ["+49 (30) 999 888 ext. 7", "+49-30-7654321 ext. 12"]])
        #expect(text(bytes).contains("TEL;VALUE=uri;TYPE=\"voice,cell\";PREF=1:tel:+49(30)999-888;ext=7\r\n"), "\(text(bytes))")
        #expect(text(bytes).contains("TEL;VALUE=uri;TYPE=work:tel:+49-30-7654321;ext=12\r\n"))
    }

    @Test(arguments: [
        ("+49 30 1234567", "tel:+49-30-1234567"), ("+1 (555) 123-4567", "tel:+1(555)123-4567"), ("555.0100 x 22", "tel:555.0100;ext=22"),
        ("+33 1 23 45 67 89", "tel:+33-1-23-45-67-89"), ("*31#", "tel:*31#"), ("0800 FLOWERS", "tel:0800-%46%4C%4F%57%45%52%53"),
    ])
    func phonesBecomeTelURIs(_ phone: String, _ uri: String) {
        #expect(TelURI.uri(fromPhone: phone) == uri)
    }

    @Test(arguments: [("tel:+49-30-1234567", "+49-30-1234567"), ("tel:+1-201-555-0123;ext=1234", "+1-201-555-0123 ext. 1234"), ("tel:%2B1%20555", "+1 555")])
    func telURIsArePhones(_ uri: String, _ phone: String) {
        #expect(TelURI.phone(fromURI: uri) == phone)
    }

    @Test func anEscapedURIIsReadWithoutItsEscapesAndKeptAsWritten() throws {
        let card = try parse(["BEGIN:VCARD", "VERSION:3.0", "FN:Ann", "URL:http\\://example.com/a\\,b", "X-ABUID:A1\\:ABPerson", "END:VCARD"])
        #expect(mapping.record(card, id: "x", version: nil).fields["url"] == ["http://example.com/a,b"])
        #expect(text(written(card, ["url": ["http://example.com/a,b"], "note": ["n"]])).contains("URL:http\\://example.com/a\\,b\r\n"))
        #expect(text(written(card, ["url": ["https://example.com/c\\:d"]])).contains("URL:https://example.com/c\\\\:d\r\n"))
    }

    // MARK: - Multi-value fields

    static let emails = [
        "BEGIN:VCARD", "VERSION:3.0", "FN:Ann Lee", "N:Lee;Ann;;;",
        "item1.EMAIL;TYPE=INTERNET,pref:ann@work.example", "item1.X-ABLabel:_$!<Work>!$_",
        "TEL:+1 555 0100",
        "EMAIL;TYPE=HOME:ann@home.example",
        "item2.EMAIL:ann@old.example", "item2.X-ABLabel:old", "item2.X-ABDATE:2001-01-01",
        "NOTE:kept", "END:VCARD",
    ]

    /// The new list of emails, and the card's properties afterwards.
    @Test(arguments: [
        // Removing the first: it goes with its label, nothing else.
        (["ann@home.example", "ann@old.example"], [4, 5], [] as [String]),
        // Removing one in the middle.
        (["ann@work.example", "ann@old.example"], [7], []),
        // A changed value takes the place and parameters of the one it replaces.
        (["ann@new.example", "ann@home.example", "ann@old.example"], [], ["item1.EMAIL;TYPE=INTERNET,pref:ann@new.example"]),
        // Emails match their lines without case; the new case is written on them.
        (["ANN@Work.example", "ann@home.example", "ann@old.example"], [], ["item1.EMAIL;TYPE=INTERNET,pref:ANN@Work.example"]),
        // A new value is appended after the last email; the others keep their lines.
        (["ann@work.example", "ann@home.example", "ann@old.example", "ann@new.example"], [], ["EMAIL:ann@new.example"]),
        // Clearing removes every email and its group's labels.
        ([], [4, 5, 7, 8, 9, 10], []),
    ] as [([String], [Int], [String])])
    func multiValueWritesKeepTheLinesOfValuesStillThere(_ emails: [String], _ removed: [Int], _ newLines: [String]) throws {
        let original = try parse(Self.emails)
        let result = text(written(original, ["email": emails]))
        var expected = Self.emails.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        if newLines.first?.hasPrefix("item1.") == true {
            expected[expected.firstIndex(of: "item1.EMAIL;TYPE=INTERNET,pref:ann@work.example")!] = newLines[0]
        } else if let line = newLines.first {
            expected.insert(line, at: expected.firstIndex(of: "item2.X-ABDATE:2001-01-01")! + 1)
        }
        #expect(result == expected.joined(separator: "\r\n") + "\r\n")
    }

    /// The list's first value is the preferred one: where the card marks a preferred value, the
    /// marker moves to it; where none does, its line moves first. Every line stays.
    @Test func theFirstValueOfTheListBecomesThePreferredOne() throws {
        let marked = text(written(try parse(Self.emails), ["email": ["ann@old.example", "ann@work.example", "ann@home.example"]]))
        var expected = Self.emails
        expected[4] = "item1.EMAIL;TYPE=INTERNET:ann@work.example"
        expected[8] = "item2.EMAIL;TYPE=pref:ann@old.example"
        #expect(marked == expected.joined(separator: "\r\n") + "\r\n")
        #expect(mapping.record(try parse(expected), id: "x", version: nil).fields["email"] == ["ann@old.example", "ann@work.example", "ann@home.example"])
        let unmarked = ["BEGIN:VCARD", "VERSION:3.0", "FN:Ann", "EMAIL:a@x.example", "TEL:1", "EMAIL;TYPE=HOME:b@x.example", "END:VCARD"]
        let moved = text(written(try parse(unmarked), ["email": ["b@x.example", "a@x.example"]]))
        #expect(moved == ["BEGIN:VCARD", "VERSION:3.0", "FN:Ann", "EMAIL;TYPE=HOME:b@x.example", "EMAIL:a@x.example", "TEL:1", "END:VCARD"].joined(separator: "\r\n") + "\r\n")
    }

    @Test func thePreferredValueIsReadFirst() throws {
        let card = try parse([
            "BEGIN:VCARD", "VERSION:2.1", "TEL;HOME:1", "TEL;CELL;PREF:2", "TEL;WORK:3", "EMAIL;INTERNET:a@x.example",
            "EMAIL;TYPE=INTERNET;TYPE=pref:b@x.example", "ADR;TYPE=home:;;Home St;;;;", "ADR;TYPE=work,PREF:;;Work St;;;;", "END:VCARD",
        ])
        let fields = mapping.record(card, id: "x", version: nil).fields
        #expect(fields["tel"] == ["2", "1", "3"] && fields["email"] == ["b@x.example", "a@x.example"])
        #expect(fields["adr_street"] == ["Work St"] && fields["adr"]?.first == ";;Work St;;;;")
    }

    // MARK: - Single-value fields

    @Test func aSingleValueWriteReplacesOnlyThePreferredOccurrence() throws {
        let card = try parse(["BEGIN:VCARD", "VERSION:3.0", "FN:Ann", "URL:https://one.example", "URL;TYPE=work:https://two.example", "END:VCARD"])
        #expect(mapping.record(card, id: "x", version: nil).fields["url"] == ["https://one.example"])
        #expect(text(written(card, ["url": ["https://uno.example"]])).contains("URL:https://uno.example\r\nURL;TYPE=work:https://two.example\r\n"))
        // Clearing removes the occurrence read; the other stays.
        let cleared = written(card, ["url": []])
        #expect(text(cleared) == "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\nURL;TYPE=work:https://two.example\r\nEND:VCARD\r\n")
    }

    // MARK: - Structured values

    @Test func aPartOfTheFirstAddressChangesOnlyThatComponent() throws {
        let card = try parse(SampleCard.iPhone.bytes)
        let bytes = written(card, ["adr_locality": ["San José"], "adr_postal_code": ["95110"]])
        // Folded, as the line is longer than 75 octets now.
        #expect(text(bytes).contains("\r\nitem4.ADR;type=HOME;type=pref:;;1 Infinite Loop;San José;CA;95110;United S\r\n tates\r\nitem4.X-ABADR:us\r\n"))
        #expect(text(bytes).contains("\r\nitem5.ADR;type=WORK:;;One Apple Park Way;Cupertino;CA;95014;United States\r\n"))
        let adr = mapping.record(try parse(bytes), id: "x", version: nil).fields["adr"]
        #expect(adr == [";;1 Infinite Loop;San José;CA;95110;United States", ";;One Apple Park Way;Cupertino;CA;95014;United States"])
    }

    @Test func addressPartsMakeAnAddressWhenThereIsNone() throws {
        let card = try parse(["BEGIN:VCARD", "VERSION:3.0", "FN:Ann", "END:VCARD"])
        let bytes = written(card, ["adr_street": ["1 Main St; Suite 2"], "adr_country": ["USA"]])
        #expect(text(bytes).contains("\r\nADR:;;1 Main St\\; Suite 2;;;;USA\r\n"))
        #expect(mapping.record(try parse(bytes), id: "x", version: nil).fields["adr_street"] == ["1 Main St; Suite 2"])
    }

    @Test func theNamePartsAreReadAndWrittenByComponent() throws {
        let card = try parse(["BEGIN:VCARD", "VERSION:3.0", "FN:Mr. John Richter James Doe Sr.", "N:Doe;John;Richter,James;Mr.;Sr.", "END:VCARD"])
        let fields = mapping.record(card, id: "x", version: nil).fields
        #expect(fields["family_name"] == ["Doe"] && fields["additional_names"] == ["Richter,James"] && fields["honorific_suffix"] == ["Sr."])
        #expect(text(written(card, ["honorific_prefix": ["Dr."]])).contains("N:Doe;John;Richter,James;Dr.;Sr.\r\n"))
    }

    // MARK: - FN follows N

    @Test(arguments: [
        // FN was the parts joined: it becomes the new parts joined.
        ("FN:Ann Lee", "N:Lee;Ann;;;", ["given_name": ["Anna"]], "FN:Anna Lee"),
        ("FN:Dr. Ann Lee", "N:Lee;Ann;;Dr.;", ["family_name": ["Lee-Smith"], "honorific_prefix": [""]], "FN:Ann Lee-Smith"),
        // Written another way: the changed words are replaced in it.
        ("FN:Lee\\, Ann", "N:Lee;Ann;;;", ["family_name": ["Smith"]], "FN:Smith\\, Ann"),
        // Neither: FN stays.
        ("FN:The Boss", "N:Lee;Ann;;;", ["given_name": ["Anna"]], "FN:The Boss"),
        // Set along with the parts: as given.
        ("FN:Ann Lee", "N:Lee;Ann;;;", ["given_name": ["Anna"], "formatted_name": ["A. Lee"]], "FN:A. Lee"),
    ])
    func theFormattedNameFollowsTheNameParts(_ fn: String, _ n: String, _ fields: [String: [String]], _ expected: String) throws {
        let card = try parse(["BEGIN:VCARD", "VERSION:3.0", fn, n, "END:VCARD"])
        let lines = text(written(card, fields)).components(separatedBy: "\r\n")
        #expect(lines[2] == expected)
    }

    @Test func aCardWithOnlyFNReadsItsNamePartsFromIt() throws {
        let card = try parse(["BEGIN:VCARD", "VERSION:3.0", "FN:Ludwig van Beethoven", "N:;;;;", "EMAIL:lvb@example.com", "END:VCARD"])
        let fields = mapping.record(card, id: "x", version: nil).fields
        #expect(fields["given_name"] == ["Ludwig"] && fields["family_name"] == ["van Beethoven"])
        // Writing back what was read changes nothing; changing one part writes all of them to N.
        #expect(written(card, fields) == SampleCard.bytes(["BEGIN:VCARD", "VERSION:3.0", "FN:Ludwig van Beethoven", "N:;;;;", "EMAIL:lvb@example.com", "END:VCARD"]))
        #expect(text(written(card, ["given_name": ["Louis"]])) == "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Louis van Beethoven\r\nN:van Beethoven;Louis;;;\r\nEMAIL:lvb@example.com\r\nEND:VCARD\r\n")
    }

    @Test func clearingFNMakesItFromTheName() throws {
        let card = try parse(["BEGIN:VCARD", "VERSION:4.0", "FN:Boss", "N:Lee;Ann;;;", "END:VCARD"])
        #expect(text(written(card, ["formatted_name": []])) == "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ann Lee\r\nN:Lee;Ann;;;\r\nEND:VCARD\r\n")
    }

    @Test func aChangedCardFromElsewhereGainsNoPropertyItDidNotAskFor() throws {
        let lines = ["BEGIN:VCARD", "VERSION:3.0", "EMAIL:a@example.com", "END:VCARD"]
        #expect(text(written(try parse(lines), ["title": ["CTO"]])) == "BEGIN:VCARD\r\nVERSION:3.0\r\nEMAIL:a@example.com\r\nTITLE:CTO\r\nEND:VCARD\r\n")
    }

    // MARK: - Tags

    @Test func tagsChangeOnlyTheCategoriesLinesThatHoldThem() throws {
        let card = try parse(["BEGIN:VCARD", "VERSION:3.0", "FN:Ann", "CATEGORIES:b,a", "item1.CATEGORIES:c", "END:VCARD"])
        #expect(written(card, [:], add: ["a"], remove: []) == card.serializedBytes())
        #expect(text(written(card, [:], add: ["z"], remove: ["c"])) == "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\nCATEGORIES:b,a,z\r\nEND:VCARD\r\n")
    }

    // MARK: - Errors

    @Test(arguments: [
        (SampleCard.bytes(["BEGIN:VCARD", "VERSION:3.0", "N:M\u{FC}ller;J\u{FC}rgen;;;", "END:VCARD"], latin1: true),
         "line 3: the value of N is not valid UTF-8 (byte 0xFC at position 2), and no CHARSET parameter says which charset it is in"),
        (Array("BEGIN:VCARD\r\nVERSION:2.1\r\nNOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:ok=\r\n=C3=28\r\nEND:VCARD\r\n".utf8),
         "line 3: the value of NOTE is not valid UTF-8 (byte 0xC3 at position 3)"),
        (Array("BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=SHIFT_JIS:".utf8) + [0x81, 0x20] + Array(";;;;\r\nEND:VCARD\r\n".utf8),
         "line 3: the value of N is not valid SHIFT_JIS"),
        (Array("BEGIN:VCARD\r\nN;CHARSET=KLINGON:x\r\nEND:VCARD\r\n".utf8), "line 2: the CHARSET 'KLINGON' of N is not one accord can read"),
        (Array("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:cut off".utf8), "not a vCard: END:VCARD is missing"),
        ([0xFF, 0xFE, 0x42, 0x00, 0x00, 0xD8], "not a valid UTF-16 file: an unpaired surrogate after 1 bytes of text"),
    ] as [([UInt8], String)])
    func bytesThatAreNotTextInTheirCharsetAreAnError(_ bytes: [UInt8], _ message: String) {
        do {
            _ = try parse(bytes)
            Issue.record("no error")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    /// A card that cannot be read is a failed update, and its file stays as it was.
    @Test func anUnreadableCardIsAFailedUpdateAndItsFileIsLeftAlone() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let bytes = SampleCard.bytes(["BEGIN:VCARD", "VERSION:3.0", "FN:Bj\u{F6}rk", "END:VCARD"], latin1: true)
        try Data(bytes).write(to: URL(fileURLWithPath: directory + "/bjork.vcf"))
        let result = try await VCardDirectoryConnector(directory: directory).update([ContactUpdate(id: "bjork.vcf", fields: ["title": ["Singer"]])])
        guard case .failed(let reason) = try #require(result.first) else { Issue.record("\(result)"); return }
        #expect(reason.contains("line 3: the value of FN is not valid UTF-8"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/bjork.vcf")) == Data(bytes))
    }

    // MARK: - Bytes kept

    @Test func aPropertyMovedInFromAnotherCardIsWrittenAnew() throws {
        let one = try parse(["BEGIN:VCARD", "VERSION:3.0", "FN:One", "NOTE:from one", "END:VCARD"])
        var two = try parse(["BEGIN:VCARD", "VERSION:3.0", "FN:Two", "END:VCARD"], end: "\n")
        two.properties.append(one.properties[2])
        #expect(text(two.serializedBytes()) == "BEGIN:VCARD\nVERSION:3.0\nFN:Two\nNOTE:from one\nEND:VCARD\n")
    }

    @Test func blankLinesAndAnythingAfterTheEndAreKept() throws {
        let bytes = Array("BEGIN:VCARD\r\nVERSION:2.1\r\nPHOTO;ENCODING=BASE64;TYPE=JPEG:\r\n /9j/4AAQ\r\n\r\nFN:Ann\r\nEND:VCARD\r\n\r\n".utf8)
        let card = try parse(bytes)
        #expect(card.serializedBytes() == bytes)
        #expect(text(written(card, ["formatted_name": ["Anna"]])) == "BEGIN:VCARD\r\nVERSION:2.1\r\nPHOTO;ENCODING=BASE64;TYPE=JPEG:\r\n /9j/4AAQ\r\n\r\nFN:Anna\r\nEND:VCARD\r\n\r\n")
    }
}
