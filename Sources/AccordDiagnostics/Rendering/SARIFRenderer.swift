import Foundation

/// Renders diagnostics as a SARIF 2.1.0 log, the format GitHub code scanning ingests.
public enum SARIFRenderer {
    public static func render(_ diagnostics: [Diagnostic]) -> String {
        let usedCodes = Set(diagnostics.map(\.code)).sorted()
        let rules: [[String: Any]] = usedCodes.map { code in
            [
                "id": code.rawValue,
                "name": code.name,
                "shortDescription": ["text": code.summary],
                "fullDescription": ["text": code.explanation],
                "defaultConfiguration": ["level": level(code.defaultSeverity)],
            ]
        }
        let results: [[String: Any]] = diagnostics.map { d in
            var result: [String: Any] = [
                "ruleId": d.code.rawValue,
                "level": level(d.severity),
                "message": ["text": d.message],
            ]
            if let file = d.file {
                var physical: [String: Any] = ["artifactLocation": ["uri": file]]
                if let range = d.range {
                    physical["region"] = [
                        "startLine": range.start.line, "startColumn": range.start.column,
                        "endLine": range.end.line, "endColumn": range.end.column,
                    ]
                }
                result["locations"] = [["physicalLocation": physical]]
            }
            if !d.notes.isEmpty {
                result["relatedLocations"] = d.notes.enumerated().map { index, note -> [String: Any] in
                    var related: [String: Any] = ["id": index, "message": ["text": note.message]]
                    if let file = note.file {
                        var physical: [String: Any] = ["artifactLocation": ["uri": file]]
                        if let range = note.range {
                            physical["region"] = ["startLine": range.start.line, "startColumn": range.start.column]
                        }
                        related["physicalLocation"] = physical
                    }
                    return related
                }
            }
            return result
        }
        let log: [String: Any] = [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [[
                "tool": ["driver": [
                    "name": "accord",
                    "rules": rules,
                ]],
                "columnKind": "unicodeCodePoints",
                "results": results,
            ]],
        ]
        let data = try! JSONSerialization.data(withJSONObject: log, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private static func level(_ severity: Severity) -> String {
        switch severity {
        case .error: "error"
        case .warning: "warning"
        case .note: "note"
        }
    }
}
