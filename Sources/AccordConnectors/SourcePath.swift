import Foundation

/// Where a local app is kept (a folder of cards, a CSV file), as its connection names it: the path
/// as written in the settings, the folder a relative one was resolved against (the connection
/// file's), and the path that results. An error about a missing or unreadable source names all
/// three, so whoever reads it sees which file was meant and why there.
public struct SourcePath: Sendable, Hashable, CustomStringConvertible {
    /// The path the connector opens.
    public let path: String
    /// The setting as written; `nil` when the path was given directly (tests, a library user).
    public let written: String?
    /// The folder `written` was resolved against; `nil` when it is absolute.
    public let base: String?

    /// The path `written` names, resolved against `base` when it is relative.
    public init(_ written: String, relativeTo base: String) {
        let isAbsolute = written.hasPrefix("/")
        self.written = written
        self.base = isAbsolute ? nil : base
        self.path = Self.trimmed(isAbsolute ? written : (base as NSString).appendingPathComponent(written))
    }

    /// A path given directly, used as it is.
    public init(_ path: String) {
        self.path = Self.trimmed(path)
        self.written = nil
        self.base = nil
    }

    public var description: String { "'\(path)'" }

    /// How the path came about, for an error: `(path: 'contacts' in the connection, resolved
    /// against '/srv/sync', the connection file's folder)`; empty for a path given directly.
    var origin: String {
        guard let written else { return "" }
        guard let base else { return " (path: '\(written)' in the connection)" }
        return " (path: '\(written)' in the connection, resolved against '\(base)', the connection file's folder)"
    }

    /// The folder the path is in.
    var parent: String { (path as NSString).deletingLastPathComponent }

    /// Without a trailing slash, which would make a file's path look like a folder's.
    private static func trimmed(_ path: String) -> String {
        var path = path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }

    /// Why the path cannot be opened, as a sentence for an error: what is there instead, or
    /// whether its folder is missing too (an unmounted volume, a renamed parent).
    func whyMissing(_ code: Int32, expecting kind: String) -> String {
        switch code {
        case ENOENT:
            var info = stat()
            if stat(parent, &info) != 0 {
                return "does not exist, nor does the folder '\(parent)' it would be in (a renamed folder, or a volume not mounted?)"
            }
            return "does not exist"
        case ENOTDIR:
            return "cannot be reached: a part of it is a file, not a folder"
        case EACCES, EPERM:
            return "cannot be read: permission denied"
        default:
            return "cannot be opened: \(String(cString: strerror(code)))"
        }
    }
}
