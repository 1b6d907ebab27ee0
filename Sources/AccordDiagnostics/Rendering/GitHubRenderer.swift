/// Renders diagnostics as GitHub Actions workflow commands, which the Actions runner turns into
/// inline annotations on the pull request.
public enum GitHubRenderer {
    public static func render(_ diagnostics: [Diagnostic]) -> String {
        var out = ""
        for diagnostic in diagnostics {
            let command = switch diagnostic.severity {
            case .error: "error"
            case .warning: "warning"
            case .note: "notice"
            }
            var properties: [String] = []
            if let file = diagnostic.file { properties.append("file=\(escapeProperty(file))") }
            if let range = diagnostic.range {
                properties.append("line=\(range.start.line)")
                properties.append("col=\(range.start.column)")
                if range.end.line == range.start.line {
                    properties.append("endColumn=\(range.end.column)")
                }
            }
            properties.append("title=\(escapeProperty("accord \(diagnostic.code.rawValue)"))")
            var message = diagnostic.message
            for note in diagnostic.notes {
                let place = note.file.map { file in note.range.map { "\(file):\($0.start)" } ?? file }
                message += "\nnote: " + (place.map { "\($0): " } ?? "") + note.message
            }
            out += "::\(command) \(properties.joined(separator: ","))::\(escapeData(message))\n"
        }
        return out
    }

    // Escaping as in @actions/core's command.ts.
    static func escapeData(_ s: String) -> String {
        s.replacingAll("%", "%25").replacingAll("\r", "%0D").replacingAll("\n", "%0A")
    }

    static func escapeProperty(_ s: String) -> String {
        escapeData(s).replacingAll(":", "%3A").replacingAll(",", "%2C")
    }
}

extension String {
    func replacingAll(_ target: Character, _ replacement: String) -> String {
        var out = ""
        out.reserveCapacity(count)
        for c in self {
            if c == target { out += replacement } else { out.append(c) }
        }
        return out
    }
}
