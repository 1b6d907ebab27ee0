import AccordChecker
import AccordDiagnostics
import AccordModel

/// Renders the diagnostic catalogue as Markdown (`docs/diagnostics.md`, `accord explain`).
public enum DiagnosticDocumentation {
    /// One code's page.
    public static func page(_ code: DiagnosticCode) -> String {
        "## \(code.rawValue) \(code.name) (\(code.defaultSeverity.rawValue))\n\n\(code.summary).\n\n\(code.explanation)\n"
    }

    /// The whole catalogue: a table, then a section per code.
    public static func catalogue() -> String {
        var out = """
        # Diagnostics

        <!-- Generated from DiagnosticCatalog by `swift test` (DocumentationTests); do not edit by hand. -->

        Every diagnostic accord prints has a stable code. `accord explain CODE` prints its section.
        Families: `C1xxx` files and YAML shape, `C2xxx` names and references, `C3xxx` field mappings
        and types, `C4xxx` IF/THEN rules, `C5xxx` connection options, `S1xxx` app schema files;
        at run time `R1xxx` talking to an app (network, HTTP, secrets) and `R2xxx` CardDAV. A run
        that stops on an `R` code says which app, which request and what the server said.

        | code | name | severity | summary |
        | --- | --- | --- | --- |

        """
        for code in DiagnosticCatalog.all {
            out += "| [\(code.rawValue)](#\(code.rawValue.lowercased())-\(code.name.lowercased())-\(code.defaultSeverity.rawValue)) | \(code.name) | \(code.defaultSeverity.rawValue) | \(code.summary) |\n"
        }
        for code in DiagnosticCatalog.all {
            out += "\n" + page(code)
        }
        return out
    }
}

/// Renders an app schema for `accord schema show`.
public enum SchemaDescription {
    public static func text(_ schema: AppSchema) -> String {
        var out = "\(schema.name) (\(schema.id))\n"
        if !schema.description.isEmpty { out += "  \(schema.description)\n" }
        if let documentation = schema.documentation { out += "  API: \(documentation)\n" }
        out += "  contact types: \(schema.contactTypes.joined(separator: ", "))\n"
        if !schema.subsets.isEmpty {
            out += "  subsets: " + schema.subsets.map { $0.kind + ($0.required ? " (required)" : "") }.joined(separator: ", ") + "\n"
        }
        for (title, parameters) in [("auth", schema.auth), ("settings", schema.settings)] where !parameters.isEmpty {
            out += "  \(title):\n"
            for parameter in parameters {
                let flags = [parameter.required ? "required" : nil, parameter.secret ? "secret" : nil].compactMap { $0 }
                out += "    \(parameter.name)" + (flags.isEmpty ? "" : " (\(flags.joined(separator: ", ")))")
                    + (parameter.description.isEmpty ? "" : " — \(parameter.description)") + "\n"
            }
        }
        out += "  fields:\n"
        let width = (schema.fields.map(\.name.count).max() ?? 0) + 2
        for field in schema.fields {
            var flags: [String] = []
            if let role = field.role { flags.append("role \(role.rawValue)") }
            if field.required { flags.append("required") }
            if field.readOnly { flags.append("read-only") }
            if field.multiValue { flags.append("multi-value") }
            if !field.contactTypes.isEmpty { flags.append(field.contactTypes.joined(separator: "/") + " only") }
            out += "    " + field.name.padding(toLength: width, withPad: " ", startingAt: 0)
                + field.type.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
                + (flags.isEmpty ? "" : flags.joined(separator: ", "))
                + (field.options.isEmpty ? "" : " [\(field.options.joined(separator: ", "))]") + "\n"
        }
        out += "  conditions (IF): " + schema.conditions.map { $0.kind == .field ? "field: NAME + operator" : $0.name }.joined(separator: ", ") + "\n"
        out += "  actions (THEN): " + (schema.actions.isEmpty ? "none" : schema.actions.map(\.name).joined(separator: ", ")) + "\n"
        var events: [String] = []
        if schema.events.deletions { events.append("deletions") }
        if schema.events.unsubscribes { events.append("unsubscribes") }
        out += "  detects: " + (events.isEmpty ? "nothing" : events.joined(separator: ", ")) + "\n"
        out += "  marker: " + (schema.marker?.kind ?? "none") + "\n"
        out += "  limits: batch \(schema.limits.batchSize), concurrency \(schema.limits.concurrency)"
            + (schema.limits.requestsPerSecond.map { ", \($0) requests/s" } ?? "") + "\n"
        return out
    }
}

/// Renders the type compatibility table as Markdown (`docs/compatibility.md`).
public enum CompatibilityDocumentation {
    public static func table() -> String {
        let types = FieldType.allCases
        var out = """
        # Field type compatibility

        <!-- Generated from CompatibilityTable by `swift test` (DocumentationTests); do not edit by hand. -->

        Rows are the source field's type, columns the target field's type. A mapping between fields of
        types X (app a) and Y (app b) may sync a-to-b when X can be written into Y and b-to-a when Y can be
        written into X; read-only targets and the connection direction narrow it further.

        ✓ same value · T written as text · D date ↔ date-time · M only with a value map (`values:`) · — never

        | source ↓ / target → | \(types.map(\.rawValue).joined(separator: " | ")) |
        | --- | \(types.map { _ in "---" }.joined(separator: " | ")) |

        """
        for source in types {
            let cells = types.map { target -> String in
                switch CompatibilityTable.conversion(from: source, into: target) {
                case .allowed(.identity): "✓"
                case .allowed(.formatAsText): "T"
                case .allowed: "D"
                case .needsValueMap: "M"
                case .forbidden: "—"
                }
            }
            out += "| **\(source.rawValue)** | \(cells.joined(separator: " | ")) |\n"
        }
        out += """

        Why a pair is forbidden, as the checker says it (C3002, C3004):

        """
        var seen: Set<String> = []
        for row in CompatibilityTable.rows {
            if case .forbidden(let reason) = row.conversion, !reason.hasSuffix("values do not convert"), seen.insert(reason).inserted {
                out += "- \(row.source.rawValue) → \(row.target.rawValue): \(reason)\n"
            }
        }
        out += "- every other — pair: the two kinds of values do not convert (for example number → date)\n"
        return out
    }
}
