import AccordDiagnostics
import AccordModel
import AccordSyntax

extension CheckContext {
    /// Binds `apps.a` or `apps.b` to its schema and checks auth, settings, subset, contact type
    /// and custom fields.
    mutating func resolveApp(
        _ binding: AppBindingSyntax, schemas: SchemaRegistry, overlay: AppSchemaParser.OverlayResult?
    ) -> ResolvedApp? {
        guard let appID = binding.app else { return nil }
        guard var schema = schemas[appID.value] else {
            let suggestion = Suggestions.bestMatch(for: appID.value, in: schemas.ids)
            report(
                DiagnosticCatalog.unknownApp,
                "unknown app '\(appID.value)' (known apps: " + schemas.ids.joined(separator: ", ") + ")"
                    + (suggestion.map { "; did you mean '\($0)'?" } ?? ""),
                at: appID.range,
                fixIts: suggestion.map { [FixIt.replace(appID.value, with: $0, at: appID.range)] } ?? [])
            return nil
        }
        let where_ = "app '\(schema.id)' (\(binding.side.rawValue))"

        // Contact type.
        var contactType = schema.contactTypes.first ?? "contacts"
        if let requested = binding.contactType {
            if schema.contactTypes.contains(requested.value) {
                contactType = requested.value
            } else {
                report(
                    DiagnosticCatalog.unsupportedContactType,
                    "\(where_) has no contact type '\(requested.value)'; it has "
                        + schema.contactTypes.map { "'\($0)'" }.joined(separator: ", "),
                    at: requested.range)
            }
        }

        // Subset.
        var subset: ResolvedApp.Subset?
        if let given = binding.subset {
            if schema.subsets.contains(where: { $0.kind == given.kind.value }) {
                subset = ResolvedApp.Subset(kind: given.kind.value, name: given.value.value)
            } else {
                let kinds = schema.subsets.map(\.kind)
                report(
                    DiagnosticCatalog.unsupportedSubset,
                    "\(where_) cannot be limited to a '\(given.kind.value)'"
                        + (kinds.isEmpty ? "; it has no subsets" : "; it offers " + kinds.map { "'\($0)'" }.joined(separator: ", "))
                        + Suggestions.didYouMean(given.kind.value, in: kinds),
                    at: given.kind.range)
            }
        } else if let required = schema.subsets.first(where: \.required) {
            report(
                DiagnosticCatalog.missingSubset,
                "\(where_) syncs one \(required.kind) per connection; add 'subset: {\(required.kind): NAME}'",
                at: binding.app?.range)
        }

        // Custom fields from an overlay, then from the connection.
        if let overlay {
            diagnostics += overlay.diagnostics
            if let target = overlay.overlayFor, target.value != schema.id {
                report(
                    DiagnosticCatalog.invalidOverlay,
                    "overlay '\(binding.overlay?.value ?? "")' extends app '\(target.value)', not '\(schema.id)'",
                    at: binding.overlay?.range,
                    notes: [Note("'overlay_for' given here", file: overlay.file, range: target.range)])
            } else {
                addCustomFields(overlay.fields, to: &schema)
            }
        }
        addCustomFields(binding.customFields, to: &schema)
        // After the custom fields: a field map (csv's `columns`) may name them.
        let fields = schema.fields(for: contactType).map(\.name)
        let auth = parameters(binding.auth, definitions: schema.auth, section: "auth", app: where_, binding: binding, fields: fields)
        let settings = parameters(binding.settings, definitions: schema.settings, section: "settings", app: where_, binding: binding, fields: fields)
        return ResolvedApp(side: binding.side, schema: schema, contactType: contactType, subset: subset, auth: auth, settings: settings)
    }

    private mutating func addCustomFields(_ fields: [FieldDefinition], to schema: inout AppSchema) {
        for field in fields {
            if let existing = schema.field(named: field.name) {
                report(Diagnostic(
                    DiagnosticCatalog.customFieldRedeclared,
                    "app '\(schema.id)' already has a field '\(field.name)'",
                    file: field.site?.file ?? file, range: field.site?.range,
                    notes: existing.site.map { [$0.note("'\(field.name)' declared here")] } ?? []))
            } else {
                schema.fields.append(field)
            }
        }
    }

    private mutating func parameters(
        _ given: [ParameterSyntax], definitions: [ParameterDefinition], section: String, app: String, binding: AppBindingSyntax,
        fields: [String]
    ) -> [ResolvedParameter] {
        var resolved: [ResolvedParameter] = []
        for parameter in given {
            guard let definition = definitions.first(where: { $0.name == parameter.name.value }) else {
                let names = definitions.map(\.name)
                let suggestion = Suggestions.bestMatch(for: parameter.name.value, in: names)
                report(
                    DiagnosticCatalog.unknownParameter,
                    "\(app) has no \(section) parameter '\(parameter.name.value)'"
                        + (suggestion.map { "; did you mean '\($0)'?" }
                            ?? (names.isEmpty ? "; it takes none" : "; it takes " + names.map { "'\($0)'" }.joined(separator: ", "))),
                    at: parameter.name.range,
                    fixIts: suggestion.map { [FixIt.replace(parameter.name.value, with: $0, at: parameter.name.range)] } ?? [])
                continue
            }
            if definition.kind == .fieldMap {
                if let map = fieldMap(parameter, definition: definition, app: app, fields: fields) { resolved.append(map) }
                continue
            }
            switch parameter.value {
            case .entries(_, let asReference):
                diagnostics += asReference
            case .literal(let value):
                if definition.secret {
                    report(
                        DiagnosticCatalog.literalSecret,
                        "'\(definition.name)' is a secret and must not be written into the file; use {env: VARIABLE} or {file: PATH}",
                        at: value.range,
                        fixIts: [FixIt(
                            "refer to an environment variable", range: value.range,
                            replacement: "{env: \(environmentName(binding: binding, parameter: definition.name))}")])
                } else {
                    resolved.append(.literal(name: definition.name, value: value.value))
                }
            case .environment(let variable):
                resolved.append(.environment(name: definition.name, variable: variable.value))
            case .file(let path):
                resolved.append(.file(name: definition.name, path: path.value))
            case .invalid:
                break
            }
        }
        for definition in definitions where definition.required && !given.contains(where: { $0.name.value == definition.name }) {
            report(
                DiagnosticCatalog.missingParameter,
                "\(app) needs the \(section) parameter '\(definition.name)'"
                    + (definition.secret ? " (a secret: {env: VARIABLE} or {file: PATH})" : "")
                    + (definition.description.isEmpty ? "" : ": \(definition.description)"),
                at: binding.app?.range)
        }
        return resolved
    }

    /// A field map's value (csv's `columns: {email: E-mail}`): every key a field of the app.
    private mutating func fieldMap(_ parameter: ParameterSyntax, definition: ParameterDefinition, app: String, fields: [String]) -> ResolvedParameter? {
        guard case .entries(let entries, _) = parameter.value else {
            report(
                DiagnosticCatalog.wrongType,
                "'\(definition.name)' of \(app) takes a mapping of field names to text, like {email: E-mail Address}",
                at: parameter.range)
            return nil
        }
        var map: [String: String] = [:]
        for entry in entries {
            guard fields.contains(entry.key.value) else {
                let suggestion = Suggestions.bestMatch(for: entry.key.value, in: fields)
                report(
                    DiagnosticCatalog.unknownField,
                    "\(app) has no field '\(entry.key.value)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "; `accord schema show` lists its fields"),
                    at: entry.key.range, fixIts: suggestion.map { [FixIt.replace(entry.key.value, with: $0, at: entry.key.range)] } ?? [])
                continue
            }
            guard !entry.value.value.trimmingCharacters(in: .whitespaces).isEmpty else {
                report(DiagnosticCatalog.invalidValue, "'\(definition.name).\(entry.key.value)' must not be empty", at: entry.value.range)
                continue
            }
            map[entry.key.value] = entry.value.value
        }
        return .fieldMap(name: definition.name, entries: map)
    }

    private func environmentName(binding: AppBindingSyntax, parameter: String) -> String {
        ((binding.app?.value ?? "app") + "_" + parameter).uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
            .reduce(into: "") { $0.append($1) }
    }
}
