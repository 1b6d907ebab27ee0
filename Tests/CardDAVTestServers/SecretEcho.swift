import Foundation

/// What a careless server echoes of the credentials it received, for tests that check accord
/// never stores or prints any of it: the `Authorization` value, the secret in it (a password or
/// bearer token) and `user:password`, in every encoding a page, a URL or a JSON body may give.
public struct SecretEcho: Sendable {
    /// One form of the secret: how it is named in a message, the text a server writes, and the
    /// part of it that must not appear (the part that stands for the secret only).
    public struct Form: Sendable, CustomStringConvertible {
        public var name: String
        public var text: String
        public var secretPart: String

        public var description: String { name }
    }

    public let forms: [Form]

    /// The forms of the credentials in an `Authorization` header value (`Basic …` or `Bearer …`).
    public init(authorization header: String) {
        var forms = [Form(name: "the Authorization header", text: header, secretPart: header)]
        let secret: String
        let encoded: String
        if header.hasPrefix("Basic ") {
            let base64 = String(header.dropFirst("Basic ".count))
            let pair = String(decoding: Data(base64Encoded: base64) ?? Data(), as: UTF8.self)
            secret = String(pair[pair.index(after: pair.firstIndex(of: ":")!)...])
            encoded = pair
            forms.append(Form(name: "user:password", text: pair, secretPart: secret))
            forms.append(Form(name: "base64 of the password", text: Self.base64(secret), secretPart: Self.base64(secret)))
        } else {
            secret = String(header.dropFirst("Bearer ".count))
            encoded = secret
        }
        let base64 = Self.base64(encoded)
        let unpadded = String(base64.prefix { $0 != "=" })
        let inLongerText = Self.base64("id=7&auth=" + encoded + ";")
        forms += [
            Form(name: "the secret", text: secret, secretPart: secret),
            Form(name: "base64", text: base64, secretPart: base64),
            Form(name: "base64 without padding", text: unpadded, secretPart: unpadded),
            Form(name: "base64url", text: Self.urlAlphabet(unpadded), secretPart: Self.urlAlphabet(unpadded)),
            // Its first 16 characters encode "id=7&auth=", its last 8 the end of the text.
            Form(name: "base64 of a text containing it", text: inLongerText, secretPart: String(inLongerText.dropFirst(16).dropLast(8))),
            Form(name: "percent-encoded base64", text: Self.percentEncoded(base64, upper: true), secretPart: Self.percentEncoded(base64, upper: true)),
            Form(name: "percent-encoded, upper-case hex", text: Self.percentEncoded(secret, upper: true), secretPart: Self.percentEncoded(secret, upper: true)),
            Form(name: "percent-encoded, lower-case hex", text: Self.percentEncoded(secret, upper: false), secretPart: Self.percentEncoded(secret, upper: false)),
            Form(name: "form-encoded", text: Self.percentEncoded(secret, upper: true, spaceAsPlus: true), secretPart: Self.percentEncoded(secret, upper: true, spaceAsPlus: true)),
            Form(
                name: "in a URL", text: "https://ann:\(Self.percentEncoded(secret, upper: true))@example.com/contacts",
                secretPart: Self.percentEncoded(secret, upper: true)),
            Form(name: "XML-escaped", text: Self.xmlEscaped(secret), secretPart: Self.xmlEscaped(secret)),
            Form(name: "numeric character references", text: Self.numericReferences(secret), secretPart: Self.numericReferences(secret)),
            Form(name: "JSON-escaped", text: Self.jsonEscaped(secret), secretPart: Self.jsonEscaped(secret)),
            Form(name: "JSON \\u escapes", text: Self.jsonUnicodeEscaped(secret), secretPart: Self.jsonUnicodeEscaped(secret)),
        ]
        self.forms = forms
    }

    /// An HTML error page quoting `form`, as an echoing server's 401 or 500 would.
    public static func page(quoting form: Form) -> String {
        "<html><head><title>Unauthorized</title></head><body><h1>Unauthorized</h1><p>You sent: \(form.text)</p></body></html>"
    }

    /// An HTML page in whose words (markup stripped, white space collapsed) `text` starts at
    /// the 280th character: a message that quotes the first 300 characters before redacting cuts
    /// the secret in two.
    public static func page(straddling text: String) -> String {
        var filler = ""
        while filler.count + 26 <= 280 { filler += "The request was rejected. " }
        filler += String(repeating: "x", count: 279 - filler.count) + " "
        return "<html><body><p>" + filler + text + "</p></body></html>"
    }

    /// The forms of which a piece of 8 characters (or the whole, when shorter) appears in `text`.
    public func leaks(in text: String) -> [String] {
        forms.filter { form in
            let part = Array(form.secretPart)
            let width = min(8, part.count)
            guard width > 0 else { return false }
            return (0...(part.count - width)).contains { text.contains(String(part[$0..<($0 + width)])) }
        }.map(\.name)
    }

    // MARK: - Encodings

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    static func urlAlphabet(_ base64: String) -> String {
        String(base64.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }

    static func percentEncoded(_ text: String, upper: Bool, spaceAsPlus: Bool = false) -> String {
        var out = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80, CharacterSet.alphanumerics.contains(scalar) || "-._~".unicodeScalars.contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else if spaceAsPlus, byte == UInt8(ascii: " ") {
                out += "+"
            } else {
                out += "%" + String(format: upper ? "%02X" : "%02x", byte)
            }
        }
        return out
    }

    static func xmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&apos;")
    }

    static func numericReferences(_ text: String) -> String {
        String(text.unicodeScalars.flatMap { scalar in
            scalar.isASCII && !CharacterSet.alphanumerics.contains(scalar) ? Array("&#\(scalar.value);") : [Character(scalar)]
        })
    }

    static func jsonEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "/", with: "\\/")
    }

    static func jsonUnicodeEscaped(_ text: String) -> String {
        String(text.unicodeScalars.flatMap { scalar in
            scalar.isASCII && !CharacterSet.alphanumerics.contains(scalar) ? Array(String(format: "\\u%04x", scalar.value)) : [Character(scalar)]
        })
    }
}
