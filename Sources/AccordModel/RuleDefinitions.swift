/// An IF condition an app supports, as declared in its schema.
///
/// A connection writes `- <name>: <argument>`; `kind` says how the argument is read:
///
/// | kind | argument | example |
/// | --- | --- | --- |
/// | `segment` | a segment name | `has_tag: customer`, `in_bucket: VIP` |
/// | `field` | a field, an operator and a literal | `field: score` + `greater_than: 50` |
/// | `field_is` | a literal of the bound field's type | `champion: true`, `contact_status: bounced` |
/// | `exists_in_other_app` | `true` or `false` | `exists_in_other_app: true` |
public struct ConditionDefinition: Hashable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case segment
        case field
        case fieldIs = "field_is"
        case existsInOtherApp = "exists_in_other_app"
    }

    public var name: String
    public var kind: Kind
    /// For `segment`: the segment kind (tag, list, bucket, ...).
    public var segment: String?
    /// For `segment`: whether it matches contacts *not* in the segment.
    public var negated: Bool
    /// For `field_is`: the field compared.
    public var field: String?
    public var description: String

    public init(name: String, kind: Kind, segment: String? = nil, negated: Bool = false, field: String? = nil, description: String = "") {
        self.name = name
        self.kind = kind
        self.segment = segment
        self.negated = negated
        self.field = field
        self.description = description
    }
}

/// A THEN action an app supports, as declared in its schema.
///
/// | kind | argument | example |
/// | --- | --- | --- |
/// | `add_to_segment` | a segment name | `add_tag: synced` |
/// | `remove_from_segment` | a segment name | `remove_from_bucket: Cold` |
/// | `set_field` | `{field: NAME, value: LITERAL}` | `set_field: {field: status, value: customer}` |
/// | `set_flag` | none (the value is fixed by the schema) | `make_champion` |
public struct ActionDefinition: Hashable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case addToSegment = "add_to_segment"
        case removeFromSegment = "remove_from_segment"
        case setField = "set_field"
        case setFlag = "set_flag"
    }

    public var name: String
    public var kind: Kind
    /// For segment actions: the segment kind.
    public var segment: String?
    /// For `set_flag`: the field written.
    public var field: String?
    /// For `set_flag`: the value written.
    public var value: String?
    /// The action that reverses this one, for `undo`.
    public var undo: String?
    public var description: String

    public init(
        name: String, kind: Kind, segment: String? = nil, field: String? = nil, value: String? = nil,
        undo: String? = nil, description: String = ""
    ) {
        self.name = name
        self.kind = kind
        self.segment = segment
        self.field = field
        self.value = value
        self.undo = undo
        self.description = description
    }
}
