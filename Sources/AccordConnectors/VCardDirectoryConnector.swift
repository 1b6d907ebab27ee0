import Foundation
import Synchronization

/// The `vcard-dir` app: a directory of `.vcf` files, one contact each, as vdirsyncer, khard and
/// Evolution keep them. The record id is the file name; the version is size and modification
/// time, so an unchanged file is never read. Files are read and written on every core. An update
/// of a file rewritten since the listing is merged into it like `carddav` does (see `WriteResult`).
public struct VCardDirectoryConnector: ContactConnector {
    public let directory: String
    public let batchSize: Int
    /// How cards map to fields, custom fields included.
    public let vcard: VCardFields
    private let catalogs = CatalogHandOver()

    public init(directory: String, batchSize: Int = 500, fields: VCardFields = VCardFields()) {
        self.directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        self.batchSize = batchSize
        self.vcard = fields
    }

    public func list(since state: ListingState) async throws -> Listing {
        // Nothing known (a first run, or a full scan): every card is read and its version taken
        // from the open file, so the pass over the folder stats nothing (at 100,000 cards, as many
        // `fstatat`s on one core before the first read).
        var names: [String]
        var deleted: [String] = []
        if state.known.isEmpty {
            catalogs.clear()
            names = try cardNames()
        } else {
            let catalog = try catalogs.take(comparedWith: state.cursor) ?? catalog()
            names = catalog.filter { state.known[$0.name] != $0.version }.map(\.name)
            let present = Set(catalog.lazy.map(\.name))
            deleted = state.known.keys.filter { !present.contains($0) }.sorted()
        }
        names.sort()
        let records = try await concurrentMap(names) { try read(name: $0) }
        return Listing(changed: records, deleted: deleted, cursor: nil)
    }

    /// One pass over the folder's names and versions, reading no file. When the folder changed,
    /// the pass is kept for the listing that follows, so a run stats every file once.
    public func isUnchanged(since cursor: String) async throws -> Bool {
        catalogs.clear()
        let catalog = try catalog()
        var digest = ListingDigest()
        for entry in catalog { digest.insert(id: entry.name, version: entry.version) }
        if digest.cursor == cursor { return true }
        catalogs.keep(catalog, comparedWith: cursor)
        return false
    }

    public var cursorIsVersionDigest: Bool { true }

    /// A created card's file is named after its UID, the correlation id.
    public func recordID(forCorrelation correlationID: String) -> String? { correlationID + ".vcf" }

    /// The name and version of every card.
    typealias Catalog = [(name: String, version: String)]

    private func catalog() throws -> Catalog {
        var catalog: Catalog = []
        try forEachCard(statting: true) { catalog.append(($0, FileVersion.of($1!))) }
        return catalog
    }

    /// The name of every card, with no stat where the folder says a name is a regular file.
    private func cardNames() throws -> [String] {
        var names: [String] = []
        try forEachCard(statting: false) { name, _ in names.append(name) }
        return names
    }

    /// Calls `body` with the name of every `.vcf` file, and its `fstatat` when `statting`, with no
    /// path building (a listing of 100,000 files is mostly this loop). Without `statting`, only
    /// names the folder does not say are regular files (symbolic links, or a file system that does
    /// not say) are stat'ed, to find out.
    private func forEachCard(statting: Bool, _ body: (String, stat?) throws -> Void) throws {
        guard let handle = opendir(directory) else {
            if errno == ENOENT || errno == ENOTDIR { throw ConnectorError("vcard-dir: '\(directory)' is not a directory") }
            throw ConnectorError("vcard-dir: cannot list '\(directory)': \(String(cString: strerror(errno)))")
        }
        defer { closedir(handle) }
        let descriptor = dirfd(handle)
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard name.hasSuffix(".vcf"), !name.hasPrefix(".") else { continue }
            if !statting, entry.pointee.d_type == UInt8(DT_REG) {
                try body(name, nil)
                continue
            }
            var info = stat()
            guard fstatat(descriptor, name, &info, 0) == 0 else {
                if errno == ENOENT { continue }  // removed while listing: gone
                throw ConnectorError("vcard-dir: cannot stat '\(directory)/\(name)': \(String(cString: strerror(errno)))")
            }
            guard info.st_mode & S_IFMT == S_IFREG else { continue }
            try body(name, info)
        }
    }

    /// Reads and parses a card; its version is that of the file as read.
    func read(name: String) throws -> ContactRecord {
        let path = directory + "/" + name
        let record: ContactRecord?
        do {
            record = try FileVersion.withContents(path: path) { bytes, version in
                do {
                    return try vcard.record(VCard.parse(bytes: bytes), id: name, version: version)
                } catch {
                    throw ConnectorError("'\(path)': \(error)")
                }
            }
        } catch {
            throw ConnectorError("vcard-dir: \(error)")
        }
        guard let record else { throw ConnectorError("vcard-dir: cannot read '\(path)': it no longer exists") }
        return record
    }

    public func create(_ contacts: [NewContact]) async throws -> [WriteResult] {
        try await concurrentMap(contacts) { contact in
            let uid = contact.correlationID
            let new = vcard.newContact(
                uid: uid, id: uid + ".vcf", fields: contact.packedFields, tags: contact.segments[VCardFields.tagSegment] ?? [])
            var record = new.record
            record.version = try AtomicFile.create(new.card.serializedBytes(), at: directory + "/" + record.id)
            Failpoint.hit("vcard-file-written")
            return .written(record)
        }
    }

    /// Replaces a card atomically and returns it as a record, without reading it back.
    private func write(_ card: VCard, name: String) throws -> ContactRecord {
        let version = try AtomicFile.write(card.serializedBytes(), to: directory + "/" + name)
        Failpoint.hit("vcard-file-written")
        return vcard.record(card, id: name, version: version, packed: false)
    }

    public func update(_ updates: [ContactUpdate]) async throws -> [WriteResult] {
        try await concurrentMap(updates) { update in
            guard let (parsed, version) = try FileVersion.withContents(path: directory + "/" + update.id, { bytes, version in
                (Result { try VCard.parse(bytes: bytes) }, version)
            }) else {
                return .failed(reason: "'\(update.id)' no longer exists")
            }
            var card: VCard
            do {
                card = try parsed.get()
            } catch {
                return .failed(reason: "'\(update.id)' is not a valid vCard: \(error)")
            }
            // Edited since accord listed it: a field this update sets is left for the next run to
            // merge; an edit of other fields is kept, and the record comes back without a version.
            let editedSince = update.wasEdited(now: version)
            if editedSince, let field = update.conflictingField(in: vcard.fields(of: card)) {
                return .failed(reason: "'\(field)' was edited in '\(update.id)' during the run; the next run merges it")
            }
            vcard.apply(
                update.fields, add: update.addSegments[VCardFields.tagSegment] ?? [],
                remove: update.removeSegments[VCardFields.tagSegment] ?? [], to: &card)
            var written = try write(card, name: update.id)
            if editedSince { written.version = nil }
            return .written(written)
        }
    }
}

/// Hands a catalog from `isUnchanged` to the listing right after it, once, and only to a
/// listing from the same cursor (a full scan always makes its own).
private final class CatalogHandOver: Sendable {
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
