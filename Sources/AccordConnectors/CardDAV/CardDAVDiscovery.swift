import AccordDiagnostics
import Foundation

/// The address book a connection syncs, found from a server URL (RFC 6352 §7, RFC 6764).
struct AddressBook: Sendable, Hashable {
    var url: URL
    var displayName: String?
    /// Whether the server lists `sync-collection` among the collection's reports (RFC 6578).
    var supportsSyncCollection: Bool
    /// The collection's `getctag` (a CalendarServer extension most servers have), which changes
    /// whenever a member does: a run that finds it unchanged need not ask what changed.
    var ctag: String?
}

/// Finds an address book: where it was last time, or the URL itself when it is one; else the account's address-book home,
/// through `current-user-principal` and `addressbook-home-set` on the URL and then on
/// `/.well-known/carddav`; then the address book named in the connection (display name or last
/// path segment), or the first one.
struct CardDAVDiscovery {
    let client: HTTPClient
    let serverURL: URL
    let name: String?

    private static let properties = """
        <?xml version="1.0" encoding="utf-8"?>
        <D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav" xmlns:CS="http://calendarserver.org/ns/">
          <D:prop><D:resourcetype/><D:displayname/><D:current-user-principal/><C:addressbook-home-set/><D:supported-report-set/><CS:getctag/></D:prop>
        </D:propfind>
        """

    /// - Parameter hint: where the address book was last time (from the listing cursor); tried
    ///   first, so a run from a server URL costs one request, not three.
    func find(hint: URL? = nil) async throws -> AddressBook {
        if let hint, let here = try await propfind(hint, depth: 0)?.responses.first,
           let book = addressBook(here, base: hint), name == nil || matches(book) {
            return book
        }
        var homes: [URL] = []
        var principals: [URL] = []
        var tried: [String] = []
        for start in [serverURL, URL(string: "/.well-known/carddav", relativeTo: serverURL)!.absoluteURL] {
            tried.append(HTTPRequest.display(start))
            guard let here = try await propfind(start, depth: 0)?.responses.first else { continue }
            if let book = addressBook(here, base: start), name == nil || matches(book) { return book }
            homes += here[.cardDAV("addressbook-home-set")]?.hrefs.compactMap { resolve($0, against: start) } ?? []
            principals += here[.dav("current-user-principal")]?.hrefs.compactMap { resolve($0, against: start) } ?? []
            if !homes.isEmpty || !principals.isEmpty { break }
        }
        for principal in principals where homes.isEmpty {
            let found = try await propfind(principal, depth: 0)?.responses.first
            homes += found?[.cardDAV("addressbook-home-set")]?.hrefs.compactMap { resolve($0, against: principal) } ?? []
        }
        var books: [AddressBook] = []
        for home in homes {
            let listed = try await propfind(home, depth: 1)?.responses ?? []
            books += listed.compactMap { addressBook($0, base: home) }
        }
        books.sort { $0.url.absoluteString < $1.url.absoluteString }
        guard !books.isEmpty else {
            throw AppFailure(
                DiagnosticCatalog.notCardDAV, app: client.app,
                "no address book found from \(tried.joined(separator: " or "))"
                    + (homes.isEmpty ? " (no addressbook-home-set)" : " (home: \(homes.map(HTTPRequest.display).joined(separator: ", ")))"))
        }
        guard let name else { return books[0] }
        guard let book = books.first(where: matches) else {
            let names = books.map { "'\($0.displayName ?? $0.url.lastPathComponent)' (\(HTTPRequest.display($0.url)))" }
            throw AppFailure(
                DiagnosticCatalog.addressBookNotFound, app: client.app,
                "no address book named '\(name)'; the account has \(names.joined(separator: ", "))")
        }
        return book
    }

    private func matches(_ book: AddressBook) -> Bool {
        book.displayName == name || book.url.lastPathComponent == name
    }

    private func addressBook(_ response: Multistatus.Response, base: URL) -> AddressBook? {
        guard response[.dav("resourcetype")]?.descendants.contains(.cardDAV("addressbook")) == true,
              var url = resolve(response.href, against: base)
        else { return nil }
        if !url.absoluteString.hasSuffix("/") { url = URL(string: url.absoluteString + "/")! }
        let reports = response[.dav("supported-report-set")]?.descendants
        let displayName = response[.dav("displayname")]?.text
        let ctag = response[Multistatus.Name(namespace: "http://calendarserver.org/ns/", local: "getctag")]?.text
        return AddressBook(
            url: url, displayName: displayName?.isEmpty == false ? displayName : nil,
            // A server that does not say which reports it has is asked anyway (and falls back on refusal).
            supportsSyncCollection: reports?.contains(.dav("sync-collection")) ?? true,
            ctag: ctag?.isEmpty == false ? ctag : nil)
    }

    /// The multistatus of a PROPFIND; nil when the resource is not there or not WebDAV (404, 405,
    /// 501, a non-multistatus body), so discovery tries the next place.
    private func propfind(_ url: URL, depth: Int) async throws -> Multistatus? {
        let request = HTTPRequest.webDAV("PROPFIND", url, depth: depth, body: Self.properties)
        let response = try await client.send(request)
        if [401, 403].contains(response.status) { throw client.failure(for: response, request: request) }
        guard response.status == 207 else { return nil }
        return Multistatus.parse(response.body)
    }
}

/// An href from a response (a path or a full URL) as a URL on the server.
func resolve(_ href: String, against base: URL) -> URL? {
    URL(string: href, relativeTo: base)?.absoluteURL
}
