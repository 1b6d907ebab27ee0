import AccordModel

/// A vCard (3.0 or 4.0) as an ordered list of properties, so a card can be changed and written
/// back without losing anything accord does not map (RFC 6350, RFC 2426).
public struct VCard: Sendable, Hashable {
    /// One content line: `group.NAME;PARAMS:value`, value kept as written (escaped).
    public struct Property: Sendable, Hashable {
        public var group: String?
        /// Upper-cased property name.
        public var name: String
        /// Parameters as written, without the leading `;` (e.g. `TYPE=work;PREF=1`).
        public var parameters: String
        /// The raw (escaped) value.
        public var value: String

        public init(group: String? = nil, name: String, parameters: String = "", value: String) {
            self.group = group
            // Names are nearly always upper-case ASCII already; upper-casing allocates.
            self.name = name.utf8.allSatisfy({ $0 < 0x80 && !(UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }) ? name : name.uppercased()
            self.parameters = parameters
            self.value = value
        }
    }

    public var properties: [Property]

    public init(properties: [Property]) {
        self.properties = properties
    }

    /// `VERSION`, `3.0` when absent.
    public var version: String { properties.first { $0.name == "VERSION" }?.value ?? "3.0" }

    // MARK: - Parsing

    /// Parses one vCard. Works on UTF-8 bytes: line ends, folding and the separators it looks
    /// for are all ASCII, and each property's parts are made straight from the bytes between them
    /// (a first run parses every card: building each line as a string first, then its parts as
    /// substrings, cost three times as much).
    public static func parse(_ text: String) throws -> VCard {
        var text = text
        return try text.withUTF8 { try parse(bytes: $0) }
    }

    static func parse(bytes: UnsafeBufferPointer<UInt8>) throws -> VCard {
        // The content lines, unfolded: a line starting with a space or tab continues the one
        // before it (empty lines are dropped). Most cards have no folded line, so a line is kept
        // as a range of `bytes` until a continuation makes it a buffer of its own.
        var lines: [ContentLine] = []
        var start = 0
        func take(_ end: Int) {
            guard start < end else { return }
            let first = bytes[start]
            if (first == UInt8(ascii: " ") || first == UInt8(ascii: "\t")), !lines.isEmpty {
                lines[lines.count - 1].append(UnsafeBufferPointer(rebasing: bytes[(start + 1)..<end]), from: bytes)
            } else {
                lines.append(.range(start..<end))
            }
        }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                take(index)
                index += 1
                if byte == UInt8(ascii: "\r"), index < bytes.count, bytes[index] == UInt8(ascii: "\n") { index += 1 }
                start = index
            } else {
                index += 1
            }
        }
        take(bytes.count)
        guard lines.first?.string(in: bytes).uppercased() == "BEGIN:VCARD" else {
            throw ConnectorError("not a vCard: it does not start with BEGIN:VCARD")
        }
        guard let end = lines.lastIndex(where: { $0.string(in: bytes).uppercased() == "END:VCARD" }) else {
            throw ConnectorError("not a vCard: END:VCARD is missing")
        }
        var properties: [Property] = []
        properties.reserveCapacity(end - 1)
        for index in 1..<end {
            guard let property = lines[index].withBytes(in: bytes, Property.init(bytes:)) else {
                throw ConnectorError("malformed vCard line \(index + 1): '\(lines[index].string(in: bytes).prefix(60))'")
            }
            properties.append(property)
        }
        return VCard(properties: properties)
    }

    /// One unfolded content line of a card being parsed: a range of its bytes, or the bytes of a
    /// folded line joined.
    private enum ContentLine {
        case range(Range<Int>)
        case joined([UInt8])

        mutating func append(_ continuation: UnsafeBufferPointer<UInt8>, from bytes: UnsafeBufferPointer<UInt8>) {
            switch self {
            case .range(let range): self = .joined(Array(bytes[range]) + continuation)
            case .joined(let joined): self = .joined(joined + continuation)
            }
        }

        func withBytes<Result>(in bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
            switch self {
            case .range(let range): body(UnsafeBufferPointer(rebasing: bytes[range]))
            case .joined(let joined): joined.withUnsafeBufferPointer(body)
            }
        }

        func string(in bytes: UnsafeBufferPointer<UInt8>) -> String {
            withBytes(in: bytes) { String(decoding: $0, as: UTF8.self) }
        }
    }

    // MARK: - Writing

    /// The card as text: CRLF line ends, lines folded at 75 octets.
    public func serialized() -> String { String(decoding: serializedBytes(), as: UTF8.self) }

    /// The card as UTF-8 bytes, as `serialized()`. Each line is appended straight to one buffer
    /// (a first run writes every card it creates: building each line as a string of its own cost
    /// a quarter of making a new card); only a line longer than 75 octets is folded as a string.
    public func serializedBytes() -> [UInt8] {
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

    // MARK: - Text values

    /// Unescapes a text value (`\\`, `\n`, `\,`, `\;`).
    public static func unescape(_ value: some StringProtocol) -> String {
        guard value.utf8Contains(UInt8(ascii: "\\")) else { return String(value) }
        var out = ""
        var escaped = false
        for character in value {
            if escaped {
                switch character {
                case "n", "N": out.append("\n")
                default: out.append(character)
                }
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// Escapes a text value for a vCard line. Every line break (CRLF, LF or a lone CR) becomes
    /// `\n`: a raw one would end the line.
    public static func escape(_ value: String) -> String {
        guard value.utf8ContainsAny(of: "\\\n\r,;") else { return value }
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\n", "\r\n", "\r": out += "\\n"
            case ",": out += "\\,"
            case ";": out += "\\;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A raw (not text-escaped) value with each line break written as `\n`: a value cannot hold
    /// one, and a raw one would end the line and leave a file no reader parses (a CSV cell, for
    /// one, may hold line breaks).
    public static func withoutLineBreaks(_ value: String) -> String {
        guard value.utf8ContainsAny(of: "\n\r") else { return value }
        var out = ""
        for character in value {
            switch character {
            case "\n", "\r\n", "\r": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    /// Splits a raw value on unescaped `separator` (`;` for N/ADR/ORG components, `,` for lists).
    /// Scans the bytes: a listing splits a few values of every card, and most parts are short
    /// enough to be strings without an allocation of their own.
    public static func split(_ value: String, on separator: Character) -> [String] {
        let separator = separator.asciiValue!
        return value.withUTF8Bytes { bytes in
            func part(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
            var parts: [String] = []
            var start = 0
            var escaped = false
            for index in bytes.indices {
                let byte = bytes[index]
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == separator {
                    parts.append(part(start..<index))
                    start = index + 1
                }
            }
            parts.append(part(start..<bytes.count))
            return parts
        }
    }
}

extension VCard.Property {
    /// Parses `group.NAME;PARAMS:value` from a content line's bytes; the first colon outside
    /// double quotes ends the name part.
    init?(bytes line: UnsafeBufferPointer<UInt8>) {
        var inQuotes = false
        var colon: Int?
        for index in line.indices {
            let byte = line[index]
            if byte == UInt8(ascii: "\"") { inQuotes.toggle() }
            if byte == UInt8(ascii: ":") && !inQuotes {
                colon = index
                break
            }
        }
        guard let colon else { return nil }
        func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: line[range]), as: UTF8.self) }
        value = text((colon + 1)..<line.count)
        let nameEnd = line[..<colon].firstIndex(of: UInt8(ascii: ";")) ?? colon
        parameters = nameEnd < colon ? text((nameEnd + 1)..<colon) : ""
        var nameStart = 0
        if let dot = line[..<nameEnd].firstIndex(of: UInt8(ascii: ".")) {
            group = text(0..<dot)
            nameStart = dot + 1
        } else {
            group = nil
        }
        guard nameStart < nameEnd else { return nil }
        // Names are nearly always upper case already; upper-casing allocates.
        let fullName = text(nameStart..<nameEnd)
        name = line[nameStart..<nameEnd].contains(where: { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) ? fullName.uppercased() : fullName
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
}

extension StringProtocol {
    /// Whether the text's UTF-8 holds `byte`, searched in place. A listing and a create check
    /// most values of every card this way, and the search through the view took 380
    /// instructions a value.
    func utf8Contains(_ byte: UInt8) -> Bool {
        utf8.withContiguousStorageIfAvailable { $0.contains(byte) } ?? utf8.contains(byte)
    }

    /// Whether the text's UTF-8 holds any of the ASCII characters of `characters`.
    func utf8ContainsAny(of characters: StaticString) -> Bool {
        let wanted = UnsafeBufferPointer(start: characters.utf8Start, count: characters.utf8CodeUnitCount)
        return utf8.withContiguousStorageIfAvailable { bytes in
            bytes.contains { wanted.contains($0) }
        } ?? utf8.contains { wanted.contains($0) }
    }
}
