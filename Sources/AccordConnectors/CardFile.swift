import Foundation

/// Reading one `.vcf` file of a `vcard-dir` folder, for a listing or an update, so that whatever
/// is wrong with it (a garbled or truncated card, another encoding, no permission, an oversized
/// file, a link that leads out of the folder or nowhere) is that card's failure, said in a
/// sentence, and never the listing's.
enum CardFile {
    enum Read {
        /// A card, with the `fstat` of the file it was read from and whether that file began
        /// with a UTF-8 byte order mark (which a rewrite keeps).
        case card(VCard, info: stat)
        /// A card that could not be read, and its UID when one could be made out of its bytes.
        case unreadable(reason: String, uid: String?)
        /// Not a card: a link to a folder or to something other than a file, which a listing
        /// skips as it skips a folder named like a card.
        case notACard
        /// Removed since the folder was listed.
        case gone
    }

    /// Where cards are read from.
    struct Folder: Sendable {
        /// The folder as configured.
        var path: String
        /// The folder with every link resolved, to tell whether a link stays inside it; `nil`
        /// when it could not be resolved (then no link is followed).
        var resolved: String?
        /// The size above which a card is not read.
        var limit: Int

        init(path: String, limit: Int) {
            self.path = path
            self.resolved = realpath(path, nil).map { pointer in
                defer { free(pointer) }
                return String(cString: pointer)
            }
            self.limit = limit
        }

        /// Where the link `path` leads, when that is a file inside the folder; otherwise why
        /// the card cannot be read through it.
        func target(ofLink path: String) -> Result<String, LinkFailure> {
            guard let pointer = realpath(path, nil) else {
                let code = errno
                if code == ENOENT {
                    // A link that does not resolve: gone when the link itself went, dangling if not.
                    var info = stat()
                    if lstat(path, &info) != 0 { return .failure(.gone) }
                    return .failure(.reason("is a symbolic link to '\(Self.destination(of: path))', which does not exist"))
                }
                if code == ELOOP { return .failure(.reason("is a symbolic link that leads round in a loop")) }
                return .failure(.reason("is a symbolic link that cannot be followed: \(String(cString: strerror(code)))"))
            }
            defer { free(pointer) }
            let target = String(cString: pointer)
            guard let resolved, target.hasPrefix(resolved == "/" ? "/" : resolved + "/") else {
                return .failure(.reason(
                    "is a symbolic link to '\(Self.destination(of: path))', outside the folder: accord does not follow links out of it"))
            }
            return .success(target)
        }

        /// A link's destination as written in it.
        static func destination(of link: String) -> String {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(link, &buffer, buffer.count - 1)
            guard count >= 0 else { return "?" }
            return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    enum LinkFailure: Error {
        case gone
        case reason(String)
    }

    /// Reads and parses the card `name` of `folder`.
    /// - Parameter isLink: whether the folder said the name is a symbolic link. A name it said
    ///   is a file is opened without following links, so a link put there since is caught too.
    static func read(_ name: String, in folder: Folder, isLink: Bool) -> Read {
        let path = folder.path + "/" + name
        var target = path
        if isLink {
            switch folder.target(ofLink: path) {
            case .success(let resolved): target = resolved
            case .failure(.gone): return .gone
            case .failure(.reason(let reason)): return .unreadable(reason: reason, uid: nil)
            }
        }
        // Non-blocking, so that a FIFO named like a card does not hold the listing up.
        let descriptor = open(target, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)
        guard descriptor >= 0 else {
            switch errno {
            case ENOENT: return .gone
            case ELOOP where !isLink: return read(name, in: folder, isLink: true)  // a link now
            case EACCES, EPERM: return .unreadable(reason: "cannot be read: permission denied", uid: nil)
            case let code: return .unreadable(reason: "cannot be opened: \(String(cString: strerror(code)))", uid: nil)
            }
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            return .unreadable(reason: "cannot be read: \(String(cString: strerror(errno)))", uid: nil)
        }
        guard info.st_mode & S_IFMT == S_IFREG else { return .notACard }
        let bytes: [UInt8]?
        do {
            bytes = try FileVersion.contents(of: descriptor, size: Int(info.st_size), limit: folder.limit)
        } catch {
            return .unreadable(reason: "cannot be read: \(error)", uid: nil)
        }
        guard let bytes else {
            return .unreadable(
                reason: "is \(LocalSettings.describe(bytes: max(Int(info.st_size), folder.limit + 1))), over the limit of "
                    + "\(LocalSettings.describe(bytes: folder.limit)) for one card (setting max_card_mb)",
                uid: uidAtStart(of: descriptor))
        }
        return bytes.withUnsafeBufferPointer { parse($0, info: info) }
    }

    /// Parses a card's bytes (`VCard.parse(bytes:)`: UTF-8 with or without a byte order mark,
    /// 8-bit text in a declared charset, UTF-16); what it cannot read is unreadable, with the
    /// UID found in its bytes when there is one.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, info: stat) -> Read {
        do {
            return .card(try VCard.parse(bytes: bytes), info: info)
        } catch {
            return .unreadable(reason: "is not a valid vCard: \(error)", uid: uid(inRaw: bytes))
        }
    }

    /// A parsed card's UID: its first UID property's value, without surrounding spaces; `nil`
    /// when it has none or an empty one (the card is then known by its file name).
    static func uid(of card: VCard) -> String? {
        guard let property = card.properties.first(where: { $0.name == "UID" }) else { return nil }
        let value = property.value.utf8.first == UInt8(ascii: " ") || property.value.utf8.last == UInt8(ascii: " ")
            ? property.value.trimmingCharacters(in: .whitespaces) : property.value
        return value.isEmpty ? nil : value
    }

    /// The UID of a card that could not be parsed, from a line `UID:…` (or `UID;…:…`) in its
    /// bytes, so that the failure can be told apart from a deleted card.
    static func uid(inRaw bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n"), bytes[lineEnd] != UInt8(ascii: "\r") { lineEnd += 1 }
            let line = UnsafeBufferPointer(rebasing: bytes[lineStart..<lineEnd])
            if line.count > 4, line[0] | 0x20 == UInt8(ascii: "u"), line[1] | 0x20 == UInt8(ascii: "i"), line[2] | 0x20 == UInt8(ascii: "d"),
               line[3] == UInt8(ascii: ":") || line[3] == UInt8(ascii: ";"),
               let colon = line.firstIndex(of: UInt8(ascii: ":"))
            {
                let value = UnsafeBufferPointer(rebasing: line[(colon + 1)...])
                guard UTF8Validation.firstInvalidByte(in: value) == nil else { return nil }
                let text = String(decoding: value, as: UTF8.self).trimmingCharacters(in: .whitespaces)
                return text.isEmpty ? nil : text
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    /// The UID in the first 64 KB of an open card too large to read whole.
    private static func uidAtStart(of descriptor: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, $0.count, 0) }
        guard count > 0 else { return nil }
        return buffer.withUnsafeBufferPointer { uid(inRaw: UnsafeBufferPointer(rebasing: $0[..<count])) }
    }
}

/// A `vcard-dir` card's version: its file's version (`FileVersion`) and its file name, after a
/// `/` (which no file name holds). The name makes a rename a change, lets a listing tell the
/// card of each known version without reading it, and lets an update find the file of a UID.
enum CardVersion {
    static func make(_ info: stat, name: String) -> String {
        // One interpolation: a listing makes one per card.
        "\(info.st_size)-\(Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))-\(info.st_ino)/\(name)"
    }

    /// The file name in a version; `nil` for a version without one.
    static func name(of version: String) -> String? {
        guard let slash = version.utf8.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        let name = version[version.utf8.index(after: slash)...]
        return name.isEmpty ? nil : String(name)
    }
}
