import AccordModel
import AccordSyntax

/// A connection whose names are bound to app schema fields and whose types, directions and
/// rules have been checked. The planner lowers it into a sync plan.
public struct CheckedConnection: Sendable, Hashable {
    public var name: String
    public var file: String
    public var description: String?
    public var paused: Bool
    /// `a` then `b`.
    public var apps: [ResolvedApp]
    public var direction: SyncDirection
    public var winner: Side?
    public var avoidDuplicates: Bool
    public var syncDeletions: MarkerOption?
    public var syncUnsubscribes: MarkerOption?
    /// Default mappings first (by role), then custom mappings in file order.
    public var mappings: [ResolvedMapping]
    /// The rules of each enabled way; a way without written rules has one all-to-all rule.
    public var rules: [Way: [ResolvedRule]]
    /// The safety budget (the defaults when the file has no `safety:`).
    public var safety: SafetyBudget

    public func app(_ side: Side) -> ResolvedApp { apps[side == .a ? 0 : 1] }
}

/// One app of a connection with its schema (custom fields merged in) and options.
public struct ResolvedApp: Sendable, Hashable {
    public var side: Side
    public var schema: AppSchema
    public var contactType: String
    public var subset: Subset?
    public var auth: [ResolvedParameter]
    public var settings: [ResolvedParameter]

    public struct Subset: Sendable, Hashable {
        public var kind: String
        public var name: String
    }
}

/// An auth parameter or setting: a literal (never for secrets) or a reference.
public enum ResolvedParameter: Sendable, Hashable {
    case literal(name: String, value: String)
    case environment(name: String, variable: String)
    case file(name: String, path: String)
    /// A mapping of field names to text (csv's `columns`).
    case fieldMap(name: String, entries: [String: String])

    public var name: String {
        switch self {
        case .literal(let name, _), .environment(let name, _), .file(let name, _), .fieldMap(let name, _): name
        }
    }
}

/// `sync_deletions` or `sync_unsubscribes` after checking: the marker and the ways it works in.
public struct MarkerOption: Sendable, Hashable {
    public var marker: String
    /// The ways in which the event is detected in the source and marked in the target.
    public var ways: [Way]
    /// The marker kind written in each way's target (tag, list, group, ...).
    public var markerKinds: [Way: String]
}

/// How a value changes on its way from one field into another.
public enum Transform: Sendable, Hashable {
    /// Copied as is.
    case identity
    /// Written as text (numbers, dates, booleans, options, addresses into a text field).
    case formatAsText(FieldType)
    /// The first value of a multi-value field into a single-value field.
    case firstValue
    /// A date at midnight UTC into a date-time field.
    case dateToDatetime
    /// The date part of a date-time.
    case datetimeToDate
    /// Options mapped through a value map.
    case valueMap([String: String])
    /// First and last name joined into a full name.
    case joinName
    /// A full name split into first and last name, changing only the part that changed.
    case splitName
}

/// A field mapping with its effective direction and the transform of each way.
public struct ResolvedMapping: Sendable, Hashable {
    public enum Origin: Sendable, Hashable {
        /// A default mapping, identified by its id (`email`, `name`, `phone`, ...).
        case standard(String)
        /// The custom mapping at this index of `mappings.custom`.
        case custom(Int)
    }

    public var origin: Origin
    public var a: [FieldDefinition]
    public var b: [FieldDefinition]
    public var direction: SyncDirection
    public var transforms: [Way: [Transform]]

    /// The fields written on `side`'s app.
    public func fields(_ side: Side) -> [FieldDefinition] { side == .a ? a : b }

    /// Whether the mapping writes `field` in the target of `way`.
    public func writes(_ field: String, way: Way) -> Bool {
        direction.contains(way) && fields(way.target).contains { $0.name == field }
    }
}

/// A rule after checking: its predicate over the source app and its actions in the target.
public struct ResolvedRule: Sendable, Hashable {
    public var name: String?
    /// The position in the file's rule list; `nil` for the implicit all-to-all rule.
    public var index: Int?
    public var predicate: RulePredicate
    public var actions: [ResolvedAction]
    /// The actions that reverse `actions`, run when a contact stops matching (`undo: true`).
    public var undoActions: [ResolvedAction]?
}

/// A condition tree over one app's contacts.
public indirect enum RulePredicate: Sendable, Hashable {
    case all([RulePredicate])
    case any([RulePredicate])
    case inSegment(kind: String, name: String, negated: Bool)
    case field(name: String, operator: FieldOperator, value: TypedValue?)
    case existsInOtherApp(Bool)

    /// Matches every contact.
    public static let always = RulePredicate.all([])
}

/// A literal checked against a field type, in canonical form.
public enum TypedValue: Sendable, Hashable {
    case text(String)
    case number(String)
    case date(String)
    case datetime(String)
    case boolean(Bool)
    case option(String)
    case options([String])
}

/// A THEN action, resolved against the target app's schema.
public struct ResolvedAction: Sendable, Hashable {
    public var name: String
    public var kind: ActionDefinition.Kind
    /// For segment actions.
    public var segment: String?
    public var segmentName: String?
    /// For field actions.
    public var field: String?
    public var value: TypedValue?
}
