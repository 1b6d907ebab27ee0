@testable import AccordConnectors
import AccordModel
import Testing

/// The pieces the vCard code is built from: splitting and joining names, quoted-printable,
/// charsets.
@Suite struct VCardNameAndEncodingTests {
    @Test(arguments: [
        ("Ann Lee", PersonName(given: "Ann", family: "Lee")),
        ("Ann Marie Lee", PersonName(given: "Ann Marie", family: "Lee")),
        ("Ludwig van Beethoven", PersonName(given: "Ludwig", family: "van Beethoven")),
        ("Carlos de la Cruz", PersonName(given: "Carlos", family: "de la Cruz")),
        ("Dr. Ann Lee Jr.", PersonName(prefix: "Dr.", given: "Ann", family: "Lee", suffix: "Jr.")),
        ("Mr. John Doe, Sr.", PersonName(prefix: "Mr.", given: "John", family: "Doe", suffix: "Sr.")),
        ("Lee, Ann", PersonName(given: "Ann", family: "Lee")),
        ("Mustermann, Heiko", PersonName(given: "Heiko", family: "Mustermann")),
        ("Madonna", PersonName(given: "Madonna")),
        ("  Prof Ada  Lovelace ", PersonName(prefix: "Prof", given: "Ada", family: "Lovelace")),
        ("ann@example.com", PersonName()),
        ("", PersonName()),
    ])
    func fullNamesSplitIntoParts(_ full: String, _ name: PersonName) {
        #expect(PersonName(splitting: full) == name)
    }

    @Test func partsJoinInOrder() {
        #expect(PersonName(prefix: "Dr.", given: "Ann", additional: "Marie", family: "Lee", suffix: "PhD").formatted == "Dr. Ann Marie Lee PhD")
        #expect(PersonName(family: "Lee").formatted == "Lee")
    }

    /// The split the runner uses for a full name ↔ first + last mapping keeps the part that did not change.
    @Test(arguments: [
        ("Anna Lee", "Ann", "Lee", "Anna", "Lee"), ("Ann Lee-Smith", "Ann", "Lee", "Ann", "Lee-Smith"),
        ("Mary Ann Lee", "Mary Ann", "Lee", "Mary Ann", "Lee"), ("Jan van Dam", "", "", "Jan", "van Dam"), ("Cher", "", "", "Cher", ""),
    ])
    func aFullNameSplitsKeepingWhatDidNotChange(_ full: String, _ given: String, _ family: String, _ newGiven: String, _ newFamily: String) {
        let split = PersonName.split(full, given: given, family: family)
        #expect(split.given == newGiven && split.family == newFamily)
    }

    @Test(arguments: [
        ("Lee, Ann", "Ann", "Anna", "Lee, Anna"), ("Ann Lee", "Lee", "", "Ann"), ("Annabel Ann", "Ann", "Jo", "Annabel Jo"),
        ("Ann Lee", "Bob", "Rob", nil), ("Ann Lee", "", "x", nil),
    ] as [(String, String, String, String?)])
    func wordsAreReplacedWhole(_ text: String, _ old: String, _ new: String, _ expected: String?) {
        #expect(PersonName.replacingWords(old, with: new, in: text) == expected)
    }

    @Test(arguments: ["", "plain ASCII", "=", String(repeating: "a", count: 44) + " b", "Grüße\r\nzweite Zeile ", String(repeating: "ä ", count: 60), "trailing space ", "tab\t"])
    func quotedPrintableRoundTrips(_ text: String) {
        var encoded: [UInt8] = []
        QuotedPrintable.encode(Array(text.utf8), used: 30, lineEnd: [0x0D, 0x0A], into: &encoded)
        let lines = String(decoding: encoded, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.enumerated().allSatisfy { $0.element.count + ($0.offset == 0 ? 30 : 0) <= 76 })
        #expect(lines.dropLast().allSatisfy { $0.hasSuffix("=") })
        #expect(!(lines.last ?? "").hasSuffix(" ") && lines.dropFirst().allSatisfy { !$0.hasPrefix(" ") && !$0.hasPrefix("\t") })
        let decoded = encoded.withUnsafeBufferPointer(QuotedPrintable.decode)
        #expect(decoded == Array(text.utf8))
    }

    @Test func quotedPrintableKeepsAnEqualsSignThatEscapesNothing() {
        let decoded = Array("a=ZZb=4".utf8).withUnsafeBufferPointer(QuotedPrintable.decode)
        #expect(decoded == Array("a=ZZb=4".utf8))
    }

    @Test(arguments: [
        ("ISO-8859-1", [0x47, 0x72, 0xFC, 0xDF, 0x80] as [UInt8], "Grüß€"),
        ("windows-1252", [0x93, 0x71, 0x94], "“q”"),
        ("UTF-8", [0xC3, 0xA4], "ä"),
        ("Shift_JIS", [0x88, 0xC0, 0x93, 0xA1], "安藤"),
        ("ISO-8859-2", [0xB3], "ł"),
    ])
    func charsetsDecode(_ name: String, _ bytes: [UInt8], _ text: String) throws {
        let charset = try #require(TextCharset(named: name))
        #expect(bytes.withUnsafeBufferPointer(charset.decode) == text)
    }

    @Test func charsetsRefuseWhatTheyCannotHold() throws {
        #expect([0xC3, 0x28].withUnsafeBufferPointer(TextCharset.utf8.decode) == nil)
        #expect([0x81, 0x20].withUnsafeBufferPointer(TextCharset(named: "SJIS")!.decode) == nil)
        #expect([0x41, 0x80, 0x42].withUnsafeBufferPointer(TextCharset(named: "Shift_JIS")!.decode) == nil)
        #expect(TextCharset(named: "ISO-8859-1")!.encode("€") == nil)
        #expect(TextCharset(named: "windows-1252")!.encode("€") == [0x80])
        #expect(TextCharset(named: "Shift_JIS")!.encode("😀") == nil)
        #expect(TextCharset(named: "EBCDIC") == nil)
    }
}
