import Foundation

/// A character set a vCard value may be written in (2.1's `CHARSET` parameter), decoded
/// strictly: bytes that are not text in it make no text at all (nil), never U+FFFD or a
/// silently dropped character.
///
/// Known: UTF-8; windows-1252, also for reading the labels ISO-8859-1, Latin-1 and US-ASCII (as
/// browsers read them, WHATWG Encoding: files labelled Latin-1 hold windows-1252 more often than
/// C1 controls; text is written in them only where it is Latin-1 proper); Shift_JIS (with its Windows extensions, CP932); ISO-2022-JP; ISO-8859-2 and
/// windows-1250, 1251, 1253 and 1254; Mac Roman. The last three groups go through Foundation,
/// which on Linux drops some bytes it cannot map without saying so: a single-byte decoding is
/// therefore checked by encoding it back.
enum TextCharset: Sendable, Equatable {
    case utf8
    case windows1252
    /// ISO-8859-1 (and US-ASCII): read as windows-1252, but written only where the text is
    /// Latin-1 without C1 controls, so a strict Latin-1 reader reads what was meant.
    case latin1
    /// A Foundation encoding.
    case foundation(String.Encoding)

    /// The charset a `CHARSET` parameter names (any case), nil when accord does not know it.
    init?(named name: String) {
        switch name.uppercased() {
        case "UTF-8", "UTF8": self = .utf8
        case "WINDOWS-1252", "CP1252", "X-CP1252": self = .windows1252
        case "ISO-8859-1", "ISO8859-1", "ISO_8859-1", "LATIN1", "LATIN-1", "L1", "CP819", "IBM819", "US-ASCII", "ASCII", "ANSI_X3.4-1968":
            self = .latin1
        case "SHIFT_JIS", "SHIFT-JIS", "SJIS", "X-SJIS", "MS_KANJI", "CSSHIFTJIS", "CP932", "WINDOWS-31J":
            self = .foundation(.shiftJIS)
        case "ISO-2022-JP", "CSISO2022JP": self = .foundation(.iso2022JP)
        case "ISO-8859-2", "ISO8859-2", "LATIN2": self = .foundation(.isoLatin2)
        case "WINDOWS-1250", "CP1250": self = .foundation(.windowsCP1250)
        case "WINDOWS-1251", "CP1251": self = .foundation(.windowsCP1251)
        case "WINDOWS-1253", "CP1253": self = .foundation(.windowsCP1253)
        case "WINDOWS-1254", "CP1254": self = .foundation(.windowsCP1254)
        case "MACINTOSH", "MACROMAN", "X-MAC-ROMAN": self = .foundation(.macOSRoman)
        default: return nil
        }
    }

    /// The text `bytes` stand for, nil when they are not valid in this charset.
    func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        switch self {
        case .utf8:
            return Self.validUTF8(bytes)
        case .windows1252, .latin1:
            var scalars = String.UnicodeScalarView()
            for byte in bytes { scalars.append(Self.windows1252Scalar(byte)) }
            return String(scalars)
        case .foundation(let encoding):
            return String(bytes: bytes, encoding: encoding)
        }
    }

    /// `text` in this charset, nil when it holds a character the charset cannot write.
    func encode(_ text: String) -> [UInt8]? {
        switch self {
        case .utf8:
            return Array(text.utf8)
        case .windows1252, .latin1:
            var out: [UInt8] = []
            out.reserveCapacity(text.utf8.count)
            for scalar in text.unicodeScalars {
                guard let byte = Self.windows1252Byte(scalar), self == .windows1252 || byte < 0x80 || byte >= 0xA0 else { return nil }
                out.append(byte)
            }
            return out
        case .foundation(let encoding):
            guard let data = text.data(using: encoding, allowLossyConversion: false) else { return nil }
            // Only an encoding that reads back as the text counts: a character of two codes (some
            // of Shift_JIS's Windows extensions) could otherwise come back as another.
            guard String(bytes: data, encoding: encoding) == text else { return nil }
            return Array(data)
        }
    }

    /// `bytes` as a string when they are valid UTF-8, else nil. Every part of every card a
    /// listing reads goes through here: ASCII (most of them) is told apart eight bytes at a time
    /// and made a string directly; other text is decoded (which repairs) and kept only when the
    /// decoding is the very bytes (`String(validating:)` took twenty times as long on Linux).
    static func validUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        return isASCII(bytes) || text.utf8.elementsEqual(bytes) ? text : nil
    }

    /// Whether every byte is ASCII, looked at eight at a time.
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var index = 0
        while index + 8 <= bytes.count {
            if UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            index += 8
        }
        while index < bytes.count {
            if bytes[index] >= 0x80 { return false }
            index += 1
        }
        return true
    }

    /// windows-1252's characters for 0x80...0x9F; the five bytes it leaves undefined stand for the
    /// C1 controls of the same number, as WHATWG's decoder reads them.
    private static let windows1252High: [UInt32] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]

    private static func windows1252Scalar(_ byte: UInt8) -> Unicode.Scalar {
        guard byte >= 0x80, byte <= 0x9F else { return Unicode.Scalar(byte) }
        return Unicode.Scalar(windows1252High[Int(byte - 0x80)])!
    }

    private static func windows1252Byte(_ scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        if value < 0x80 || (value >= 0xA0 && value <= 0xFF) { return UInt8(value) }
        return windows1252High.firstIndex(of: value).map { UInt8(0x80 + $0) }
    }
}
