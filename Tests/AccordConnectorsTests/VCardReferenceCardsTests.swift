@testable import AccordConnectors
import AccordModel
import Foundation
import Testing

/// Round trips over a folder of real-world cards, off by default: set `ACCORD_VCARDS_REAL` to the
/// folder (e.g. `../shared/reference/vcards-real`) and run
/// `swift test --filter VCardReferenceCardsTests`. It prints how many cards round-trip losslessly
/// and why the others do not; it fails nothing, as the folder holds cards that are broken on
/// purpose. The project's own tests do not depend on these cards.
///
/// A card round-trips losslessly when
/// - it parses;
/// - no field value read from it holds U+FFFD or a quoted-printable escape left undecoded;
/// - writing every field back with the values read from it gives a card that reads back the
///   same (properties and fields: no data lost), and the file's bytes unchanged;
/// - changing its title changes only the TITLE line (or adds one) and nothing else.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ACCORD_VCARDS_REAL"] != nil))
struct VCardReferenceCardsTests {
    enum Outcome: String, CaseIterable {
        case lossless = "lossless"
        case unreadable = "unreadable (parse error)"
        case mangledFields = "fields hold U+FFFD or undecoded quoted-printable"
        case noChangeWriteLoses = "writing the values read back loses or changes data"
        case noChangeWriteDiffers = "writing the values read back changes the bytes (not the data)"
        case editLeaks = "changing the title changes more than its line"
    }

    @Test func roundTripsOverTheReferenceFolder() throws {
        let folder = ProcessInfo.processInfo.environment["ACCORD_VCARDS_REAL"]!
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".vcf") }.sorted()
        var counts: [Outcome: Int] = [:]
        var lines: [String] = []
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)))
            let (outcome, detail) = Self.check(bytes)
            counts[outcome, default: 0] += 1
            if outcome != .lossless { lines.append("\(name): \(outcome.rawValue)\(detail.map { ": " + $0 } ?? "")") }
        }
        print(lines.joined(separator: "\n"))
        print("\(counts[.lossless] ?? 0) of \(names.count) cards round-trip losslessly")
        for outcome in Outcome.allCases where outcome != .lossless { print("  \(counts[outcome] ?? 0) \(outcome.rawValue)") }
    }

    static func check(_ bytes: [UInt8]) -> (Outcome, String?) {
        let card: VCard
        do {
            card = try bytes.withUnsafeBufferPointer { try VCard.parse(bytes: $0) }
        } catch {
            return (.unreadable, "\(error)".prefix(120).description)
        }
        let fields = VCardFields().record(card, id: "x", version: nil).fields
        let quotedPrintable = String(decoding: bytes, as: UTF8.self).uppercased().contains("QUOTED-PRINTABLE")
        for (field, values) in fields.sorted(by: { $0.key < $1.key }) {
            for value in values {
                if value.contains("\u{FFFD}") { return (.mangledFields, "\(field): \(value.prefix(40).debugDescription)") }
                if quotedPrintable, value.range(of: "=[0-9A-F]{2}", options: .regularExpression) != nil {
                    return (.mangledFields, "\(field): \(value.prefix(40).debugDescription)")
                }
            }
        }
        var same = card
        VCardFields().apply(fields, add: [], remove: [], to: &same)
        let written = same.serializedBytes()
        if let loss = dataLoss(card, written) { return (.noChangeWriteLoses, loss) }
        if written != bytes { return (.noChangeWriteDiffers, firstDifference(bytes, written)) }
        var edited = card
        VCardFields().apply(["title": ["Edited Title"]], add: [], remove: [], to: &edited)
        let editedBytes = edited.serializedBytes()
        if let leak = leakOutsideTitle(bytes, editedBytes) { return (.editLeaks, leak) }
        return (.lossless, nil)
    }

    /// What reading `written` back gives that differs from `card` (its properties' names,
    /// parameters and values, and the fields read), nil when nothing does.
    static func dataLoss(_ card: VCard, _ written: [UInt8]) -> String? {
        guard let reread = try? written.withUnsafeBufferPointer({ try VCard.parse(bytes: $0) }) else { return "the written card does not parse" }
        func lines(_ card: VCard) -> [String] {
            card.properties.map { "\($0.group.map { $0 + "." } ?? "")\($0.name);\($0.parameters):\($0.value)" }
        }
        let before = lines(card)
        let after = lines(reread)
        if before != after {
            let first = zip(before, after).first { $0 != $1 }
            return first.map { "\($0.0.prefix(50).debugDescription) became \($0.1.prefix(50).debugDescription)" }
                ?? "\(before.count) properties became \(after.count): \(Set(after).subtracting(before).first?.prefix(50).debugDescription ?? "")"
        }
        let fields = VCardFields().record(card, id: "x", version: nil).fields
        let fieldsBack = VCardFields().record(reread, id: "x", version: nil).fields
        return fields == fieldsBack ? nil : "the fields read back differ"
    }

    /// The first line where `written` departs from `original`.
    static func firstDifference(_ original: [UInt8], _ written: [UInt8]) -> String {
        let index = (0..<min(original.count, written.count)).first { original[$0] != written[$0] } ?? min(original.count, written.count)
        let lineStart = original[..<index].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        func excerpt(_ bytes: [UInt8]) -> String {
            String(decoding: bytes[lineStart..<min(bytes.count, max(lineStart, index) + 30)], as: UTF8.self).debugDescription
        }
        return "at byte \(index): \(excerpt(original)) became \(excerpt(written))"
    }

    /// What changed besides the TITLE property, nil when nothing did: the two cards' bytes
    /// without their TITLE properties' bytes (as the parser delimits them) must be equal.
    static func leakOutsideTitle(_ original: [UInt8], _ edited: [UInt8]) -> String? {
        func withoutTitle(_ bytes: [UInt8]) -> [UInt8]? {
            guard let card = try? bytes.withUnsafeBufferPointer({ try VCard.parse(bytes: $0) }), let layout = card.layout else { return nil }
            return Array(layout.source[layout.head]) + card.properties.filter { $0.name != "TITLE" }.flatMap { Array(layout.unchangedBytes(of: $0) ?? []) }
                + Array(layout.source[layout.tail])
        }
        guard let before = withoutTitle(original), let after = withoutTitle(edited) else { return "the edited card does not parse" }
        return before == after ? nil : firstDifference(before, after)
    }
}
