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

/// Finds the address book a connection syncs, and never another one in its place.
///
/// Where the last run found it (`remembered`, from the listing cursor) is asked first, so a run
/// costs one request; an address book there is the one, whatever its display name is now. When
/// it is gone (404, or no longer an address book) the run fails naming it, rather than take the
/// account's next address book: listing another one would take every contact synced so far as
/// deleted, and import strangers.
///
/// Without a remembered place: the URL itself when it is an address book; a URL that names
/// nothing (404) is an error, as is a collection that is neither an address book, nor the
/// account's principal, nor an address-book home or a collection above one (the URL of an
/// address book deleted and replaced by a plain collection). From a server, principal or home
/// URL, discovery follows `current-user-principal` and `addressbook-home-set` (on the URL, then
/// on `/.well-known/carddav`) and takes the address book named in the connection (display name
/// or last path segment), or the first.
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

    /// - Parameter remembered: where the address book was found by an earlier run of the same
    ///   connection (URL and name), from the listing cursor.
    func find(remembered: URL? = nil) async throws -> AddressBook {
        guard let remembered else { return try await discover() }
        let answer = try await propfind(remembered, depth: 0)
        if case .found(let here) = answer, let book = addressBook(here, base: remembered) { return book }
        if Self.samePlace(remembered, serverURL) { throw Self.noAddressBook(at: serverURL, answer, app: client.app) }
        // Only to name it in the message: what discovery would take instead.
        let instead = try? await discover()
        throw AppFailure(
            DiagnosticCatalog.addressBookGone, app: client.app,
            "the address book this connection synced, \(HTTPRequest.display(remembered)), \(answer.gone(before: true)); accord does not switch to another "
                + "address book on its own"
                + (instead.map { " (from \(HTTPRequest.display(serverURL)) it would now take \(HTTPRequest.display($0.url)))" } ?? "")
                + ". To sync another address book, put its URL in the connection")
    }

    /// The address book from the connection's URL alone.
    private func discover() async throws -> AddressBook {
        var homes: [URL] = []
        var principals: [URL] = []
        var tried = [HTTPRequest.display(serverURL)]
        let answer = try await propfind(serverURL, depth: 0)
        /// Whether any address book the account has may be taken: the URL is not a WebDAV
        /// resource at all (a web page), the server's root, or the account's principal.
        var anyBookWillDo = Self.isRoot(serverURL)
        switch answer {
        case .found(let here):
            if let book = addressBook(here, base: serverURL) {
                guard name == nil || matches(book) else {
                    throw AppFailure(
                        DiagnosticCatalog.addressBookNotFound, app: client.app,
                        "the URL names the address book '\(book.displayName ?? book.url.lastPathComponent)', not '\(name!)'; "
                            + "leave out subset, or give the account's URL")
                }
                return book
            }
            homes = here[.cardDAV("addressbook-home-set")]?.hrefs.compactMap { resolve($0, against: serverURL) } ?? []
            principals = here[.dav("current-user-principal")]?.hrefs.compactMap { resolve($0, against: serverURL) } ?? []
            anyBookWillDo = anyBookWillDo || !homes.isEmpty || principals.contains { Self.samePlace($0, serverURL) }
        case .missing:
            guard anyBookWillDo else { throw Self.noAddressBook(at: serverURL, answer, app: client.app) }
        case .notWebDAV, .multistatus:
            anyBookWillDo = true
        }
        if homes.isEmpty && principals.isEmpty {
            let wellKnown = URL(string: "/.well-known/carddav", relativeTo: serverURL)!.absoluteURL
            tried.append(HTTPRequest.display(wellKnown))
            if case .found(let here) = try await propfind(wellKnown, depth: 0) {
                homes = here[.cardDAV("addressbook-home-set")]?.hrefs.compactMap { resolve($0, against: wellKnown) } ?? []
                principals = here[.dav("current-user-principal")]?.hrefs.compactMap { resolve($0, against: wellKnown) } ?? []
            }
        }
        for principal in principals where homes.isEmpty {
            if case .found(let here) = try await propfind(principal, depth: 0) {
                homes += here[.cardDAV("addressbook-home-set")]?.hrefs.compactMap { resolve($0, against: principal) } ?? []
            }
        }
        // A collection that is none of the above is a home, or above the homes (a server's
        // DAV root, such as Nextcloud's /remote.php/dav/); else it is not where address books are.
        if !anyBookWillDo, !homes.contains(where: { Self.isWithin($0, serverURL) }) {
            throw Self.noAddressBook(at: serverURL, answer, app: client.app)
        }
        var books: [AddressBook] = []
        for home in homes {
            guard case .multistatus(let listed) = try await propfind(home, depth: 1, wholeAnswer: true) else { continue }
            books += listed.responses.compactMap { addressBook($0, base: home) }
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

    /// The failure for a URL that does not name an address book (any more).
    private static func noAddressBook(at url: URL, _ answer: Answer, app: String) -> AppFailure {
        AppFailure(
            DiagnosticCatalog.addressBookGone, app: app,
            "\(HTTPRequest.display(url)) \(answer.gone(before: false)); accord does not look for another address book in its place. "
                + "Put the address book's URL, or the account's, in the connection")
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

    /// What a PROPFIND of one resource found.
    enum Answer {
        /// The resource, with its properties.
        case found(Multistatus.Response)
        /// Nothing there: 404 or 410, as the HTTP status or as the resource's own status in a
        /// multistatus (Xandikos answers a PROPFIND of a missing resource with a 207).
        case missing(status: Int)
        /// Not a WebDAV resource: any other status, or a body that is not a multistatus.
        case notWebDAV(status: Int)
        /// The whole multistatus (a `Depth: 1` listing).
        case multistatus(Multistatus)

        /// How the resource is not the address book, for a message; `before` when it was one.
        func gone(before: Bool) -> String {
            switch self {
            case .found, .multistatus: before ? "is no longer an address book" : "is a collection but not an address book"
            case .missing(let status): "is gone (HTTP \(status) \(HTTPResponse.reasonPhrase(status)))"
            case .notWebDAV(let status): "is not an address book (HTTP \(status) \(HTTPResponse.reasonPhrase(status)))"
            }
        }
    }

    /// A PROPFIND of `url`: its own response (or, with `wholeAnswer`, every response), or why
    /// there is none. Credentials refused or access denied stop the run.
    private func propfind(_ url: URL, depth: Int, wholeAnswer: Bool = false) async throws -> Answer {
        let request = HTTPRequest.webDAV("PROPFIND", url, depth: depth, body: Self.properties)
        let response = try await client.send(request)
        if [401, 403].contains(response.status) { throw client.failure(for: response, request: request) }
        if [404, 410].contains(response.status) { return .missing(status: response.status) }
        guard response.status == 207, let status = Multistatus.parse(response.body) else { return .notWebDAV(status: response.status) }
        if wholeAnswer { return .multistatus(status) }
        let here = status.responses.first { resolve($0.href, against: url).map { Self.samePlace($0, url) } ?? false } ?? status.responses.first
        guard let here else { return .notWebDAV(status: response.status) }
        if let own = here.status, [404, 410].contains(own) { return .missing(status: own) }
        return .found(here)
    }

    // MARK: - URLs

    private static func path(_ url: URL) -> String {
        let path = url.path(percentEncoded: true)
        return path.hasSuffix("/") ? path : path + "/"
    }

    /// Whether two URLs name the same resource (a collection with or without its final slash).
    static func samePlace(_ a: URL, _ b: URL) -> Bool {
        path(a) == path(b) && a.host?.lowercased() == b.host?.lowercased() && a.port == b.port
    }

    /// Whether `inner` is `outer` or below it.
    private static func isWithin(_ inner: URL, _ outer: URL) -> Bool {
        path(inner).hasPrefix(path(outer)) && inner.host?.lowercased() == outer.host?.lowercased()
    }

    /// Whether the URL is a server's root: any address book of the account will do.
    private static func isRoot(_ url: URL) -> Bool { path(url) == "/" }
}

/// An href from a response (a path or a full URL) as a URL on the server.
func resolve(_ href: String, against base: URL) -> URL? {
    URL(string: href, relativeTo: base)?.absoluteURL
}
