import AccordModel
import Foundation

/// What the store remembers about one record: the values of its mapped fields and segments
/// after the last run (the merge baseline), its email, its version token and the rules it matched.
public struct RecordSnapshot: Sendable, Hashable {
    public var id: String
    /// The record's normalised emails, separated by line breaks, preferred first.
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
        /// A value of its counterpart was not carried over (an email removed there is not
        /// cleared here); the two stay linked.
        case keptValue = "kept_value"
        /// A write not made because the record changed in its app during the run; the next run
        /// reads it again and merges.
        case deferred
    }

    public var side: Side
    public var recordID: String
    public var kind: Kind
    public var reason: String
    public var detail: String?
    public var email: String?
    public var updatedAt: Date

    public init(side: Side, recordID: String, kind: Kind, reason: String, detail: String? = nil, email: String? = nil, updatedAt: Date = Date()) {
        self.side = side
        self.recordID = recordID
        self.kind = kind
        self.reason = reason
        self.detail = detail
        self.email = email
        self.updatedAt = updatedAt
    }
}

/// An unfinished create: journaled before the create is sent, removed with the link it produced.
public struct Intent: Sendable, Hashable, Codable {
    public var id: Int64?
    public var way: Way
    public var sourceID: String
    public var email: String?
    /// The id the new record was made recognisable by (`NewContact.correlationID`).
    public var correlationID: String?
    /// The source's version when its values were sent: if it is still that, what was written is
    /// known, and serves as the new record's baseline.
    public var sourceVersion: String?

    public init(id: Int64? = nil, way: Way, sourceID: String, email: String?, correlationID: String? = nil, sourceVersion: String? = nil) {
        self.id = id
        self.way = way
        self.sourceID = sourceID
        self.email = email
        self.correlationID = correlationID
        self.sourceVersion = sourceVersion
    }
}

/// One run of a connection, for `accord activity`.
public struct RunRecord: Sendable, Hashable, Codable {
    /// How a run ended.
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        /// Still going, or killed before it could say.
        case running
        case ok
        case failed
        /// Held by the safety budget: it wrote nothing.
        case held
        /// A revert of another run (`accord revert`).
        case reverted
    }

    public var id: Int64
    public var connection: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var status: Status
    public var fullScan: Bool
    public var dryRun: Bool
    public var counts: [String: Int]
    public var error: String?
    /// For a held run: why, with a sample of the contacts (JSON, as the runner wrote it).
    public var detail: String?

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
    public var cursors: [Side: String]
    /// Creates journaled by a run that did not finish.
    public var pendingIntents: Int
    /// Whether the next run may go over the safety budget once (`accord approve`).
    public var approved: Bool
}

/// Everything the store holds for one connection, loaded at the start of a run.
public struct ConnectionSnapshot: Sendable {
    public var header: ConnectionHeader
    public var links: [RecordLink]
    /// Side → record id → what is stored about it (without field values).
    public var records: [Side: [String: StoredRecord]]
    public var health: [HealthEntry]
    public var intents: [Intent]

    public var fingerprint: String? { header.fingerprint }
    public var paused: Bool { header.paused }
    public var retryRequested: Bool { header.retryRequested }
    public var cursors: [Side: String] { header.cursors }
}

/// The state changes of one batch, applied in one transaction.
public struct StateChanges: Sendable {
    public var records: [Side: [RecordSnapshot]] = [:]
    public var links: [RecordLink] = []
    /// Health entries to set, replacing any of the same side, record and kind.
    public var health: [HealthEntry] = []
    /// Health entries to clear: side, record and kinds.
    public var clearedHealth: [(side: Side, recordID: String, kinds: [HealthEntry.Kind])] = []
    public var cursors: [Side: String] = [:]
    public var removedIntents: [Int64] = []
    /// What the batch wrote, for the changelog of run `run`.
    public var changelog: [ChangelogEntry] = []
    public var run: Int64?

    public init() {}

    public var isEmpty: Bool {
        records.values.allSatisfy(\.isEmpty) && links.isEmpty && health.isEmpty && clearedHealth.isEmpty && cursors.isEmpty
            && removedIntents.isEmpty && changelog.isEmpty
    }
}

/// What a run wrote to one record, kept in the run's changelog for `accord log` and `accord revert`.
public struct ChangelogEntry: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, Hashable {
        /// A record the run created (from `counterpart`).
        case created
        /// A record the run updated: fields written and segments joined or left.
        case updated
    }

    public var kind: Kind
    /// The app written.
    public var side: Side
    /// The record written (created).
    public var recordID: String
    /// The record of the other app it was written from.
    public var counterpart: String?
    public var email: String?
    /// Fields written, each with the value before and after.
    public var fields: [FieldDelta]
    /// Segments joined and left (markers among them).
    public var segments: [SegmentDelta]

    public init(
        kind: Kind, side: Side, recordID: String, counterpart: String?, email: String?, fields: [FieldDelta] = [], segments: [SegmentDelta] = []
    ) {
        self.kind = kind
        self.side = side
        self.recordID = recordID
        self.counterpart = counterpart
        self.email = email
        self.fields = fields
        self.segments = segments
    }

    public struct FieldDelta: Codable, Sendable, Hashable {
        public var field: String
        public var before: [String]
        public var after: [String]

        public init(field: String, before: [String], after: [String]) {
            self.field = field
            self.before = before
            self.after = after
        }
    }

    public struct SegmentDelta: Codable, Sendable, Hashable {
        public var kind: String
        public var added: [String]
        public var removed: [String]

        public init(kind: String, added: [String], removed: [String]) {
            self.kind = kind
            self.added = added
            self.removed = removed
        }
    }
}

extension ConnectionSnapshot {
    /// The snapshot with one side's records renamed (old id → new id): their stored records,
    /// links, health entries and journaled creates (`StateStore.reidentify` does the same to
    /// the file).
    public func reidentifying(_ renamed: [String: String], on side: Side) -> ConnectionSnapshot {
        guard !renamed.isEmpty else { return self }
        var snapshot = self
        func id(_ old: String) -> String { renamed[old] ?? old }
        if var records = snapshot.records[side] {
            for (old, new) in renamed {
                if let record = records.removeValue(forKey: old) { records[new] = record }
            }
            snapshot.records[side] = records
        }
        snapshot.links = links.map { side == .a ? RecordLink(a: id($0.a), b: $0.b) : RecordLink(a: $0.a, b: id($0.b)) }
        snapshot.health = health.map { entry in
            var entry = entry
            if entry.side == side { entry.recordID = id(entry.recordID) }
            return entry
        }
        snapshot.intents = intents.map { intent in
            var intent = intent
            if intent.way.source == side { intent.sourceID = id(intent.sourceID) }
            return intent
        }
        return snapshot
    }
}
