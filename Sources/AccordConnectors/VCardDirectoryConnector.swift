import AccordModel
import Foundation
import Synchronization

/// The `vcard-dir` app: a folder of `.vcf` files, one contact each, as vdirsyncer, khard and
/// Evolution keep them.
///
/// A record's id is its card's UID, unique in the folder, so that renaming a card's file or
/// restoring it from a backup keeps its identity; a card without a UID is known by its file name.
/// A record's version is its file's size, modification time and inode, with the file name
/// (`CardVersion`), so an unchanged file is never read and a renamed or replaced one is.
///
/// A missing folder is an error, never an empty address book; a file that cannot be taken as a
/// card is an `UnreadableRecord` of the listing, which goes on (see `CardFile`, `CardListing`).
/// Files are read and written on every core. An update of a file rewritten since the listing is
/// merged into it like `carddav` does (see `WriteResult`); an update of a card that is a symbolic
/// link writes the file it leads to, which is inside the folder (a listing does not read a link
/// that leads out of it), and keeps the link.
public struct VCardDirectoryConnector: ContactConnector {
    /// What a connection can set for a `vcard-dir` app besides its path.
    public struct Settings: Sendable, Hashable {
        /// Whether the connection's first run may create the folder when it does not exist
        /// (`create: true`). Only its last component is created: a missing parent is more likely
        /// a volume not mounted than a place to make.
        public var create = false
        /// The size above which a card is not read but reported unreadable (`max_card_mb`).
        public var maxCardSize = Self.defaultMaxCardSize

        /// 8 MB: a card with a large photo is a few hundred KB; anything much bigger is not a
        /// contact, and a listing holds every card it reads in memory.
        public static let defaultMaxCardSize = 8 << 20

        public init() {}

        /// The settings from a connection's `settings:` (`create`, `max_card_mb`; others ignored).
        /// - Throws: `ConnectorError` naming a setting whose value is not valid.
        public init(_ settings: [String: String]) throws {
            create = try LocalSettings.flag("create", in: settings, app: "vcard-dir") ?? false
            maxCardSize = try LocalSettings.megabytes("max_card_mb", in: settings, app: "vcard-dir") ?? Self.defaultMaxCardSize
        }
    }

    /// The folder as configured.
    public let source: SourcePath
    public let settings: Settings
    public let batchSize: Int
    /// The folder's path.
    public var directory: String { source.path }
    private let catalogs = CatalogHandOver()
    /// The version (which holds the file name) of each record the last listing or this
    /// connector's writes saw, by id: where an update finds the file of a UID.
    let versions = LockedValue<(read: [String: String], known: [String: String])>(([:], [:]))

    /// How cards map to fields, custom fields included.
    public let vcard: VCardFields

    public init(directory: SourcePath, settings: Settings = Settings(), batchSize: Int = 500, fields: VCardFields = VCardFields()) {
        self.source = directory
        self.settings = settings
        self.batchSize = batchSize
        self.vcard = fields
    }

    /// A connector for `directory`, as given.
    public init(directory: String, batchSize: Int = 500, fields: VCardFields = VCardFields()) {
        self.init(directory: SourcePath(directory), batchSize: batchSize, fields: fields)
    }

    public func list(since state: ListingState) async throws -> Listing {
        let folder = CardFile.Folder(path: directory, limit: settings.maxCardSize)
        let assembly = CardListing(directory: directory, known: state.known)
        var unmatched: [String: String] = [:]
        var toRead: [(name: String, isLink: Bool)]
        if state.known.isEmpty {
            // Nothing known (a first run, or a full scan): every card is read and its version
            // taken from the open file, so the pass over the folder stats nothing (at 100,000
            // cards, as many `fstatat`s on one core before the first read).
            catalogs.clear()
            guard let entries = try cardEntries(mayCreate: settings.create && state.isFirstRun) else {
                return Listing(changed: [], deleted: [], cursor: nil)
            }
            toRead = entries
        } else {
            // A file whose version the state knows is that record, unchanged; every other one is
            // read (new, changed, renamed or restored: its UID tells which record it is). What is
            // left of the known versions is what no file has.
            let catalog = try catalogs.take(comparedWith: state.cursor) ?? catalog()
            unmatched.reserveCapacity(state.known.count)
            for (id, version) in state.known { unmatched[version] = id }
            toRead = []
            for entry in catalog where unmatched.removeValue(forKey: entry.version) == nil {
                toRead.append((entry.name, entry.isLink))
            }
        }
        toRead.sort { $0.name < $1.name }
        // The records straight into one array in name order (a file that gives none leaves a
        // placeholder), and the rare failures beside it: an array of outcomes to sort the records
        // out of cost a fifth more time at 100,000 cards, in copies.
        let failures = LockedValue<[CardListing.Failure]>([])
        let records = try await concurrentMap(toRead) { entry in
            switch CardFile.read(entry.name, in: folder, isLink: entry.isLink) {
            case .card(let card, let info):
                return vcard.record(card, id: CardFile.uid(of: card) ?? entry.name, version: CardVersion.make(info, name: entry.name))
            case .unreadable(let reason, let uid):
                failures.withLock { $0.append(CardListing.Failure(name: entry.name, reason: reason, uid: uid)) }
                return Self.placeholder
            case .notACard, .gone:
                return Self.placeholder
            }
        }
        let (listing, versions) = assembly.assemble(unmatched: unmatched, read: records, failures: failures.withLock { $0 })
        // Where an update finds a record's file: the versions read, else the ones the state knew.
        self.versions.withLock { $0 = (read: versions, known: state.known) }
        return listing
    }

    /// What a file that gives no record leaves in a listing's records, to be taken out.
    private static let placeholder = ContactRecord(id: "", version: nil, packedFields: PackedFields([:]))

    /// One pass over the folder's names and versions, reading no file: the digest of the
    /// versions against the one the runner stored. When the folder changed, the pass is kept for
    /// the listing that follows, so a run stats every file once.
    public func isUnchanged(since cursor: String) async throws -> Bool {
        catalogs.clear()
        let catalog = try catalog()
        var digest = ListingDigest()
        for entry in catalog { digest.insert(version: entry.version) }
        if digest.cursor == cursor { return true }
        catalogs.keep(catalog, comparedWith: cursor)
        return false
    }

    public var cursorIsVersionDigest: Bool { true }

    /// A created card's UID is its correlation id, and a card's UID is its record's id.
    public func recordID(forCorrelation correlationID: String) -> String? { correlationID }

    // MARK: - Writing

    public func create(_ contacts: [NewContact]) async throws -> [WriteResult] {
        try await concurrentMap(contacts) { contact in
            let uid = contact.correlationID
            let name = Self.fileName(forUID: uid)
            let new = vcard.newContact(uid: uid, id: uid, fields: contact.packedFields, tags: contact.segments[VCardFields.tagSegment] ?? [])
            var record = new.record
            do {
                record.version = CardVersion.make(try AtomicFile.create(new.card.serializedBytes(), at: directory + "/" + name), name: name)
            } catch let taken as AtomicFile.NameTaken {
                return .failed(reason: "\(taken): accord names a new card after its UID and does not replace another file")
            }
            Failpoint.hit("vcard-file-written")
            versions.withLock { $0.read[uid] = record.version }
            return .written(record)
        }
    }

    /// A new card's file name: its UID, with any `/` (which a name cannot hold) made `_` and a
    /// leading `.` (which would hide it) too.
    static func fileName(forUID uid: String) -> String {
        var name = uid.replacingOccurrences(of: "/", with: "_")
        if name.hasPrefix(".") { name = "_" + name.dropFirst() }
        return name + ".vcf"
    }

    public func update(_ updates: [ContactUpdate]) async throws -> [WriteResult] {
        let folder = CardFile.Folder(path: directory, limit: settings.maxCardSize)
        let known = versions.withLock { $0 }
        return try await concurrentMap(updates) { update in
            guard let name = fileName(of: update, known: known) else {
                return .changedDuringRun(reason: "no card with the UID '\(update.id)' is known in '\(directory)'; the next run lists the folder again")
            }
            return try self.update(update, name: name, in: folder)
        }
    }

    /// The file of the record an update is for: as the last listing or write saw it, else as its
    /// version says, else the file named after the id (a card without a UID, or a card accord made).
    private func fileName(of update: ContactUpdate, known: (read: [String: String], known: [String: String])) -> String? {
        if let name = (known.read[update.id] ?? known.known[update.id] ?? update.basedOn).flatMap(CardVersion.name(of:)) { return name }
        for name in [update.id, Self.fileName(forUID: update.id)] where name.hasSuffix(".vcf") && !name.contains("/") {
            var info = stat()
            if lstat(directory + "/" + name, &info) == 0 { return name }
        }
        return nil
    }

    /// Reads, changes and replaces one card, checking that it is still the record's and that no
    /// other program replaced it meanwhile.
    private func update(_ update: ContactUpdate, name: String, in folder: CardFile.Folder) throws -> WriteResult {
        let path = directory + "/" + name
        var linkInfo = stat()
        guard lstat(path, &linkInfo) == 0 else {
            if errno == ENOENT { return .changedDuringRun(reason: "'\(name)' no longer exists; the next run lists the folder again") }
            return .failed(reason: "'\(name)' cannot be read: \(String(cString: strerror(errno)))")
        }
        // A link is written through, to the file inside the folder it leads to; the link stays.
        let isLink = linkInfo.st_mode & S_IFMT == S_IFLNK
        var target = path
        if isLink {
            switch folder.target(ofLink: path) {
            case .success(let resolved): target = resolved
            case .failure(.gone): return .changedDuringRun(reason: "'\(name)' no longer exists; the next run lists the folder again")
            case .failure(.reason(let reason)): return .failed(reason: "'\(name)' \(reason)")
            }
        }
        var card: VCard
        let info: stat
        switch CardFile.read(name, in: folder, isLink: isLink) {
        case .card(let read, let readInfo):
            (card, info) = (read, readInfo)
        case .unreadable(let reason, _):
            return .failed(reason: "'\(name)' \(reason)")
        case .gone, .notACard:
            return .changedDuringRun(reason: "'\(name)' no longer exists; the next run lists the folder again")
        }
        // The file must still be this record's: a card renamed or replaced since it was listed
        // is found again by the next listing.
        let uid = CardFile.uid(of: card)
        guard uid ?? name == update.id else {
            let holds = uid.map { "the card with the UID '\($0)'" } ?? "a card without a UID"
            return .changedDuringRun(reason: "'\(name)' now holds \(holds), not '\(update.id)'; the next run finds where it went")
        }
        let version = CardVersion.make(info, name: name)
        // Edited since accord listed it: a field this update sets is left for the next run to
        // merge; an edit of other fields is kept, and the record comes back without a version.
        let editedSince = update.wasEdited(now: version)
        if editedSince, let field = update.conflictingField(in: vcard.fields(of: card)) {
            return .changedDuringRun(reason: "'\(field)' was edited in '\(name)' during the run; the next run merges it")
        }
        let changed = vcard.apply(
            update.fields, add: update.addSegments[VCardFields.tagSegment] ?? [],
            remove: update.removeSegments[VCardFields.tagSegment] ?? [], to: &card)
        // Nothing to write (the card already says it): the file, and its modification time, stay.
        guard changed else { return .written(vcard.record(card, id: update.id, version: editedSince ? nil : version, packed: false)) }
        let written: stat
        do {
            written = try AtomicFile.write(card.serializedBytes(), to: target, replacing: FileIdentity(info))
        } catch is AtomicFile.TargetChanged {
            return .changedDuringRun(reason: "'\(name)' was replaced by another program during the run; the next run merges it")
        }
        Failpoint.hit("vcard-file-written")
        var record = vcard.record(card, id: update.id, version: CardVersion.make(written, name: name), packed: false)
        if editedSince { record.version = nil }
        return .written(record)
    }
}

/// Hands a catalog from `isUnchanged` to the listing right after it, once, and only to a
/// listing from the same cursor (a full scan always makes its own).
final class CatalogHandOver: Sendable {
    private let kept = Mutex<(catalog: VCardDirectoryConnector.Catalog, cursor: String)?>(nil)

    func keep(_ catalog: VCardDirectoryConnector.Catalog, comparedWith cursor: String) {
        kept.withLock { $0 = (catalog, cursor) }
    }

    func clear() { kept.withLock { $0 = nil } }

    func take(comparedWith cursor: String?) -> VCardDirectoryConnector.Catalog? {
        kept.withLock { kept in
            defer { kept = nil }
            return kept.flatMap { $0.cursor == cursor ? $0.catalog : nil }
        }
    }
}
