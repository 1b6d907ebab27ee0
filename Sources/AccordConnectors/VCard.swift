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

    /// Parses one vCard. Works on UTF-8 code units: line ends, folding and the separators it
    /// looks for are all ASCII, and walking characters would cost several times more.
    public static func parse(_ text: String) throws -> VCard {
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
        var properties: [Property] = []
        properties.reserveCapacity(end - 1)
        for (index, line) in lines[1..<end].enumerated() {
            guard let property = Property(line: line) else {
                throw ConnectorError("malformed vCard line \(index + 2): '\(line.prefix(60))'")
            }
            properties.append(property)
        }
        return VCard(properties: properties)
    }

    // MARK: - Writing

    /// The card as text: CRLF line ends, lines folded at 75 octets.
    public func serialized() -> String { String(decoding: serializedBytes(), as: UTF8.self) }

    /// The card as UTF-8 bytes, as `serialized()`. Each line is appended straight to one buffer
    /// (a first run writes every card it creates: building each line as a string of its own cost
    /// a quarter of making a new card); only a line longer than 75 octets is folded as a string.
    public func serializedBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(properties.reduce(26) { $0 + $1.lineLength + 2 })
        out.append(contentsOf: "BEGIN:VCARD\r\n".utf8)
        for property in properties {
            if property.lineLength > 75 {
                out.append(contentsOf: Self.fold(property.line).utf8)
            } else {
                if let group = property.group {
                    out.append(contentsOf: group.utf8)
                    out.append(UInt8(ascii: "."))
                }
                out.append(contentsOf: property.name.utf8)
                if !property.parameters.isEmpty {
                    out.append(UInt8(ascii: ";"))
                    out.append(contentsOf: property.parameters.utf8)
                }
                out.append(UInt8(ascii: ":"))
                out.append(contentsOf: property.value.utf8)
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
    public static func unescape(_ value: Substring) -> String {
        guard value.utf8.contains(UInt8(ascii: "\\")) else { return String(value) }
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

    /// Escapes a text value for a vCard line.
    public static func escape(_ value: String) -> String {
        let needsEscaping = value.utf8.contains {
            $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: ";")
        }
        guard needsEscaping else { return value }
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\n", "\r\n": out += "\\n"
            case ",": out += "\\,"
            case ";": out += "\\;"
            default: out.append(character)
            }
        }
        return out
    }

    /// Splits a raw value on unescaped `separator` (`;` for N/ADR/ORG components, `,` for lists).
    public static func split(_ value: String, on separator: Character) -> [Substring] {
        let separator = separator.asciiValue!
        let utf8 = value.utf8
        var parts: [Substring] = []
        var start = utf8.startIndex
        var escaped = false
        var index = utf8.startIndex
        while index < utf8.endIndex {
            let byte = utf8[index]
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == separator {
                parts.append(value[start..<index])
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        parts.append(value[start...])
        return parts
    }
}

extension VCard.Property {
    /// Parses `group.NAME;PARAMS:value`; the first colon outside double quotes ends the name part.
    init?(line: String) {
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
        value = String(line[utf8.index(after: colon)...])
        let nameEnd = head.utf8.firstIndex(of: UInt8(ascii: ";")) ?? head.endIndex
        var fullName = head[..<nameEnd]
        parameters = nameEnd < head.endIndex ? String(head[head.utf8.index(after: nameEnd)...]) : ""
        if let dot = fullName.utf8.firstIndex(of: UInt8(ascii: ".")) {
            group = String(fullName[..<dot])
            fullName = fullName[fullName.utf8.index(after: dot)...]
        } else {
            group = nil
        }
        guard !fullName.isEmpty else { return nil }
        // Names are nearly always upper case already; upper-casing allocates.
        name = fullName.utf8.contains(where: { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) ? fullName.uppercased() : String(fullName)
    }

    /// The length in octets of the content line, unfolded.
    var lineLength: Int {
        (group.map { $0.utf8.count + 1 } ?? 0) + name.utf8.count + (parameters.isEmpty ? 0 : parameters.utf8.count + 1) + 1 + value.utf8.count
    }

    /// The content line, unfolded.
    var line: String {
        (group.map { "\($0)." } ?? "") + name + (parameters.isEmpty ? "" : ";" + parameters) + ":" + value
    }
}
