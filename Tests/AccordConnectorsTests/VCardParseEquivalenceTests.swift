import Foundation
import Testing

@testable import AccordConnectors

/// The byte-level `VCard.parse` against the parser it replaced (kept here as it was): the same
/// cards, and the same errors, for edge cases and for cards made at random.
@Suite struct VCardParseEquivalenceTests {
    static let cases: [String] = [
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\nEND:VCARD\r\n",
        "begin:vcard\nversion:4.0\nfn:ann\nitem1.email;type=work:ann@example.com\nend:vcard\n",
        "BEGIN:VCARD\rFN:Lone CR\rEND:VCARD",
        "BEGIN:VCARD\r\nNOTE:folded\r\n  twice\r\n\tand a tab\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\n\r\nNOTE:after an empty line\r\n\r\n continued past one\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nTEL;VALUE=uri;TYPE=\"voice,cell:x\":tel:+1\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nX-Ü;PARAM=ß:wert\r\nEND:VCARD\r\nBEGIN:VCARD\r\nFN:second\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nFN:a\r\nEND:VCARD\r\nNOTE:after the end\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nno colon here\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\n.NAME:empty group name\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\ngroup.:empty name\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\n;X=1:no name\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nFN:no end\r\n",
        "FN:no begin\r\nEND:VCARD\r\n",
        " BEGIN:VCARD\r\nEND:VCARD\r\n",
        "",
        "\r\n\r\n",
        "BEGIN:VCARD\r\nEND:VCARD",
        "BEGIN:VCARD\r\nNOTE:\r\n \r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nNOTE:" + String(repeating: "é", count: 90) + "\r\nEND:VCARD\r\n",
    ]

    @Test(arguments: cases)
    func parsesAsBefore(_ text: String) {
        #expect(Self.outcome { try VCard.parse(text) } == Self.outcome { try ReferenceParser.parse(text) }, "\(text.debugDescription)")
    }

    @Test func randomCardsParseAsBefore() {
        // A fixed sequence (a linear congruential generator), so a failure can be replayed.
        var state: UInt64 = 7
        func random(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % bound
        }
        let pieces = ["BEGIN:VCARD", "END:VCARD", "begin:vcard", "FN:Ann", "n:Lee;Ann;;;", "item2.EMAIL;TYPE=home:a@b.c", "NOTE:a\\,b\\;c",
                      "TEL;TYPE=\"a:b\":1", "X-ÄÖ:ü", " folded", "\tfolded", "", "no colon", "ADR:;;1 Main St;Springfield;;1;US",
                      "CATEGORIES:a,b", ".X:y", "G.:y", ":empty name", "🙂:emoji name"]
        let ends = ["\r\n", "\n", "\r"]
        for _ in 0..<500 {
            var lines = (0..<random(13)).map { _ in pieces[random(pieces.count)] }
            if random(2) == 0 { lines.insert("BEGIN:VCARD", at: 0) }
            if random(2) == 0 { lines.append("END:VCARD") }
            let text = lines.map { $0 + ends[random(ends.count)] }.joined()
            #expect(Self.outcome { try VCard.parse(text) } == Self.outcome { try ReferenceParser.parse(text) }, "\(text.debugDescription)")
        }
    }

    /// A parse's card, or its error's message.
    static func outcome(_ parse: () throws -> VCard) -> String {
        do {
            return try parse().properties.map { "\($0.group ?? "-")|\($0.name)|\($0.parameters)|\($0.value)" }.joined(separator: "\n")
        } catch {
            return "error: \(error)"
        }
    }
}

/// `VCard.parse` as it was before it worked on bytes: lines as strings, then each line's parts.
private enum ReferenceParser {
    static func parse(_ text: String) throws -> VCard {
        var lines: [String] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        func take(_ end: String.Index) {
            guard start < end else { return }
            let first = utf8[start]
            // Unfold: a line starting with a space or tab continues the previous one.
            if (first == UInt8(ascii: " ") || first == UInt8(ascii: "\t")), !lines.isEmpty {
                lines[lines.count - 1] += text[utf8.index(after: start)..<end]
            } else {
                lines.append(String(text[start..<end]))
            }
        }
        var index = utf8.startIndex
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                take(index)
                index = utf8.index(after: index)
                if byte == UInt8(ascii: "\r"), index < utf8.endIndex, utf8[index] == UInt8(ascii: "\n") { index = utf8.index(after: index) }
                start = index
            } else {
                index = utf8.index(after: index)
            }
        }
        take(utf8.endIndex)
        guard lines.first?.uppercased() == "BEGIN:VCARD" else { throw ConnectorError("not a vCard: it does not start with BEGIN:VCARD") }
        guard let end = lines.lastIndex(where: { $0.uppercased() == "END:VCARD" }) else {
            throw ConnectorError("not a vCard: END:VCARD is missing")
        }
        var properties: [VCard.Property] = []
        properties.reserveCapacity(end - 1)
        for (index, line) in lines[1..<end].enumerated() {
            guard let property = property(line: line) else {
                throw ConnectorError("malformed vCard line \(index + 2): '\(line.prefix(60))'")
            }
            properties.append(property)
        }
        return VCard(properties: properties)
    }

    static func property(line: String) -> VCard.Property? {
        var inQuotes = false
        var colon: String.Index?
        let utf8 = line.utf8
        for index in utf8.indices {
            let byte = utf8[index]
            if byte == UInt8(ascii: "\"") { inQuotes.toggle() }
            if byte == UInt8(ascii: ":") && !inQuotes {
                colon = index
                break
            }
        }
        guard let colon else { return nil }
        let head = line[..<colon]
        let value = String(line[utf8.index(after: colon)...])
        let nameEnd = head.utf8.firstIndex(of: UInt8(ascii: ";")) ?? head.endIndex
        var fullName = head[..<nameEnd]
        let parameters = nameEnd < head.endIndex ? String(head[head.utf8.index(after: nameEnd)...]) : ""
        let group: String?
        if let dot = fullName.utf8.firstIndex(of: UInt8(ascii: ".")) {
            group = String(fullName[..<dot])
            fullName = fullName[fullName.utf8.index(after: dot)...]
        } else {
            group = nil
        }
        guard !fullName.isEmpty else { return nil }
        // Names are nearly always upper case already; upper-casing allocates.
        let name = fullName.utf8.contains(where: { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) ? fullName.uppercased() : String(fullName)
        var property = VCard.Property(group: group, name: "X", parameters: parameters, value: value)
        property.name = name
        return property
    }
}
