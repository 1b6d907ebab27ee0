import AccordDiagnostics
import AccordModel

/// A connection file as written: every value located, nothing resolved against app schemas yet.
///
/// Keys that were missing or malformed are `nil` (their diagnostics are already reported), so
/// the checker can go on and find every other mistake.
public struct ConnectionSyntax: Sendable, Hashable {
    public var file: String
    public var range: SourceRange
    public var name: Located<String>?
    public var description: Located<String>?
    public var paused: Located<Bool>?
    /// The `a` and `b` app bindings that were given, in that order.
    public var apps: [AppBindingSyntax] = []
    public var direction: Located<SyncDirection>?
    public var winner: Located<Side>?
    public var avoidDuplicates: Located<Bool>?
    public var syncDeletions: MarkerOptionSyntax?
    public var syncUnsubscribes: MarkerOptionSyntax?
    public var mappings = MappingsSyntax()
    public var rules: [RuleSetSyntax] = []
    /// `safety:`, with the defaults filled in for the keys left out.
    public var safety: Located<SafetyBudget>?

    public init(file: String, range: SourceRange) {
        self.file = file
        self.range = range
    }

    public func app(_ side: Side) -> AppBindingSyntax? { apps.first { $0.side == side } }
}

/// `apps.a` or `apps.b`.
public struct AppBindingSyntax: Sendable, Hashable {
    public var side: Side
    /// The range of the `a:` / `b:` key.
    public var range: SourceRange
    public var app: Located<String>?
    public var auth: [ParameterSyntax] = []
    public var settings: [ParameterSyntax] = []
    public var subset: SubsetSyntax?
    public var contactType: Located<String>?
    /// Fields declared in the connection, on top of the app schema.
    public var customFields: [FieldDefinition] = []
    /// A schema overlay file, relative to the connection file.
    public var overlay: Located<String>?

    public init(side: Side, range: SourceRange) {
        self.side = side
        self.range = range
    }
}

/// One `auth:` or `settings:` entry.
public struct ParameterSyntax: Sendable, Hashable {
    public enum Value: Sendable, Hashable {
        /// Written in the file: allowed for non-secret parameters only.
        case literal(Located<String>)
        /// `{env: NAME}`.
        case environment(Located<String>)
        /// `{file: PATH}`.
        case file(Located<String>)
        /// A malformed reference, already reported.
        case invalid
        /// A mapping of names to text (a field map such as csv's `columns`), with the diagnostics
        /// it would get as a reference, for a parameter that takes none.
        case entries([Entry], asReference: [Diagnostic])
    }

    /// One entry of a mapping value.
    public struct Entry: Sendable, Hashable {
        public var key: Located<String>
        public var value: Located<String>
    }

    public var name: Located<String>
    public var value: Value
    public var range: SourceRange
}

/// `subset: {list: Customers}`.
public struct SubsetSyntax: Sendable, Hashable {
    public var kind: Located<String>
    public var value: Located<String>
}

/// `sync_deletions` / `sync_unsubscribes`: `true`, or `{enabled: true, marker: NAME}`.
public struct MarkerOptionSyntax: Sendable, Hashable {
    public var range: SourceRange
    public var enabled: Bool
    public var marker: Located<String>?
}

/// The `mappings:` section.
public struct MappingsSyntax: Sendable, Hashable {
    /// `defaults: on|off`; on when absent.
    public var defaults: Located<Bool>?
    /// Per-default toggles, by standard role.
    public var toggles: [ToggleSyntax] = []
    public var custom: [CustomMappingSyntax] = []

    public init() {}
}

public struct ToggleSyntax: Sendable, Hashable {
    public var role: Located<String>
    public var enabled: Located<Bool>
}

/// One custom mapping.
public struct CustomMappingSyntax: Sendable, Hashable {
    public var range: SourceRange
    public var a: MappingSideSyntax?
    public var b: MappingSideSyntax?
    public var direction: Located<SyncDirection>?
    public var values: ValueMapSyntax?
    public var enabled: Located<Bool>?
}

/// The field (or, for a name join, the two fields) of one side of a mapping.
public struct MappingSideSyntax: Sendable, Hashable {
    public var fields: [Located<String>]
    /// Whether the side was written as a list (`[first_name, last_name]`).
    public var isList: Bool
    public var range: SourceRange
}

/// `values: {a_option: b_option, ...}`.
public struct ValueMapSyntax: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var a: Located<String>
        public var b: Located<String>
    }

    public var range: SourceRange
    public var entries: [Entry]
}

/// The rules of one way (`rules.a-to-b`).
public struct RuleSetSyntax: Sendable, Hashable {
    public var way: Way
    public var range: SourceRange
    public var rules: [RuleSyntax]
}

/// One IF/THEN rule.
public struct RuleSyntax: Sendable, Hashable {
    public var range: SourceRange
    public var name: Located<String>?
    /// The `if:` conditions as an `all` group; `nil` means every contact.
    public var condition: ConditionSyntax?
    public var actions: [ActionSyntax] = []
    public var undo: Located<Bool>?
}

/// A condition tree: `all`/`any` groups of leaf conditions.
public indirect enum ConditionSyntax: Sendable, Hashable {
    case all([ConditionSyntax], SourceRange)
    case any([ConditionSyntax], SourceRange)
    /// `- has_tag: customer`, `- champion: true`.
    case named(name: Located<String>, argument: LiteralSyntax)
    /// `- field: score` with `greater_than: 50`.
    case field(field: Located<String>, operator: Located<String>, operand: LiteralSyntax)
}

/// A literal value from the file: its text (quoted or not), or a list of them for `one_of`.
public struct LiteralSyntax: Sendable, Hashable {
    public var text: String
    public var isPlain: Bool
    public var isNull: Bool
    public var list: [LiteralSyntax]?
    public var range: SourceRange

    public init(text: String, isPlain: Bool, isNull: Bool, list: [LiteralSyntax]?, range: SourceRange) {
        self.text = text
        self.isPlain = isPlain
        self.isNull = isNull
        self.list = list
        self.range = range
    }
}

/// One THEN action: `- add_tag: synced`, `- make_champion`, `- set_field: {field: f, value: v}`.
public struct ActionSyntax: Sendable, Hashable {
    public var name: Located<String>
    public var argument: LiteralSyntax?
    /// For `set_field`.
    public var field: Located<String>?
    public var range: SourceRange
}
