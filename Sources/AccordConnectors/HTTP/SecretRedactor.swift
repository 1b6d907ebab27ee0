import Foundation

/// Replaces a client's secrets in text accord stores or prints (failure messages, what a server
/// said, log lines), in every form a server may echo them: as sent (the password, `user:password`,
/// the bearer token, the `Authorization` value), base64-encoded (padded or not, standard or URL
/// alphabet, and the part of the encoding that does not depend on what comes before or after
/// the secret, so the base64 of any text containing it), and each byte of any of these written
/// percent-encoded (hex digits in either case), as `+` for a space (forms), as an XML or HTML
/// character reference, or as a JSON escape, in any mixture.
///
/// Redaction must come before anything that shortens or reshapes the text: a secret cut in two
/// by truncation, or split by markup being stripped, is no longer recognisable.
struct SecretRedactor: Sendable {
    static let marker = "<redacted>"

    /// The forms to look for, as bytes, longest first: a form containing another (the header
    /// containing the base64) is replaced whole.
    private let forms: [[UInt8]]

    init(_ auth: HTTPAuth?) {
        var forms: Set<String> = []
        switch auth {
        case .basic(let user, let password):
            let pair = "\(user):\(password)"
            forms.formUnion([password, pair, "Basic " + Self.base64(pair)])
            for secret in [pair, password] { forms.formUnion(Self.base64Forms(Data(secret.utf8))) }
        case .bearer(let token):
            forms.formUnion([token, "Bearer " + token])
            forms.formUnion(Self.base64Forms(Data(token.utf8)))
        case nil:
            break
        }
        self.forms = forms.filter { !$0.isEmpty }.map { Array($0.utf8) }.sorted { $0.count > $1.count || ($0.count == $1.count && $0.lexicographicallyPrecedes($1)) }
    }

    /// `text` with every form of every secret replaced by `<redacted>`.
    func callAsFunction(_ text: String) -> String {
        guard !forms.isEmpty, !text.isEmpty else { return text }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var index = 0
        var copiedUpTo = 0
        while index < bytes.count {
            let first = bytes[index]
            // Most positions start no form: only a form's own first byte or an encoding's can.
            let mayBeEncoded = first == UInt8(ascii: "%") || first == UInt8(ascii: "+") || first == UInt8(ascii: "&") || first == UInt8(ascii: "\\")
            let candidates = forms.lazy.filter { $0[0] == first || mayBeEncoded }
            if let end = candidates.compactMap({ Self.match($0[...], in: bytes, at: index) }).first {
                if out.isEmpty { out.reserveCapacity(bytes.count) }
                out.append(contentsOf: bytes[copiedUpTo..<index])
                out.append(contentsOf: Self.marker.utf8)
                index = end
                copiedUpTo = end
            } else {
                index += 1
            }
        }
        guard copiedUpTo > 0 else { return text }
        out.append(contentsOf: bytes[copiedUpTo...])
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Forms

    private static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// The base64 forms of a secret: whole (padded and not, both alphabets), and the three
    /// cores that stand for it inside the encoding of a longer text, one per alignment. A core
    /// shorter than 8 characters is left out: it would match by chance.
    static func base64Forms(_ secret: Data) -> [String] {
        var forms: [String] = []
        for offset in 0..<3 {
            let encoded = (Data(repeating: 0, count: offset) + secret).base64EncodedString()
            // Characters that mix the bytes before the secret with its own: one for a byte, two
            // for two; and at the end, those that mix its last bytes with what follows.
            let head = [0, 2, 3][offset]
            let length = offset + secret.count
            let tail = length % 3 == 0 ? 0 : 4 - (length % 3 == 1 ? 1 : 2)
            let characters = Array(encoded)
            if offset == 0 {
                let padded = encoded
                let unpadded = String(padded.prefix { $0 != "=" })
                forms += [padded, unpadded, urlAlphabet(padded), urlAlphabet(unpadded)]
            }
            guard characters.count - head - tail >= 8 else { continue }
            let core = String(characters[head..<(characters.count - tail)])
            forms += [core, urlAlphabet(core)]
        }
        return forms
    }

    private static func urlAlphabet(_ base64: String) -> String {
        String(base64.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }

    // MARK: - Matching

    /// Where a form found at `start` ends, each of its bytes written as itself or encoded;
    /// nil when it is not there.
    private static func match(_ form: ArraySlice<UInt8>, in text: [UInt8], at start: Int) -> Int? {
        guard let byte = form.first else { return start }
        let rest = form.dropFirst()
        // Usually one way of writing the byte fits; a literal `%`, `&` or `\` may also start
        // its own encoding, so each way that fits is followed until the rest matches.
        for end in encodings(of: byte, in: text, at: start) {
            if let found = match(rest, in: text, at: end) { return found }
        }
        return nil
    }

    /// The ends of every way `byte` is written at `index`: itself, `%XX`, `+` for a space,
    /// `&amp;` and the other XML entities, `&#NN;`, `&#xHH;`, and JSON's `\"`, `\\`, `\/` and `\uXXXX`.
    private static func encodings(of byte: UInt8, in text: [UInt8], at index: Int) -> [Int] {
        guard index < text.count else { return [] }
        var ends: [Int] = []
        let first = text[index]
        if first == byte { ends.append(index + 1) }
        switch first {
        case UInt8(ascii: "%"):
            if index + 2 < text.count, let high = hex(text[index + 1]), let low = hex(text[index + 2]), high << 4 | low == byte {
                ends.append(index + 3)
            }
        case UInt8(ascii: "+"):
            if byte == UInt8(ascii: " ") { ends.append(index + 1) }
        case UInt8(ascii: "&"):
            if let (value, end) = characterReference(in: text, at: index), value == byte { ends.append(end) }
        case UInt8(ascii: "\\"):
            if let (value, end) = jsonEscape(in: text, at: index), value == byte { ends.append(end) }
        default:
            break
        }
        return ends
    }

    private static func hex(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static let entities: [(name: [UInt8], value: UInt8)] = [
        (Array("amp;".utf8), UInt8(ascii: "&")), (Array("lt;".utf8), UInt8(ascii: "<")), (Array("gt;".utf8), UInt8(ascii: ">")),
        (Array("quot;".utf8), UInt8(ascii: "\"")), (Array("apos;".utf8), UInt8(ascii: "'")),
    ]

    /// An XML or HTML character reference to an ASCII character at `index` (which holds `&`).
    private static func characterReference(in text: [UInt8], at index: Int) -> (UInt8, Int)? {
        let after = index + 1
        for (name, value) in entities where text[after...].starts(with: name) { return (value, after + name.count) }
        guard after < text.count, text[after] == UInt8(ascii: "#") else { return nil }
        var cursor = after + 1
        let isHex = cursor < text.count && (text[cursor] | 0x20) == UInt8(ascii: "x")
        if isHex { cursor += 1 }
        var value = 0
        let digitsStart = cursor
        while cursor < text.count, cursor - digitsStart < 8 {
            let digit = isHex ? hex(text[cursor]) : (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[cursor]) ? text[cursor] - UInt8(ascii: "0") : nil
            guard let digit else { break }
            value = value * (isHex ? 16 : 10) + Int(digit)
            cursor += 1
        }
        guard cursor > digitsStart, cursor < text.count, text[cursor] == UInt8(ascii: ";"), value < 0x80 else { return nil }
        return (UInt8(value), cursor + 1)
    }

    /// A JSON escape of an ASCII character at `index` (which holds `\`).
    private static func jsonEscape(in text: [UInt8], at index: Int) -> (UInt8, Int)? {
        guard index + 1 < text.count else { return nil }
        switch text[index + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"):
            return (text[index + 1], index + 2)
        case UInt8(ascii: "u"):
            guard index + 5 < text.count else { return nil }
            var value = 0
            for digit in text[(index + 2)...(index + 5)] {
                guard let digit = hex(digit) else { return nil }
                value = value << 4 | Int(digit)
            }
            return value < 0x80 ? (UInt8(value), index + 6) : nil
        default:
            return nil
        }
    }
}
