@testable import AccordConnectors
import Foundation
import Testing

/// `vcard-dir` against a file edited by someone else between accord's listing and its update.
@Suite struct VCardDirectoryTests {
    /// A folder with one card, the connector, and the card as listed; then the card's title is
    /// edited outside accord.
    func cardEditedAfterListing() async throws -> (VCardDirectoryConnector, ContactRecord, String) {
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/dana.vcf"
        let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:dana\r\nFN:Dana Scully\r\nN:Scully;Dana;;;\r\nEMAIL:dana@example.com\r\nTITLE:Agent\r\nEND:VCARD\r\n"
        try card.write(toFile: path, atomically: true, encoding: .utf8)
        let connector = VCardDirectoryConnector(directory: directory)
        let listed = try #require(try await connector.list(since: .full).changed.first)
        // Another program rewrites the file (a different size, so the version moves for sure).
        try card.replacingOccurrences(of: "TITLE:Agent", with: "TITLE:Director").write(toFile: path, atomically: true, encoding: .utf8)
        return (connector, listed, directory)
    }

    @Test func anEditOfAnotherFieldIsKeptAndTheRecordComesBackWithoutAVersion() async throws {
        let (connector, listed, directory) = try await cardEditedAfterListing()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await connector.update([
            ContactUpdate(id: listed.id, fields: ["given_name": ["Dana K."]], basedOn: listed.version, previous: ["given_name": ["Dana"]])
        ])
        guard case .written(let record) = try #require(result.first) else { Issue.record("\(result)"); return }
        #expect(record.version == nil && record.fields["title"] == ["Director"] && record.fields["given_name"] == ["Dana K."])
        let text = try String(contentsOfFile: directory + "/" + listed.id, encoding: .utf8)
        #expect(text.contains("TITLE:Director") && text.contains("N:Scully;Dana K.;;;"))
    }

    @Test func anEditOfTheSameFieldIsNotOverwritten() async throws {
        let (connector, listed, directory) = try await cardEditedAfterListing()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await connector.update([
            ContactUpdate(id: listed.id, fields: ["title": ["Special Agent"]], basedOn: listed.version, previous: ["title": ["Agent"]])
        ])
        #expect(result == [.failed(reason: "'title' was edited in 'dana.vcf' during the run; the next run merges it")])
        #expect(try String(contentsOfFile: directory + "/" + listed.id, encoding: .utf8).contains("TITLE:Director"))
    }

    @Test func anUpdateOfAnUneditedCardKeepsItsVersion() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let connector = VCardDirectoryConnector(directory: directory)
        guard case .written(let created) = try #require(try await connector.create([NewContact(fields: ["email": ["ann@example.com"]])]).first) else { return }
        let result = try await connector.update([ContactUpdate(id: created.id, fields: ["title": ["CTO"]], basedOn: created.version, previous: [:])])
        guard case .written(let record) = try #require(result.first) else { Issue.record("\(result)"); return }
        #expect(record.version != nil && record.version != created.version)
    }

    /// A full listing reads every card without a stat of its own: a link to a card counts, a
    /// folder or hidden file named like one does not, and each version is the file's as read.
    @Test(arguments: [false, true]) func aListingFindsCardsAndLinksToCardsOnly(incremental: Bool) async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/folder.vcf", withIntermediateDirectories: true)
        let card = { (uid: String) in "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:\(uid)\r\nFN:\(uid)\r\nEMAIL:\(uid)@example.com\r\nEND:VCARD\r\n" }
        try card("ann").write(toFile: directory + "/ann.vcf", atomically: false, encoding: .utf8)
        try card("hidden").write(toFile: directory + "/.hidden.vcf", atomically: false, encoding: .utf8)
        try card("bob").write(toFile: directory + "/folder.vcf/bob.vcf", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: directory + "/bob.vcf", withDestinationPath: "folder.vcf/bob.vcf")
        try FileManager.default.createSymbolicLink(atPath: directory + "/dangling.vcf", withDestinationPath: "nowhere.vcf")
        // Incremental: one card known with another version, so every card is listed again.
        let state = incremental ? ListingState(known: ["ann.vcf": "0-0"]) : .full
        let listing = try await VCardDirectoryConnector(directory: directory).list(since: state)
        #expect(listing.changed.map(\.id) == ["ann.vcf", "bob.vcf"])
        #expect(listing.changed.map(\.version) == [try FileVersion.of(path: directory + "/ann.vcf"), try FileVersion.of(path: directory + "/bob.vcf")])
        #expect(listing.deleted.isEmpty)
    }
}

/// `AtomicFile`: a new file appears whole under its name or not at all, and never replaces one.
@Suite struct AtomicFileTests {
    @Test func aCreatedFileHasItsTextAndVersionAndLeavesNothingElse() throws {
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/new.vcf"
        let version = try AtomicFile.create(Array("BEGIN:VCARD\r\nEND:VCARD\r\n".utf8), at: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "BEGIN:VCARD\r\nEND:VCARD\r\n")
        #expect(try FileVersion.of(path: path) == version)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["new.vcf"])
    }

    @Test func aCreateDoesNotReplaceAFileOfThatName() throws {
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/taken.vcf"
        try "old".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(throws: ConnectorError.self) { try AtomicFile.create(Array("new".utf8), at: path) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["taken.vcf"])
    }

    @Test func aCreateInAMissingDirectoryFailsWithItsPath() throws {
        let path = temporaryDirectory() + "/missing.vcf"
        let error = #expect(throws: ConnectorError.self) { try AtomicFile.create(Array("text".utf8), at: path) }
        #expect(error?.description.contains(path) == true)
    }
}

@Suite struct TimeOrderedUUIDTests {
    @Test func idsAreVersion7UUIDsThatIncrease() throws {
        let ids = (0..<1000).map { _ in TimeOrderedUUID.next() }
        #expect(ids == ids.sorted() && Set(ids).count == ids.count)
        for id in ids {
            let uuid = try #require(UUID(uuidString: id))
            #expect(uuid.uuidString.lowercased() == id)
            #expect(id.utf8.count == 36 && Array(id)[14] == "7" && "89ab".contains(Array(id)[19]))
        }
        // The first 48 bits are the time in milliseconds.
        let milliseconds = try #require(UInt64(ids[0].prefix(8) + ids[0].dropFirst(9).prefix(4), radix: 16))
        #expect(abs(Double(milliseconds) / 1000 - Date().timeIntervalSince1970) < 60)
    }

    @Test func theFormatPlacesEveryDigit() {
        #expect(TimeOrderedUUID.format(0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210) == "01234567-89ab-cdef-fedc-ba9876543210")
    }
}
