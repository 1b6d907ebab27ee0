import Foundation

/// A character set a vCard value may be written in (2.1's `CHARSET` parameter), decoded
/// strictly: bytes that are not text in it make no text at all (nil), never U+FFFD or a
/// silently dropped character.
///
/// Known: UTF-8; windows-1252, also for the labels ISO-8859-1, Latin-1 and US-ASCII (as browsers
/// read them, WHATWG Encoding: files labelled Latin-1 hold windows-1252 more often than C1
/// controls); Shift_JIS (with its Windows extensions, CP932); ISO-2022-JP; ISO-8859-2 and
/// windows-1250, 1251, 1253 and 1254; Mac Roman. The last three groups go through Foundation,
/// which on Linux drops some bytes it cannot map without saying so: a single-byte decoding is
/// therefore checked by encoding it back.
enum TextCharset: Sendable, Equatable {
    case utf8
    case windows1252
    /// A Foundation encoding; `singleByte` when a decoding can be checked by encoding it back.
    case foundation(String.Encoding, singleByte: Bool)

    /// The charset a `CHARSET` parameter names (any case), nil when accord does not know it.
    init?(named name: String) {
        switch name.uppercased() {
        case "UTF-8", "UTF8": self = .utf8
        case "ISO-8859-1", "ISO8859-1", "ISO_8859-1", "LATIN1", "LATIN-1", "L1", "CP819", "IBM819",
             "WINDOWS-1252", "CP1252", "X-CP1252", "US-ASCII", "ASCII", "ANSI_X3.4-1968":
            self = .windows1252
        case "SHIFT_JIS", "SHIFT-JIS", "SJIS", "X-SJIS", "MS_KANJI", "CSSHIFTJIS", "CP932", "WINDOWS-31J":
            self = .foundation(.shiftJIS, singleByte: false)
        case "ISO-2022-JP", "CSISO2022JP": self = .foundation(.iso2022JP, singleByte: false)
        case "ISO-8859-2", "ISO8859-2", "LATIN2": self = .foundation(.isoLatin2, singleByte: true)
        case "WINDOWS-1250", "CP1250": self = .foundation(.windowsCP1250, singleByte: true)
        case "WINDOWS-1251", "CP1251": self = .foundation(.windowsCP1251, singleByte: true)
        case "WINDOWS-1253", "CP1253": self = .foundation(.windowsCP1253, singleByte: true)
        case "WINDOWS-1254", "CP1254": self = .foundation(.windowsCP1254, singleByte: true)
        case "MACINTOSH", "MACROMAN", "X-MAC-ROMAN": self = .foundation(.macOSRoman, singleByte: true)
        default: return nil
        }
    }

    /// The text `bytes` stand for, nil when they are not valid in this charset.
    func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        switch self {
        case .utf8:
            return Self.validUTF8(bytes)
        case .windows1252:
            var scalars = String.UnicodeScalarView()
            for byte in bytes { scalars.append(Self.windows1252Scalar(byte)) }
            return String(scalars)
        case .foundation(let encoding, let singleByte):
            guard let text = String(bytes: bytes, encoding: encoding) else { return nil }
            if singleByte, text.data(using: encoding, allowLossyConversion: false).map({ $0.elementsEqual(bytes) }) != true { return nil }
            return text
        }
    }

    /// `text` in this charset, nil when it holds a character the charset cannot write.
    func encode(_ text: String) -> [UInt8]? {
        switch self {
        case .utf8:
            return Array(text.utf8)
        case .windows1252:
            var out: [UInt8] = []
            out.reserveCapacity(text.utf8.count)
            for scalar in text.unicodeScalars {
                guard let byte = Self.windows1252Byte(scalar) else { return nil }
                out.append(byte)
            }
            return out
        case .foundation(let encoding, _):
            guard let data = text.data(using: encoding, allowLossyConversion: false) else { return nil }
            // Foundation may drop what it cannot map even when told not to: only a faithful
            // encoding counts.
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
