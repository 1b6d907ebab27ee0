@testable import AccordConnectors
import AccordPlan
import AccordRunner
import AccordStore
import CardDAVTestServers
import FlyingFox
import Foundation
import Synchronization
import Testing

/// Runs between a real CardDAV address book (a) and a csv file (b) where the server does what
/// accord must not be fooled by: it undoes accord's writes, edits a card while accord writes it,
/// or echoes the credentials it was sent.
@Suite struct CardDAVTrustSyncTests {
    static let csv = LocalApp.all[1]

    /// Two-way, the address book wins unless `winner` says otherwise, deletions become markers;
    /// no rules, so no action writes to a card beyond what a test asks for.
    func syncPlan(url: String = "http://127.0.0.1/", winner: String = "a") throws -> SyncPlan {
        try plan(
            "sync_deletions: {enabled: true, marker: Accord Trash}",
            winner: winner,
            apps: """
              a:
                app: carddav
                auth: {username: alice, password: {env: CARDDAV_PASSWORD}}
                settings: {url: "\(url)"}
              b: {app: csv, settings: {path: local}}
            """)
    }

    func temporaryDirectory() -> String {
        NSTemporaryDirectory() + "accord-carddav-trust-" + UUID().uuidString
    }

    /// The records with an email, by email.
    func byEmail(_ connector: any ContactConnector) async throws -> [String: ContactRecord] {
        var records: [String: ContactRecord] = [:]
        for record in try await connector.list(since: .full).changed {
            if let email = record.fields["email"]?.first { records[email] = record }
        }
        return records
    }

    // MARK: - Writes undone on the server

    /// Run 1 uploads two contacts to an address book of twenty; someone deletes those two on the
    /// server, which brings the address book back to the content (and on Radicale and Xandikos
    /// the ctag, on Xandikos the sync token too) it had before run 1 wrote. Run 2 must see the
    /// deletions, and the run after it must be the one-request no-op again.
    @Test(arguments: CardDAVServer.allCases)
    func uploadsDeletedOnTheServerAreSeenByTheNextRun(_ server: CardDAVServer) async throws {
        let (bookURL, client) = try await server.makeAddressBook()
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outside = CardDAVConnector(url: bookURL, addressBook: nil, client: client())
        _ = try await outside.create((0..<20).map { NewContact(fields: ["email": ["o\($0)@example.com"], "given_name": ["O\($0)"]]) })
        let localApp = try Self.csv.connector(directory + "/local")
        _ = try await localApp.create((0..<2).map { NewContact(fields: ["email": ["u\($0)@example.com"], Self.csv.first: ["U\($0)"]]) })
        let store = try StateStore()
        let plan = try syncPlan()
        var requests: [Int] = []
        func run() async throws -> RunReport {
            let carddav = CardDAVConnector(url: bookURL, addressBook: nil, client: client())
            let report = try await Runner(plan: plan, a: carddav, b: localApp, store: store).run()
            requests.append(carddav.client.requestCount)
            return report
        }

        let first = try await run()
        #expect(first.counts.created_b_to_a == 2 && first.counts.created_a_to_b == 20)
        let uploaded = try await byEmail(outside).filter { $0.key.hasPrefix("u") }
        #expect(uploaded.count == 2)
        for card in uploaded.values {
            let deleted = try await client().send(HTTPRequest("DELETE", URL(string: card.id, relativeTo: bookURL)!))
            #expect(deleted.isSuccess)
        }

        let second = try await run()
        #expect(!second.unchanged && second.held == nil)
        #expect(second.counts.markers_added == 2)
        let local = try await byEmail(localApp)
        for email in ["u0@example.com", "u1@example.com"] {
            #expect(local[email]?.segments["tag"]?.contains("Accord Trash") == true, "\(email): \(String(describing: local[email]))")
        }

        let third = try await run()
        #expect(third.counts.writes == 0 && third.counts.markers_added == 0)
        // Run 1: discovery, the report, a multiget, two PUTs; run 2: discovery and the report
        // (which on Xandikos, whose token is back to before run 1, lists nothing: one multiget
        // asks the ETags of the two cards run 1 wrote); run 3: the ctag alone.
        #expect(requests == [5, server == .xandikos ? 3 : 2, 1], "\(requests)")
    }

    // MARK: - The address book and no other

    /// A connection from the server's URL finds its address book by name; once that address
    /// book is gone, a run must fail naming it, even a run that lists everything because the
    /// connection changed, rather than sync another address book of that name.
    @Test func aRunAfterThePlanChangedDoesNotSwitchToAnotherAddressBookOfTheSameName() async throws {
        let radicale = RadicaleServer.shared
        let name = "Team " + UUID().uuidString.prefix(6)
        let book = try radicale.makeAddressBook("team-" + UUID().uuidString.prefix(8).lowercased(), displayName: name)
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let localApp = try Self.csv.connector(directory + "/local")
        _ = try await localApp.create((0..<5).map { NewContact(fields: ["email": ["t\($0)@example.com"]]) })
        let store = try StateStore()
        func carddav() -> CardDAVConnector { CardDAVConnector(url: radicale.url, addressBook: name, client: radicale.client()) }
        _ = try await Runner(plan: try syncPlan(winner: "a"), a: carddav(), b: localApp, store: store).run()
        #expect(try await carddav().addressBook().url == book)

        let deleted = try await radicale.client().send(HTTPRequest("DELETE", book))
        #expect(deleted.isSuccess)
        let again = try radicale.makeAddressBook("team-" + UUID().uuidString.prefix(8).lowercased(), displayName: name)
        // Another winner: a new plan fingerprint, so the next run lists everything.
        do {
            let report = try await Runner(plan: try syncPlan(winner: "b"), a: carddav(), b: localApp, store: store).run()
            Issue.record("the run went on with \(again): \(report.counts), held: \(report.held != nil)")
        } catch {
            #expect("\(error)".contains("R2003") && "\(error)".contains(book.absoluteString), "\(error)")
        }
    }

    // MARK: - A write that fails because the card was edited on the server

    enum ServerEdit: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// The server edits the field accord writes, and another: the write fails ("edited during the run").
        case sameFieldAndAnother = "the same field and another"
        /// The server edits another field before each PUT: two 412s, and the write fails.
        case beforeEveryPut = "another field before every PUT"

        var testDescription: String { rawValue }
    }

    /// Ann, an agent, is synced, the csv file winning conflicts; then she becomes Anna in the csv
    /// file, and while accord writes that to the address book, another client edits her card
    /// there (`edit`), so the write fails. Returns the run that failed and the run after it, Ann
    /// on both sides after it, and how many PUTs the failed write tried.
    func failedWriteThenNextRun(_ edit: ServerEdit) async throws
        -> (failed: RunReport, next: RunReport, book: ContactRecord, here: ContactRecord, puts: Int)
    {
        let (bookURL, client) = try await CardDAVServer.radicale.makeAddressBook()
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let localApp = try Self.csv.connector(directory + "/local")
        let created = try await localApp.create([NewContact(fields: ["email": ["ann@example.com"], Self.csv.first: ["Ann"], "job_title": ["Agent"]])])
        guard case .written(let ann) = try #require(created.first) else { throw ConnectorError("\(created)") }
        let store = try StateStore()
        let plan = try syncPlan(winner: "b")
        func carddav(_ beforeUpdatePut: (@Sendable (String) async throws -> Void)? = nil) -> CardDAVConnector {
            CardDAVConnector(url: bookURL, addressBook: nil, client: client(), batchSize: 100, beforeUpdatePut: beforeUpdatePut)
        }
        _ = try await Runner(plan: plan, a: carddav(), b: localApp, store: store).run()

        _ = try await localApp.update([ContactUpdate(id: ann.id, fields: [Self.csv.first: ["Anna"]])])
        let puts = Mutex(0)
        let racing = carddav { id in
            let n = puts.withLock { $0 += 1; return $0 }
            let url = URL(string: id, relativeTo: bookURL)!
            var text = String(decoding: try await client().send(HTTPRequest("GET", url)).body, as: UTF8.self)
            text = text.replacingOccurrences(of: "\r\nTITLE:[^\r]*", with: "", options: .regularExpression)
            switch edit {
            case .sameFieldAndAnother:
                guard n == 1 else { return }
                text = text.replacingOccurrences(of: ";Ann;", with: ";Annie;").replacingOccurrences(of: "END:VCARD", with: "TITLE:Director\r\nEND:VCARD")
            case .beforeEveryPut:
                text = text.replacingOccurrences(of: "END:VCARD", with: "TITLE:Edit \(n)\r\nEND:VCARD")
            }
            let put = try await client().send(HTTPRequest("PUT", url, headers: ["Content-Type": "text/vcard"], body: Data(text.utf8)))
            #expect(put.isSuccess)
        }
        let failed = try await Runner(plan: plan, a: racing, b: localApp, store: store).run()
        let next = try await Runner(plan: plan, a: carddav(), b: localApp, store: store).run()
        let book = try #require(try await byEmail(carddav())["ann@example.com"])
        let here = try #require(try await byEmail(localApp)["ann@example.com"])
        return (failed, next, book, here, puts.withLock { $0 })
    }

    /// After a write that failed on a card edited on the server, the next run takes the
    /// server's edits as changes made there: its edit of a field accord was not writing is kept
    /// and copied to the other app, not overwritten by the winning app's value from before it
    /// (a run that took both sides of a failed pair as changed made every such field a conflict).
    @Test(arguments: ServerEdit.allCases)
    func aServerEditThatFailedAWriteIsKeptAndSyncedByTheNextRun(_ edit: ServerEdit) async throws {
        let (failed, next, book, here, puts) = try await failedWriteThenNextRun(edit)
        #expect(failed.counts.failed == 1 && failed.counts.updated_b_to_a == 0, "\(failed.counts)")
        #expect(puts == (edit == .sameFieldAndAnother ? 1 : 2))
        let title = edit == .sameFieldAndAnother ? "Director" : "Edit 2"
        #expect(book.fields["title"] == [title] && here.fields["job_title"] == [title], "\(book.fields) \(here.fields)")
        #expect(next.counts.updated_a_to_b == 1 && next.counts.failed == 0)
    }

    /// The other half: the csv edit whose write failed must be seen by the next run too, as a
    /// change (a conflict where the server edited the same field, else written to the address
    /// book): a write the card changed under is not made, and both records are read again.
    @Test(arguments: ServerEdit.allCases)
    func theEditWhoseWriteFailedIsSyncedByTheNextRun(_ edit: ServerEdit) async throws {
        let (_, next, book, here, _) = try await failedWriteThenNextRun(edit)
        // Edited on both sides (Annie there), the csv file wins; else Anna is written there.
        #expect(book.fields["given_name"] == ["Anna"] && here.fields[Self.csv.first] == ["Anna"], "\(book.fields) \(here.fields)")
        #expect(next.counts.conflicts_resolved == (edit == .sameFieldAndAnother ? 1 : 0) && next.counts.updated_b_to_a == 1)
    }

    // MARK: - A server that echoes the credentials

    static let password = #"s3cr3t/Pa+ss w@rd%&<"q\z'7 Kx9"#

    /// A fake address book at `/book/` whose answers are chosen per test: a 401 or 500 quoting
    /// what it was sent to every request, or a working listing and a 400 quoting it to every PUT.
    static func echoingServer(_ answer: String) async throws -> LoopbackServer {
        try await LoopbackServer.start { request in
            let header = request.headers[.authorization] ?? ""
            let page = SecretEcho.page(straddling: SecretEcho(authorization: header).forms.map(\.text).joined(separator: " "))
            switch (answer, request.method.rawValue) {
            case ("401", _): return .init(statusCode: .unauthorized, body: Data(page.utf8))
            case ("500", _): return .init(statusCode: .internalServerError, body: Data(page.utf8))
            case (_, "PROPFIND"):
                return .init(statusCode: HTTPStatusCode(207, phrase: "Multi-Status"), body: Data("""
                    <?xml version="1.0"?><multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><response><href>/book/</href>\
                    <propstat><prop><resourcetype><collection/><C:addressbook/></resourcetype><supported-report-set><supported-report><report>\
                    <sync-collection/></report></supported-report></supported-report-set></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>
                    """.utf8))
            case (_, "REPORT"):
                return .init(statusCode: HTTPStatusCode(207, phrase: "Multi-Status"), body: Data(#"<?xml version="1.0"?><multistatus xmlns="DAV:"><sync-token>t1</sync-token></multistatus>"#.utf8))
            default:
                return .init(statusCode: .badRequest, body: Data(page.utf8))
            }
        }
    }

    /// Everything a run stores or reports about what went wrong, as one text.
    func storedTexts(_ store: StateStore, _ connection: String) throws -> String {
        let runs = try store.runs(connection).map { "\($0.error ?? "") \($0.detail ?? "")" }
        let health = try store.health(connection).map { "\($0.reason) \($0.detail ?? "")" }
        return (runs + health).joined(separator: "\n")
    }

    @Test(arguments: ["401", "500"])
    func aRunThatFailsOnAnEchoingServerStoresNoFormOfTheCredentials(_ status: String) async throws {
        let server = try await Self.echoingServer(status)
        defer { Task { await server.stop() } }
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let auth = AccordConnectors.HTTPAuth.basic(user: "alice", password: Self.password)
        let echo = SecretEcho(authorization: auth.header)
        var configuration = HTTPClient.Configuration()
        configuration.backoff = .milliseconds(5)
        let carddav = CardDAVConnector(url: server.url("/book/"), addressBook: nil, client: HTTPClient(app: "carddav (a)", auth: auth, configuration: configuration))
        let store = try StateStore()
        let plan = try syncPlan(url: server.url("/book/").absoluteString)

        do {
            _ = try await Runner(plan: plan, a: carddav, b: try Self.csv.connector(directory + "/local"), store: store).run()
            Issue.record("the run did not fail")
        } catch {
            #expect("\(error)".contains(status == "401" ? "R1003" : "R1006"), "\(error)")
            #expect(echo.leaks(in: "\(error)").isEmpty, "\(error)")
        }
        let stored = try storedTexts(store, plan.connection)
        #expect(try store.runs(plan.connection).first?.status == .failed)
        #expect(echo.leaks(in: stored).isEmpty, "\(stored)")
    }

    @Test func aWriteRefusedByAnEchoingServerLeavesNoFormOfTheCredentialsInHealth() async throws {
        let server = try await Self.echoingServer("400 to PUT")
        defer { Task { await server.stop() } }
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let auth = AccordConnectors.HTTPAuth.basic(user: "alice", password: Self.password)
        let carddav = CardDAVConnector(url: server.url("/book/"), addressBook: nil, client: HTTPClient(app: "carddav (a)", auth: auth))
        let localApp = try Self.csv.connector(directory + "/local")
        _ = try await localApp.create([NewContact(fields: ["email": ["ann@example.com"], Self.csv.first: ["Ann"]])])
        let store = try StateStore()
        let plan = try syncPlan(url: server.url("/book/").absoluteString)

        let report = try await Runner(plan: plan, a: carddav, b: localApp, store: store).run()
        #expect(report.counts.failed == 1)
        let stored = try storedTexts(store, plan.connection)
        #expect(stored.contains("HTTP 400 Bad Request"), "\(stored)")
        #expect(SecretEcho(authorization: auth.header).leaks(in: stored).isEmpty, "\(stored)")
    }
}

/// A loopback HTTP server (FlyingFox, port 0) answering every request with `handler`.
struct LoopbackServer {
    let server: HTTPServer
    let task: Task<Void, any Error>
    let port: UInt16

    static func start(_ handler: @escaping @Sendable (FlyingFox.HTTPRequest) async throws -> FlyingFox.HTTPResponse) async throws -> LoopbackServer {
        let server = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: 0), logger: .disabled)
        // A route without a method matches only the standard ones, not PROPFIND or REPORT.
        for method in ["GET", "PUT", "DELETE", "PROPFIND", "REPORT"] { await server.appendRoute(HTTPRoute(stringLiteral: "\(method) *"), handler: handler) }
        let task = Task { try await server.run() }
        try await server.waitUntilListening()
        guard case .ip4(_, let port) = await server.listeningAddress else { throw ConnectorError("no listening address") }
        return LoopbackServer(server: server, task: task, port: port)
    }

    func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    func stop() async {
        await server.stop()
        task.cancel()
    }
}
