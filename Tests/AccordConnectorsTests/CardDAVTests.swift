@testable import AccordConnectors
import AccordDiagnostics
import FlyingFox
import Foundation
import CardDAVTestServers
import Synchronization
import Testing

/// The `carddav` connector against a real Radicale server: discovery, errors, listing costs,
/// sync tokens, vCard round trips, and edits racing accord's writes.
@Suite struct CardDAVTests {
    let server = RadicaleServer.shared

    /// A fresh address book and its URL.
    func makeBook(displayName: String? = nil) throws -> (name: String, url: URL) {
        let name = "book-" + UUID().uuidString.prefix(8).lowercased()
        return (name, try server.makeAddressBook(name, displayName: displayName))
    }

    func connector(_ url: URL, name: String? = nil, client: Client? = nil, beforeUpdatePut: (@Sendable (String) async throws -> Void)? = nil) -> CardDAVConnector {
        CardDAVConnector(url: url, addressBook: name, client: client ?? server.client(), batchSize: 100, beforeUpdatePut: beforeUpdatePut)
    }

    /// PUTs a card as another client of the server would; returns its id (path).
    @discardableResult
    func putOutside(_ text: String, name: String, in book: URL, ifMatch: String? = nil) async throws -> String {
        let url = URL(string: name, relativeTo: book)!.absoluteURL
        let response = try await server.client().send(Request(
            "PUT", url, headers: ["Content-Type": "text/vcard", "If-Match": ifMatch].compactMapValues { $0 },
            body: Data(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)))
        #expect(response.isSuccess, "PUT \(name): \(response.status)")
        return url.path
    }

    func getOutside(_ id: String) async throws -> (text: String, etag: String) {
        let response = try await server.client().send(Request("GET", URL(string: id, relativeTo: server.url)!))
        return (String(decoding: response.body, as: UTF8.self), response.header("ETag") ?? "")
    }

    func created(_ results: [WriteResult]) -> [ContactRecord] {
        results.compactMap { if case .written(let record) = $0 { record } else { nil } }
    }

    static let card = """
        BEGIN:VCARD
        VERSION:4.0
        UID:urn:uuid:5f1c2a1e-0000-4000-8000-000000000001
        FN:Dana Scully
        N:Scully;Dana;;;
        EMAIL;TYPE=work:dana@example.com
        TEL;VALUE=uri;TYPE=cell:tel:+1-555-0100
        TITLE:Agent
        X-ACCORD-TEST;X-PARAM=kept:unknown to accord
        END:VCARD
        """

    // MARK: - Discovery

    @Test(arguments: ["root", "principal", "address book"])
    func discoversTheAddressBookFrom(_ start: String) async throws {
        let book = try makeBook(displayName: "Team \(start)")
        let url = switch start {
        case "root": server.url
        case "principal": URL(string: "/\(server.user)/", relativeTo: server.url)!.absoluteURL
        default: book.url
        }
        let connector = connector(url, name: start == "address book" ? nil : "Team \(start)")
        let found = try await connector.addressBook()
        #expect(found.url == book.url && found.supportsSyncCollection)
    }

    @Test func aRunFromTheServerURLLooksWhereTheAddressBookWasLastTime() async throws {
        let book = try makeBook(displayName: "Remembered")
        let first = connector(server.url, name: "Remembered")
        let listing = try await first.list(since: .full)
        #expect(first.client.requestCount == 4)  // principal, home set, address books, report
        let next = connector(server.url, name: "Remembered")
        let quiet = try await next.list(since: ListingState(cursor: listing.cursor, known: [:]))
        #expect(quiet.changed.isEmpty && next.client.requestCount == 1)
        #expect(try await next.addressBook().url == book.url)
    }

    @Test func anUnknownAddressBookNameIsR2001ListingWhatExists() async throws {
        let book = try makeBook(displayName: "Listed Book")
        let failure = await appFailure { _ = try await connector(server.url, name: "No Such Book").addressBook() }
        #expect(failure?.code == DiagnosticCatalog.addressBookNotFound)
        #expect(failure?.message.contains("no address book named 'No Such Book'; the account has") == true)
        #expect(failure?.message.contains("'Listed Book' (\(book.url.absoluteString))") == true)
    }

    @Test func aServerWithoutCardDAVIsR2002() async throws {
        let plain = try await LoopbackServer.start([("PROPFIND *", { _ in .init(statusCode: .notFound) })])
        defer { Task { await plain.stop() } }
        let failure = await appFailure { _ = try await connector(plain.url("/"), client: quickClient()).addressBook() }
        #expect(failure?.code == DiagnosticCatalog.notCardDAV)
    }

    @Test func aWrongPasswordIsR1003WithoutThePassword() async throws {
        let client = Client(app: "carddav (b)", auth: .basic(user: server.user, password: "wrong-password-42"))
        let failure = await appFailure { _ = try await connector(server.url, client: client).addressBook() }
        #expect(failure?.code == DiagnosticCatalog.authenticationFailed, "\(String(describing: failure))")
        #expect(failure?.description.contains("wrong-password-42") == false)
    }

    @Test func anotherUsersAddressBookIsR1004() async throws {
        let failure = await appFailure { _ = try await connector(URL(string: "/bob/contacts/", relativeTo: server.url)!.absoluteURL).addressBook() }
        #expect(failure?.code == DiagnosticCatalog.accessDenied)
    }

    // MARK: - Listing

    @Test func aRunWithNothingChangedCostsOneRequestAndOneChangeAReportAndAMultiget() async throws {
        let book = try makeBook()
        let writer = connector(book.url)
        let records = created(try await writer.create((0..<40).map { NewContact(fields: ["email": ["p\($0)@example.com"]]) }))
        let full = try await writer.list(since: .full)
        #expect(full.changed.count == 40)
        let known = Dictionary(uniqueKeysWithValues: full.changed.map { ($0.id, $0.version!) })

        // A later run: a new connector, as in a new process; the address book URL is in the connection.
        let quiet = connector(book.url)
        let listing = try await quiet.list(since: ListingState(cursor: full.cursor, known: known))
        #expect(listing.changed.isEmpty && listing.deleted.isEmpty)
        #expect(quiet.client.requestCount == 2)  // PROPFIND of the address book, one sync-collection REPORT
        // The next run finds the address book's ctag as the last report left it: one request in all.
        let quieter = connector(book.url)
        let again = try await quieter.list(since: ListingState(cursor: listing.cursor, known: known))
        #expect(again.changed.isEmpty && again.deleted.isEmpty && again.cursor == listing.cursor)
        #expect(quieter.client.requestCount == 1)

        _ = try await writer.update([ContactUpdate(id: records[7].id, fields: ["title": ["Boss"]])])
        let one = connector(book.url)
        let changed = try await one.list(since: ListingState(cursor: listing.cursor, known: known))
        #expect(changed.changed.map(\.id) == [records[7].id] && changed.changed[0].fields["title"] == ["Boss"])
        #expect(one.client.requestCount == 3)  // and one multiget
    }

    @Test func anUnchangedAddressBookIsToldByItsCtagInOneRequest() async throws {
        let book = try makeBook()
        let writer = connector(book.url)
        let records = created(try await writer.create((0..<5).map { NewContact(fields: ["email": ["q\($0)@example.com"]]) }))
        let cursor = try #require(try await connector(book.url).list(since: .full).cursor)

        let asked = connector(book.url)
        #expect(try await asked.isUnchanged(since: cursor))
        // The listing that follows in the same run uses the ctag it already has.
        let listing = try await asked.list(since: ListingState(cursor: cursor, known: [:]))
        #expect(listing.changed.isEmpty && listing.cursor == cursor && asked.client.requestCount == 1)
        // After its own write, a connector no longer trusts the ctag it discovered.
        _ = try await asked.update([ContactUpdate(id: records[0].id, fields: ["title": ["Chief"]])])
        #expect(try await asked.isUnchanged(since: cursor) == false)
        #expect(try await connector(book.url).isUnchanged(since: cursor) == false)

        let later = try #require(try await connector(book.url).list(since: .full).cursor)
        #expect(try await connector(book.url).isUnchanged(since: later))
        try await putOutside(Self.card, name: "outside.vcf", in: book.url)
        #expect(try await connector(book.url).isUnchanged(since: later) == false)
        // A bare sync token carries no ctag: the app cannot tell.
        #expect(try await connector(book.url).isUnchanged(since: "http://radicale.org/ns/sync/0") == false)
    }

    @Test func anInvalidSyncTokenStartsAFullListingInsteadOfFailing() async throws {
        let book = try makeBook()
        let writer = connector(book.url)
        let records = created(try await writer.create([NewContact(fields: ["email": ["a@example.com"]]), NewContact(fields: ["email": ["b@example.com"]])]))
        let stale = ListingState(
            cursor: "http://radicale.org/ns/sync/" + String(repeating: "0", count: 64),
            known: [records[0].id: records[0].version!, "/\(server.user)/\(book.name)/gone.vcf": "\"x\""])
        let listing = try await connector(book.url).list(since: stale)
        #expect(listing.changed.map(\.id) == [records[1].id])
        #expect(listing.deleted == ["/\(server.user)/\(book.name)/gone.vcf"])
        #expect(listing.cursor.map { CardDAVConnector.ListingCursor(text: $0).syncToken?.hasPrefix("http://radicale.org/ns/sync/") } == true)
    }

    /// Xandikos answers an unknown token with 412 (Radicale with 403), and its tokens are not URIs.
    @Test func anInvalidSyncTokenOnXandikosStartsAFullListingToo() async throws {
        let xandikos = XandikosServer.shared
        let book = try await xandikos.makeAddressBook("token-" + UUID().uuidString.prefix(8).lowercased())
        let writer = CardDAVConnector(url: book, addressBook: nil, client: xandikos.client())
        let records = created(try await writer.create([NewContact(fields: ["email": ["a@example.com"]])]))
        let stale = ListingState(cursor: String(repeating: "0", count: 40), known: [book.path + "gone.vcf": "\"x\""])
        let listing = try await CardDAVConnector(url: book, addressBook: nil, client: xandikos.client()).list(since: stale)
        #expect(listing.changed.map(\.id) == records.map(\.id))
        #expect(listing.deleted == [book.path + "gone.vcf"])
        #expect(listing.cursor != nil)
    }

    // MARK: - vCard

    @Test func aVCard4WrittenElsewhereKeepsWhatAccordDoesNotMap() async throws {
        let book = try makeBook()
        let id = try await putOutside(Self.card, name: "scully.vcf", in: book.url)
        let carddav = connector(book.url)
        let listed = try await carddav.list(since: .full).changed
        #expect(listed.map(\.id) == [id])
        #expect(listed[0].fields["given_name"] == ["Dana"] && listed[0].fields["tel"] == ["+1-555-0100"])
        let result = try await carddav.update([
            ContactUpdate(id: id, fields: ["given_name": ["Dana K."]], addSegments: ["tag": ["fbi"]], basedOn: listed[0].version, previous: ["given_name": ["Dana"]])
        ])
        guard case .written = try #require(result.first) else { Issue.record("\(result)"); return }
        let stored = try await getOutside(id).text
        for line in ["VERSION:4.0", "X-ACCORD-TEST;X-PARAM=kept:unknown to accord", "N:Scully;Dana K.;;;", "CATEGORIES:fbi", "TITLE:Agent"] {
            #expect(stored.contains(line), "missing \(line) in\n\(stored)")
        }
    }

    // MARK: - Edits racing accord's writes

    /// Lists one card, then changes its title on the server as another client would.
    func cardEditedAfterListing(title: String) async throws -> (CardDAVConnector, ContactRecord, URL) {
        let book = try makeBook()
        let id = try await putOutside(Self.card, name: "race.vcf", in: book.url)
        let carddav = connector(book.url)
        let listed = try #require(try await carddav.list(since: .full).changed.first)
        try await putOutside(Self.card.replacingOccurrences(of: "TITLE:Agent", with: "TITLE:\(title)"), name: "race.vcf", in: book.url)
        #expect(listed.id == id)
        return (carddav, listed, book.url)
    }

    @Test func anEditOfAnotherFieldSinceTheListingIsKeptAndTheUpdateApplied() async throws {
        let (carddav, listed, _) = try await cardEditedAfterListing(title: "Director")
        let result = try await carddav.update([
            ContactUpdate(id: listed.id, fields: ["given_name": ["Dana K."]], basedOn: listed.version, previous: ["given_name": ["Dana"]])
        ])
        guard case .written(let record) = try #require(result.first) else { Issue.record("\(result)"); return }
        #expect(record.fields["title"] == ["Director"] && record.fields["given_name"] == ["Dana K."])
        let stored = try await getOutside(listed.id)
        #expect(stored.text.contains("TITLE:Director") && stored.text.contains("N:Scully;Dana K.;;;"))
        // No version: the title edit is not accord's, so the next run must read the card again.
        #expect(record.version == nil)
    }

    @Test func anEditOfTheSameFieldSinceTheListingIsNotOverwritten() async throws {
        let (carddav, listed, _) = try await cardEditedAfterListing(title: "Director")
        let result = try await carddav.update([
            ContactUpdate(id: listed.id, fields: ["title": ["Special Agent"]], basedOn: listed.version, previous: ["title": ["Agent"]])
        ])
        #expect(result == [.changedDuringRun(reason: "'title' was edited in the address book during the run; the next run merges it")])
        #expect(try await getOutside(listed.id).text.contains("TITLE:Director"))
    }

    /// Lists the card, then updates its given name while another client sets its title right
    /// before each of accord's PUTs (`title(n)` for the n-th PUT; nil for no edit). Returns the
    /// card's id, the result, and how many PUTs accord attempted.
    func updateWhileEditing(title: @escaping @Sendable (Int) -> String?) async throws -> (id: String, result: [WriteResult], puts: Int) {
        let book = try makeBook()
        let id = try await putOutside(Self.card, name: "race.vcf", in: book.url)
        let listed = try #require(try await connector(book.url).list(since: .full).changed.first)
        let puts = Mutex(0)
        let carddav = connector(book.url) { _ in
            let n = puts.withLock { $0 += 1; return $0 }
            guard let title = title(n) else { return }
            try await putOutside(Self.card.replacingOccurrences(of: "TITLE:Agent", with: "TITLE:\(title)"), name: "race.vcf", in: book.url)
        }
        let result = try await carddav.update([
            ContactUpdate(id: id, fields: ["given_name": ["Dana K."]], basedOn: listed.version, previous: ["given_name": ["Dana"]])
        ])
        return (id, result, puts.withLock { $0 })
    }

    @Test func a412FromAnEditRightBeforeThePutIsReMergedAndRetriedOnce() async throws {
        // The first PUT finds the card edited a moment before: a real 412 from Radicale.
        let (id, result, puts) = try await updateWhileEditing { $0 == 1 ? "Director" : nil }
        guard case .written(let record) = try #require(result.first) else { Issue.record("\(result)"); return }
        #expect(record.fields["title"] == ["Director"] && record.fields["given_name"] == ["Dana K."])
        #expect(puts == 2)
        let stored = try await getOutside(id).text
        #expect(stored.contains("TITLE:Director") && stored.contains("N:Scully;Dana K.;;;"))
    }

    @Test func aCardThatKeepsChangingFailsAfterOneRetry() async throws {
        let (id, result, puts) = try await updateWhileEditing { "Edit \($0)" }
        #expect(result == [.changedDuringRun(reason: "'\(id)' kept changing in the address book while accord wrote it (HTTP 412 twice)")])
        #expect(puts == 2)
        #expect(try await getOutside(id).text.contains("TITLE:Edit 2"))
    }
}
