/// Reading the settings the local apps (`vcard-dir`, `csv`) share, as the connection gives them
/// (strings), with errors that name the app and the setting.
enum LocalSettings {
    /// A yes/no setting: `true`/`false` (and `yes`/`no`, as YAML 1.1 wrote them); `nil` when not given.
    static func flag(_ name: String, in settings: [String: String], app: String) throws -> Bool? {
        guard let text = settings[name] else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw ConnectorError("\(app): the setting '\(name)' must be true or false, not '\(text)'")
        }
    }

    /// A size in megabytes (a positive whole number), in bytes; `nil` when not given.
    static func megabytes(_ name: String, in settings: [String: String], app: String) throws -> Int? {
        guard let text = settings[name] else { return nil }
        guard let value = Int(text), value > 0, value <= 1 << 20 else {
            throw ConnectorError("\(app): the setting '\(name)' must be a positive whole number of megabytes, not '\(text)'")
        }
        return value << 20
    }

    /// A size for a message: `2.1 GB`, `12 MB`, `512 KB`.
    static func describe(bytes: Int) -> String {
        if bytes >= 1 << 30 { return String(Double(bytes) / Double(1 << 30), fractionDigits: 1) + " GB" }
        if bytes >= 1 << 20 { return String(Double(bytes) / Double(1 << 20), fractionDigits: 1) + " MB" }
        return "\(max(1, bytes >> 10)) KB"
    }
}

extension String {
    /// `value` with `fractionDigits` digits after the point, without a `.0` when they are all zero.
    init(_ value: Double, fractionDigits: Int) {
        var scale = 1.0
        for _ in 0..<fractionDigits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        self = rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
