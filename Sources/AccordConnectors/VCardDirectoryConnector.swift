import Foundation

/// The `vcard-dir` app: a directory of `.vcf` files, one contact each, as vdirsyncer, khard and
/// Evolution keep them. The record id is the file name; the version is size and modification
/// time, so an unchanged file is never read.
public struct VCardDirectoryConnector: ContactConnector {
    public let directory: URL
    public let batchSize: Int

    public init(directory: String, batchSize: Int = 500) {
        self.directory = URL(fileURLWithPath: directory, isDirectory: true)
        self.batchSize = batchSize
    }

    public func list(since state: ListingState) async throws -> Listing {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConnectorError("vcard-dir: '\(directory.path)' is not a directory")
        }
        let names: [String]
        do {
            names = try manager.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".vcf") && !$0.hasPrefix(".") }
        } catch {
            throw ConnectorError("vcard-dir: cannot list '\(directory.path)': \(error.localizedDescription)")
        }
        var changed: [ContactRecord] = []
        var present = Set<String>()
        for name in names.sorted() {
            present.insert(name)
            let path = directory.appendingPathComponent(name).path
            let version = try Self.version(of: path)
            if state.known[name] == version { continue }
            changed.append(try read(name: name, version: version))
        }
        let deleted = state.known.keys.filter { !present.contains($0) }.sorted()
        return Listing(changed: changed, deleted: deleted, cursor: nil)
    }

    func read(name: String, version: String) throws -> ContactRecord {
        let path = directory.appendingPathComponent(name).path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConnectorError("vcard-dir: cannot read '\(path)'")
        }
        let text = String(decoding: data, as: UTF8.self)
        do {
            return VCardFields.record(try VCard.parse(text), id: name, version: version)
        } catch {
            throw ConnectorError("vcard-dir: '\(path)': \(error)")
        }
    }

    /// Size and modification time (nanoseconds) of a file.
    static func version(of path: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ConnectorError("vcard-dir: cannot stat '\(path)'") }
        let nanoseconds = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        return "\(info.st_size)-\(nanoseconds)"
    }

    public func create(_ contacts: [NewContact]) async throws -> [WriteResult] {
        try contacts.map { contact in
            let uid = UUID().uuidString.lowercased()
            let card = VCardFields.newCard(uid: uid, fields: contact.fields, tags: contact.segments[VCardFields.tagSegment] ?? [])
            let name = uid + ".vcf"
            try AtomicFile.write(card.serialized(), to: directory.appendingPathComponent(name))
            Failpoint.hit("vcard-file-written")
            return .written(try read(name: name, version: try Self.version(of: directory.appendingPathComponent(name).path)))
        }
    }

    public func update(_ updates: [ContactUpdate]) async throws -> [WriteResult] {
        try updates.map { update in
            let url = directory.appendingPathComponent(update.id)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                return .failed(reason: "'\(update.id)' no longer exists")
            }
            var card: VCard
            do {
                card = try VCard.parse(String(decoding: data, as: UTF8.self))
            } catch {
                return .failed(reason: "'\(update.id)' is not a valid vCard: \(error)")
            }
            VCardFields.apply(
                update.fields, add: update.addSegments[VCardFields.tagSegment] ?? [],
                remove: update.removeSegments[VCardFields.tagSegment] ?? [], to: &card)
            try AtomicFile.write(card.serialized(), to: url)
            Failpoint.hit("vcard-file-written")
            return .written(try read(name: update.id, version: try Self.version(of: url.path)))
        }
    }
}

/// Writes a file atomically: a temporary file in the same directory, then a rename over the target.
enum AtomicFile {
    static func write(_ text: String, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: Data(text.utf8)) else {
            throw ConnectorError("cannot write '\(temporary.path)'")
        }
        guard rename(temporary.path, url.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw ConnectorError("cannot replace '\(url.path)': \(String(cString: strerror(errno)))")
        }
    }
}
