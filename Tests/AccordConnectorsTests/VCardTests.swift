@testable import AccordConnectors
import AccordModel
import Foundation
import Testing

@Suite struct VCardTests {
    static let card40 = """
    BEGIN:VCARD\r
    VERSION:4.0\r
    UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1\r
    FN:Ann Müller\r
    N:Müller;Ann;;Dr.;\r
    EMAIL;TYPE=work;PREF=1:ann@example.com\r
    EMAIL;TYPE=home:ann@home.example\r
    TEL;VALUE=uri;TYPE="voice,cell":tel:+49-30-1234567\r
    ORG:ACME\\, Inc.;Research\r
    NOTE:Line one\\nline two with a very long text that needs folding because it is longer than seventy-five octets\r
    CATEGORIES:customer,vip\r
    X-CUSTOM;X-PARAM=1:kept as is\r
    item1.URL:https://example.com\r
    item1.X-ABLABEL:Homepage\r
    PHOTO:data:image/png;base64,iVBORw0KGgo=\r
    END:VCARD\r

    """

    @Test func readsVCard40() throws {
        let record = VCardFields().record(try VCard.parse(Self.card40), id: "ann.vcf", version: nil)
        #expect(record.fields["email"] == ["ann@example.com", "ann@home.example"])
        #expect(record.fields["given_name"] == ["Ann"])
        #expect(record.fields["family_name"] == ["Müller"])
        #expect(record.fields["org"] == ["ACME, Inc."])
        #expect(record.fields["note"]?.first?.hasPrefix("Line one\nline two") == true)
        #expect(record.fields["url"] == ["https://example.com"])
        #expect(record.segments["tag"] == ["customer", "vip"])
    }

    @Test func readsVCard30WithFoldedLinesAndLF() throws {
        let text = "BEGIN:VCARD\nVERSION:3.0\nFN:Bob\nN:Builder;Bob;;;\nEMAIL;TYPE=INTERNET:bob@exa\n mple.com\nTITLE:Chief\\, builder\nEND:VCARD\n"
        let record = VCardFields().record(try VCard.parse(text), id: "bob.vcf", version: nil)
        #expect(record.fields["email"] == ["bob@example.com"])
        #expect(record.fields["title"] == ["Chief, builder"])
    }

    @Test func writingChangesOnlyWhatIsMappedAndKeepsTheRest() throws {
        var card = try VCard.parse(Self.card40)
        VCardFields().apply(["given_name": ["Anna"], "email": ["ann@new.example", "ann@home.example"]], add: ["new"], remove: ["vip"], to: &card)
        let text = card.serialized()
        let reread = try VCard.parse(text)
        let record = VCardFields().record(reread, id: "a", version: nil)
        #expect(record.fields["given_name"] == ["Anna"])
        #expect(record.fields["family_name"] == ["Müller"])
        #expect(record.fields["email"] == ["ann@new.example", "ann@home.example"])
        #expect(record.segments["tag"] == ["customer", "new"])
        // Unmapped properties and parameters survive byte for byte.
        for line in ["X-CUSTOM;X-PARAM=1:kept as is", "item1.X-ABLABEL:Homepage", "PHOTO:data:image/png;base64,iVBORw0KGgo=",
                     "EMAIL;TYPE=work;PREF=1:ann@new.example", "TEL;VALUE=uri;TYPE=\"voice,cell\":tel:+49-30-1234567", "N:Müller;Anna;;Dr.;"] {
            #expect(text.contains(line + "\r\n"), "\(line)")
        }
        // Lines accord did not change stay as they were, the long NOTE unfolded; those it wrote are folded.
        #expect(text.contains("\r\nNOTE:Line one\\nline two with a very long text that needs folding because it is longer than seventy-five octets\r\n"))
        #expect(text.split(separator: "\r\n").filter { !$0.hasPrefix("NOTE:") }.allSatisfy { $0.utf8.count <= 75 })
    }

    /// The bytes are each content line followed by CRLF, folded at 75 octets between characters.
    @Test func serializedBytesAreTheLinesFoldedAt75Octets() throws {
        // A card accord makes: its properties written anew, whatever bytes they were read from.
        var card = VCard(properties: try VCard.parse(Self.card40).properties)
        card.properties += [
            VCard.Property(group: "item2", name: "NOTE", parameters: "LANGUAGE=de", value: String(repeating: "ü", count: 50)),
            VCard.Property(name: "X-EXACT", value: String(repeating: "x", count: 67)),
            VCard.Property(name: "X-LONGER", value: String(repeating: "y", count: 67)),
            VCard.Property(name: "X-FLAG", value: "👍🏽 " + String(repeating: "z", count: 80)),
        ]
        let lines = card.properties.map { ($0.group.map { $0 + "." } ?? "") + $0.name + ($0.parameters.isEmpty ? "" : ";" + $0.parameters) + ":" + $0.value }
        let expected = "BEGIN:VCARD\r\n" + lines.map { VCard.fold($0) + "\r\n" }.joined() + "END:VCARD\r\n"
        #expect(card.serializedBytes() == Array(expected.utf8))
        #expect(card.serialized() == expected)
        #expect(expected.contains("X-EXACT:" + String(repeating: "x", count: 67) + "\r\n"))
        #expect(!expected.contains("X-LONGER:" + String(repeating: "y", count: 67) + "\r\n"))
        #expect(try VCard.parse(card.serialized()) == card)
    }

    @Test func roundTripWithoutChangesIsLossless() throws {
        let card = try VCard.parse(Self.card40)
        #expect(try VCard.parse(card.serialized()) == card)
    }

    /// Fields and tags of new cards, with the values that escaping, joining or splitting changes.
    static let newCardCases: [([String: [String]], Set<String>)] = [
        ([:], []),
        (["given_name": ["Cy"], "family_name": ["Young"], "email": ["cy@example.com", "c.y@example.org"], "uid": ["ignored"]], ["crm", "b,c"]),
        (["formatted_name": ["Ann; Smith, Jr\\"], "note": ["two\nlines"], "tel": ["+1", ""], "org": ["ACME; Inc"], "title": ["A", "B"]], []),
        (["family_name": ["Only"], "adr": [";;1 Main St;Town;;1000;USA"], "unknown": ["x"], "bday": [], "url": [""]], ["x"]),
        (["email": ["e@example.com"]], []),
        (["formatted_name": [""], "given_name": ["Ann"], "family_name": ["B\r\nC; D"]], []),
        (["given_name": ["Solo"], "email": ["", "x@example.com"], "note": ["a\\nb"]], ["t"]),
        (["formatted_name": ["\\"], "org": [""], "family_name": [""], "email": ["", "y@example.com"]], []),
        (["given_name": [""], "family_name": ["Last"], "org": ["One", "Two"]], []),
        (["formatted_name": ["a\r\nb", "second"], "note": ["x\r\ny\rz"], "email": ["a@example.com\r\n"]], [" padded ", "", "a,b;c\\"]),
        (["given_name": ["G; \\n"], "url": ["http://x/a,b"], "rev": ["1"], "bday": ["2000-01-01"], "adr": [";;1 Main St\nSuite 2;Town;;1000;USA"]], [" "]),
        // A formatted name alone gives N its parts; with some parts, N holds those only.
        (["formatted_name": ["Ludwig van Beethoven"], "email": ["lvb@example.com"]], []),
        (["formatted_name": ["Ann Smith"], "given_name": ["Ann"]], []),
        (["formatted_name": ["Dr. Marie Curie"], "honorific_prefix": ["Dr."], "family_name": ["Curie"], "adr_locality": ["Paris"]], []),
        // Parts of the first address change what `adr` gives it; an empty part that reads the same adds nothing.
        (["adr": [";;1 Main St;Town;;1000;USA", ";;2 Side St;;;;"], "adr_street": ["9 New St"], "adr_pobox": ["PO 7"]], []),
        (["adr": ["Main St"], "adr_country": [""], "adr_region": ["CA"]], []),
        (["url": ["file:\\\\server\\share\\"], "bday": ["a\\:b"], "email": ["ANN@Example.com", "ann@example.com"]], []),
    ]

    /// `newCard` builds directly what applying the fields to an empty card builds.
    @Test(arguments: newCardCases)
    func aNewCardIsWhatApplyingTheFieldsToAnEmptyCardGives(_ fields: [String: [String]], _ tags: Set<String>) {
        var applied = VCard(properties: [VCard.Property(name: "VERSION", value: "3.0"), VCard.Property(name: "UID", value: "u1")])
        var withoutUID = fields
        withoutUID["uid"] = nil
        VCardFields().apply(withoutUID, add: tags, remove: [], to: &applied)
        #expect(VCardFields().newCard(uid: "u1", fields: fields, tags: tags) == applied)
    }

    /// The record `newContact` works out is what reading its card gives, and what reading the
    /// card back from its file gives, whether the fields come packed or as a dictionary.
    @Test(arguments: newCardCases)
    func aNewContactsRecordIsWhatReadingItsCardGives(_ fields: [String: [String]], _ tags: Set<String>) throws {
        let (card, record) = VCardFields().newContact(uid: "u1", id: "u1.vcf", fields: PackedFields(fields), tags: tags)
        #expect(VCardFields().newContact(uid: "u1", id: "u1.vcf", fields: PackedFields(unpacked: fields), tags: tags) == (card, record))
        let read = VCardFields().record(card, id: "u1.vcf", version: nil, packed: false)
        #expect(record.id == read.id && record.version == nil)
        #expect(record.fields == read.fields)
        #expect(record.segments == read.segments)
        let reread = VCardFields().record(try VCard.parse(card.serialized()), id: "u1.vcf", version: nil)
        #expect(record.packedFields == reread.packedFields)
        #expect(record.segments == reread.segments)
    }

    /// `record` reads in one pass what reading each field on its own gives.
    @Test(arguments: [
        card40,
        "BEGIN:VCARD\nVERSION:3.0\nN:;;;;\nN:Second;Ignored;;;\nFN:\nORG:\nORG:Later\nEMAIL:\nEMAIL:a@example.com\nTEL:1\nTEL:2\nEND:VCARD\n",
        "BEGIN:VCARD\nVERSION:4.0\nn:Fam\\;ily\nTITLE:t\\,1\nTITLE:t2\nNOTE:x\\ny\nCATEGORIES:a\\,b, c ,,\nBDAY:2000-01-01\nEND:VCARD\n",
    ])
    func aRecordHoldsWhatReadingEachFieldGives(_ text: String) throws {
        let card = try VCard.parse(text)
        var expected: [String: [String]] = [:]
        let mapping = VCardFields()
        for field in mapping.table.keys {
            let values = mapping.read(field, from: card)
            if !values.isEmpty { expected[field] = values }
        }
        #expect(VCardFields().record(card, id: "x", version: nil).fields == expected)
        #expect(VCardFields().record(card, id: "x", version: nil, packed: false).fields == expected)
    }

    @Test func newCardsHaveUIDFNAndN() throws {
        let card = VCardFields().newCard(uid: "u1", fields: ["given_name": ["Cy"], "family_name": ["Young"], "email": ["cy@example.com"]], tags: ["crm"])
        let text = card.serialized()
        #expect(text.hasPrefix("BEGIN:VCARD\r\nVERSION:3.0\r\n"))
        #expect(text.contains("UID:u1\r\n") && text.contains("FN:Cy Young\r\n") && text.contains("CATEGORIES:crm\r\n"))
    }

    @Test(arguments: ["", "not a card", "BEGIN:VCARD\nFN:x\n", "BEGIN:VCARD\nno colon here\nEND:VCARD\n"])
    func malformedCardsAreErrors(_ text: String) {
        #expect(throws: ConnectorError.self) { try VCard.parse(text) }
    }
}

