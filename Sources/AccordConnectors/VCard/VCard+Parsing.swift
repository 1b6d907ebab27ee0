import Foundation

extension VCard {
    /// Parses one vCard from its text.
    public static func parse(_ text: String) throws -> VCard {
        var text = text
        return try text.withUTF8 { try parse(bytes: $0) }
    }

    /// Parses one vCard from a file's or a response's bytes.
    static func parse(_ data: Data) throws -> VCard {
        try data.withUnsafeBytes { try parse(bytes: $0.bindMemory(to: UInt8.self)) }
    }

    /// Parses one vCard from its bytes: UTF-8 (with or without a byte order mark), 8-bit text
    /// whose properties name their charset (2.1's `CHARSET`), or UTF-16 (either byte order, with
    /// or without a byte order mark). Values are decoded from quoted-printable and their charset;
    /// a 2.1 quoted-printable value's soft line breaks (`=` at a line end) join its lines.
    ///
    /// Works on the bytes: line ends, folding and the separators it looks for are all ASCII, and
    /// each property's parts are made straight from the bytes between them (a first run parses
    /// every card: building each line as a string first, then its parts as substrings, cost
    /// three times as much). A card that needs no decoding pays for none.
    ///
    /// - Throws: `ConnectorError` saying what is wrong: not a vCard, a malformed line, bytes that
    ///   are not valid in the value's charset (UTF-8 when none is named), an unknown charset.
    ///   Nothing is ever read as U+FFFD.
    static func parse(bytes: UnsafeBufferPointer<UInt8>) throws -> VCard {
        if let (bigEndian, byteOrderMark) = utf16Form(of: bytes) {
            let utf8 = try utf8(fromUTF16: UnsafeBufferPointer(rebasing: bytes[(byteOrderMark ? 2 : 0)...]), bigEndian: bigEndian)
            return try parse(source: utf8, bodyStart: 0, encoding: .utf16(bigEndian: bigEndian, byteOrderMark: byteOrderMark))
        }
        let byteOrderMark = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        return try parse(source: Array(bytes), bodyStart: byteOrderMark ? 3 : 0, encoding: .utf8)
    }

    /// Whether `bytes` are UTF-16: by a byte order mark, else by a zero byte beside the first
    /// character (every card starts with ASCII `BEGIN`).
    private static func utf16Form(of bytes: UnsafeBufferPointer<UInt8>) -> (bigEndian: Bool, byteOrderMark: Bool)? {
        guard bytes.count >= 2 else { return nil }
        switch (bytes[0], bytes[1]) {
        case (0xFE, 0xFF): return (true, true)
        case (0xFF, 0xFE): return (false, true)
        case (0, let second) where second != 0: return (true, false)
        case (let first, 0) where first != 0: return (false, false)
        default: return nil
        }
    }

    /// UTF-16 code units (two bytes each, in the given order) as UTF-8; an unpaired surrogate or
    /// an odd byte is an error.
    private static func utf8(fromUTF16 bytes: UnsafeBufferPointer<UInt8>, bigEndian: Bool) throws -> [UInt8] {
        guard bytes.count % 2 == 0 else { throw ConnectorError("not a valid UTF-16 file: it has an odd number of bytes") }
        let units = stride(from: 0, to: bytes.count, by: 2).lazy.map { (index: Int) -> UInt16 in
            let (high, low) = bigEndian ? (bytes[index], bytes[index + 1]) : (bytes[index + 1], bytes[index])
            return UInt16(high) << 8 | UInt16(low)
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count / 2)
        let failed = transcode(units.makeIterator(), from: UTF16.self, to: UTF8.self, stoppingOnError: true) { out.append($0) }
        if failed { throw ConnectorError("not a valid UTF-16 file: an unpaired surrogate after \(out.count) bytes of text") }
        return out
    }

    /// One unfolded content line of a card being parsed: where it starts in the source, and a
    /// range of the source's bytes, or the bytes of a folded line joined.
    private struct ContentLine {
        enum Bytes {
            case range(Range<Int>)
            case joined([UInt8])
        }

        let start: Int
        var bytes: Bytes

        mutating func append(_ continuation: UnsafeBufferPointer<UInt8>, from source: UnsafeBufferPointer<UInt8>, droppingLast: Bool = false) {
            var joined: [UInt8]
            switch bytes {
            case .range(let range): joined = Array(source[range])
            case .joined(let bytes): joined = bytes
            }
            if droppingLast { joined.removeLast() }
            joined += continuation
            bytes = .joined(joined)
        }

        func withBytes<Result>(in source: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
            switch bytes {
            case .range(let range): try body(UnsafeBufferPointer(rebasing: source[range]))
            case .joined(let joined): try joined.withUnsafeBufferPointer(body)
            }
        }

        func string(in source: UnsafeBufferPointer<UInt8>) -> String {
            withBytes(in: source) { String(decoding: $0, as: UTF8.self) }
        }

        /// Whether the line is `word` (`BEGIN:VCARD`, `END:VCARD`) in any case, blanks after it allowed.
        func spells(_ word: StaticString, in source: UnsafeBufferPointer<UInt8>) -> Bool {
            withBytes(in: source) { bytes in
                var count = bytes.count
                while count > 0, bytes[count - 1] == UInt8(ascii: " ") || bytes[count - 1] == UInt8(ascii: "\t") { count -= 1 }
                return VCardParameters.equalsIgnoringCase(UnsafeBufferPointer(rebasing: bytes[..<count]), word)
            }
        }

        /// Whether the line ends with a quoted-printable soft line break: an `=` at its end, and
        /// quoted-printable named among its parameters.
        func endsWithSoftLineBreak(in source: UnsafeBufferPointer<UInt8>) -> Bool {
            withBytes(in: source) { bytes in
                guard bytes.last == UInt8(ascii: "="), let colon = VCard.Property.colon(in: bytes) else { return false }
                return VCardParameters.transfer(in: UnsafeBufferPointer(rebasing: bytes[..<colon])).quotedPrintable
            }
        }
    }

    /// Parses the card in `source` (UTF-8, or 8-bit where properties name their charset) from
    /// `bodyStart` (after a byte order mark); each property keeps its bytes of `source`.
    private static func parse(source: [UInt8], bodyStart: Int, encoding: FileEncoding) throws -> VCard {
        try source.withUnsafeBufferPointer { bytes in
            // The content lines, unfolded: a line starting with a space or tab continues the one
            // before it (empty lines are dropped), and so does any line after a quoted-printable
            // soft line break. Most cards have no folded line, so a line is kept as a range of
            // `bytes` until a continuation makes it a buffer of its own.
            var lines: [ContentLine] = []
            lines.reserveCapacity(bytes.count / 24 + 4)  // a card's lines are seldom shorter: growing the array cost a tenth of parsing
            var start = bodyStart
            var softLineBreak = false
            func take(_ end: Int) {
                let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
                if softLineBreak, !ContentLine(start: start, bytes: .range(start..<end)).spells("END:VCARD", in: bytes) {
                    lines[lines.count - 1].append(line, from: bytes, droppingLast: true)
                } else {
                    guard start < end else { return }
                    let first = bytes[start]
                    if (first == UInt8(ascii: " ") || first == UInt8(ascii: "\t")), !lines.isEmpty {
                        lines[lines.count - 1].append(UnsafeBufferPointer(rebasing: line.dropFirst()), from: bytes)
                    } else {
                        lines.append(ContentLine(start: start, bytes: .range(start..<end)))
                    }
                }
                softLineBreak = bytes[end - 1] == UInt8(ascii: "=") && lines[lines.count - 1].endsWithSoftLineBreak(in: bytes)
            }
            var lineEnd: LineEnd?
            var index = bodyStart
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                    take(index)
                    index += 1
                    let crlf = byte == UInt8(ascii: "\r") && index < bytes.count && bytes[index] == UInt8(ascii: "\n")
                    if crlf { index += 1 }
                    if lineEnd == nil { lineEnd = crlf ? .crlf : byte == UInt8(ascii: "\n") ? .lf : .cr }
                    start = index
                } else {
                    index += 1
                }
            }
            if start < bytes.count || softLineBreak { take(bytes.count) }
            guard lines.first?.spells("BEGIN:VCARD", in: bytes) == true else {
                throw ConnectorError("not a vCard: it does not start with BEGIN:VCARD")
            }
            guard let end = lines.lastIndex(where: { $0.spells("END:VCARD", in: bytes) }), end > 0 else {
                throw ConnectorError("not a vCard: END:VCARD is missing")
            }
            let owner = Layout.owner(of: source)
            var properties: [Property] = []
            properties.reserveCapacity(end - 1)
            for index in 1..<end {
                let line = lines[index]
                let origin = Property.Origin(range: line.start..<lines[index + 1].start, owner: owner)
                func location() -> String { "line \(physicalLineNumber(of: line.start, in: bytes, from: bodyStart))" }
                let property: Property?
                switch line.bytes {
                case .range(let range):
                    property = try Property(bytes: UnsafeBufferPointer(rebasing: bytes[range]), origin: origin, decodingCharsets: encoding == .utf8, location: location)
                case .joined(let joined):
                    property = try joined.withUnsafeBufferPointer {
                        try Property(bytes: $0, origin: origin, decodingCharsets: encoding == .utf8, location: location)
                    }
                }
                guard let property else {
                    throw ConnectorError("malformed vCard line \(index + 1): '\(line.string(in: bytes).prefix(60))'")
                }
                properties.append(property)
            }
            let layout = Layout(
                source: source, encoding: encoding, lineEnd: lineEnd ?? .crlf, head: 0..<(end > 1 ? lines[1].start : lines[end].start),
                tail: lines[end].start..<bytes.count)
            return VCard(properties: properties, layout: layout)
        }
    }

    /// The 1-based number of the line starting at `offset`, counting CRLF, LF and CR line ends.
    private static func physicalLineNumber(of offset: Int, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var number = 1
        var index = start
        while index < offset {
            if bytes[index] == UInt8(ascii: "\n") || (bytes[index] == UInt8(ascii: "\r") && (index + 1 >= bytes.count || bytes[index + 1] != UInt8(ascii: "\n"))) {
                number += 1
            }
            index += 1
        }
        return number
    }
}

extension VCard.Property {
    /// The first colon outside double quotes: the end of the name and parameters.
    static func colon(in line: UnsafeBufferPointer<UInt8>) -> Int? {
        var inQuotes = false
        for index in line.indices {
            let byte = line[index]
            if byte == UInt8(ascii: "\"") { inQuotes.toggle() }
            if byte == UInt8(ascii: ":") && !inQuotes { return index }
        }
        return nil
    }

    /// Parses `group.NAME;PARAMS:value` from a content line's bytes; nil when the line has no
    /// colon or no name. The value is decoded from quoted-printable and, where
    /// `decodingCharsets`, from the charset its `CHARSET` parameter names (a UTF-16 file's
    /// values are text already, whatever a parameter says).
    /// - Parameter location: where the line is, for an error.
    init?(bytes line: UnsafeBufferPointer<UInt8>, origin: Origin?, decodingCharsets: Bool, location: () -> String) throws {
        guard let colon = Self.colon(in: line) else { return nil }
        // Most lines are ASCII: told once for the whole line, its parts need no check of their own.
        let ascii = TextCharset.isASCII(line)
        func text(_ range: Range<Int>, _ part: @autoclosure () -> String) throws -> String {
            let bytes = UnsafeBufferPointer(rebasing: line[range])
            if ascii { return String(decoding: bytes, as: UTF8.self) }
            guard let text = TextCharset.validUTF8(bytes) else { throw Self.invalidUTF8(bytes, in: part(), location: location()) }
            return text
        }
        let nameEnd = line[..<colon].firstIndex(of: UInt8(ascii: ";")) ?? colon
        var nameStart = 0
        let group: String?
        if let dot = line[..<nameEnd].firstIndex(of: UInt8(ascii: ".")) {
            group = try text(0..<dot, "the group")
            nameStart = dot + 1
        } else {
            group = nil
        }
        guard nameStart < nameEnd else { return nil }
        let spelled = try text(nameStart..<nameEnd, "the property name")
        // Names are nearly always upper case already; upper-casing allocates.
        let lowerCase = line[nameStart..<nameEnd].contains(where: { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") })
        let name = lowerCase ? spelled.uppercased() : spelled
        let parameters = nameEnd < colon ? try text((nameEnd + 1)..<colon, "the parameters of \(name)") : ""
        let transfer = nameEnd < colon ? VCardParameters.transfer(in: UnsafeBufferPointer(rebasing: line[(nameEnd + 1)..<colon])) : .init()
        let value: String
        if transfer.isPlain || transfer.base64 || (!transfer.quotedPrintable && !decodingCharsets) {
            value = try text((colon + 1)..<line.count, "the value of \(name)")
        } else {
            value = try Self.decode(UnsafeBufferPointer(rebasing: line[(colon + 1)...]), transfer, decodingCharsets: decodingCharsets, name: name, location: location)
        }
        self.init(group: group, name: name, parameters: parameters, value: value, origin: origin)
    }

    /// A value decoded from quoted-printable and its charset.
    private static func decode(
        _ encoded: UnsafeBufferPointer<UInt8>, _ transfer: VCardParameters.Transfer, decodingCharsets: Bool, name: String, location: () -> String
    ) throws -> String {
        var charset = TextCharset.utf8
        if decodingCharsets, let named = transfer.charset {
            guard let known = TextCharset(named: named) else {
                throw ConnectorError("\(location()): the CHARSET '\(named)' of \(name) is not one accord can read")
            }
            charset = known
        }
        func decoded(_ bytes: UnsafeBufferPointer<UInt8>) throws -> String {
            if let text = charset.decode(bytes) { return text }
            if charset == .utf8 { throw invalidUTF8(bytes, in: "the value of \(name)", location: location()) }
            throw ConnectorError("\(location()): the value of \(name) is not valid \(transfer.charset ?? "")")
        }
        guard transfer.quotedPrintable, QuotedPrintable.needsDecoding(encoded) else { return try decoded(encoded) }
        return try QuotedPrintable.decode(encoded).withUnsafeBufferPointer(decoded)
    }

    /// The error for bytes that are not UTF-8, naming the first byte that is not.
    private static func invalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>, in part: String, location: String) -> ConnectorError {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .error:
                let byte = String(bytes[offset], radix: 16, uppercase: true)
                return ConnectorError(
                    "\(location): \(part) is not valid UTF-8 (byte 0x\(byte) at position \(offset + 1)), and no CHARSET parameter says which charset it is in")
            case .emptyInput:
                return ConnectorError("\(location): \(part) is not valid UTF-8")
            }
        }
    }
}
