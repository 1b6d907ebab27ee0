/// Phone numbers as `tel:` URIs (RFC 3966), as vCard 4.0 writes a `TEL;VALUE=uri`:
/// `tel:+49-30-1234567`, `tel:+1-201-555-0123;ext=1234`.
enum TelURI {
    /// The phone number a `tel:` URI holds, as people write it: without the scheme, an
    /// extension as ` ext. 1234`, percent-escapes decoded.
    static func phone(fromURI uri: String) -> String {
        var number = Substring(uri.dropFirst(4))
        var extensionNumber: Substring?
        if let semicolon = number.firstIndex(of: ";") {
            let parameters = number[number.index(after: semicolon)...]
            number = number[..<semicolon]
            for parameter in parameters.split(separator: ";") where parameter.lowercased().hasPrefix("ext=") {
                extensionNumber = parameter.dropFirst(4)
            }
        }
        let phone = percentDecoded(number)
        return extensionNumber.map { phone + " ext. " + percentDecoded($0) } ?? phone
    }

    /// `phone` as a `tel:` URI: digits, `+`, `*`, `#` and the visual separators `-` `.` `(` `)`
    /// as written; runs of white space or `/` become one `-` (a URI has no spaces); an extension
    /// (` ext. 1234`, ` x1234`) becomes `;ext=1234`; anything else is percent-escaped.
    static func uri(fromPhone phone: String) -> String {
        var number = Substring(phone)
        var extensionNumber: Substring?
        if let marker = extensionMarker(in: number) {
            extensionNumber = number[marker.upperBound...].drop { $0 == " " || $0 == "." }
            number = number[..<marker.lowerBound]
        }
        let visualSeparators: Set<Unicode.Scalar> = ["-", ".", "(", ")"]
        var out = "tel:"
        var afterBlank = false
        for scalar in number.unicodeScalars {
            switch scalar {
            case "0"..."9", "+", "*", "#", "-", ".", "(", ")":
                // One `-` where blanks stood between two characters that are not separators.
                if afterBlank, !visualSeparators.contains(scalar), let last = out.unicodeScalars.last, last != ":", !visualSeparators.contains(last) {
                    out += "-"
                }
                afterBlank = false
                out.unicodeScalars.append(scalar)
            case " ", "\t", "/", "\u{A0}":
                afterBlank = true
            default:
                if afterBlank, let last = out.unicodeScalars.last, last != ":", !visualSeparators.contains(last) { out += "-" }
                afterBlank = false
                for byte in String(scalar).utf8 { out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true) }
            }
        }
        if let extensionNumber, !extensionNumber.isEmpty { out += ";ext=" + extensionNumber.filter { $0.isNumber } }
        return out
    }

    /// Where an extension starts (` ext.`, ` ext`, ` x` before digits at the end), if the number has one.
    private static func extensionMarker(in number: Substring) -> Range<Substring.Index>? {
        let lower = number.lowercased()
        for marker in [" ext.", " ext", " x"] {
            guard let range = lower.range(ofLast: marker) else { continue }
            let rest = lower[range.upperBound...].drop { $0 == " " || $0 == "." }
            guard !rest.isEmpty, rest.allSatisfy(\.isNumber) else { continue }
            let start = number.index(number.startIndex, offsetBy: lower.distance(from: lower.startIndex, to: range.lowerBound))
            let end = number.index(start, offsetBy: marker.count)
            return start..<end
        }
        return nil
    }

    private static func percentDecoded(_ text: Substring) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        while index < text.utf8.endIndex {
            let byte = text.utf8[index]
            let next = text.utf8.index(after: index)
            if byte == UInt8(ascii: "%"), text.utf8.distance(from: next, to: text.utf8.endIndex) >= 2,
               let value = UInt8(String(decoding: text.utf8[next..<text.utf8.index(next, offsetBy: 2)], as: UTF8.self), radix: 16) {
                bytes.append(value)
                index = text.utf8.index(next, offsetBy: 2)
            } else {
                bytes.append(byte)
                index = next
            }
        }
        return bytes.withUnsafeBufferPointer(TextCharset.validUTF8) ?? String(text)
    }
}

extension StringProtocol {
    /// The range of the last occurrence of `needle`.
    fileprivate func range(ofLast needle: String) -> Range<Index>? {
        var index = endIndex
        while index > startIndex {
            index = self.index(before: index)
            if self[index...].hasPrefix(needle) { return index..<self.index(index, offsetBy: needle.count) }
        }
        return nil
    }
}
