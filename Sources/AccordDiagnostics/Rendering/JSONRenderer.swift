import Foundation

/// Renders diagnostics as one JSON object with sorted keys:
/// `{"valid": …, "files_checked": …, "errors": …, "warnings": …, "notes": …, "diagnostics": […]}`.
/// Each diagnostic carries `code`, `name`, `severity`, `message`, `file`, `line` and `column`
/// (1-based; columns in Unicode scalars), its `end`, `notes` and `fix_its`.
public enum JSONRenderer {
    struct Report: Encodable {
        var format_version = 1
        var valid: Bool
        var files_checked: Int
        var errors: Int
        var warnings: Int
        var notes: Int
        var diagnostics: [Entry]
    }

    struct Entry: Encodable {
        var code: String
        var name: String
        var severity: String
        var message: String
        var file: String?
        var line: Int?
        var column: Int?
        var end_line: Int?
        var end_column: Int?
        var notes: [NoteEntry]
        var fix_its: [FixItEntry]
    }

    struct NoteEntry: Encodable {
        var message: String
        var file: String?
        var line: Int?
        var column: Int?
    }

    struct FixItEntry: Encodable {
        var message: String
        var line: Int
        var column: Int
        var end_line: Int
        var end_column: Int
        var replacement: String
    }

    public static func render(_ diagnostics: [Diagnostic], filesChecked: Int) -> String {
        let counts = DiagnosticCounts(diagnostics)
        let report = Report(
            valid: counts.errors == 0,
            files_checked: filesChecked,
            errors: counts.errors,
            warnings: counts.warnings,
            notes: counts.notes,
            diagnostics: diagnostics.map { d in
                Entry(
                    code: d.code.rawValue, name: d.code.name, severity: d.severity.rawValue,
                    message: d.message, file: d.file,
                    line: d.range?.start.line, column: d.range?.start.column,
                    end_line: d.range?.end.line, end_column: d.range?.end.column,
                    notes: d.notes.map {
                        NoteEntry(message: $0.message, file: $0.file, line: $0.range?.start.line, column: $0.range?.start.column)
                    },
                    fix_its: d.fixIts.map {
                        FixItEntry(
                            message: $0.message, line: $0.range.start.line, column: $0.range.start.column,
                            end_line: $0.range.end.line, end_column: $0.range.end.column, replacement: $0.replacement)
                    })
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // Encoding plain structs of strings and integers cannot fail.
        let data = try! encoder.encode(report)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
