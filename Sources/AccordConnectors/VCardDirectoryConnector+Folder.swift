import Foundation

/// The passes over a `vcard-dir` folder's entries: names only (a full listing), or names and
/// versions (an incremental listing, `isUnchanged`). Both remove what crashed writes left, and
/// both fail, naming the folder, when it is missing or cannot be read: accord never takes a
/// folder it cannot see for an empty address book.
extension VCardDirectoryConnector {
    /// The name and version of every card, and whether its entry is a symbolic link.
    typealias Catalog = [(name: String, version: String, isLink: Bool)]

    /// Every card's name and version: one `fstatat` each. A link that leads nowhere gets a
    /// version no state holds, so the folder never looks unchanged while it is there and each
    /// listing reports it.
    func catalog() throws -> Catalog {
        var catalog: Catalog = []
        guard let handle = try openFolder(mayCreate: false) else { return catalog }
        defer { closedir(handle) }
        let descriptor = dirfd(handle)
        try forEachCard(in: handle) { name, type in
            var isLink = type == UInt8(DT_LNK)
            var info = stat()
            if type != UInt8(DT_REG), !isLink {  // a file system that does not say
                guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return }
                isLink = info.st_mode & S_IFMT == S_IFLNK
                guard isLink || info.st_mode & S_IFMT == S_IFREG else { return }
            }
            guard fstatat(descriptor, name, &info, 0) == 0 else {
                let code = errno
                if isLink, code == ENOENT || code == ELOOP {
                    catalog.append((name, "dangling/" + name, true))
                    return
                }
                if code == ENOENT { return }  // removed while listing: gone
                // Listed, but not to be looked at: the listing reports it unreadable.
                catalog.append((name, "unreadable/" + name, isLink))
                return
            }
            guard info.st_mode & S_IFMT == S_IFREG else { return }
            catalog.append((name, CardVersion.make(info, name: name), isLink))
        }
        return catalog
    }

    /// The name of every card and whether it is a link, with no stat where the folder says a
    /// name is a file or a link (`d_type`); `nil` when the folder was just created.
    func cardEntries(mayCreate: Bool) throws -> [(name: String, isLink: Bool)]? {
        guard let handle = try openFolder(mayCreate: mayCreate) else { return nil }
        defer { closedir(handle) }
        let descriptor = dirfd(handle)
        var entries: [(name: String, isLink: Bool)] = []
        try forEachCard(in: handle) { name, type in
            if type == UInt8(DT_REG) || type == UInt8(DT_LNK) {
                entries.append((name, type == UInt8(DT_LNK)))
                return
            }
            var info = stat()  // a file system that does not say
            guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return }
            let kind = info.st_mode & S_IFMT
            if kind == S_IFREG || kind == S_IFLNK { entries.append((name, kind == S_IFLNK)) }
        }
        return entries
    }

    /// Calls `body` with the name and entry type of every `.vcf` entry that is not hidden, with no
    /// path building (a listing of 100,000 files is mostly this loop), and removes the temporary
    /// files of writes whose process is gone (`AtomicFile.isLeftover`).
    private func forEachCard(in handle: OpaquePointer, _ body: (String, UInt8) throws -> Void) throws {
        let descriptor = dirfd(handle)
        while true {
            errno = 0
            guard let entry = readdir(handle) else {
                if errno != 0 { throw ConnectorError("vcard-dir: cannot list the folder \(source)\(source.origin): \(String(cString: strerror(errno)))") }
                return
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name.hasPrefix(".") {
                if AtomicFile.isLeftover(name) { unlinkat(descriptor, name, 0) }
                continue
            }
            guard name.hasSuffix(".vcf") else { continue }
            try body(name, entry.pointee.d_type)
        }
    }

    /// Opens the folder; creates it first when it is missing and `mayCreate` (then returns `nil`:
    /// it is empty).
    /// - Throws: `ConnectorError` naming the folder, how its path came about, and what is wrong.
    private func openFolder(mayCreate: Bool) throws -> OpaquePointer? {
        if let handle = opendir(directory) { return handle }
        let code = errno
        if code == ENOENT, mayCreate {
            guard mkdir(directory, 0o755) == 0 || errno == EEXIST else {
                throw ConnectorError("vcard-dir: cannot create the folder \(source)\(source.origin): \(String(cString: strerror(errno)))")
            }
            return nil
        }
        var info = stat()
        if code == ENOTDIR, stat(directory, &info) == 0 {
            throw ConnectorError("vcard-dir: \(source)\(source.origin) is a file, not a folder of .vcf files")
        }
        var message = "vcard-dir: the folder \(source)\(source.origin) \(source.whyMissing(code, expecting: "folder"))"
        if code == ENOENT {
            message += ". accord does not take a missing folder for an empty address book: check the path, "
                + "or set 'create: true' to have the connection's first run create it"
        }
        throw ConnectorError(message)
    }
}
