import AccordModel
import Foundation

/// One side of a connection, as stored.
public enum StoredSide: String, Sendable, Hashable, CaseIterable, Codable {
    case a, b
}

/// What the store remembers about one record: the values of its mapped fields and segments
/// after the last run (the merge baseline), its email, its version token and the rules it matched.
public struct RecordSnapshot: Sendable, Hashable {
    public var id: String
    public var email: String?
    /// The app's version of the record (an ETag, a size+mtime, a content hash).
    public var version: String?
    /// Field name (or `#segment-kind`) → values, held packed: a first run stores a snapshot of
    /// every record, and packed ones are written out without a dictionary.
    public var fields: PackedFields
    /// Which rules of the record's own way (a-to-b for app a) it matched; `nil` when not evaluated.
    public var rules: [Int]?
    /// Whether the record was deleted in its app.
    public var deleted: Bool

    public init(id: String, email: String?, version: String?, fields: PackedFields, rules: [Int]? = nil, deleted: Bool = false) {
        self.id = id
        self.email = email
        self.version = version
        self.fields = fields
        self.rules = rules
        self.deleted = deleted
    }

    public init(id: String, email: String?, version: String?, fields: [String: [String]], rules: [Int]? = nil, deleted: Bool = false) {
        self.init(id: id, email: email, version: version, fields: PackedFields(fields), rules: rules, deleted: deleted)
    }
}

/// A record as loaded at the start of a run: a snapshot without its field values, which are
/// loaded only for the records a run touches (`StateStore.fields`). Enough to tell whether the
/// record changed, to match it by email and to know its rules.
public struct StoredRecord: Sendable, Hashable {
    public var email: String?
    public var version: String?
    public var rules: [Int]?
    public var deleted: Bool

    public init(email: String?, version: String?, rules: [Int]?, deleted: Bool) {
        self.email = email
        self.version = version
        self.rules = rules
        self.deleted = deleted
    }
}

/// A link between a record of app a and one of app b, kept even when emails change.
public struct RecordLink: Sendable, Hashable, Codable {
    public var a: String
    public var b: String

    public init(a: String, b: String) {
        self.a = a
        self.b = b
    }
}

/// A health entry: why a record is not (fully) in sync.
public struct HealthEntry: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// A write the target rejected or would reject; retried when the record or plan changes.
        case failed
        /// Matches no rule, or has no email while avoiding duplicates.
        case excluded
        /// Shares its email with another record of the same app.
        case duplicate
        /// Its linked counterpart was deleted; it is never re-created.
        case deletedOpposite = "deleted_opposite"
    }

    public var side: StoredSide
    public var recordID: String
    public var kind: Kind
    public var reason: String
    public var detail: String?
    public var email: String?
    public var updatedAt: Date

    public init(side: StoredSide, recordID: String, kind: Kind, reason: String, detail: String? = nil, email: String? = nil, updatedAt: Date = Date()) {
        self.side = side
        self.recordID = recordID
        self.kind = kind
        self.reason = reason
        self.detail = detail
        self.email = email
        self.updatedAt = updatedAt
    }
}

/// An unfinished create: written before the create call, removed with the link it produced.
public struct Intent: Sendable, Hashable, Codable {
    public var id: Int64?
    public var way: String
    public var sourceID: String
    public var email: String?

    public init(id: Int64? = nil, way: String, sourceID: String, email: String?) {
        self.id = id
        self.way = way
        self.sourceID = sourceID
        self.email = email
    }
}

/// One run of a connection, for `accord activity`.
public struct RunRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var connection: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var status: String
    public var fullScan: Bool
    public var dryRun: Bool
    public var counts: [String: Int]
    public var error: String?

    /// Seconds from start to finish.
    public var duration: TimeInterval? { finishedAt.map { $0.timeIntervalSince(startedAt) } }
}

/// Who holds a connection's lock.
public struct LockHolder: Sendable, Hashable, Codable, CustomStringConvertible {
    public var pid: Int32
    public var host: String
    public var since: Date

    public init(pid: Int32, host: String, since: Date) {
        self.pid = pid
        self.host = host
        self.since = since
    }

    public var description: String {
        "pid \(pid) on \(host) since \(ISO8601DateFormatter().string(from: since))"
    }
}

/// The little a run reads first: whether it runs, whether it must scan everything, and the
/// cursors that may show that neither app changed.
public struct ConnectionHeader: Sendable {
    public var fingerprint: String?
    public var paused: Bool
    public var retryRequested: Bool
    public var cursors: [StoredSide: String]
    /// Creates journaled by a run that did not finish.
    public var pendingIntents: Int
}

/// Everything the store holds for one connection, loaded at the start of a run.
public struct ConnectionSnapshot: Sendable {
    public var header: ConnectionHeader
    public var links: [RecordLink]
    /// Side → record id → what is stored about it (without field values).
    public var records: [StoredSide: [String: StoredRecord]]
    public var health: [HealthEntry]
    public var intents: [Intent]

    public var fingerprint: String? { header.fingerprint }
    public var paused: Bool { header.paused }
    public var retryRequested: Bool { header.retryRequested }
    public var cursors: [StoredSide: String] { header.cursors }
}

/// The state changes of one batch, applied in one transaction.
public struct StateChanges: Sendable {
    public var records: [StoredSide: [RecordSnapshot]] = [:]
    public var links: [RecordLink] = []
    /// Health entries to set, replacing any of the same side, record and kind.
    public var health: [HealthEntry] = []
    /// Health entries to clear: side, record and kinds.
    public var clearedHealth: [(side: StoredSide, recordID: String, kinds: [HealthEntry.Kind])] = []
    public var cursors: [StoredSide: String] = [:]
    public var removedIntents: [Int64] = []

    public init() {}

    public var isEmpty: Bool {
        records.values.allSatisfy(\.isEmpty) && links.isEmpty && health.isEmpty && clearedHealth.isEmpty && cursors.isEmpty
            && removedIntents.isEmpty
    }
}
