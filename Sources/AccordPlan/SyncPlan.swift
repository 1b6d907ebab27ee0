import AccordModel

/// The executable sync plan: what the runner carries out. Encoded as canonical JSON (sorted
/// keys, stable order) whose SHA-256 is the plan's `fingerprint`; a changed fingerprint tells
/// the runner to rescan both apps.
///
/// Every closed set is an enum whose raw values are the JSON spellings, so a plan with an
/// unknown kind, operator or transform fails to decode instead of silently doing nothing.
public struct SyncPlan: Codable, Sendable, Hashable {
    /// The plan format; the runner refuses versions it does not know.
    public static let currentFormatVersion = 1

    public var format_version: Int
    /// `sha256:` + hex digest of the canonical plan with this field empty.
    public var fingerprint: String
    public var connection: String
    public var description: String?
    public var paused: Bool
    public var direction: SyncDirection
    public var winner: Side?
    public var options: Options
    public var apps: [App]
    public var mappings: [Mapping]
    /// Rules per way; only ways the connection syncs.
    public var rules: [Way: [Rule]]
    /// The safety budget and the changelog's retention; `nil` in plans compiled before they
    /// existed (the defaults apply). Not part of the fingerprint: they change no value a run
    /// writes, so editing them does not make the next run rescan both apps.
    public var safety: SafetyBudget?

    public init(
        format_version: Int, fingerprint: String, connection: String, description: String?, paused: Bool, direction: SyncDirection,
        winner: Side?, options: Options, apps: [App], mappings: [Mapping], rules: [Way: [Rule]], safety: SafetyBudget? = nil
    ) {
        self.format_version = format_version
        self.fingerprint = fingerprint
        self.connection = connection
        self.description = description
        self.paused = paused
        self.direction = direction
        self.winner = winner
        self.options = options
        self.apps = apps
        self.mappings = mappings
        self.rules = rules
        self.safety = safety
    }

    /// The app on one side of the connection.
    public func app(_ side: Side) -> App { apps[side == .a ? 0 : 1] }

    public struct Options: Codable, Sendable, Hashable {
        public var avoid_duplicates: Bool
        public var match_key: String?
        public var sync_deletions: MarkerOption?
        public var sync_unsubscribes: MarkerOption?

        public init(avoid_duplicates: Bool, match_key: String?, sync_deletions: MarkerOption?, sync_unsubscribes: MarkerOption?) {
            self.avoid_duplicates = avoid_duplicates
            self.match_key = match_key
            self.sync_deletions = sync_deletions
            self.sync_unsubscribes = sync_unsubscribes
        }
    }

    public struct MarkerOption: Codable, Sendable, Hashable {
        public var marker: String
        public var ways: [MarkedWay]

        public init(marker: String, ways: [MarkedWay]) {
            self.marker = marker
            self.ways = ways
        }
    }

    /// A way in which a marker option works, and the segment kind its target marks with.
    public struct MarkedWay: Codable, Sendable, Hashable {
        public var way: Way
        public var marker_kind: String

        public init(way: Way, marker_kind: String) {
            self.way = way
            self.marker_kind = marker_kind
        }
    }

    public struct App: Codable, Sendable, Hashable {
        public var side: Side
        public var app: String
        public var contact_type: String
        public var subset: Subset?
        public var auth: [String: Parameter]
        public var settings: [String: Parameter]
        public var limits: Limits
        /// The fields the plan reads or writes, with their types.
        public var fields: [Field]
        /// The segment kind the app marks contacts with (`tag`, `list`, `group`, ...), if it can:
        /// what `accord revert` tags the contacts a run created with. Not part of the fingerprint.
        public var marker_kind: String?

        public init(
            side: Side, app: String, contact_type: String, subset: Subset?, auth: [String: Parameter], settings: [String: Parameter],
            limits: Limits, fields: [Field], marker_kind: String? = nil
        ) {
            self.side = side
            self.app = app
            self.contact_type = contact_type
            self.subset = subset
            self.auth = auth
            self.settings = settings
            self.limits = limits
            self.fields = fields
            self.marker_kind = marker_kind
        }

        /// "'csv' (a)", as messages name an app.
        public var label: String { "'\(app)' (\(side.rawValue))" }
    }

    public struct Subset: Codable, Sendable, Hashable {
        public var kind: String
        public var name: String

        public init(kind: String, name: String) {
            self.kind = kind
            self.name = name
        }
    }

    /// A parameter: a literal value (never a secret), where to read it at run time, or a map of
    /// field names to text (csv's `columns`).
    public struct Parameter: Codable, Sendable, Hashable {
        public var value: String?
        public var env: String?
        public var file: String?
        public var entries: [String: String]?

        public init(value: String? = nil, env: String? = nil, file: String? = nil, entries: [String: String]? = nil) {
            self.value = value
            self.env = env
            self.file = file
            self.entries = entries
        }
    }

    public struct Limits: Codable, Sendable, Hashable {
        public var batch_size: Int
        public var concurrency: Int
        public var requests_per_second: Double?

        public init(batch_size: Int, concurrency: Int, requests_per_second: Double?) {
            self.batch_size = batch_size
            self.concurrency = concurrency
            self.requests_per_second = requests_per_second
        }
    }

    public struct Field: Codable, Sendable, Hashable {
        public var name: String
        public var type: FieldType
        public var multi_value: Bool
        public var read_only: Bool
        public var required: Bool
        public var custom: Bool
        public var options: [String]?

        public init(name: String, type: FieldType, multi_value: Bool, read_only: Bool, required: Bool, custom: Bool, options: [String]?) {
            self.name = name
            self.type = type
            self.multi_value = multi_value
            self.read_only = read_only
            self.required = required
            self.custom = custom
            self.options = options
        }
    }

    public struct Mapping: Codable, Sendable, Hashable {
        /// `default:<id>` or `custom:<n>` (1-based, file order).
        public var id: String
        public var a: [String]
        public var b: [String]
        public var direction: SyncDirection
        /// Transforms per way, applied in order.
        public var transforms: [Way: [Transform]]

        public init(id: String, a: [String], b: [String], direction: SyncDirection, transforms: [Way: [Transform]]) {
            self.id = id
            self.a = a
            self.b = b
            self.direction = direction
            self.transforms = transforms
        }

        /// The id of the default email mapping, the one matching reads.
        public static let emailID = "default:email"

        /// The fields of one side.
        public func fields(_ side: Side) -> [String] { side == .a ? a : b }
    }

    public struct Transform: Codable, Sendable, Hashable {
        public enum Kind: String, Codable, Sendable, Hashable, CaseIterable {
            case identity
            case formatAsText = "format_as_text"
            case firstValue = "first_value"
            case dateToDatetime = "date_to_datetime"
            case datetimeToDate = "datetime_to_date"
            case valueMap = "value_map"
            case joinName = "join_name"
            case splitName = "split_name"
        }

        public var kind: Kind
        /// For `format_as_text`: the source field's type.
        public var from_type: FieldType?
        /// For `value_map`: source option → target option.
        public var values: [String: String]?

        public init(kind: Kind, from_type: FieldType? = nil, values: [String: String]? = nil) {
            self.kind = kind
            self.from_type = from_type
            self.values = values
        }
    }

    public struct Rule: Codable, Sendable, Hashable {
        public var name: String?
        /// 1-based position in the file; absent for the implicit all-to-all rule.
        public var index: Int?
        public var predicate: PredicateNode
        public var actions: [Action]
        public var undo: [Action]?

        public init(name: String?, index: Int?, predicate: PredicateNode, actions: [Action], undo: [Action]?) {
            self.name = name
            self.index = index
            self.predicate = predicate
            self.actions = actions
            self.undo = undo
        }
    }

    /// A predicate tree node: exactly one of its members is set.
    public final class PredicateNode: Codable, Sendable, Hashable {
        public let all: [PredicateNode]?
        public let any: [PredicateNode]?
        public let segment: SegmentTest?
        public let field: FieldTest?
        public let exists_in_other_app: Bool?

        public init(
            all: [PredicateNode]? = nil, any: [PredicateNode]? = nil, segment: SegmentTest? = nil, field: FieldTest? = nil,
            existsInOtherApp: Bool? = nil
        ) {
            self.all = all
            self.any = any
            self.segment = segment
            self.field = field
            self.exists_in_other_app = existsInOtherApp
        }

        public static func == (lhs: PredicateNode, rhs: PredicateNode) -> Bool {
            lhs.all == rhs.all && lhs.any == rhs.any && lhs.segment == rhs.segment && lhs.field == rhs.field
                && lhs.exists_in_other_app == rhs.exists_in_other_app
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(all)
            hasher.combine(any)
            hasher.combine(segment)
            hasher.combine(field)
            hasher.combine(exists_in_other_app)
        }
    }

    public struct SegmentTest: Codable, Sendable, Hashable {
        public var kind: String
        public var name: String
        public var negated: Bool

        public init(kind: String, name: String, negated: Bool) {
            self.kind = kind
            self.name = name
            self.negated = negated
        }
    }

    public struct FieldTest: Codable, Sendable, Hashable {
        public var name: String
        public var `operator`: FieldOperator
        public var value: Value?

        public init(name: String, operator: FieldOperator, value: Value?) {
            self.name = name
            self.operator = `operator`
            self.value = value
        }
    }

    /// A typed literal.
    public struct Value: Codable, Sendable, Hashable {
        public enum Kind: String, Codable, Sendable, Hashable, CaseIterable {
            case text, number, date, datetime, boolean, option, list
        }

        public var type: Kind
        public var value: String?
        public var values: [String]?

        public init(type: Kind, value: String? = nil, values: [String]? = nil) {
            self.type = type
            self.value = value
            self.values = values
        }
    }

    public struct Action: Codable, Sendable, Hashable {
        /// The action's name in the connection file (`add_tag`), for messages.
        public var action: String
        public var kind: ActionDefinition.Kind
        public var segment: String?
        public var name: String?
        public var field: String?
        public var value: Value?

        public init(action: String, kind: ActionDefinition.Kind, segment: String?, name: String?, field: String?, value: Value?) {
            self.action = action
            self.kind = kind
            self.segment = segment
            self.name = name
            self.field = field
            self.value = value
        }
    }
}

extension ActionDefinition.Kind: Codable {}
extension FieldOperator: Codable {}
