/// Quoted-printable (RFC 2045 §6.7) as vCard 2.1 uses it for values: `=XX` for a byte, `=` at a
/// line end for a soft line break. The parser joins soft-broken lines before a value is decoded.
enum QuotedPrintable {
    /// The bytes `encoded` stands for. An `=` not followed by two hex digits (nor by a line end)
    /// is kept as it is, as lenient readers do: no quoted-printable writer makes one.
    static func decode(_ encoded: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(encoded.count)
        var index = 0
        while index < encoded.count {
            let byte = encoded[index]
            guard byte == UInt8(ascii: "=") else {
                out.append(byte)
                index += 1
                continue
            }
            if index + 2 < encoded.count, let high = hexValue(encoded[index + 1]), let low = hexValue(encoded[index + 2]) {
                out.append(high << 4 | low)
                index += 3
            } else if index + 1 < encoded.count, encoded[index + 1] == 0x0D || encoded[index + 1] == 0x0A {
                // A soft line break left in the value.
                index += 2
                if index < encoded.count, encoded[index - 1] == 0x0D, encoded[index] == 0x0A { index += 1 }
            } else {
                out.append(byte)
                index += 1
            }
        }
        return out
    }

    /// Whether `encoded` holds anything to decode.
    static func needsDecoding(_ encoded: UnsafeBufferPointer<UInt8>) -> Bool {
        encoded.contains(UInt8(ascii: "="))
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// Appends `bytes` quoted-printable to `out`, in lines of at most 76 characters joined by soft
    /// line breaks (`=` and `lineEnd`); `used` is how much of the first line the property's name
    /// and parameters take. Printable ASCII stays as it is, except `=`; a space or tab is
    /// encoded where it would end or start a line; every other byte, line breaks included, is `=XX`.
    static func encode(_ bytes: [UInt8], used: Int, lineEnd: [UInt8], into out: inout [UInt8]) {
        var width = used
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            let isBlank = byte == 0x20 || byte == 0x09
            let printable = byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")
            // A blank that would end a line (the value's, or one before a soft break) is encoded:
            // readers may strip white space at line ends.
            var literal = printable || (isBlank && !isLast && width + 1 < 75)
            // Room for the character and, unless it ends the value, the `=` of a soft break.
            if width + (literal ? 1 : 3) > (isLast ? 76 : 75) {
                out.append(UInt8(ascii: "="))
                out.append(contentsOf: lineEnd)
                width = 0
                // Nor does a blank start one: readers that unfold would take it for folding.
                literal = printable
            }
            if literal {
                out.append(byte)
                width += 1
            } else {
                out.append(UInt8(ascii: "="))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
                width += 3
            }
        }
    }
}
