/// The encodings a `csv` file may be in. accord works on the text as UTF-8 and writes the file
/// back in the encoding it was read in, with the byte order mark it had: every encoding here
/// decodes and encodes without loss, so the rows accord does not change keep their bytes. A value
/// that the file's encoding cannot hold fails its record instead of being written as `?`.
public enum TextEncoding: String, Sendable, Hashable, CaseIterable {
    case utf8 = "utf-8"
    case utf16LE = "utf-16le"
    case utf16BE = "utf-16be"
    /// Windows' Western European code page, which Excel uses for CSV on Western systems.
    case windows1252 = "windows-1252"
    /// ISO 8859-1.
    case latin1 = "latin1"

    /// The encoding a setting names (`utf-8`, `utf-16le`, `utf-16be`, `windows-1252` or `cp1252`,
    /// `latin1` or `iso-8859-1`; any case); `nil` for another name.
    public init?(setting: String) {
        switch setting.lowercased().replacingOccurrences(of: "_", with: "-") {
        case "utf-8", "utf8": self = .utf8
        case "utf-16le", "utf16le": self = .utf16LE
        case "utf-16be", "utf16be": self = .utf16BE
        case "windows-1252", "cp1252", "windows1252": self = .windows1252
        case "latin1", "latin-1", "iso-8859-1", "iso8859-1": self = .latin1
        default: return nil
        }
    }

    /// A file's text as UTF-8, with the encoding it was in and whether it began with a byte order mark.
    struct Decoded {
        var text: [UInt8]
        var encoding: TextEncoding
        var byteOrderMark: Bool
    }

    /// Why a file could not be decoded: the 1-based line of the first bad byte, and what is wrong.
    struct DecodingFailure: Error {
        var line: Int
        var problem: String
    }

    /// Decodes a file: in `declared` when the connection names an encoding, else by its byte
    /// order mark (UTF-8, UTF-16), else as UTF-8.
    static func decode(_ bytes: [UInt8], declared: TextEncoding?) throws(DecodingFailure) -> Decoded {
        let mark: TextEncoding? =
            bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? .utf8 : bytes.starts(with: [0xFF, 0xFE]) ? .utf16LE : bytes.starts(with: [0xFE, 0xFF]) ? .utf16BE : nil
        let encoding = declared ?? mark ?? .utf8
        let byteOrderMark = mark == encoding && (encoding == .utf8 || encoding == .utf16LE || encoding == .utf16BE)
        let body = byteOrderMark ? bytes[(encoding == .utf8 ? 3 : 2)...] : bytes[...]
        switch encoding {
        case .utf8:
            try body.withUnsafeBufferPointer { (buffer) throws(DecodingFailure) in
                if let bad = UTF8Validation.firstInvalidByte(in: buffer) {
                    throw DecodingFailure(line: UTF8Validation.line(of: bad, in: buffer), problem: "byte 0x\(hex(buffer[bad])) is not UTF-8")
                }
                if let zero = buffer.firstIndex(of: 0) {
                    throw DecodingFailure(line: UTF8Validation.line(of: zero, in: buffer), problem: "it holds NUL bytes (UTF-16 without a byte order mark?)")
                }
            }
            // Without a byte order mark, the text is the file's bytes themselves, not a copy.
            return Decoded(text: byteOrderMark ? Array(body) : bytes, encoding: encoding, byteOrderMark: byteOrderMark)
        case .utf16LE, .utf16BE:
            return Decoded(text: try utf16ToUTF8(body, bigEndian: encoding == .utf16BE), encoding: encoding, byteOrderMark: byteOrderMark)
        case .latin1, .windows1252:
            var text: [UInt8] = []
            text.reserveCapacity(body.count + body.count / 8)
            for byte in body {
                if byte < 0x80 {
                    text.append(byte)
                } else {
                    appendUTF8(encoding == .windows1252 && byte < 0xA0 ? windows1252Table[Int(byte - 0x80)] : UInt32(byte), to: &text)
                }
            }
            return Decoded(text: text, encoding: encoding, byteOrderMark: false)
        }
    }

    /// UTF-8 text in this encoding, after `byteOrderMark` when asked for.
    /// - Throws: the first character the encoding cannot hold (which `firstUnencodable` finds
    ///   first, so that its record fails alone).
    func encode(_ text: [UInt8], byteOrderMark: Bool) throws(UnencodableCharacter) -> [UInt8] {
        switch self {
        case .utf8:
            return byteOrderMark ? [0xEF, 0xBB, 0xBF] + text : text
        case .utf16LE, .utf16BE:
            var out: [UInt8] = byteOrderMark ? (self == .utf16LE ? [0xFF, 0xFE] : [0xFE, 0xFF]) : []
            out.reserveCapacity(out.count + text.count * 2)
            for unit in String(decoding: text, as: UTF8.self).utf16 {
                let (high, low) = (UInt8(unit >> 8), UInt8(unit & 0xFF))
                if self == .utf16LE { out += [low, high] } else { out += [high, low] }
            }
            return out
        case .latin1, .windows1252:
            var out: [UInt8] = []
            out.reserveCapacity(text.count)
            for scalar in String(decoding: text, as: UTF8.self).unicodeScalars {
                guard let byte = singleByte(scalar) else { throw UnencodableCharacter(scalar: scalar, encoding: self) }
                out.append(byte)
            }
            return out
        }
    }

    /// A character an encoding cannot hold.
    struct UnencodableCharacter: Error, CustomStringConvertible {
        var scalar: Unicode.Scalar
        var encoding: TextEncoding
        var description: String {
            "'\(Character(scalar))' (U+\(String(scalar.value, radix: 16, uppercase: true))) cannot be written in \(encoding.rawValue), the file's encoding"
        }
    }

    /// The first character of `value` this encoding cannot hold, if any.
    func firstUnencodable(in value: String) -> UnencodableCharacter? {
        guard self == .latin1 || self == .windows1252 else { return nil }
        return value.unicodeScalars.first { singleByte($0) == nil }.map { UnencodableCharacter(scalar: $0, encoding: self) }
    }

    /// The byte for a character in a single-byte encoding.
    private func singleByte(_ scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        if value < 0x80 { return UInt8(value) }
        if self == .windows1252 {
            if let index = Self.windows1252Table.firstIndex(of: value) { return UInt8(0x80 + index) }
            return value >= 0xA0 && value <= 0xFF ? UInt8(value) : nil
        }
        return value <= 0xFF ? UInt8(value) : nil
    }

    /// What windows-1252 puts at 0x80–0x9F. The five bytes it leaves undefined (0x81, 0x8D, 0x8F,
    /// 0x90, 0x9D) stand for the C1 controls of the same number, as in the WHATWG encoding
    /// standard, so that a file holding one still decodes and encodes back to its bytes.
    private static let windows1252Table: [UInt32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
        0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ]

    private static func utf16ToUTF8(_ bytes: ArraySlice<UInt8>, bigEndian: Bool) throws(DecodingFailure) -> [UInt8] {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count / 2)
        var line = 1
        guard bytes.count % 2 == 0 else { throw DecodingFailure(line: line, problem: "it has an odd number of bytes, which UTF-16 cannot") }
        var index = bytes.startIndex
        func unit() -> UInt32 {
            defer { index += 2 }
            return bigEndian ? UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1]) : UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index])
        }
        while index < bytes.endIndex {
            var value = unit()
            if value == 0x0A { line += 1 }
            if (0xD800...0xDBFF).contains(value) {
                guard index < bytes.endIndex else { throw DecodingFailure(line: line, problem: "it ends inside a character") }
                let low = unit()
                guard (0xDC00...0xDFFF).contains(low) else { throw DecodingFailure(line: line, problem: "it holds an unpaired surrogate") }
                value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(value) {
                throw DecodingFailure(line: line, problem: "it holds an unpaired surrogate")
            }
            appendUTF8(value, to: &text)
        }
        return text
    }

    private static func appendUTF8(_ value: UInt32, to text: inout [UInt8]) {
        switch value {
        case ..<0x80:
            text.append(UInt8(value))
        case ..<0x800:
            text += [UInt8(0xC0 | value >> 6), UInt8(0x80 | value & 0x3F)]
        case ..<0x10000:
            text += [UInt8(0xE0 | value >> 12), UInt8(0x80 | (value >> 6) & 0x3F), UInt8(0x80 | value & 0x3F)]
        default:
            text += [UInt8(0xF0 | value >> 18), UInt8(0x80 | (value >> 12) & 0x3F), UInt8(0x80 | (value >> 6) & 0x3F), UInt8(0x80 | value & 0x3F)]
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return digits.count == 1 ? "0" + digits : digits
    }
}
