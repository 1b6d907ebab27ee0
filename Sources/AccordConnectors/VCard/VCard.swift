import AccordModel

/// A vCard (2.1, 3.0 or 4.0) as an ordered list of properties, so a card can be changed and written
/// back without losing anything accord does not map (RFC 6350, RFC 2426, vCard 2.1).
///
/// A parsed card remembers how it was written: each property keeps the bytes it was read from
/// (folding, parameters, quoted-printable, charset, line ends) until one of its parts is set,
/// and the card keeps its file's encoding (UTF-8, UTF-8 with a byte order mark, UTF-16), its line
/// ends, and the bytes before its first property and from `END:VCARD` on. Writing it gives those
/// bytes back unchanged, and encodes only the properties that changed, as the card encodes them
/// (`serializedBytes`). A card accord makes is vCard 3.0 in UTF-8 with CRLF line ends.
///
/// Two cards are equal when their properties' parts are, however their bytes were written.
public struct VCard: Sendable, Hashable {
    /// One content line: `group.NAME;PARAMS:value`.
    public struct Property: Sendable, Hashable {
        /// The group (`item1` of `item1.TEL`), as written.
        public var group: String? { didSet { isChanged = true } }
        /// Upper-cased property name.
        public var name: String { didSet { origin = nil } }
        /// Parameters as written, without the leading `;` (e.g. `TYPE=work;PREF=1`, 2.1's `WORK;PREF`).
        public var parameters: String { didSet { isChanged = true } }
        /// The value, still escaped as vCard text escapes it (`\,`, `\;`, `\n`), but decoded from
        /// its transfer encoding and charset: a 2.1 quoted-printable value in ISO-8859-1 is held as
        /// the text it stands for. A base64 value (a photo) is held as written, without folding.
        public var value: String { didSet { isChanged = true } }
        /// Where the property was read from in its card's source (`Layout.source`): its content
        /// line with its folding, soft line breaks and line end, and any blank lines after it.
        /// A range and not the bytes: a listing parses every card, and a slice per property (a
        /// reference to count) cost a tenth of it.
        var origin: Origin?
        /// Whether a part was set since the property was read: it is encoded anew, its name
        /// spelled as in its origin.
        var isChanged = false

        /// The bytes a property was read from, in the source of the card identified by `owner`.
        struct Origin: Sendable {
            var range: Range<Int>
            var owner: UInt
        }

        public init(group: String? = nil, name: String, parameters: String = "", value: String) {
            self.group = group
            // Names are nearly always upper-case ASCII already; upper-casing allocates.
            let upper = name.utf8.allSatisfy({ $0 < 0x80 && !(UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) })
            self.name = upper ? name : name.uppercased()
            self.parameters = parameters
            self.value = value
        }

        /// A property read from a card.
        init(group: String?, name: String, parameters: String, value: String, origin: Origin?) {
            self.group = group
            self.name = name
            self.parameters = parameters
            self.value = value
            self.origin = origin
        }

        public static func == (lhs: Property, rhs: Property) -> Bool {
            lhs.name == rhs.name && lhs.value == rhs.value && lhs.parameters == rhs.parameters && lhs.group == rhs.group
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(group)
            hasher.combine(name)
            hasher.combine(parameters)
            hasher.combine(value)
        }
    }

    public var properties: [Property]
    /// How the card's file was written; nil for a card accord makes.
    var layout: Layout?

    public init(properties: [Property]) {
        self.properties = properties
        self.layout = nil
    }

    init(properties: [Property], layout: Layout?) {
        self.properties = properties
        self.layout = layout
    }

    public static func == (lhs: VCard, rhs: VCard) -> Bool { lhs.properties == rhs.properties }

    public func hash(into hasher: inout Hasher) { hasher.combine(properties) }

    /// `VERSION`, `3.0` when absent.
    public var version: String { properties.first { $0.name == "VERSION" }?.value ?? "3.0" }

    /// How a parsed card's file was written, so that writing it keeps that form.
    struct Layout: Sendable {
        /// The file's bytes (a UTF-16 file's transcoded to UTF-8), which properties' origins
        /// range over.
        var source: [UInt8]
        /// Tells this card's source from another's: a property moved in from another card is
        /// written anew.
        var owner: UInt
        /// The file's encoding; a UTF-16 file is parsed and written through its UTF-8 transcoding.
        var encoding: FileEncoding
        /// The line end of the file's first line, used for the lines accord writes.
        var lineEnd: LineEnd
        /// The bytes before the first property: a byte order mark, `BEGIN:VCARD`, blank lines.
        var head: Range<Int>
        /// `END:VCARD` and what follows it.
        var tail: Range<Int>

        init(source: [UInt8], encoding: FileEncoding, lineEnd: LineEnd, head: Range<Int>, tail: Range<Int>) {
            self.source = source
            owner = Self.owner(of: source)
            self.encoding = encoding
            self.lineEnd = lineEnd
            self.head = head
            self.tail = tail
        }

        /// The address of `source`'s storage: unique while the card holds it, which it never changes.
        static func owner(of source: [UInt8]) -> UInt {
            source.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        }

        /// The bytes `property` was read from in this card, nil when it changed since or was not
        /// read from this card.
        func unchangedBytes(of property: Property) -> ArraySlice<UInt8>? {
            guard !property.isChanged, let origin = property.origin, origin.owner == owner else { return nil }
            return source[origin.range]
        }

        /// The property's name as its origin spells it (`Tel` of `item1.Tel`), nil when that is
        /// not this card's or the name changed since.
        func spelledName(of property: Property) -> String? {
            guard let origin = property.origin, origin.owner == owner else { return nil }
            let line = source[origin.range]
            var end = line.startIndex
            while end < line.endIndex, ![UInt8(ascii: ":"), UInt8(ascii: ";"), 0x0D, 0x0A].contains(line[end]) { end += 1 }
            let start = line[..<end].firstIndex(of: UInt8(ascii: ".")).map { $0 + 1 } ?? line.startIndex
            let spelled = String(decoding: line[start..<end], as: UTF8.self)
            return spelled.uppercased() == property.name ? spelled : nil
        }
    }

    /// A card file's encoding.
    enum FileEncoding: Sendable, Equatable {
        /// UTF-8, or 8-bit text whose properties say their charset (2.1's `CHARSET`).
        case utf8
        /// UTF-16 in either byte order, with or without a byte order mark.
        case utf16(bigEndian: Bool, byteOrderMark: Bool)
    }

    enum LineEnd: Sendable {
        case crlf, lf, cr

        var bytes: [UInt8] {
            switch self {
            case .crlf: [0x0D, 0x0A]
            case .lf: [0x0A]
            case .cr: [0x0D]
            }
        }
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

    /// Unescapes a value that is not text (a URI, an email address, a date): some clients escape
    /// its `:`, `,` and `;` as text (`URL:http\://example.com`). Only those and `\\` lose their
    /// backslash; any other backslash is part of the value.
    public static func unescapeNonText(_ value: some StringProtocol) -> String {
        guard value.utf8Contains(UInt8(ascii: "\\")) else { return String(value) }
        var out = ""
        var escaped = false
        for character in value {
            if escaped {
                if character != ":" && character != "," && character != ";" && character != "\\" { out.append("\\") }
                out.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                out.append(character)
            }
        }
        if escaped { out.append("\\") }
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

    /// Escapes a text value for a vCard 2.1 line, which escapes less than 3.0: a backslash, and a
    /// `;` inside a structured value (N, ADR, ORG) only. Line breaks stay: 2.1 writes them
    /// quoted-printable (`serializedBytes` does).
    public static func escape21(_ value: String, structured: Bool) -> String {
        guard value.utf8ContainsAny(of: structured ? "\\;" : "\\") else { return value }
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case ";" where structured: out += "\\;"
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

    /// The components of a structured value (N, ADR, ORG): split on unescaped `;` and each
    /// unescaped, in one pass over the bytes (a listing splits three values of every card; only
    /// a component holding a backslash is unescaped as text).
    public static func unescapedComponents(_ value: String) -> [String] {
        value.withUTF8Bytes { bytes in
            var parts: [String] = []
            parts.reserveCapacity(8)
            var start = 0
            var escaped = false
            var holdsEscape = false
            func take(_ end: Int) {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
                parts.append(holdsEscape ? unescape(text) : text)
                start = end + 1
                holdsEscape = false
            }
            for index in 0..<bytes.count {
                let byte = bytes[index]
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                    holdsEscape = true
                } else if byte == UInt8(ascii: ";") {
                    take(index)
                }
            }
            take(bytes.count)
            return parts
        }
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
