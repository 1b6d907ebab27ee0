import AccordModel

/// A contact as a connector sees it: field values and segment memberships.
public struct ContactRecord: Sendable, Hashable {
    /// The app's stable id for the record.
    public var id: String
    /// A token that changes whenever the record changes (ETag, size+mtime, content hash).
    public var version: String?
    /// Field name (as in the app schema) → values; single-value fields hold at most one.
    /// Rebuilt from `packedFields` at each read.
    public var fields: [String: [String]] {
        get { packedFields.dictionary }
        set { packedFields = PackedFields(newValue) }
    }
    /// The fields as they are held: a listing keeps every record until the engine takes it in.
    public var packedFields: PackedFields
    /// Segment kind (tag, list, ...) → names the record belongs to.
    public var segments: [String: Set<String>]
    /// Whether the contact unsubscribed (marketing apps).
    public var unsubscribed: Bool

    public init(id: String, version: String? = nil, fields: [String: [String]] = [:], segments: [String: Set<String>] = [:], unsubscribed: Bool = false) {
        self.init(id: id, version: version, packedFields: PackedFields(fields), segments: segments, unsubscribed: unsubscribed)
    }

    /// A record whose fields are held as given: packed by a connector that reads them in name
    /// order, or kept a dictionary (`PackedFields(unpacked:)`) for a write's result.
    public init(id: String, version: String?, packedFields: PackedFields, segments: [String: Set<String>] = [:], unsubscribed: Bool = false) {
        self.id = id
        self.version = version
        self.packedFields = packedFields
        self.segments = segments
        self.unsubscribed = unsubscribed
    }
}

/// A record to create.
public struct NewContact: Sendable, Hashable {
    /// A unique id the engine journals before the create is sent. A connector that can, makes
    /// the new record recognisable by it (a vCard's UID, a CSV row's id) and says so through
    /// `ContactConnector.recordID(forCorrelation:)`: after a crash between the create and the
    /// save of its link, the next run finds the record by it, without relying on its email.
    public var correlationID: String
    /// Field name (as in the app schema) → values. Rebuilt from `packedFields` at each read.
    public var fields: [String: [String]] {
        get { packedFields.dictionary }
        set { packedFields = PackedFields(unpacked: newValue) }
    }
    /// The fields as they are held: packed when the engine copied them from a listed record, so
    /// a connector that writes fields in name order reads them without a dictionary.
    public var packedFields: PackedFields
    public var segments: [String: Set<String>]

    public init(fields: [String: [String]], segments: [String: Set<String>] = [:], correlationID: String = TimeOrderedUUID.next()) {
        self.init(packedFields: PackedFields(unpacked: fields), segments: segments, correlationID: correlationID)
    }

    public init(packedFields: PackedFields, segments: [String: Set<String>] = [:], correlationID: String = TimeOrderedUUID.next()) {
        self.packedFields = packedFields
        self.segments = segments
        self.correlationID = correlationID
    }
}

/// Changes to one existing record: fields to set (an empty list clears), segments to join and leave.
public struct ContactUpdate: Sendable, Hashable {
    public var id: String
    public var fields: [String: [String]]
    public var addSegments: [String: Set<String>]
    public var removeSegments: [String: Set<String>]
    /// The record's version the change was worked out from. An app that can tell (an ETag) uses
    /// it to notice an edit made since, and then re-merges against `previous` or refuses.
    public var basedOn: String?
    /// The values of `fields` the change was worked out from. A field edited in the app since
    /// then to something else is a conflict the connector must not overwrite.
    public var previous: [String: [String]]

    public init(
        id: String, fields: [String: [String]] = [:], addSegments: [String: Set<String>] = [:], removeSegments: [String: Set<String>] = [:],
        basedOn: String? = nil, previous: [String: [String]] = [:]
    ) {
        self.id = id
        self.fields = fields
        self.addSegments = addSegments
        self.removeSegments = removeSegments
        self.basedOn = basedOn
        self.previous = previous
    }

    public var isEmpty: Bool {
        fields.isEmpty && addSegments.values.allSatisfy(\.isEmpty) && removeSegments.values.allSatisfy(\.isEmpty)
    }

    /// Whether the record, now at `version`, was edited since the version the update was worked
    /// out from (false when the update does not say).
    public func wasEdited(now version: String?) -> Bool {
        basedOn.map { $0 != version } ?? false
    }

    /// The first field the update sets whose value in `current` (the record as the app holds it
    /// now) is no longer the one the update was worked out from.
    public func conflictingField(in current: [String: [String]]) -> String? {
        fields.keys.sorted().first { (current[$0] ?? []) != (previous[$0] ?? []) }
    }
}

/// The outcome of one create or update.
public enum WriteResult: Sendable, Hashable {
    /// Written; the record as it is now stored by the app. An update merged into a record edited
    /// in the app since `basedOn` comes back without a version: the engine then remembers what it
    /// wrote rather than the record, so the next run reads the record again and syncs that edit.
    case written(ContactRecord)
    /// Rejected; the reason becomes a failed health entry, and the record is retried when it
    /// changes, when the plan changes, or on `accord retry`.
    case failed(reason: String)
    /// Not written because the record changed in the app during the run (edited, replaced,
    /// moved or deleted since the listing): the next run reads it again and merges the change.
    case changedDuringRun(reason: String)

    /// Why the write was not made, if it was not.
    public var failure: String? {
        switch self {
        case .written: nil
        case .failed(let reason), .changedDuringRun(let reason): reason
        }
    }
}

/// What the previous run knew, so a connector can list only what changed.
public struct ListingState: Sendable, Hashable {
    /// The cursor the connector returned last time.
    public var cursor: String?
    /// Record id → version as of the last run.
    public var known: [String: String]
    /// On a full listing, the cursor the last run left: where the source was (a CardDAV address
    /// book found from a server URL), never a reason to skip a record. `nil` otherwise.
    public var lastCursor: String?
    /// Whether the state holds nothing for the connection yet: the only run in which a connector
    /// may create its source (an empty folder or file) when the connection asks for it. Any
    /// other run that finds the source missing fails, naming it.
    public var isFirstRun: Bool

    public init(cursor: String? = nil, known: [String: String] = [:], lastCursor: String? = nil, isFirstRun: Bool = false) {
        self.cursor = cursor
        self.known = known
        self.lastCursor = lastCursor
        self.isFirstRun = isFirstRun
    }

    /// A full listing: nothing known.
    public static let full = ListingState()
}

/// The result of a listing: records that are new or changed since `ListingState`, the ids of
/// known records that are gone, and records that are there but could not be read. Known
/// records in none of the lists are unchanged.
///
/// A listing is complete or it throws: a connector reports a record deleted only when it saw
/// the whole collection without it. A record it could not read (a garbled file, an encoding it
/// cannot decode) is neither changed nor deleted: it is `unreadable`, and the run leaves it as
/// the state remembers it.
public struct Listing: Sendable {
    public var changed: [ContactRecord]
    public var deleted: [String]
    public var unreadable: [UnreadableRecord]
    public var cursor: String?
    /// Known records the app now goes by another id (the identity a connector gives records
    /// changed: a card once known by its file name, now by its UID): old id → new id. The engine
    /// moves the state's links, snapshots and health to the new ids; it is neither a deletion
    /// nor a new contact.
    public var reidentified: [String: String]

    public init(
        changed: [ContactRecord], deleted: [String], unreadable: [UnreadableRecord] = [], cursor: String?, reidentified: [String: String] = [:]
    ) {
        self.changed = changed
        self.deleted = deleted
        self.unreadable = unreadable
        self.cursor = cursor
        self.reidentified = reidentified
    }
}

/// A record an app holds but that could not be read: it becomes a failed health entry, and the
/// run neither writes it nor takes it as deleted.
public struct UnreadableRecord: Sendable, Hashable {
    /// The record's id: as the state knows it when the connector can tell (from its version,
    /// say), else one the connector derives from where the record is (a file name).
    public var id: String
    /// Where the record is, for the message: a file path, a URL.
    public var location: String
    /// Why it could not be read.
    public var reason: String

    public init(id: String, location: String, reason: String) {
        self.id = id
        self.location = location
        self.reason = reason
    }
}

/// An app accord syncs. There is deliberately no delete operation: accord never deletes a contact.
public protocol ContactConnector: Sendable {
    /// Records per write call.
    var batchSize: Int { get }

    /// New and changed records since `state`, and deleted ids; everything when `state` is `.full`.
    func list(since state: ListingState) async throws -> Listing

    /// Creates records, one result per input, in order.
    func create(_ contacts: [NewContact]) async throws -> [WriteResult]

    /// Updates records, one result per input, in order.
    func update(_ updates: [ContactUpdate]) async throws -> [WriteResult]

    /// Whether the app's cursor is the `ListingDigest` of every record's version (versions are
    /// unique per record). The engine then stores, after each run, the digest of the versions
    /// the state remembers.
    var cursorIsVersionDigest: Bool { get }

    /// Whether a listing from `cursor` (the one the state holds) would find nothing new, changed
    /// or deleted, told without reading any record; `false` when the app cannot tell. For a
    /// version digest: the app holds exactly those ids and versions. For an app's own cursor:
    /// nothing changed since the listing that returned it, the run's own writes included.
    func isUnchanged(since cursor: String) async throws -> Bool

    /// The id of the record a create with `correlationID` made (`NewContact.correlationID`),
    /// when the app makes it from that id; `nil` when it cannot tell.
    func recordID(forCorrelation correlationID: String) -> String?

    /// The cursor to store after the run's writes, given the one the listing returned. An app
    /// whose cursor proves "nothing changed" only up to the connector's own writes (a CardDAV
    /// ctag) returns one that no longer claims it, so the next run asks what changed.
    func cursorAfterWrites(listed cursor: String?) -> String?
}

extension ContactConnector {
    public var cursorIsVersionDigest: Bool { false }

    public func isUnchanged(since cursor: String) async throws -> Bool { false }

    public func recordID(forCorrelation correlationID: String) -> String? { nil }

    public func cursorAfterWrites(listed cursor: String?) -> String? { cursor }
}

/// A failure that stops a run (unreachable app, unreadable file), as opposed to one record failing.
public struct ConnectorError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
