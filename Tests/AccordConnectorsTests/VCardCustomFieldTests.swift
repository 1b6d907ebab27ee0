@testable import AccordConnectors
import AccordModel
import Foundation
import Testing

/// Custom fields a connection declares (`custom_fields`) are the properties of their names.
@Suite struct VCardCustomFieldTests {
    let mapping = VCardFields(customFields: [
        .init(name: "X-SKYPE", type: .text),
        .init(name: "X-IM", type: .text, multiValue: true),
        .init(name: "X-EVOLUTION-BLOG-URL", type: .url),
        .init(name: "note", type: .text),  // a schema field's name: left to the schema's field
    ])

    func parse(_ lines: [String]) throws -> VCard { try VCard.parse(lines.joined(separator: "\r\n") + "\r\n") }

    static let card = [
        "BEGIN:VCARD", "VERSION:3.0", "FN:Ann Lee", "N:Lee;Ann;;;",
        "item1.x-skype:ann.lee\\, work", "item1.X-ABLabel:Skype",
        "X-IM;TYPE=home:ann@jabber.example", "X-IM;PREF=1:ann@matrix.example",
        "X-EVOLUTION-BLOG-URL:https\\://blog.example/ann", "NOTE:note", "END:VCARD",
    ]

    @Test func customFieldsAreReadFromTheirPropertiesInAnyCaseAndGroup() throws {
        let fields = mapping.record(try parse(Self.card), id: "x", version: nil).fields
        #expect(fields["X-SKYPE"] == ["ann.lee, work"])
        #expect(fields["X-IM"] == ["ann@matrix.example", "ann@jabber.example"])
        #expect(fields["X-EVOLUTION-BLOG-URL"] == ["https://blog.example/ann"])
        #expect(fields["note"] == ["note"])
        // Without the declaration, nothing of them is read.
        #expect(VCardFields().record(try parse(Self.card), id: "x", version: nil).fields["X-SKYPE"] == nil)
    }

    @Test func customFieldsAreWrittenToTheirProperties() throws {
        var card = try parse(Self.card)
        #expect(mapping.apply(["X-SKYPE": ["ann.lee2"], "X-IM": ["ann@matrix.example", "ann@xmpp.example"]], add: [], remove: [], to: &card))
        let text = card.serialized()
        #expect(text.contains("\r\nitem1.x-skype:ann.lee2\r\nitem1.X-ABLabel:Skype\r\n"))
        #expect(text.contains("\r\nX-IM;TYPE=home:ann@xmpp.example\r\nX-IM;PREF=1:ann@matrix.example\r\n"))
        // A card without the property gets one (its name in upper case).
        var bare = try parse(["BEGIN:VCARD", "VERSION:3.0", "FN:Bo", "END:VCARD"])
        mapping.apply(["X-SKYPE": ["bo; the builder"], "X-EVOLUTION-BLOG-URL": ["https://bo.example/a,b"]], add: [], remove: [], to: &bare)
        #expect(bare.serialized() == "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bo\r\nX-EVOLUTION-BLOG-URL:https://bo.example/a,b\r\nX-SKYPE:bo\\; the builder\r\nEND:VCARD\r\n")
        #expect(mapping.fields(of: bare)["X-SKYPE"] == ["bo; the builder"])
    }

    @Test func aConnectorReadsAndWritesCustomFields() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try (Self.card.joined(separator: "\r\n") + "\r\n").write(toFile: directory + "/ann.vcf", atomically: true, encoding: .utf8)
        let connector = VCardDirectoryConnector(directory: directory, fields: mapping)
        let listed = try #require(try await connector.list(since: .full).changed.first)
        #expect(listed.fields["X-SKYPE"] == ["ann.lee, work"])
        let result = try await connector.update([ContactUpdate(id: "ann.vcf", fields: ["X-SKYPE": ["ann.new"]], basedOn: listed.version, previous: listed.fields)])
        guard case .written(let record) = try #require(result.first) else { Issue.record("\(result)"); return }
        #expect(record.fields["X-SKYPE"] == ["ann.new"])
        #expect(try String(contentsOfFile: directory + "/ann.vcf", encoding: .utf8).contains("\r\nitem1.x-skype:ann.new\r\n"))
        guard case .written(let created) = try #require(try await connector.create([NewContact(fields: ["email": ["c@example.com"], "X-IM": ["c@im.example", "c2@im.example"]])]).first) else { return }
        #expect(created.fields["X-IM"] == ["c@im.example", "c2@im.example"])
        #expect(try String(contentsOfFile: directory + "/" + created.id + ".vcf", encoding: .utf8).contains("\r\nX-IM:c@im.example\r\nX-IM:c2@im.example\r\n"))
    }

    /// A record holds the fields a plan uses, and what it holds of them is what the full
    /// reading holds.
    @Test(arguments: [["email"], ["given_name"], ["adr_street", "X-IM"], ["note", "title", "tel"]] as [Set<String>])
    func aRecordRestrictedToAPlansFieldsHoldsTheSameValues(_ reading: Set<String>) throws {
        let restricted = VCardFields(customFields: [.init(name: "X-IM", multiValue: true)], reading: reading)
        for sample in SampleCard.all.map(\.bytes) + [Array((Self.card.joined(separator: "\r\n") + "\r\n").utf8)] {
            let card = try sample.withUnsafeBufferPointer { try VCard.parse(bytes: $0) }
            let full = VCardFields(customFields: [.init(name: "X-IM", multiValue: true)]).fields(of: card)
            let some = restricted.fields(of: card)
            #expect(Set(some.keys).isSubset(of: reading.union(VCardFields.nameFields + ["formatted_name"])))
            for field in reading { #expect(some[field] == full[field], "\(field)") }
        }
    }

    /// `newContact` agrees with reading its card back, and with applying the fields to an empty
    /// card, for custom fields and for records restricted to a plan's fields too.
    @Test(arguments: [nil, ["email", "given_name", "X-IM"], ["title", "adr"]] as [Set<String>?])
    func aNewContactsRecordIsWhatReadingItsCardGives(_ reading: Set<String>?) throws {
        let mapping = VCardFields(customFields: [.init(name: "X-IM", multiValue: true), .init(name: "X-Skype")], reading: reading)
        let fields: [String: [String]] = [
            "given_name": ["Ann"], "family_name": ["Lee"], "X-IM": ["a@im.example", "", "b@im.example"], "X-Skype": ["ann; lee"],
            "email": ["ann@example.com"], "title": ["CTO"], "adr_street": ["1 Main St"],
        ]
        let (card, record) = mapping.newContact(uid: "u1", id: "u1.vcf", fields: PackedFields(fields), tags: ["t"])
        let reread = mapping.record(try VCard.parse(card.serialized()), id: "u1.vcf", version: nil)
        #expect(record.packedFields == reread.packedFields && record.segments == reread.segments)
        var applied = VCard(properties: [VCard.Property(name: "VERSION", value: "3.0"), VCard.Property(name: "UID", value: "u1")])
        mapping.apply(fields, add: ["t"], remove: [], to: &applied)
        #expect(card == applied)
        #expect(card.serialized().contains("\r\nX-SKYPE:ann\\; lee\r\n"))
    }
}

/// The app schemas list the fields the vCard mapping knows, and no other.
@Suite struct VCardSchemaTests {
    @Test(arguments: ["vcard-dir", "carddav"])
    func theSchemaListsTheFieldsTheMappingReadsAndWrites(_ app: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let schema = try String(contentsOf: root.appendingPathComponent("schemas/\(app).yaml"), encoding: .utf8)
        // The lines of the `fields:` section, up to the next top-level key.
        let lines = schema.components(separatedBy: "\n").drop { $0 != "fields:" }.dropFirst().prefix { $0.hasPrefix(" ") }
        let names = lines.compactMap { line in line.range(of: "{name: ").map { String(line[$0.upperBound...].prefix { $0 != "," }) } }
        #expect(Set(names) == Set(VCardFields.standardTable.keys))
    }
}
