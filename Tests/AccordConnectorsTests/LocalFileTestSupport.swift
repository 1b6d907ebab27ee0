@testable import AccordConnectors
import Foundation

/// A folder of its own for one test, in a folder of its own too (for files a test puts outside
/// it), both removed by `remove()`; permissions are given back first, so a test that takes them
/// away cleans up too.
struct TemporaryFolder {
    let root: String
    var path: String { root + "/in" }

    init() throws {
        root = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: root + "/in", withIntermediateDirectories: true)
    }

    /// A path next to the folder, outside it.
    func outside(_ name: String) -> String { root + "/" + name }

    func remove() {
        _ = try? FileManager.default.subpathsOfDirectory(atPath: root).map { chmod(root + "/" + $0, 0o755) }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Writes `text` (UTF-8) to the file `name` in the folder; its path.
    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        try write(Array(text.utf8), to: name)
    }

    @discardableResult
    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let file = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    func read(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path + "/" + name)))
    }

    func text(_ name: String) throws -> String {
        String(decoding: try read(name), as: UTF8.self)
    }

    /// The names in the folder, sorted.
    func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }
}

/// A vCard 3.0 with a UID (none when `nil`), a name and an email, CRLF line ends.
func vCard(uid: String?, name: String, email: String? = nil, extra: [String] = []) -> String {
    (["BEGIN:VCARD", "VERSION:3.0"] + (uid.map { ["UID:\($0)"] } ?? []) + ["FN:\(name)", "N:\(name);;;;"]
        + (email.map { ["EMAIL:\($0)"] } ?? []) + extra + ["END:VCARD"]).map { $0 + "\r\n" }.joined()
}

extension Listing {
    /// What the listing says, by id: changed ids, deleted ids, and unreadable id → reason.
    var changedIDs: [String] { changed.map(\.id) }
    var unreadableIDs: [String] { unreadable.map(\.id) }

    /// The state a runner would remember after this listing, over `known`.
    func known(after known: [String: String] = [:]) -> [String: String] {
        var known = known
        for id in deleted { known[id] = nil }
        for record in changed { known[record.id] = record.version }
        return known
    }
}

extension WriteResult {
    var record: ContactRecord? { if case .written(let record) = self { record } else { nil } }
}

/// Whether the tests run as root, who reads files whatever their permissions say.
let runningAsRoot = getuid() == 0
