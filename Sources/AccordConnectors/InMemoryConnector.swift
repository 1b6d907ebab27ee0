import Synchronization

/// An app held in memory, for tests: behaves like a real app (versions, deletions, segments,
/// required fields) and can be edited from outside between runs.
public final class InMemoryConnector: ContactConnector {
    private struct State {
        var records: [String: ContactRecord] = [:]
        var nextID = 1
        var revision = 0
        var writes = 0
        var writeCalls = 0
    }

    private let state = Mutex(State())
    public let batchSize: Int
    /// Fields a new record must have; a create without one fails like an API rejecting it.
    public let requiredFields: Set<String>

    public init(batchSize: Int = 100, requiredFields: Set<String> = [], records: [ContactRecord] = []) {
        self.batchSize = batchSize
        self.requiredFields = requiredFields
        state.withLock { state in
            for record in records { state.records[record.id] = Self.stamped(record, &state) }
        }
    }

    private static func stamped(_ record: ContactRecord, _ state: inout State) -> ContactRecord {
        var record = record
        state.revision += 1
        record.version = "r\(state.revision)"
        return record
    }

    /// All records, sorted by id.
    public var records: [ContactRecord] {
        state.withLock { $0.records.values.sorted { $0.id < $1.id } }
    }

    /// How many records were created or updated through the contract.
    public var writeCount: Int { state.withLock { $0.writes } }

    /// How many create and update calls (batches) were made.
    public var writeCalls: Int { state.withLock { $0.writeCalls } }

    /// Edits a record as a user of the app would.
    public func edit(_ id: String, _ change: (inout ContactRecord) -> Void) {
        state.withLock { state in
            guard var record = state.records[id] else { return }
            change(&record)
            state.records[id] = Self.stamped(record, &state)
        }
    }

    /// Adds a record as a user of the app would; returns its id.
    @discardableResult
    public func add(_ fields: [String: [String]], segments: [String: Set<String>] = [:]) -> String {
        state.withLock { state in
            let id = "m\(state.nextID)"
            state.nextID += 1
            state.records[id] = Self.stamped(ContactRecord(id: id, fields: fields, segments: segments), &state)
            return id
        }
    }

    /// Deletes a record as a user of the app would (accord itself cannot).
    public func delete(_ id: String) {
        _ = state.withLock { $0.records.removeValue(forKey: id) }
    }

    public func list(since listingState: ListingState) async throws -> Listing {
        state.withLock { state in
            let changed = state.records.values.filter { listingState.known[$0.id] != $0.version }.sorted { $0.id < $1.id }
            let deleted = listingState.known.keys.filter { state.records[$0] == nil }.sorted()
            return Listing(changed: changed, deleted: deleted, cursor: nil)
        }
    }

    public func isUnchanged(since cursor: String) async throws -> Bool {
        state.withLock { Self.digest($0.records).cursor == cursor }
    }

    public var cursorIsVersionDigest: Bool { true }

    /// A created record's id is its correlation id.
    public func recordID(forCorrelation correlationID: String) -> String? { correlationID }

    /// The digest of every record's version; a version (`r` and a revision counted over the
    /// whole app) is never another record's.
    private static func digest(_ records: [String: ContactRecord]) -> ListingDigest {
        var digest = ListingDigest()
        for record in records.values { digest.insert(version: record.version ?? "") }
        return digest
    }

    public func create(_ contacts: [NewContact]) async throws -> [WriteResult] {
        state.withLock { state in
            state.writeCalls += 1
            return contacts.map { contact in
                if let missing = requiredFields.sorted().first(where: { (contact.fields[$0] ?? []).allSatisfy(\.isEmpty) }) {
                    return .failed(reason: "required field '\(missing)' is missing")
                }
                let id = contact.correlationID
                state.writes += 1
                let record = Self.stamped(
                    ContactRecord(id: id, fields: contact.fields.filter { !$0.value.isEmpty }, segments: contact.segments), &state)
                state.records[id] = record
                return .written(record)
            }
        }
    }

    public func update(_ updates: [ContactUpdate]) async throws -> [WriteResult] {
        state.withLock { state in
            state.writeCalls += 1
            return updates.map { update in
                guard var record = state.records[update.id] else { return .failed(reason: "record '\(update.id)' no longer exists") }
                for (field, values) in update.fields { record.fields[field] = values.isEmpty ? nil : values }
                for (kind, names) in update.addSegments { record.segments[kind, default: []].formUnion(names) }
                for (kind, names) in update.removeSegments { record.segments[kind]?.subtract(names) }
                state.writes += 1
                record = Self.stamped(record, &state)
                state.records[update.id] = record
                return .written(record)
            }
        }
    }
}
