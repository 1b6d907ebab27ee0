@testable import AccordConnectors
import AccordDiagnostics
import CardDAVTestServers
import Foundation
import Testing

/// A real CardDAV server with fresh address books, for the connector alone.
enum DAVServer: String, CustomTestStringConvertible, Sendable, CaseIterable {
    case radicale = "Radicale", xandikos = "Xandikos"

    var testDescription: String { rawValue }

    func client() -> Client {
        self == .radicale ? RadicaleServer.shared.client() : XandikosServer.shared.client()
    }

    var url: URL { self == .radicale ? RadicaleServer.shared.url : XandikosServer.shared.url }

    /// A new address book's URL.
    func makeBook(displayName: String? = nil) async throws -> URL {
        let name = "trust-" + UUID().uuidString.prefix(8).lowercased()
        switch self {
        case .radicale: return try RadicaleServer.shared.makeAddressBook(name, displayName: displayName)
        case .xandikos: return try await XandikosServer.shared.makeAddressBook(name)
        }
    }

    /// Deletes a resource (a card, an address book) as another client would.
    func delete(_ url: URL) async throws {
        let response = try await client().send(Request("DELETE", url))
        #expect(response.isSuccess, "DELETE \(url): \(response.status)")
    }

    func put(_ text: String, at url: URL) async throws {
        let response = try await client().send(Request(
            "PUT", url, headers: ["Content-Type": "text/vcard"], body: Data(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)))
        #expect(response.isSuccess, "PUT \(url): \(response.status)")
    }
}

/// What the `carddav` connector may trust and what it must not: the address book it syncs and
/// no other, a ctag and sync token that its own writes may have made meaningless, and cards the
/// server holds but accord cannot read.
@Suite struct CardDAVTrustTests {
    func connector(_ server: DAVServer, _ url: URL, name: String? = nil, writtenIDsKept: Int = 1_000) -> CardDAVConnector {
        CardDAVConnector(url: url, addressBook: name, client: server.client(), batchSize: 100, writtenIDsKept: writtenIDsKept, beforeUpdatePut: nil)
    }

    func written(_ results: [WriteResult]) -> [ContactRecord] {
        results.compactMap { if case .written(let record) = $0 { record } else { nil } }
    }

    /// A listing's records as the state would know them: id → version.
    func known(_ records: [ContactRecord]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: records.map { ($0.id, $0.version!) })
    }

    static let card = """
        BEGIN:VCARD
        VERSION:3.0
        UID:outside-1
        FN:Dana Scully
        N:Scully;Dana;;;
        EMAIL:dana@example.com
        TITLE:Agent
        END:VCARD
        """

    // MARK: - The address book and no other

    @Test(arguments: DAVServer.allCases)
    func aURLNamingADeletedAddressBookIsR2003AndNoOtherBookIsListed(_ server: DAVServer) async throws {
        // Another address book with a card, which a fallback would find.
        let other = try await server.makeBook()
        _ = try await connector(server, other).create([NewContact(fields: ["email": ["stranger@example.com"]])])
        let book = try await server.makeBook()
        let mine = written(try await connector(server, book).create([NewContact(fields: ["email": ["mine@example.com"]])]))
        let listed = try await connector(server, book).list(since: .full)
        try await server.delete(book)

        let state = ListingState(cursor: listed.cursor, known: known(mine))
        for (what, attempt) in [
            ("isUnchanged", { _ = try await connector(server, book).isUnchanged(since: listed.cursor!) }),
            ("an incremental listing", { _ = try await connector(server, book).list(since: state) }),
            ("a full listing", { _ = try await connector(server, book).list(since: .full) }),
        ] as [(String, () async throws -> Void)] {
            let failure = await appFailure(attempt)
            #expect(failure?.code == DiagnosticCatalog.addressBookGone, "\(what): \(String(describing: failure))")
            #expect(failure?.message.contains("\(book.absoluteString) is gone (HTTP 404 Not Found)") == true, "\(what): \(String(describing: failure))")
        }
    }

    @Test func aURLNamingACollectionThatIsNoLongerAnAddressBookIsR2003() async throws {
        let xandikos = XandikosServer.shared
        let book = try await DAVServer.xandikos.makeBook()
        let listed = try await connector(.xandikos, book).list(since: .full)
        try await DAVServer.xandikos.delete(book)
        try await xandikos.makePlainCollection(book)

        let incremental = await appFailure { _ = try await connector(.xandikos, book).list(since: ListingState(cursor: listed.cursor)) }
        #expect(incremental?.code == DiagnosticCatalog.addressBookGone)
        #expect(incremental?.message.contains("\(book.absoluteString) is a collection but not an address book") == true, "\(String(describing: incremental))")
        let full = await appFailure { _ = try await connector(.xandikos, book).list(since: .full) }
        #expect(full?.code == DiagnosticCatalog.addressBookGone)
        // The account's home and principal, where the address books are, still discover them.
        for start in ["/user/contacts/", "/user/"] {
            let home = URL(string: start, relativeTo: xandikos.url)!.absoluteURL
            #expect(try await connector(.xandikos, home).addressBook().url.path.hasPrefix("/user/contacts/"))
        }
    }

    @Test func anAddressBookFoundFromTheServerThatIsGoneIsNotReplacedByOneOfTheSameName() async throws {
        let radicale = RadicaleServer.shared
        let name = "Team " + UUID().uuidString.prefix(6)
        let book = try await DAVServer.radicale.makeBook(displayName: name)
        let first = connector(.radicale, radicale.url, name: name)
        let listed = try await first.list(since: .full)
        #expect(try await first.addressBook().url == book)
        try await DAVServer.radicale.delete(book)
        // Created again by someone, at another path: not the address book accord synced.
        let again = try await DAVServer.radicale.makeBook(displayName: name)

        let failure = await appFailure { _ = try await connector(.radicale, radicale.url, name: name).list(since: ListingState(cursor: listed.cursor)) }
        #expect(failure?.code == DiagnosticCatalog.addressBookGone)
        let message = failure?.message ?? ""
        #expect(message.contains("the address book this connection synced, \(book.absoluteString), is gone"), "\(message)")
        #expect(message.contains("it would now take \(again.absoluteString)"), "\(message)")
        // Named in the connection, the new one is synced.
        #expect(try await connector(.radicale, again).list(since: ListingState(cursor: listed.cursor)).cursor != nil)
    }

    enum Emptying: String, CaseIterable, Sendable {
        case cardsDeleted = "its cards deleted", recreated = "deleted and created again"
    }

    /// An emptied address book is the engine's business (its safety budget); the listing only
    /// has to say so faithfully: every card deleted.
    @Test(arguments: DAVServer.allCases, Emptying.allCases)
    func anEmptiedAddressBookIsListedWithEveryCardDeleted(_ server: DAVServer, _ emptying: Emptying) async throws {
        let book = try await server.makeBook()
        let cards = written(try await connector(server, book).create((0..<3).map { NewContact(fields: ["email": ["e\($0)@example.com"]]) }))
        let listed = try await connector(server, book).list(since: .full)
        switch emptying {
        case .cardsDeleted:
            for card in cards { try await server.delete(URL(string: card.id, relativeTo: book)!) }
        case .recreated:
            try await server.delete(book)
            if server == .radicale {
                try RadicaleServer.shared.makeAddressBook(book.lastPathComponent)
            } else {
                try await XandikosServer.shared.makeAddressBook(at: book, displayName: book.lastPathComponent)
            }
        }
        let carddav = connector(server, book)
        #expect(try await carddav.isUnchanged(since: listed.cursor!) == false)
        let listing = try await carddav.list(since: ListingState(cursor: listed.cursor, known: known(cards)))
        #expect(listing.changed.isEmpty && listing.unreadable.isEmpty)
        #expect(listing.deleted == cards.map(\.id).sorted())
    }

    // MARK: - Nothing changed, after accord's own writes

    /// The ctag (and on Xandikos the sync token) names the address book's content: once the
    /// cards accord uploaded are deleted on the server and an edit it made is reverted, both are
    /// as they were before the run wrote. The next run must still see the deletions and the
    /// revert: from the report and the cards the cursor says were written, or, after more writes
    /// than the cursor keeps ids of (`kept`), from a report of every ETag.
    @Test(arguments: DAVServer.allCases, [1_000, 2])
    func writesUndoneOnTheServerAreSeenByTheNextRun(_ server: DAVServer, kept: Int) async throws {
        let book = try await server.makeBook()
        let outside = URL(string: "outside.vcf", relativeTo: book)!.absoluteURL
        try await server.put(Self.card, at: outside)

        // The run that writes: lists, uploads three cards, edits the outside one.
        let run = connector(server, book, writtenIDsKept: kept)
        let listed = try await run.list(since: .full)
        #expect(run.cursorAfterWrites(listed: listed.cursor) == listed.cursor)
        let dana = try #require(listed.changed.first)
        let uploaded = written(try await run.create((0..<3).map { NewContact(fields: ["email": ["u\($0)@example.com"]]) }))
        let edited = written(try await run.update([
            ContactUpdate(id: dana.id, fields: ["title": ["Director"]], basedOn: dana.version, previous: ["title": ["Agent"]])
        ]))
        #expect(uploaded.count == 3 && edited.count == 1)
        let cursor = try #require(run.cursorAfterWrites(listed: listed.cursor))
        let parsed = CardDAVConnector.ListingCursor(text: cursor)
        #expect(parsed.ctag == nil && (parsed.syncToken == nil) == (kept == 2))
        #expect(parsed.written == (kept == 2 ? nil : (uploaded + edited).map(\.id).sorted()))
        let known = known(uploaded + edited)

        // On the server, someone undoes it all.
        for card in uploaded { try await server.delete(URL(string: card.id, relativeTo: book)!) }
        try await server.put(Self.card, at: outside)

        let next = connector(server, book)
        #expect(try await next.isUnchanged(since: cursor) == false)
        let listing = try await next.list(since: ListingState(cursor: cursor, known: known))
        #expect(listing.deleted == uploaded.map(\.id).sorted())
        #expect(listing.changed.map(\.id) == [dana.id] && listing.changed.first?.fields["title"] == ["Agent"])
        // The check and the listing share one PROPFIND; then the report and the multiget of the
        // reverted card. Xandikos's report from its token before the writes lists nothing (its
        // token is back too): one more multiget asks the written cards' ETags.
        #expect(next.client.requestCount == (server == .xandikos && kept > 2 ? 4 : 3))

        // That run wrote nothing: the one after it is one request again.
        #expect(next.cursorAfterWrites(listed: listing.cursor) == listing.cursor)
        let quiet = connector(server, book)
        #expect(try await quiet.isUnchanged(since: listing.cursor!))
        #expect(quiet.client.requestCount == 1)
    }

    // MARK: - Cards that cannot be read

    /// Xandikos serves what its storage holds; Radicale leaves out a card it cannot parse itself.
    @Test func aGarbledCardIsUnreadableAndTheRestIsListed() async throws {
        let xandikos = XandikosServer.shared
        let book = try await DAVServer.xandikos.makeBook()
        let good = written(try await connector(.xandikos, book).create((0..<2).map { NewContact(fields: ["email": ["g\($0)@example.com"]]) }))
        try xandikos.commitFile("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:garbled\r\nthis line has no colon\r\nEND:VCARD\r\n", name: "garbled.vcf", in: book)
        let garbled = book.path + "/garbled.vcf"

        let listing = try await connector(.xandikos, book).list(since: .full)
        #expect(listing.changed.map(\.id).sorted() == good.map(\.id).sorted())
        #expect(listing.deleted.isEmpty && listing.cursor != nil)
        let unreadable = try #require(listing.unreadable.first)
        #expect(listing.unreadable.count == 1)
        #expect(unreadable.id == garbled && unreadable.location == book.absoluteString + "garbled.vcf")
        #expect(unreadable.reason.contains("malformed vCard line 4"), "\(unreadable.reason)")

        // The next run lists it unreadable again (the state has no version of it), and an
        // update of it fails alone.
        let next = try await connector(.xandikos, book).list(since: ListingState(cursor: listing.cursor, known: known(listing.changed)))
        #expect(next.changed.isEmpty && next.unreadable.map(\.id) == [garbled])
        let results = try await connector(.xandikos, book).update([
            ContactUpdate(id: garbled, fields: ["title": ["X"]]), ContactUpdate(id: good[0].id, fields: ["title": ["Y"]]),
        ])
        guard case .failed(let reason) = results[0], case .written = results[1] else { Issue.record("\(results)"); return }
        #expect(reason.hasPrefix("'\(garbled)' cannot be read: not a valid vCard"))

        // Nothing changed since: the ctag says so in one request, and the card is still unreadable.
        let afterUpdate = try await connector(.xandikos, book).list(since: ListingState(cursor: next.cursor))
        let quiet = connector(.xandikos, book)
        let unchanged = try await quiet.list(since: ListingState(cursor: afterUpdate.cursor))
        #expect(unchanged.changed.isEmpty && unchanged.unreadable.map(\.id) == [garbled] && quiet.client.requestCount == 1)
        // Repaired, it is listed like any other card.
        try xandikos.commitFile("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:garbled\r\nFN:Mended\r\nEND:VCARD\r\n", name: "garbled.vcf", in: book)
        let mended = try await connector(.xandikos, book).list(since: ListingState(cursor: unchanged.cursor))
        #expect(mended.changed.map(\.id) == [garbled] && mended.unreadable.isEmpty)
    }
}
