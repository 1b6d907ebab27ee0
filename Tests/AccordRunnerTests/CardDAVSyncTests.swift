@testable import AccordConnectors
import AccordPlan
import AccordRunner
import AccordStore
import Foundation
import Synchronization
import CardDAVTestServers
import Testing

/// A local app on the other side of a CardDAV address book, with its field names.
struct LocalApp: CustomTestStringConvertible, Sendable {
    var app: String
    var first: String
    var last: String
    var company: String

    var testDescription: String { app }

    static let all = [
        LocalApp(app: "vcard-dir", first: "given_name", last: "family_name", company: "org"),
        LocalApp(app: "csv", first: "first_name", last: "last_name", company: "company"),
    ]

    func connector(_ directory: String) throws -> any ContactConnector {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard app == "csv" else { return VCardDirectoryConnector(directory: directory) }
        // A missing file is an error, not an app without contacts: the test starts from a header.
        if !FileManager.default.fileExists(atPath: directory + "/contacts.csv") {
            try "id,email,tags\r\n".write(toFile: directory + "/contacts.csv", atomically: true, encoding: .utf8)
        }
        return CSVConnector(path: directory + "/contacts.csv")
    }

    /// Deletes a record as a user of the app would.
    func delete(_ id: String, from connector: any ContactConnector, directory: String) throws {
        if let csv = connector as? CSVConnector {
            let text = try String(contentsOfFile: csv.path, encoding: .utf8)
            let kept = text.split(separator: "\r\n").filter { !$0.hasPrefix(id + ",") }
            try (kept.joined(separator: "\r\n") + "\r\n").write(toFile: csv.path, atomically: true, encoding: .utf8)
        } else {
            try FileManager.default.removeItem(atPath: directory + "/" + id + ".vcf")  // a card accord made is named after its UID
        }
    }
}

/// A real CardDAV server with a fresh address book.
enum CardDAVServer: String, CustomTestStringConvertible, Sendable, CaseIterable {
    case radicale = "Radicale", xandikos = "Xandikos"

    var testDescription: String { rawValue }

    /// A new address book's URL and a client for it.
    func makeAddressBook() async throws -> (url: URL, client: @Sendable () -> HTTPClient) {
        let name = "sync-" + UUID().uuidString.prefix(8).lowercased()
        switch self {
        case .radicale:
            let server = RadicaleServer.shared
            return (try server.makeAddressBook(name), { server.client() })
        case .xandikos:
            let server = XandikosServer.shared
            return (try await server.makeAddressBook(name), { server.client() })
        }
    }
}

/// Two-way sync between a real CardDAV address book (a) and a local app (b), through the
/// runner: creates both ways, updates both ways, conflicts, tags driving rules and actions,
/// deletion markers, and a second run that writes nothing.
@Suite struct CardDAVSyncTests {

    func syncPlan(_ local: LocalApp) throws -> SyncPlan {
        try plan(
            """
            sync_deletions: {enabled: true, marker: Accord Trash}
            rules:
              a-to-b:
                - if: [{has_tag: customer}]
                  then: [{add_tag: from-carddav}]
                - if: [{has_not_tag: customer}]
              b-to-a:
                - if: [{has_not_tag: private}]
                  then: [{add_tag: from-\(local.app)}]
            """,
            winner: "a",
            apps: """
              a:
                app: carddav
                auth: {username: alice, password: {env: CARDDAV_PASSWORD}}
                settings: {url: "http://127.0.0.1/"}
              b: {app: \(local.app), settings: {path: local}}
            """)
    }

    /// The records with an email, by email; an email there twice fails the test.
    func records(_ connector: any ContactConnector) async throws -> [String: ContactRecord] {
        let listed = try await connector.list(since: .full).changed
        var byEmail: [String: ContactRecord] = [:]
        for record in listed {
            // The contact without email stays where it is: excluded, never synced.
            guard let email = record.fields["email"]?.first else { continue }
            #expect(byEmail[email] == nil, "\(email) is there twice")
            byEmail[email] = record
        }
        return byEmail
    }

    @Test(arguments: CardDAVServer.allCases, LocalApp.all)
    func twoWaySyncWithEverySemantic(_ server: CardDAVServer, _ local: LocalApp) async throws {
        let (bookURL, client) = try await server.makeAddressBook()
        let directory = NSTemporaryDirectory() + "accord-carddav-sync-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Each run gets new connectors, as each `accord run` does.
        func carddav() -> CardDAVConnector { CardDAVConnector(url: bookURL, addressBook: nil, client: client()) }
        let localApp = try local.connector(directory + "/local")
        let store = try StateStore()
        let plan = try syncPlan(local)
        func run() async throws -> RunReport { try await Runner(plan: plan, a: carddav(), b: localApp, store: store).run() }

        // The address book: Ann (a customer), Bob; the local app: Cid, Bob under another name, and someone without email.
        let outside = carddav()
        _ = try await outside.create([
            NewContact(fields: ["email": ["ann@example.com"], "given_name": ["Ann"], "family_name": ["Lee"], "title": ["CTO"]], segments: ["tag": ["customer"]]),
            NewContact(fields: ["email": ["bob@example.com"], "given_name": ["Bob"], "family_name": ["Ray"]]),
        ])
        _ = try await localApp.create([
            NewContact(fields: ["email": ["cid@example.com"], local.first: ["Cid"], local.last: ["Moe"], local.company: ["Acme"]]),
            NewContact(fields: ["email": ["bob@example.com"], local.first: ["Bob"], local.last: ["Rayburn"]]),
            NewContact(fields: [local.first: ["Nomail"]]),
        ])

        // First run: creates both ways, the winner (the address book) settles Bob's name, tags flow through rules.
        let first = try await run()
        #expect(first.counts.created_a_to_b == 1 && first.counts.created_b_to_a == 1)
        #expect(first.counts.conflicts_resolved == 1 && first.counts.excluded == 1)
        var book = try await records(carddav())
        var here = try await records(localApp)
        #expect(Set(book.keys) == ["ann@example.com", "bob@example.com", "cid@example.com"])
        #expect(Set(here.keys) == ["ann@example.com", "bob@example.com", "cid@example.com"])
        #expect(here["ann@example.com"]?.fields[local.first] == ["Ann"] && here["ann@example.com"]?.segments["tag"]?.contains("from-carddav") == true)
        #expect(here["bob@example.com"]?.fields[local.last] == ["Ray"])
        #expect(book["cid@example.com"]?.fields["org"] == ["Acme"] && book["cid@example.com"]?.segments["tag"]?.contains("from-\(local.app)") == true)

        // Nothing changed: nothing written.
        let quiet = try await run()
        #expect(quiet.counts.created_a_to_b + quiet.counts.created_b_to_a + quiet.counts.updated_a_to_b + quiet.counts.updated_b_to_a == 0)

        // Updates both ways, and a conflict on Bob's family name that the address book wins.
        _ = try await outside.update([
            ContactUpdate(id: book["ann@example.com"]!.id, fields: ["family_name": ["Lee-Smith"]]),
            ContactUpdate(id: book["bob@example.com"]!.id, fields: ["family_name": ["Ray (book)"]]),
        ])
        _ = try await localApp.update([
            ContactUpdate(id: here["cid@example.com"]!.id, fields: [local.company: ["Acme GmbH"]]),
            ContactUpdate(id: here["bob@example.com"]!.id, fields: [local.last: ["Ray (local)"]]),
        ])
        let third = try await run()
        #expect(third.counts.conflicts_resolved == 1)
        book = try await records(carddav())
        here = try await records(localApp)
        #expect(here["ann@example.com"]?.fields[local.last] == ["Lee-Smith"])
        #expect(book["cid@example.com"]?.fields["org"] == ["Acme GmbH"])
        #expect(book["bob@example.com"]?.fields["family_name"] == ["Ray (book)"] && here["bob@example.com"]?.fields[local.last] == ["Ray (book)"])

        // Deletions on either side become markers on the other; nothing is re-created or deleted.
        let cidInBook = book["cid@example.com"]!.id
        let deleted = try await client().send(HTTPRequest("DELETE", URL(string: cidInBook, relativeTo: bookURL)!))
        #expect(deleted.isSuccess)
        try local.delete(here["ann@example.com"]!.id, from: localApp, directory: directory + "/local")
        _ = try await run()
        book = try await records(carddav())
        here = try await records(localApp)
        #expect(Set(book.keys) == ["ann@example.com", "bob@example.com"])
        #expect(Set(here.keys) == ["bob@example.com", "cid@example.com"])
        #expect(here["cid@example.com"]?.segments["tag"]?.contains("Accord Trash") == true)
        #expect(book["ann@example.com"]?.segments["tag"]?.contains("Accord Trash") == true)

        // And then it is quiet again.
        let last = try await run()
        #expect(last.counts.created_a_to_b + last.counts.created_b_to_a + last.counts.updated_a_to_b + last.counts.updated_b_to_a == 0)

        // The run after a quiet one finds the address book's ctag and the folder's digest (or the
        // csv file's size and modification time) as they were, and stops before loading anything.
        let skipped = try await run()
        #expect(skipped.unchanged)
        // An edit on the server is seen by the next run all the same.
        _ = try await outside.update([ContactUpdate(id: book["bob@example.com"]!.id, fields: ["family_name": ["Ray (edited)"]])])
        let edited = try await run()
        #expect(!edited.unchanged && edited.counts.updated_a_to_b == 1)
        #expect(try await records(localApp)["bob@example.com"]?.fields[local.last] == ["Ray (edited)"])
    }

    /// An edit made in the address book while accord writes the same card is kept there by the
    /// re-merge, and the next run syncs it to the other app instead of taking it as in sync.
    @Test func anEditMadeDuringTheRunIsSyncedByTheNextRun() async throws {
        let (bookURL, client) = try await CardDAVServer.radicale.makeAddressBook()
        let directory = NSTemporaryDirectory() + "accord-carddav-race-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let local = LocalApp.all[0]
        let localApp = try local.connector(directory + "/local")
        let store = try StateStore()
        let plan = try syncPlan(local)
        let edited = Mutex(false)
        func carddav(editingDuringUpdate: Bool = false) -> CardDAVConnector {
            CardDAVConnector(url: bookURL, addressBook: nil, client: client(), batchSize: 100) { id in
                guard editingDuringUpdate, !edited.withLock({ $0 }) else { return }
                edited.withLock { $0 = true }
                // Another client sets a title on the card between accord's read and its PUT.
                let url = URL(string: id, relativeTo: bookURL)!
                let card = try await client().send(HTTPRequest("GET", url))
                let text = String(decoding: card.body, as: UTF8.self).replacingOccurrences(of: "END:VCARD", with: "TITLE:Director\r\nEND:VCARD")
                let put = try await client().send(HTTPRequest("PUT", url, headers: ["Content-Type": "text/vcard"], body: Data(text.utf8)))
                #expect(put.isSuccess)
            }
        }
        let ann = try #require(created(try await localApp.create([NewContact(fields: ["email": ["ann@example.com"], local.first: ["Ann"]])])).first)
        _ = try await Runner(plan: plan, a: carddav(), b: localApp, store: store).run()

        _ = try await localApp.update([ContactUpdate(id: ann.id, fields: [local.first: ["Anna"]])])
        let racing = try await Runner(plan: plan, a: carddav(editingDuringUpdate: true), b: localApp, store: store).run()
        #expect(racing.counts.updated_b_to_a == 1 && edited.withLock { $0 })
        let book = try await records(carddav())
        #expect(book["ann@example.com"]?.fields["given_name"] == ["Anna"] && book["ann@example.com"]?.fields["title"] == ["Director"])

        let next = try await Runner(plan: plan, a: carddav(), b: localApp, store: store).run()
        #expect(next.counts.updated_a_to_b == 1)
        #expect(try await records(localApp)["ann@example.com"]?.fields["title"] == ["Director"])
    }

    func created(_ results: [WriteResult]) -> [ContactRecord] {
        results.compactMap { if case .written(let record) = $0 { record } else { nil } }
    }
}
