import AccordDiagnostics
import AccordModel

/// Reads field declarations: the `fields:` of an app schema or overlay, and a connection's
/// `custom_fields:`. All three share one format.
struct FieldDeclarationReader {
    var reader: ShapeReader

    static let keys = [
        "name", "label", "type", "required", "read_only", "multi_value", "options", "role", "contact_types", "description",
    ]

    mutating func field(_ node: YAMLNode, isCustom: Bool) -> FieldDefinition? {
        guard let fields = reader.mapping(node, context: "a field", known: Self.keys, required: ["name", "type"]),
              let name = fields["name"].flatMap({ reader.string($0, for: "'name'") }),
              let typeNode = fields["type"],
              let typeName = reader.choice(typeNode, among: FieldType.allCases.map(\.rawValue), for: "field type")
        else { return nil }
        var definition = FieldDefinition(
            name: name.value, type: FieldType(rawValue: typeName.value)!, isCustom: isCustom,
            site: DeclarationSite(file: reader.file, range: name.range))
        if let label = fields["label"].flatMap({ reader.string($0, for: "'label'") }) { definition.label = label.value }
        definition.required = fields["required"].flatMap { reader.bool($0, for: "'required'") }?.value ?? false
        definition.readOnly = fields["read_only"].flatMap { reader.bool($0, for: "'read_only'") }?.value ?? false
        definition.multiValue = fields["multi_value"].flatMap { reader.bool($0, for: "'multi_value'") }?.value ?? false
        definition.options = fields["options"].flatMap { reader.stringList($0, for: "'options'") }?.map(\.value) ?? []
        if let roleNode = fields["role"], let role = reader.choice(roleNode, among: StandardRole.allCases.map(\.rawValue), for: "field role") {
            definition.role = StandardRole(rawValue: role.value)
        }
        definition.contactTypes = fields["contact_types"].flatMap { reader.stringList($0, for: "'contact_types'") }?.map(\.value) ?? []
        let takesOptions = definition.type == .enumeration || definition.type == .set
        if takesOptions, definition.options.isEmpty {
            reader.report(
                DiagnosticCatalog.missingKey, "field '\(name.value)' of type '\(typeName.value)' needs 'options'", at: name.range)
        } else if !takesOptions, let options = fields.entries["options"] {
            reader.report(
                DiagnosticCatalog.unknownKey, "'options' applies only to 'enum' and 'set' fields, not to '\(typeName.value)'",
                at: options.key.range)
        }
        return definition
    }
}
