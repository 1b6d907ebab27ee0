import AccordConnectors
import Foundation

/// A real Xandikos CardDAV server for tests (a second implementation next to Radicale, with its
/// own quirks: 412 for an invalid sync token, tokens that are not URIs, git-backed storage).
/// Xandikos has no authentication of its own (it is meant to sit behind a proxy), so it serves
/// connection and protocol tests, not credential tests. `./scripts/setup.sh` installs it.
public final class XandikosServer: Sendable {
    public let folder: String
    private let process: ServerProcess

    /// The server's root URL.
    public var url: URL { URL(string: "http://127.0.0.1:\(process.port)/")! }

    /// The one server a test process shares (each test makes its own address book); started on first use.
    public static let shared: XandikosServer = {
        do {
            let folder = NSTemporaryDirectory() + "accord-xandikos-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let process = try ServerProcess.start("xandikos", entry: "xandikos.__main__:cli_main", package: "xandikos", log: folder + "/xandikos.log") { port in
                ["--defaults", "-d", folder + "/data", "-l", "127.0.0.1", "-p", "\(port)"]
            }
            return XandikosServer(folder: folder, process: process)
        } catch {
            fatalError("\(error)")
        }
    }()

    private init(folder: String, process: ServerProcess) {
        self.folder = folder
        self.process = process
    }

    /// An HTTP client for the server (it asks for no credentials).
    public func client(app: String = "carddav (test)") -> HTTPClient {
        testClient(app: app, auth: nil)
    }

    /// Commits a file into an address book's git repository, as a tool working on Xandikos's
    /// storage would: nothing checks it is a valid vCard.
    public func commitFile(_ text: String, name: String, in book: URL) throws {
        let repository = folder + "/data" + book.path
        try text.write(toFile: repository + "/" + name, atomically: true, encoding: .utf8)
        for arguments in [["add", name], ["commit", "--quiet", "-m", "add \(name)"]] {
            let git = Process()
            git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            git.arguments = ["git", "-C", repository, "-c", "user.name=test", "-c", "user.email=test@example.com"] + arguments
            try git.run()
            git.waitUntilExit()
            guard git.terminationStatus == 0 else { throw ConnectorError("git \(arguments[0]) in \(repository) failed") }
        }
    }

    /// Creates a plain WebDAV collection (not an address book) at `url`.
    public func makePlainCollection(_ url: URL) async throws {
        let response = try await client().send(HTTPRequest("MKCOL", url))
        guard response.status == 201 else { throw ConnectorError("MKCOL \(url) answered \(response.status)") }
    }

    /// Creates an address book (extended MKCOL, RFC 5689) under the default user's contacts and returns its URL.
    public func makeAddressBook(_ name: String) async throws -> URL {
        try await makeAddressBook(at: URL(string: "/user/contacts/\(name)/", relativeTo: url)!.absoluteURL, displayName: name)
    }

    /// Creates an address book at `book` (again, after it was deleted, say).
    @discardableResult
    public func makeAddressBook(at book: URL, displayName name: String) async throws -> URL {
        let body = """
            <?xml version="1.0" encoding="utf-8"?>
            <D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop>
            <D:resourcetype><D:collection/><C:addressbook/></D:resourcetype><D:displayname>\(name)</D:displayname>
            </D:prop></D:set></D:mkcol>
            """
        let response = try await client().send(HTTPRequest("MKCOL", book, headers: ["Content-Type": "application/xml"], body: Data(body.utf8)))
        guard response.status == 201 else { throw ConnectorError("MKCOL \(book) answered \(response.status)") }
        return book
    }
}
