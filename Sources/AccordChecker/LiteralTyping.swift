import AccordDiagnostics
import AccordModel
import AccordSyntax
import Foundation

/// Checks literals from conditions and actions against a field's type.
struct LiteralTyping {
    var file: String

    /// The literal as a value of `field`'s type, or the diagnostic that says why it is not one.
    func value(_ literal: LiteralSyntax, for field: FieldDefinition) -> Result<TypedValue, Diagnostic> {
        if literal.list != nil || literal.isNull {
            return .failure(Diagnostic(
                DiagnosticCatalog.invalidLiteral,
                "expected a single \(field.type.rawValue) value for \(field.described), found "
                    + (literal.isNull ? "an empty value" : "a list"),
                file: file, range: literal.range))
        }
        let text = literal.text
        switch field.type {
        case .text, .email, .phone, .url, .address:
            return .success(.text(text))
        case .number:
            guard let number = Double(text.trimmingCharacters(in: .whitespaces)), number.isFinite else {
                return .failure(invalid(literal, field, "is not a number"))
            }
            return .success(.number(Self.canonicalNumber(number)))
        case .date:
            guard Self.isDate(text) else {
                return .failure(invalid(literal, field, "is not a date in the form YYYY-MM-DD"))
            }
            return .success(.date(text))
        case .datetime:
            guard Self.isDateTime(text) else {
                return .failure(invalid(literal, field, "is not an ISO 8601 date-time such as 2024-05-01T09:30:00Z"))
            }
            return .success(.datetime(text))
        case .boolean:
            switch text.lowercased() {
            case "true", "yes", "on": return .success(.boolean(true))
            case "false", "no", "off": return .success(.boolean(false))
            default: return .failure(invalid(literal, field, "is not a boolean (true or false)"))
            }
        case .enumeration, .set:
            guard field.options.contains(text) else {
                let suggestion = Suggestions.bestMatch(for: text, in: field.options)
                return .failure(Diagnostic(
                    DiagnosticCatalog.literalNotAnOption,
                    "'\(text)' is not an option of \(field.described); options are "
                        + field.options.map { "'\($0)'" }.joined(separator: ", ")
                        + (suggestion.map { "; did you mean '\($0)'?" } ?? ""),
                    file: file, range: literal.range,
                    notes: field.site.map { [$0.note("'\(field.name)' declared here")] } ?? [],
                    fixIts: suggestion.map { [FixIt.replace(text, with: $0, at: literal.range)] } ?? []))
            }
            return .success(.option(text))
        }
    }

    private func invalid(_ literal: LiteralSyntax, _ field: FieldDefinition, _ reason: String) -> Diagnostic {
        Diagnostic(
            DiagnosticCatalog.invalidLiteral, "'\(literal.text)' \(reason), as \(field.described) needs",
            file: file, range: literal.range,
            notes: field.site.map { [$0.note("'\(field.name)' declared here as \(field.type.rawValue)")] } ?? [])
    }

    static func canonicalNumber(_ number: Double) -> String {
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return String(number)
    }

    static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), day >= 1
        else { return false }
        let days = [31, (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= days[month - 1]
    }

    static func isDateTime(_ text: String) -> Bool {
        guard text.count >= 11, isDate(String(text.prefix(10))) else { return false }
        let formatter = ISO8601DateFormatter()
        if formatter.date(from: text) != nil { return true }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) != nil
    }
}
