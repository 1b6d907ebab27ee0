/// Reads a property's parameters as written: `TYPE=work;PREF=1` (3.0, 4.0), 2.1's bare values
/// (`TEL;CELL;PREF`, `NOTE;QUOTED-PRINTABLE`), and quoted values (`TYPE="voice,cell"`). Works on
/// the bytes: a listing asks a few properties of every card how preferred they are.
enum VCardParameters {
    /// Calls `body` with each parameter's name (nil for a bare 2.1 value) and value, until it
    /// returns false. A `;` inside double quotes does not end a parameter; the quotes stay.
    static func forEach(
        in bytes: UnsafeBufferPointer<UInt8>, _ body: (_ name: UnsafeBufferPointer<UInt8>?, _ value: UnsafeBufferPointer<UInt8>) -> Bool
    ) {
        var start = 0
        var equals: Int?
        var inQuotes = false
        for index in 0...bytes.count {
            let byte = index < bytes.count ? bytes[index] : UInt8(ascii: ";")
            if byte == UInt8(ascii: "\"") {
                inQuotes.toggle()
            } else if inQuotes {
                continue
            } else if byte == UInt8(ascii: "="), equals == nil {
                equals = index
            } else if byte == UInt8(ascii: ";") {
                if index > start {
                    let keepGoing = if let equals {
                        body(UnsafeBufferPointer(rebasing: bytes[start..<equals]), UnsafeBufferPointer(rebasing: bytes[(equals + 1)..<index]))
                    } else {
                        body(nil, UnsafeBufferPointer(rebasing: bytes[start..<index]))
                    }
                    if !keepGoing { return }
                }
                start = index + 1
                equals = nil
            }
        }
    }

    /// Calls `body` with each item of a comma-separated parameter value, without its quotes.
    static func forEachItem(in value: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var start = 0
        for index in 0...value.count where index == value.count || value[index] == UInt8(ascii: ",") {
            var lower = start
            var upper = index
            while lower < upper, value[lower] == UInt8(ascii: "\"") { lower += 1 }
            while upper > lower, value[upper - 1] == UInt8(ascii: "\"") { upper -= 1 }
            if lower < upper { body(UnsafeBufferPointer(rebasing: value[lower..<upper])) }
            start = index + 1
        }
    }

    /// Whether `bytes` spell `upper` (an upper-case ASCII word), in any case.
    static func equalsIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ upper: StaticString) -> Bool {
        guard bytes.count == upper.utf8CodeUnitCount else { return false }
        let wanted = UnsafeBufferPointer(start: upper.utf8Start, count: upper.utf8CodeUnitCount)
        for index in 0..<bytes.count where uppercased(bytes[index]) != wanted[index] { return false }
        return true
    }

    static func uppercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 0x20 : byte
    }

    /// How a property's value is encoded for transfer, from its parameters.
    struct Transfer: Sendable, Equatable {
        /// `ENCODING=QUOTED-PRINTABLE` or 2.1's bare `QUOTED-PRINTABLE`.
        var quotedPrintable = false
        /// `ENCODING=b` (3.0), `ENCODING=BASE64` or a bare `BASE64` (2.1): binary data, left as written.
        var base64 = false
        /// The `CHARSET` parameter's value, as written.
        var charset: String?

        /// Whether the value is UTF-8 text with nothing to decode.
        var isPlain: Bool { !quotedPrintable && !base64 && charset == nil }
    }

    /// The transfer encoding and charset that `parameters` declare.
    static func transfer(in parameters: UnsafeBufferPointer<UInt8>) -> Transfer {
        var transfer = Transfer()
        // Every parameter the answer depends on starts with C, E, Q or B: most parameter lists
        // (`TYPE=work`) have none, and are not read further.
        var mayDeclare = false
        var atStart = true
        for byte in parameters {
            if atStart, [UInt8(ascii: "C"), UInt8(ascii: "E"), UInt8(ascii: "Q"), UInt8(ascii: "B")].contains(uppercased(byte)) {
                mayDeclare = true
                break
            }
            atStart = byte == UInt8(ascii: ";")
        }
        guard mayDeclare else { return transfer }
        forEach(in: parameters) { name, value in
            if let name {
                if equalsIgnoringCase(name, "ENCODING") {
                    if equalsIgnoringCase(value, "QUOTED-PRINTABLE") { transfer.quotedPrintable = true }
                    if equalsIgnoringCase(value, "B") || equalsIgnoringCase(value, "BASE64") { transfer.base64 = true }
                } else if equalsIgnoringCase(name, "CHARSET") {
                    var lower = 0
                    var upper = value.count
                    while lower < upper, value[lower] == UInt8(ascii: "\"") { lower += 1 }
                    while upper > lower, value[upper - 1] == UInt8(ascii: "\"") { upper -= 1 }
                    transfer.charset = String(decoding: UnsafeBufferPointer(rebasing: value[lower..<upper]), as: UTF8.self)
                }
            } else if equalsIgnoringCase(value, "QUOTED-PRINTABLE") {
                transfer.quotedPrintable = true
            } else if equalsIgnoringCase(value, "BASE64") {
                transfer.base64 = true
            }
            return true
        }
        return transfer
    }

    /// How much a property with `parameters` is preferred among its kind, 1 the most (RFC 6350
    /// §5.3): `PREF=n` says n; 2.1's bare `PREF` and 3.0's `TYPE=pref` say 1; nothing says
    /// `notPreferred`, after every `PREF`.
    static func preference(in parameters: UnsafeBufferPointer<UInt8>) -> Int {
        var preference = notPreferred
        forEach(in: parameters) { name, value in
            if let name {
                if equalsIgnoringCase(name, "PREF") {
                    var number = 0
                    for byte in value where byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") { number = min(number * 10 + Int(byte - 0x30), notPreferred) }
                    preference = min(preference, max(number, 1))
                } else if equalsIgnoringCase(name, "TYPE") {
                    forEachItem(in: value) { if equalsIgnoringCase($0, "PREF") { preference = min(preference, 1) } }
                }
            } else if equalsIgnoringCase(value, "PREF") {
                preference = min(preference, 1)
            }
            return true
        }
        return preference
    }

    /// The preference that `parameters` (as written) say.
    static func preference(of parameters: String) -> Int {
        parameters.isEmpty ? notPreferred : parameters.withUTF8Bytes(preference(in:))
    }

    /// The preference of a property that says nothing about it.
    static let notPreferred = 101

    /// Parameters as written, split at the semicolons outside quotes.
    private static func items(of parameters: String) -> [String] {
        var items: [String] = []
        var item = ""
        var quoted = false
        for character in parameters {
            if character == "\"" { quoted.toggle() }
            if character == ";", !quoted {
                items.append(item)
                item = ""
            } else {
                item.append(character)
            }
        }
        items.append(item)
        return items.filter { !$0.isEmpty }
    }

    /// `parameters` without what says a property is preferred: `PREF=n`, 2.1's bare `PREF`, and
    /// `pref` among 3.0's `TYPE` values (the `TYPE` parameter goes when nothing else is left).
    static func withoutPreference(_ parameters: String) -> String {
        items(of: parameters).compactMap { item -> String? in
            let upper = item.uppercased()
            if upper == "PREF" || upper.hasPrefix("PREF=") { return nil }
            guard upper.hasPrefix("TYPE=") else { return item }
            let name = item.prefix(5)
            var list = String(item.dropFirst(5))
            let quoted = list.hasPrefix("\"") && list.hasSuffix("\"") && list.count >= 2
            if quoted { list = String(list.dropFirst().dropLast()) }
            let kept = list.split(separator: ",").filter { $0.lowercased() != "pref" }
            guard !kept.isEmpty else { return nil }
            let joined = kept.joined(separator: ",")
            return name + (quoted ? "\"" + joined + "\"" : joined)
        }.joined(separator: ";")
    }

    /// `parameters` saying the property is the most preferred, as its vCard version writes it.
    static func withPreference(_ parameters: String, version: String) -> String {
        let marker = switch version {
        case "4.0": "PREF=1"
        case "2.1": "PREF"
        default: "TYPE=pref"
        }
        let rest = withoutPreference(parameters)
        return rest.isEmpty ? marker : rest + ";" + marker
    }

    /// Whether `parameters` hold `VALUE=uri` (RFC 6350 §5.2).
    static func isURIValue(_ parameters: UnsafeBufferPointer<UInt8>) -> Bool {
        var found = false
        forEach(in: parameters) { name, value in
            if let name, equalsIgnoringCase(name, "VALUE"), equalsIgnoringCase(value, "URI") { found = true }
            return !found
        }
        return found
    }

    /// `parameters` with the `CHARSET` parameter set to `charset` (added when there is none).
    static func settingCharset(_ charset: String, in parameters: String) -> String {
        var items: [String] = []
        var replaced = false
        parameters.withUTF8Bytes { bytes in
            forEach(in: bytes) { name, value in
                if let name, equalsIgnoringCase(name, "CHARSET") {
                    items.append(String(decoding: name, as: UTF8.self) + "=" + charset)
                    replaced = true
                } else {
                    let text = String(decoding: value, as: UTF8.self)
                    items.append(name.map { String(decoding: $0, as: UTF8.self) + "=" + text } ?? text)
                }
                return true
            }
        }
        if !replaced { items.append("CHARSET=" + charset) }
        return items.joined(separator: ";")
    }
}

extension VCard.Property {
    /// How much the property is preferred among its kind (`VCardParameters.preference`).
    var preference: Int { VCardParameters.preference(of: parameters) }

    /// How the property's value is encoded for transfer.
    var transfer: VCardParameters.Transfer {
        parameters.isEmpty ? VCardParameters.Transfer() : parameters.withUTF8Bytes(VCardParameters.transfer(in:))
    }

    /// Whether the value is typed `VALUE=uri`.
    var isURIValue: Bool {
        !parameters.isEmpty && parameters.withUTF8Bytes(VCardParameters.isURIValue)
    }
}
