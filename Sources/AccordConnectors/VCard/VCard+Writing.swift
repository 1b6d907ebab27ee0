extension VCard {
    /// The card as text (see `serializedBytes`); a card in an 8-bit charset is not text as a
    /// whole, so write bytes, not this.
    public func serialized() -> String { String(decoding: serializedBytes(), as: UTF8.self) }

    /// The card's bytes. A parsed card gives back the bytes it was read from, in its file's
    /// encoding (a UTF-16 file stays UTF-16, with its byte order mark if it had one): each
    /// property that did not change as it was read, and each that did encoded as the card
    /// encodes properties (`Property.appendEncoded`). A card accord makes is UTF-8 with CRLF
    /// line ends, lines folded at 75 octets.
    public func serializedBytes() -> [UInt8] {
        guard let layout else { return newCardBytes() }
        var out: [UInt8] = []
        out.reserveCapacity(layout.source.count + 64)
        out += layout.source[layout.head]
        var style: Property.WritingStyle?
        for property in properties {
            if let bytes = layout.unchangedBytes(of: property) {
                out += bytes
            } else {
                if style == nil {
                    style = Property.WritingStyle(lineEnd: layout.lineEnd.bytes, version21: version == "2.1", charsets: layout.encoding == .utf8)
                }
                property.appendEncoded(to: &out, style!, spelledName: layout.spelledName(of: property))
            }
        }
        out += layout.source[layout.tail]
        guard case .utf16(let bigEndian, let byteOrderMark) = layout.encoding else { return out }
        var utf16: [UInt8] = []
        utf16.reserveCapacity(out.count * 2 + 2)
        func append(_ unit: UInt16) {
            utf16.append(UInt8(bigEndian ? unit >> 8 : unit & 0xFF))
            utf16.append(UInt8(bigEndian ? unit & 0xFF : unit >> 8))
        }
        if byteOrderMark { append(0xFEFF) }
        // The UTF-8 is valid: transcoded from the file, or made from strings.
        for unit in String(decoding: out, as: UTF8.self).utf16 { append(unit) }
        return utf16
    }

    /// A new card's bytes: CRLF line ends, lines folded at 75 octets. Each line is appended
    /// straight to one buffer (a first run writes every card it creates: building each line as a
    /// string of its own cost a quarter of making a new card); only a line longer than 75 octets
    /// is folded as a string.
    private func newCardBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)  // a contact's card, most of the time
        out.append(contentsOf: "BEGIN:VCARD\r\n".utf8)
        for property in properties {
            let start = out.count
            property.appendLine(to: &out)
            if out.count - start > 75 {
                let folded = Self.fold(String(decoding: out[start...], as: UTF8.self))
                out.removeSubrange(start...)
                out.append(contentsOf: folded.utf8)
            }
            out.append(UInt8(ascii: "\r"))
            out.append(UInt8(ascii: "\n"))
        }
        out.append(contentsOf: "END:VCARD\r\n".utf8)
        return out
    }

    /// `line` folded at 75 octets between characters, with CRLF and a space.
    static func fold(_ line: String) -> String {
        guard line.utf8.count > 75 else { return line }
        var out = ""
        var width = 0
        for character in line {
            let size = String(character).utf8.count
            if width + size > 75 {
                out += "\r\n "
                width = 1
            }
            out.append(character)
            width += size
        }
        return out
    }
}

extension VCard.Property {
    /// How a parsed card writes a property that changed.
    struct WritingStyle {
        var lineEnd: [UInt8]
        /// A 2.1 card writes what is not ASCII, and line breaks, quoted-printable.
        var version21: Bool
        /// Whether values are written in the charset their `CHARSET` parameter names (not in a
        /// UTF-16 file, whose values are all UTF-16).
        var charsets: Bool
    }

    /// Appends the content line, unfolded: `group.NAME;PARAMS:value`.
    func appendLine(to out: inout [UInt8]) {
        if let group {
            out.append(contentsOf: group.utf8)
            out.append(UInt8(ascii: "."))
        }
        out.append(contentsOf: name.utf8)
        if !parameters.isEmpty {
            out.append(UInt8(ascii: ";"))
            out.append(contentsOf: parameters.utf8)
        }
        out.append(UInt8(ascii: ":"))
        out.append(contentsOf: value.utf8)
    }

    /// Appends the property with its line end, encoded as its parameters say: in the charset its
    /// `CHARSET` names where the value can be written in it (else in UTF-8, the parameter set to
    /// UTF-8), quoted-printable when it was (or, in a 2.1 card, when the value holds a line break,
    /// or is not ASCII and names no charset: 2.1 carries those only so), else folded at 75
    /// octets between characters. Its name keeps the case it was read in (`spelledName`).
    func appendEncoded(to out: inout [UInt8], _ style: WritingStyle, spelledName: String?) {
        var parameters = self.parameters
        let transfer = self.transfer
        var quotedPrintable = transfer.quotedPrintable
        var charset = TextCharset.utf8
        if style.charsets, !transfer.base64, let named = transfer.charset, let known = TextCharset(named: named) { charset = known }
        // A raw line break would end the line: only quoted-printable can carry one.
        let text = quotedPrintable || style.version21 ? value : VCard.withoutLineBreaks(value)
        var encoded: [UInt8]
        if let inCharset = charset.encode(text) {
            encoded = inCharset
        } else {
            encoded = Array(text.utf8)
            charset = .utf8
            parameters = VCardParameters.settingCharset("UTF-8", in: parameters)
        }
        // 2.1 carries a line break only quoted-printable, and 8-bit text only with a charset: a
        // property without one that gets either becomes quoted-printable UTF-8. One that names a
        // charset keeps its 8-bit text as it was.
        let eightBit = transfer.charset == nil && encoded.contains { $0 >= 0x80 }
        if style.version21, !quotedPrintable, !transfer.base64, eightBit || encoded.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
            quotedPrintable = true
            parameters += (parameters.isEmpty ? "" : ";") + "ENCODING=QUOTED-PRINTABLE"
            if eightBit { parameters += ";CHARSET=UTF-8" }
        }
        var head: [UInt8] = []
        if let group {
            head += group.utf8
            head.append(UInt8(ascii: "."))
        }
        head += (spelledName ?? name).utf8
        if !parameters.isEmpty {
            head.append(UInt8(ascii: ";"))
            head += parameters.utf8
        }
        head.append(UInt8(ascii: ":"))
        out += head
        if quotedPrintable {
            QuotedPrintable.encode(encoded, used: head.count, lineEnd: style.lineEnd, into: &out)
        } else if charset == .utf8 {
            Self.appendFolded(encoded, used: head.count, lineEnd: style.lineEnd, to: &out) { lead in
                lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
            }
        } else {
            // A character of a multi-byte charset is not split: fold between characters.
            var lengths: [Int] = []
            for character in text {
                let count = charset.encode(String(character))?.count ?? 0
                if count > 0 { lengths += [count] + Array(repeating: 0, count: count - 1) }
            }
            var index = 0
            Self.appendFolded(encoded, used: head.count, lineEnd: style.lineEnd, to: &out) { _ in
                defer { index += 1 }
                return index < lengths.count ? lengths[index] : 1
            }
        }
        out += style.lineEnd
    }

    /// Appends `bytes` folded so no line passes 75 octets (the first line holds `used` of them
    /// already), a character never split: `length` says, for each byte in turn, how long the
    /// character it starts is (anything for a byte that continues one).
    private static func appendFolded(_ bytes: [UInt8], used: Int, lineEnd: [UInt8], to out: inout [UInt8], length: (UInt8) -> Int) {
        var width = used
        var remaining = 0  // bytes left of the character being written
        for byte in bytes {
            let characterLength = length(byte)
            if remaining == 0 {
                remaining = max(characterLength, 1)
                if width + remaining > 75, width > 1 {
                    out += lineEnd
                    out.append(UInt8(ascii: " "))
                    width = 1
                }
            }
            out.append(byte)
            width += 1
            remaining -= 1
        }
    }
}
