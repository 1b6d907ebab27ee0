import AccordChecker
import AccordModel

/// The executable sync plan: what the runner carries out. Encoded as canonical JSON (sorted
/// keys, stable order) whose SHA-256 is the plan's `fingerprint`; a changed fingerprint tells
/// the runner to rescan both apps.
public struct SyncPlan: Codable, Sendable, Hashable {
    /// The plan format; the runner refuses versions it does not know.
    public static let currentFormatVersion = 1

    public var format_version: Int
    /// `sha256:` + hex digest of the canonical plan with this field empty.
    public var fingerprint: String
    public var connection: String
    public var description: String?
    public var paused: Bool
    public var direction: String
    public var winner: String?
    public var options: Options
    public var apps: [App]
    public var mappings: [Mapping]
    /// Rules per way (`a-to-b`, `b-to-a`); only ways the connection syncs.
    public var rules: [String: [Rule]]

    public struct Options: Codable, Sendable, Hashable {
        public var avoid_duplicates: Bool
        public var match_key: String?
        public var sync_deletions: MarkerOption?
        public var sync_unsubscribes: MarkerOption?
    }

    public struct MarkerOption: Codable, Sendable, Hashable {
        public var marker: String
        public var ways: [Way]
    }

    public struct Way: Codable, Sendable, Hashable {
        public var way: String
        public var marker_kind: String
    }

    public struct App: Codable, Sendable, Hashable {
        public var side: String
        public var app: String
        public var contact_type: String
        public var subset: Subset?
        public var auth: [String: Parameter]
        public var settings: [String: Parameter]
        public var limits: Limits
        /// The fields the plan reads or writes, with their types.
        public var fields: [Field]
    }

    public struct Subset: Codable, Sendable, Hashable {
        public var kind: String
        public var name: String
    }

    /// A parameter: a literal value (never a secret) or where to read it at run time.
    public struct Parameter: Codable, Sendable, Hashable {
        public var value: String?
        public var env: String?
        public var file: String?
    }

    public struct Limits: Codable, Sendable, Hashable {
        public var batch_size: Int
        public var concurrency: Int
        public var requests_per_second: Double?
    }

    public struct Field: Codable, Sendable, Hashable {
        public var name: String
        public var type: String
        public var multi_value: Bool
        public var read_only: Bool
        public var required: Bool
        public var custom: Bool
        public var options: [String]?
    }

    public struct Mapping: Codable, Sendable, Hashable {
        /// `default:<id>` or `custom:<n>` (1-based, file order).
        public var id: String
        public var a: [String]
        public var b: [String]
        public var direction: String
        /// Transforms per way, applied in order.
        public var transforms: [String: [Transform]]
    }

    public struct Transform: Codable, Sendable, Hashable {
        public var kind: String
        public var from_type: String?
        public var values: [String: String]?
    }

    public struct Rule: Codable, Sendable, Hashable {
        public var name: String?
        /// 1-based position in the file; absent for the implicit all-to-all rule.
        public var index: Int?
        public var predicate: PredicateNode
        public var actions: [Action]
        public var undo: [Action]?
    }

    /// A predicate tree node: exactly one of its members is set.
    public final class PredicateNode: Codable, Sendable, Hashable {
        public let all: [PredicateNode]?
        public let any: [PredicateNode]?
        public let segment: SegmentTest?
        public let field: FieldTest?
        public let exists_in_other_app: Bool?

        init(
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
    }

    public struct FieldTest: Codable, Sendable, Hashable {
        public var name: String
        public var `operator`: String
        public var value: Value?
    }

    /// A typed literal.
    public struct Value: Codable, Sendable, Hashable {
        public var type: String
        public var value: String?
        public var values: [String]?
    }

    public struct Action: Codable, Sendable, Hashable {
        public var action: String
        public var kind: String
        public var segment: String?
        public var name: String?
        public var field: String?
        public var value: Value?
    }
}
