@testable import AccordConnectors
import AccordModel
import Foundation
import Testing

/// Each sample card (`SampleCard`): read as it should be, written back byte for byte when
/// nothing changes, one field changed without touching any other property, an email removed
/// without touching the other.
@Suite struct VCardSampleCardTests {
    let mapping = VCardFields()

    func parse(_ bytes: [UInt8]) throws -> VCard {
        try bytes.withUnsafeBufferPointer { try VCard.parse(bytes: $0) }
    }

    @Test(arguments: SampleCard.all)
    func readsTheFieldsTheCardHolds(_ sample: SampleCard) throws {
        let record = mapping.record(try parse(sample.bytes), id: "x", version: nil)
        for (field, values) in sample.fields.sorted(by: { $0.key < $1.key }) {
            #expect(record.fields[field] == values, "\(field)")
        }
        #expect(record.segments["tag"] ?? [] == sample.tags)
        #expect(!record.fields.values.joined().contains { $0.contains("\u{FFFD}") })
    }

    /// What the engine does when nothing changed on the other side: every field written back
    /// with the values read. The file does not change by a byte.
    @Test(arguments: SampleCard.all)
    func writingBackWhatWasReadGivesTheSameBytes(_ sample: SampleCard) throws {
        var card = try parse(sample.bytes)
        let fields = mapping.fields(of: card)
        #expect(!mapping.apply(fields, add: [], remove: [], to: &card))
        #expect(card.serializedBytes() == sample.bytes)
    }

    @Test(arguments: SampleCard.all)
    func changingOneFieldChangesOnlyItsProperty(_ sample: SampleCard) throws {
        var card = try parse(sample.bytes)
        #expect(mapping.apply([sample.edit.field: sample.edit.values], add: [], remove: [], to: &card))
        let written = card.serializedBytes()
        let reread = try parse(written)
        #expect(mapping.record(reread, id: "x", version: nil).fields[sample.edit.field] == sample.edit.readBack ?? sample.edit.values)
        #expect(try Self.bytesBesides(sample.edit.properties, in: written) == Self.bytesBesides(sample.edit.properties, in: sample.bytes))
        // Whatever else the card read stays as it was.
        var before = mapping.fields(of: try parse(sample.bytes))
        var after = mapping.fields(of: reread)
        for field in mapping.table.keys where sample.edit.properties.contains(mapping.table[field]!.propertyName) {
            before[field] = nil
            after[field] = nil
        }
        #expect(before == after)
    }

    @Test(arguments: SampleCard.all.filter { $0.emails.count == 2 })
    func removingTheFirstOfTwoEmailsKeepsTheSecondAsItWas(_ sample: SampleCard) throws {
        let original = try parse(sample.bytes)
        let second = try #require(original.properties.first { $0.name == "EMAIL" && VCard.unescapeNonText($0.value) == sample.emails[1] })
        var card = original
        mapping.apply(["email": [sample.emails[1]]], add: [], remove: [], to: &card)
        let reread = try parse(card.serializedBytes())
        #expect(mapping.record(reread, id: "x", version: nil).fields["email"] == [sample.emails[1]])
        let kept = try #require(reread.properties.first { $0.name == "EMAIL" })
        #expect(kept == second && kept.parameters == second.parameters && kept.group == second.group)
        // Its bytes too.
        #expect(try Self.propertyBytes(named: "EMAIL", in: card.serializedBytes()) == [Array(original.layout!.unchangedBytes(of: second)!)])
    }

    /// The card's bytes without those of the properties named in `names` (a UTF-16 card's in its
    /// UTF-8 transcoding).
    static func bytesBesides(_ names: Set<String>, in bytes: [UInt8]) throws -> [UInt8] {
        let card = try bytes.withUnsafeBufferPointer { try VCard.parse(bytes: $0) }
        let layout = try #require(card.layout)
        return Array(layout.source[layout.head]) + card.properties.filter { !names.contains($0.name) }.flatMap { Array(layout.unchangedBytes(of: $0)!) }
            + Array(layout.source[layout.tail])
    }

    /// The bytes of each property named `name`.
    static func propertyBytes(named name: String, in bytes: [UInt8]) throws -> [[UInt8]] {
        let card = try bytes.withUnsafeBufferPointer { try VCard.parse(bytes: $0) }
        return card.properties.filter { $0.name == name }.map { Array(card.layout!.unchangedBytes(of: $0)!) }
    }
}
