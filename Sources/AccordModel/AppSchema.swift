import AccordDiagnostics

/// Everything accord knows about one app, read from `schemas/<app>.yaml`.
///
/// The checker knows no app by name: fields, conditions, actions, events and limits all come
/// from here, so adding an app never touches the compiler.
public struct AppSchema: Hashable, Sendable {
    /// The app id used in connection files, such as `hubspot`.
    public var id: String
    /// The display name, such as `HubSpot`.
    public var name: String
    public var description: String
    /// Where the app's API is documented.
    public var documentation: String?
    /// The contact types the app has (`contacts`, `leads`); the first is the default.
    public var contactTypes: [String]
    /// Authentication parameters, given under `auth:` in a connection.
    public var auth: [ParameterDefinition]
    /// Other connection settings (paths, URLs), given under `settings:`.
    public var settings: [ParameterDefinition]
    /// The kinds of subsets a connection can be limited to.
    public var subsets: [SubsetDefinition]
    public var fields: [FieldDefinition]
    public var conditions: [ConditionDefinition]
    public var actions: [ActionDefinition]
    /// What the app can detect.
    public var events: EventSupport
    /// How the app marks a segment of contacts (for sync deletions and unsubscribes); `nil` if it cannot.
    public var marker: MarkerDefinition?
    public var limits: Limits
    /// Where the schema was read from.
    public var site: DeclarationSite

    public init(
        id: String, name: String, description: String = "", documentation: String? = nil,
        contactTypes: [String] = ["contacts"], auth: [ParameterDefinition] = [],
        settings: [ParameterDefinition] = [], subsets: [SubsetDefinition] = [],
        fields: [FieldDefinition] = [], conditions: [ConditionDefinition] = [],
        actions: [ActionDefinition] = [], events: EventSupport = EventSupport(),
        marker: MarkerDefinition? = nil, limits: Limits = Limits(), site: DeclarationSite
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.documentation = documentation
        self.contactTypes = contactTypes
        self.auth = auth
        self.settings = settings
        self.subsets = subsets
        self.fields = fields
        self.conditions = conditions
        self.actions = actions
        self.events = events
        self.marker = marker
        self.limits = limits
        self.site = site
    }

    public func field(named name: String) -> FieldDefinition? {
        fields.first { $0.name == name }
    }

    public func condition(named name: String) -> ConditionDefinition? {
        conditions.first { $0.name == name }
    }

    public func action(named name: String) -> ActionDefinition? {
        actions.first { $0.name == name }
    }

    /// The fields available for a contact type.
    public func fields(for contactType: String) -> [FieldDefinition] {
        fields.filter { $0.contactTypes.isEmpty || $0.contactTypes.contains(contactType) }
    }
}

/// One field of an app.
public struct FieldDefinition: Hashable, Sendable {
    /// The API name, used in connection files.
    public var name: String
    public var label: String
    public var type: FieldType
    /// Whether the app refuses a new contact without it.
    public var required: Bool
    /// Whether the API refuses writes to it.
    public var readOnly: Bool
    /// Whether it holds several values (emails, phones); the first goes into a single-value field.
    public var multiValue: Bool
    /// The options of an `enum` or `set` field.
    public var options: [String]
    /// The standard role, used for default mappings.
    public var role: StandardRole?
    /// The contact types that have this field; empty means all.
    public var contactTypes: [String]
    /// Whether the field was declared by the connection or an overlay rather than the app schema.
    public var isCustom: Bool
    public var site: DeclarationSite?

    public init(
        name: String, label: String? = nil, type: FieldType, required: Bool = false,
        readOnly: Bool = false, multiValue: Bool = false, options: [String] = [],
        role: StandardRole? = nil, contactTypes: [String] = [], isCustom: Bool = false,
        site: DeclarationSite? = nil
    ) {
        self.name = name
        self.label = label ?? name
        self.type = type
        self.required = required
        self.readOnly = readOnly
        self.multiValue = multiValue
        self.options = options
        self.role = role
        self.contactTypes = contactTypes
        self.isCustom = isCustom
        self.site = site
    }

    /// "'score' (number)".
    public var described: String { "'\(name)' (\(type.rawValue))" }
}

/// An auth parameter or setting of an app.
public struct ParameterDefinition: Hashable, Sendable {
    /// What a parameter's value is.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// Text: a literal or a reference (`{env: NAME}`, `{file: PATH}`).
        case value
        /// A mapping of the app's field names to text (csv's `columns`: field → header).
        case fieldMap = "field_map"
    }

    public var name: String
    public var kind: Kind = .value
    /// Secret parameters must be given by reference (`{env: NAME}` or `{file: PATH}`).
    public var secret: Bool
    public var required: Bool
    public var description: String

    public init(name: String, secret: Bool, required: Bool, description: String = "") {
        self.name = name
        self.secret = secret
        self.required = required
        self.description = description
    }
}

/// A kind of subset a connection can be limited to (a list, a folder, a Podio app, ...).
public struct SubsetDefinition: Hashable, Sendable {
    public var kind: String
    /// Whether every connection must name one (one connection per Mailchimp audience, say).
    public var required: Bool
    public var description: String

    public init(kind: String, required: Bool, description: String = "") {
        self.kind = kind
        self.required = required
        self.description = description
    }
}

/// What an app can detect about its contacts.
public struct EventSupport: Hashable, Sendable {
    public var deletions: Bool
    public var unsubscribes: Bool

    public init(deletions: Bool = false, unsubscribes: Bool = false) {
        self.deletions = deletions
        self.unsubscribes = unsubscribes
    }
}

/// How an app marks contacts for review: a tag, list, group, bucket, ...
public struct MarkerDefinition: Hashable, Sendable {
    /// The segment kind written, such as `tag`.
    public var kind: String

    public init(kind: String) { self.kind = kind }
}

/// Batch and rate limits of an app's API, used by the runner.
public struct Limits: Hashable, Sendable {
    /// Records per batch write; 1 when the API has no batch endpoint.
    public var batchSize: Int
    /// Requests per second the runner may send.
    public var requestsPerSecond: Double?
    /// Requests in flight at once.
    public var concurrency: Int

    public init(batchSize: Int = 1, requestsPerSecond: Double? = nil, concurrency: Int = 1) {
        self.batchSize = batchSize
        self.requestsPerSecond = requestsPerSecond
        self.concurrency = concurrency
    }
}
