@testable import AccordConnectors
import CardDAVTestServers
import Foundation
import Testing

/// The contract every connector passes: create, list, incremental listing, update (fields and
/// segments), deletion detection.
struct ConnectorCase: CustomTestStringConvertible, Sendable {
    var name: String
    var make: @Sendable (String) async throws -> any ContactConnector
    /// Deletes a record behind accord's back, as a user of the app would.
    var deleteOutside: @Sendable (any ContactConnector, String, String) async throws -> Void
    /// Whether the connector's cursor is a `ListingDigest` of its ids and versions.
    var hasVersionDigest = false

    var testDescription: String { name }

    static let all: [ConnectorCase] = [
        ConnectorCase(
            name: "in-memory", make: { _ in InMemoryConnector() },
            deleteOutside: { connector, _, id in (connector as! InMemoryConnector).delete(id) }, hasVersionDigest: true),
        ConnectorCase(
            name: "vcard-dir",
            make: { directory in
                try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                return VCardDirectoryConnector(directory: directory)
            },
            // A card accord created is named after its UID, the record's id.
            deleteOutside: { _, directory, id in try FileManager.default.removeItem(atPath: directory + "/" + id + ".vcf") },
            hasVersionDigest: true),
        ConnectorCase(
            name: "csv",
            make: { directory in
                // A missing file is an error, not an empty app: the test starts from a header.
                try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                try "id,email,first_name,last_name,tags\r\n".write(toFile: directory + "/contacts.csv", atomically: true, encoding: .utf8)
                return CSVConnector(path: directory + "/contacts.csv")
            },
            deleteOutside: { connector, _, id in
                let csv = connector as! CSVConnector
                let text = try String(contentsOfFile: csv.path, encoding: .utf8)
                let kept = text.split(separator: "\r\n").filter { !$0.hasPrefix(id + ",") }
                try (kept.joined(separator: "\r\n") + "\r\n").write(toFile: csv.path, atomically: true, encoding: .utf8)
            }),
        ConnectorCase(
            name: "carddav (Radicale)",
            make: { directory in
                let server = RadicaleServer.shared
                let name = (directory as NSString).lastPathComponent
                _ = try? server.makeAddressBook(name)
                return CardDAVConnector(url: server.url, addressBook: name, client: server.client())
            },
            deleteOutside: deleteFromCardDAV),
        ConnectorCase(
            name: "carddav (Xandikos)",
            make: { directory in
                let server = XandikosServer.shared
                let name = (directory as NSString).lastPathComponent
                return CardDAVConnector(url: try await server.makeAddressBook(name), addressBook: nil, client: server.client())
            },
            deleteOutside: deleteFromCardDAV),
    ]

    /// Deletes a card as another client of the server would.
    static let deleteFromCardDAV: @Sendable (any ContactConnector, String, String) async throws -> Void = { connector, _, id in
        let carddav = connector as! CardDAVConnector
        let book = try await carddav.addressBook()
        let response = try await carddav.client.send(HTTPRequest("DELETE", URL(string: id, relativeTo: book.url)!))
        #expect(response.isSuccess)
    }
}

func temporaryDirectory() -> String {
    NSTemporaryDirectory() + "accord-connector-" + UUID().uuidString
}

@Suite struct ConnectorConformanceTests {
    /// Field names the local schemas share for these tests.
    func fields(_ connector: ConnectorCase, email: String, first: String) -> [String: [String]] {
        switch connector.name {
        case "vcard-dir", "carddav (Radicale)", "carddav (Xandikos)": ["email": [email], "given_name": [first], "family_name": ["Example"]]
        default: ["email": [email], "first_name": [first], "last_name": ["Example"]]
        }
    }

    func firstNameField(_ connector: ConnectorCase) -> String { connector.name.hasPrefix("vcard") || connector.name.hasPrefix("carddav") ? "given_name" : "first_name" }

    /// Connectors may spread a batch over several cores; results still come back in input order.
    @Test(arguments: ConnectorCase.all)
    func largeBatchesKeepTheirOrder(_ kind: ConnectorCase) async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let connector = try await kind.make(directory)
        let emails = (0..<300).map { "person\($0)@example.com" }
        let created = try await connector.create(emails.map { NewContact(fields: fields(kind, email: $0, first: "P")) })
        let records = created.compactMap { if case .written(let record) = $0 { record } else { nil } }
        #expect(records.map { $0.fields["email"]?.first } == emails)
        let updates = records.enumerated().map { ContactUpdate(id: $0.element.id, fields: [firstNameField(kind): ["N\($0.offset)"]]) }
        let updated = try await connector.update(updates)
        let updatedIDs: [String?] = updated.map { if case .written(let record) = $0 { record.id } else { nil } }
        #expect(updatedIDs == records.map(\.id), "\(Set(updated.compactMap { if case .failed(let reason) = $0 { reason } else { nil } }))")
        let listed = try await connector.list(since: .full).changed
        #expect(listed.count == 300)
        let firstNames = Dictionary(uniqueKeysWithValues: listed.map { ($0.fields["email"]![0], $0.fields[firstNameField(kind)]![0]) })
        #expect(emails.indices.allSatisfy { firstNames[emails[$0]] == "N\($0)" })
    }

    @Test(arguments: ConnectorCase.all)
    func createListUpdateAndDetectDeletions(_ kind: ConnectorCase) async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let connector = try await kind.make(directory)

        // Create two.
        let created = try await connector.create([
            NewContact(fields: fields(kind, email: "ann@example.com", first: "Ann"), segments: ["tag": ["customer"]]),
            NewContact(fields: fields(kind, email: "bob@example.com", first: "Bob")),
        ])
        let records = created.compactMap { if case .written(let record) = $0 { record } else { nil } }
        try #require(records.count == 2)
        #expect(records[0].fields["email"] == ["ann@example.com"])
        #expect(records[0].segments["tag"] == ["customer"])

        // A full listing returns both, with versions.
        let full = try await connector.list(since: .full)
        #expect(Set(full.changed.map(\.id)) == Set(records.map(\.id)))
        #expect(full.changed.allSatisfy { $0.version != nil })
        let known = Dictionary(uniqueKeysWithValues: full.changed.map { ($0.id, $0.version!) })

        // Nothing changed: nothing listed.
        let quiet = try await connector.list(since: ListingState(cursor: full.cursor, known: known))
        #expect(quiet.changed.isEmpty && quiet.deleted.isEmpty)

        // Update one: field and segments; the other field stays.
        let ann = records[0].id
        let updated = try await connector.update([
            ContactUpdate(id: ann, fields: [firstNameField(kind): ["Anna"]], addSegments: ["tag": ["vip"]], removeSegments: ["tag": ["customer"]])
        ])
        guard case .written(let annNow) = try #require(updated.first) else {
            Issue.record("update failed: \(updated)")
            return
        }
        #expect(annNow.fields[firstNameField(kind)] == ["Anna"])
        #expect(annNow.fields["email"] == ["ann@example.com"])
        #expect(annNow.segments["tag"] == ["vip"])
        let afterUpdate = try await connector.list(since: ListingState(cursor: full.cursor, known: known))
        #expect(afterUpdate.changed.map(\.id) == [ann])

        // Deleted behind accord's back: reported as deleted.
        try await kind.deleteOutside(connector, directory, records[1].id)
        let afterDelete = try await connector.list(since: ListingState(cursor: afterUpdate.cursor, known: known))
        #expect(afterDelete.deleted == [records[1].id])

        // Updating a record that is gone fails for that record only.
        let missing = try await connector.update([ContactUpdate(id: records[1].id, fields: ["email": ["x@example.com"]])])
        if case .written = try #require(missing.first) { Issue.record("update of a missing record succeeded") }
    }

    /// A connector whose cursor is the digest of its ids and versions finds itself unchanged
    /// from that digest, and changed after any write or outside deletion.
    @Test(arguments: ConnectorCase.all.filter(\.hasVersionDigest))
    func aVersionDigestShowsEveryChange(_ kind: ConnectorCase) async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let connector = try await kind.make(directory)
        #expect(connector.cursorIsVersionDigest)
        func digest() async throws -> String {
            var digest = ListingDigest()
            for record in try await connector.list(since: .full).changed { digest.insert(version: try #require(record.version)) }
            return digest.cursor
        }
        _ = try await connector.create([NewContact(fields: fields(kind, email: "ann@example.com", first: "Ann"))])
        let first = try await digest()
        #expect(try await connector.isUnchanged(since: first))

        let created = try await connector.create([NewContact(fields: fields(kind, email: "bob@example.com", first: "Bob"))])
        #expect(try await connector.isUnchanged(since: first) == false)
        let second = try await digest()
        #expect(try await connector.isUnchanged(since: second))

        guard case .written(let bob) = try #require(created.first) else { return }
        _ = try await connector.update([ContactUpdate(id: bob.id, fields: [firstNameField(kind): ["Robert"]])])
        #expect(try await connector.isUnchanged(since: second) == false)
        let third = try await digest()
        try await kind.deleteOutside(connector, directory, bob.id)
        #expect(try await connector.isUnchanged(since: third) == false)
        #expect(try await connector.isUnchanged(since: "not a digest") == false)
    }
}
