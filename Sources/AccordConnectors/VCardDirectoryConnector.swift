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
            return .written(try write(card, name: uid + ".vcf"))
        }
    }

    /// Writes a card atomically and returns it as a record, without reading it back.
    private func write(_ card: VCard, name: String) throws -> ContactRecord {
        let path = directory.path + "/" + name
        try AtomicFile.write(card.serialized(), to: path)
        Failpoint.hit("vcard-file-written")
        return VCardFields.record(card, id: name, version: try Self.version(of: path))
    }

    public func update(_ updates: [ContactUpdate]) async throws -> [WriteResult] {
        try updates.map { update in
            let path = directory.path + "/" + update.id
            guard let data = FileManager.default.contents(atPath: path) else {
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
            return .written(try write(card, name: update.id))
        }
    }
}

/// Writes a file atomically: a temporary file in the same directory, then a rename over the
/// target, so a reader (or a crash) sees the old file or the new one, never a part. No fsync: like
/// `cp`, it protects against a process dying, not against the machine losing power.
enum AtomicFile {
    static func write(_ text: String, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = directory + "/.\((path as NSString).lastPathComponent).\(UUID().uuidString).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ConnectorError("cannot write '\(temporary)': \(String(cString: strerror(errno)))") }
        var bytes = Array(text.utf8)
        let written = bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 { if errno == EINTR { continue } else { return false } }
                offset += count
            }
            return true
        }
        let error = String(cString: strerror(errno))
        close(descriptor)
        guard written else {
            unlink(temporary)
            throw ConnectorError("cannot write '\(temporary)': \(error)")
        }
        guard rename(temporary, path) == 0 else {
            let error = String(cString: strerror(errno))
            unlink(temporary)
            throw ConnectorError("cannot replace '\(path)': \(error)")
        }
    }
}
