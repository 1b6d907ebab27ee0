@testable import AccordConnectors
import Foundation
import Testing

/// `vcard-dir` against what users and other programs do to a folder of cards.
@Suite struct VCardDirectoryTests {
    // MARK: - Edits during a run

    /// A folder with one card, the connector, and the card as listed; then the card's title is
    /// edited outside accord.
    func cardEditedAfterListing() async throws -> (VCardDirectoryConnector, ContactRecord, TemporaryFolder) {
        let folder = try TemporaryFolder()
        let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:dana\r\nFN:Dana Scully\r\nN:Scully;Dana;;;\r\nEMAIL:dana@example.com\r\nTITLE:Agent\r\nEND:VCARD\r\n"
        try folder.write(card, to: "dana.vcf")
        let connector = VCardDirectoryConnector(directory: folder.path)
        let listed = try #require(try await connector.list(since: .full).changed.first)
        // Another program rewrites the file (a different size, so the version moves for sure).
        try card.replacingOccurrences(of: "TITLE:Agent", with: "TITLE:Director").write(toFile: folder.path + "/dana.vcf", atomically: true, encoding: .utf8)
        return (connector, listed, folder)
    }

    @Test func anEditOfAnotherFieldIsKeptAndTheRecordComesBackWithoutAVersion() async throws {
        let (connector, listed, folder) = try await cardEditedAfterListing()
        defer { folder.remove() }
        #expect(listed.id == "dana")
        let result = try await connector.update([
            ContactUpdate(id: listed.id, fields: ["given_name": ["Dana K."]], basedOn: listed.version, previous: ["given_name": ["Dana"]])
        ])
        let record = try #require(result.first?.record, "\(result)")
        #expect(record.version == nil && record.fields["title"] == ["Director"] && record.fields["given_name"] == ["Dana K."])
        let text = try folder.text("dana.vcf")
        #expect(text.contains("TITLE:Director") && text.contains("N:Scully;Dana K.;;;"))
    }

    @Test func anEditOfTheSameFieldIsNotOverwritten() async throws {
        let (connector, listed, folder) = try await cardEditedAfterListing()
        defer { folder.remove() }
        let result = try await connector.update([
            ContactUpdate(id: listed.id, fields: ["title": ["Special Agent"]], basedOn: listed.version, previous: ["title": ["Agent"]])
        ])
        #expect(result == [.changedDuringRun(reason: "'title' was edited in 'dana.vcf' during the run; the next run merges it")])
        #expect(try folder.text("dana.vcf").contains("TITLE:Director"))
    }

    /// An editor that saves by writing a new file and renaming it over the card, with the same
    /// size and modification time: the inode in the version still tells.
    @Test func aCardReplacedByARenameSinceTheListingIsNotOverwritten() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try folder.write(vCard(uid: "eve", name: "Eve", extra: ["TITLE:Aaaa"]), to: "eve.vcf")
        let connector = VCardDirectoryConnector(directory: folder.path)
        let listed = try #require(try await connector.list(since: .full).changed.first)
        var before = stat()
        stat(path, &before)
        let replacement = try folder.write(vCard(uid: "eve", name: "Eve", extra: ["TITLE:Bbbb"]), to: "eve.vcf.new")
        var times = [before.st_atim, before.st_mtim]
        utimensat(AT_FDCWD, replacement, &times, 0)
        rename(replacement, path)
        let result = try await connector.update([
            ContactUpdate(id: "eve", fields: ["title": ["Cccc"]], basedOn: listed.version, previous: ["title": ["Aaaa"]])
        ])
        #expect(result.first?.failure?.contains("'title' was edited in 'eve.vcf'") == true, "\(result)")
        #expect(try folder.text("eve.vcf").contains("TITLE:Bbbb"))
    }

    @Test func anUpdateOfAnUneditedCardKeepsItsVersion() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let connector = VCardDirectoryConnector(directory: folder.path)
        let created = try #require(try await connector.create([NewContact(fields: ["email": ["ann@example.com"]])]).first?.record)
        let result = try await connector.update([ContactUpdate(id: created.id, fields: ["title": ["CTO"]], basedOn: created.version, previous: [:])])
        let record = try #require(result.first?.record, "\(result)")
        #expect(record.version != nil && record.version != created.version)
        // The version is the one a listing gives.
        #expect(try await connector.list(since: .full).changed.first?.version == record.version)
    }

    // MARK: - Identity

    /// A created card is named after its UID, the correlation id, which is its record's id.
    @Test func aCreatedCardIsKnownByItsCorrelationID() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let connector = VCardDirectoryConnector(directory: folder.path)
        let contact = NewContact(fields: ["email": ["ann@example.com"]])
        let created = try #require(try await connector.create([contact]).first?.record)
        #expect(created.id == contact.correlationID && connector.recordID(forCorrelation: contact.correlationID) == created.id)
        #expect(try folder.names() == [contact.correlationID + ".vcf"])
        #expect(try await connector.list(since: .full).changedIDs == [created.id])
        // A second create with that id does not replace the card.
        let again = try await connector.create([contact])
        #expect(again.first?.failure?.contains("exists already") == true, "\(again)")
    }

    /// Renaming a card's file, or deleting it and restoring it from a backup, keeps its id: the
    /// listing reports it changed (its version moved), never deleted and new.
    @Test(arguments: ["rename", "restore", "swap"])
    func whatUsersDoToFilesKeepsTheID(_ action: String) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write(vCard(uid: "urn:uuid:ann-1", name: "Ann", email: "ann@example.com"), to: "ann.vcf")
        try folder.write(vCard(uid: "bob-2", name: "Bob", email: "bob@example.com"), to: "bob.vcf")
        let connector = VCardDirectoryConnector(directory: folder.path)
        let first = try await connector.list(since: .full)
        #expect(first.changedIDs == ["urn:uuid:ann-1", "bob-2"])
        var known = first.known()
        switch action {
        case "rename":
            rename(folder.path + "/ann.vcf", folder.path + "/Ann Example.vcf")
        case "restore":
            let backup = try folder.read("ann.vcf")
            unlink(folder.path + "/ann.vcf")
            let gone = try await connector.list(since: ListingState(known: known))
            #expect(gone.deleted == ["urn:uuid:ann-1"])
            known = gone.known(after: known)
            try folder.write(backup, to: "ann.vcf")
        default:  // the two files swap names
            rename(folder.path + "/ann.vcf", folder.path + "/tmp")
            rename(folder.path + "/bob.vcf", folder.path + "/ann.vcf")
            rename(folder.path + "/tmp", folder.path + "/bob.vcf")
        }
        let after = try await connector.list(since: ListingState(known: known))
        #expect(after.deleted.isEmpty && after.unreadable.isEmpty)
        #expect(Set(after.changedIDs) == (action == "swap" ? ["urn:uuid:ann-1", "bob-2"] : ["urn:uuid:ann-1"]))
        let ann = try #require(after.changed.first { $0.id == "urn:uuid:ann-1" })
        #expect(ann.fields["email"] == ["ann@example.com"])
        // An update finds the card in its new file.
        let result = try await connector.update([ContactUpdate(id: ann.id, fields: ["title": ["CEO"]], basedOn: ann.version)])
        #expect(result.first?.record != nil, "\(result)")
        let file = try #require(try folder.names().first { try folder.text($0).contains("UID:urn:uuid:ann-1") })
        #expect(try folder.text(file).contains("TITLE:CEO"))
        let quiet = try await connector.list(since: ListingState(known: after.known(after: known).merging([ann.id: result[0].record!.version!]) { $1 }))
        #expect(quiet.changed.isEmpty && quiet.deleted.isEmpty)
    }

    /// A card without a UID is known by its file name.
    @Test func aCardWithoutAUIDIsKnownByItsFileName() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write(vCard(uid: nil, name: "Cy", email: "cy@example.com"), to: "cy.vcf")
        try folder.write(vCard(uid: "  ", name: "Di"), to: "di.vcf")
        let connector = VCardDirectoryConnector(directory: folder.path)
        let listing = try await connector.list(since: .full)
        #expect(listing.changedIDs == ["cy.vcf", "di.vcf"])
        let result = try await connector.update([ContactUpdate(id: "cy.vcf", fields: ["title": ["CFO"]])])
        #expect(result.first?.record?.id == "cy.vcf", "\(result)")
        #expect(try folder.text("cy.vcf").contains("TITLE:CFO") && !(try folder.text("cy.vcf").contains("UID")))
    }

    /// Two files with one UID are both unreadable, each naming the other; the record they both
    /// claim is not deleted, on a first listing and when one of them was known.
    @Test(arguments: [false, true]) func twoFilesWithOneUIDAreBothUnreadable(oneKnown: Bool) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write(vCard(uid: "same", name: "Ann"), to: "ann.vcf")
        try folder.write(vCard(uid: "other", name: "Bob"), to: "bob.vcf")
        let connector = VCardDirectoryConnector(directory: folder.path)
        var known: [String: String] = [:]
        if oneKnown { known = try await connector.list(since: .full).known() }
        try folder.write(vCard(uid: "same", name: "Ann (copy)"), to: "copy of ann.vcf")
        let listing = try await connector.list(since: ListingState(known: known))
        #expect(listing.changed.allSatisfy { $0.id == "other" } && listing.deleted.isEmpty)
        #expect(listing.unreadable.map(\.location) == [folder.path + "/ann.vcf", folder.path + "/copy of ann.vcf"])
        #expect(listing.unreadableIDs == (oneKnown ? ["same", "copy of ann.vcf"] : ["ann.vcf", "copy of ann.vcf"]))
        #expect(listing.unreadable[0].reason.contains("has the UID 'same', as does 'copy of ann.vcf'"))
        #expect(listing.unreadable[1].reason.contains("as does 'ann.vcf'"))
    }

    // MARK: - Cards that cannot be read

    /// Each kind of card that cannot be read is one unreadable record, with a reason, under the
    /// id the state knew for its file (else its file name); the listing goes on, and the record
    /// is not deleted.
    @Test(arguments: UnreadableCard.all)
    func aCardThatCannotBeReadIsOneUnreadableRecord(_ card: UnreadableCard) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write(vCard(uid: "fine", name: "Fine"), to: "fine.vcf")
        try folder.write(vCard(uid: "bad", name: "Bad"), to: "bad.vcf")
        var settings = VCardDirectoryConnector.Settings()
        settings.maxCardSize = 1 << 20
        let connector = VCardDirectoryConnector(directory: SourcePath(folder.path), settings: settings)
        let known = try await connector.list(since: .full).known()
        #expect(known.count == 2)
        try card.damage(folder.path + "/bad.vcf", folder)
        for state in [ListingState.full, ListingState(known: known)] {
            let listing = try await connector.list(since: state)
            #expect(listing.changedIDs == (state.known.isEmpty ? ["fine"] : []))
            #expect(listing.deleted.isEmpty)
            let unreadable = try #require(listing.unreadable.first)
            #expect(listing.unreadable.count == 1)
            #expect(unreadable.id == (state.known.isEmpty ? card.firstListingID : "bad"))
            #expect(unreadable.location == folder.path + "/bad.vcf")
            #expect(unreadable.reason.contains(card.reason), "\(unreadable.reason)")
        }
        // An update of it fails that record only.
        let results = try await connector.update([
            ContactUpdate(id: "bad", fields: ["title": ["X"]], basedOn: known["bad"]), ContactUpdate(id: "fine", fields: ["title": ["Y"]], basedOn: known["fine"]),
        ])
        #expect(results[0].failure != nil && results[1].record != nil, "\(results)")
    }

    struct UnreadableCard: CustomTestStringConvertible, Sendable {
        var testDescription: String
        /// Part of the reason the listing gives.
        var reason: String
        /// The id on a listing with nothing known: the UID read out of what could be read, else the file name.
        var firstListingID = "bad.vcf"
        var damage: @Sendable (String, TemporaryFolder) throws -> Void

        static let all: [UnreadableCard] = [
            UnreadableCard(testDescription: "truncated", reason: "is not a valid vCard: not a vCard: END:VCARD is missing") { path, _ in
                try "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bad\r\nFN:Ba".write(toFile: path, atomically: true, encoding: .utf8)
            },
            UnreadableCard(testDescription: "garbled", reason: "is not a valid vCard: not a vCard: it does not start with BEGIN:VCARD") { path, _ in
                try "\u{1}\u{2}garbage\nUID:bad\n".write(toFile: path, atomically: true, encoding: .utf8)
            },
            UnreadableCard(testDescription: "latin-1", reason: "the value of FN is not valid UTF-8 (byte 0xE9") { path, _ in
                try Data(Array("BEGIN:VCARD\r\nVERSION:2.1\r\nUID:bad\r\nFN:Ren".utf8) + [0xE9] + Array("\r\nEND:VCARD\r\n".utf8)).write(to: URL(fileURLWithPath: path))
            },
            // A sparse file: the limit is checked before anything is read.
            UnreadableCard(testDescription: "over the size limit", reason: "is 3 MB, over the limit of 1 MB for one card (setting max_card_mb)") { path, _ in
                let descriptor = open(path, O_WRONLY)
                defer { close(descriptor) }
                ftruncate(descriptor, 3 << 20)
            },
            UnreadableCard(testDescription: "dangling link", reason: "is a symbolic link to 'nowhere.vcf', which does not exist") { path, _ in
                unlink(path)
                symlink("nowhere.vcf", path)
            },
            UnreadableCard(testDescription: "link out of the folder", reason: "is a symbolic link to '/", firstListingID: "bad.vcf") { path, folder in
                try vCard(uid: "bad", name: "Bad").write(toFile: folder.outside("bad.vcf"), atomically: true, encoding: .utf8)
                unlink(path)
                symlink(folder.outside("bad.vcf"), path)
            },
            UnreadableCard(testDescription: "link out by ..", reason: "is a symbolic link to '../bad.vcf', outside the folder: accord does not follow links out of it") {
                path, folder in
                try vCard(uid: "bad", name: "Bad").write(toFile: folder.outside("bad.vcf"), atomically: true, encoding: .utf8)
                unlink(path)
                symlink("../bad.vcf", path)
            },
        ]
    }

    /// A card the process may not read (only as a user other than root, who may read anything).
    @Test(.enabled(if: !runningAsRoot)) func aCardThatMayNotBeReadIsUnreadable() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write(vCard(uid: "fine", name: "Fine"), to: "fine.vcf")
        chmod(try folder.write(vCard(uid: "bad", name: "Bad"), to: "bad.vcf"), 0)
        let listing = try await VCardDirectoryConnector(directory: folder.path).list(since: .full)
        #expect(listing.changedIDs == ["fine"] && listing.unreadable.map(\.reason) == ["cannot be read: permission denied"])
    }

    /// A known card gone from the folder while a file that cannot be identified is there (it may
    /// be that card, renamed and damaged) is not taken as deleted; once the file is gone, it is.
    @Test func aCardIsNotDeletedWhileAFileThatMayBeItCannotBeRead() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write(vCard(uid: "ann", name: "Ann"), to: "ann.vcf")
        let connector = VCardDirectoryConnector(directory: folder.path)
        let known = try await connector.list(since: .full).known()
        unlink(folder.path + "/ann.vcf")
        symlink("/nonexistent/ann.vcf", folder.path + "/renamed.vcf")
        let listing = try await connector.list(since: ListingState(known: known))
        #expect(listing.deleted.isEmpty && listing.unreadableIDs == ["renamed.vcf", "ann"])
        #expect(listing.unreadable[1].reason.contains("'renamed.vcf' could not be read and may be this card"))
        unlink(folder.path + "/renamed.vcf")
        #expect(try await connector.list(since: ListingState(known: known)).deleted == ["ann"])
    }

    /// A full listing reads every card without a stat of its own: a link to a card inside the
    /// folder counts, a folder or hidden file named like one does not, and each version is the
    /// file's as read, with its name.
    @Test(arguments: [false, true]) func aListingFindsCardsAndLinksToCardsOnly(incremental: Bool) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/folder.vcf", withIntermediateDirectories: true)
        try folder.write(vCard(uid: "ann", name: "Ann"), to: "ann.vcf")
        try folder.write(vCard(uid: "hidden", name: "Hidden"), to: ".hidden.vcf")
        try folder.write(vCard(uid: "bob", name: "Bob"), to: "folder.vcf/bob.vcf")
        symlink("folder.vcf/bob.vcf", folder.path + "/bob.vcf")
        symlink("folder.vcf", folder.path + "/link-to-folder.vcf")
        // Incremental: one card known with another version, so every card is listed again.
        let state = incremental ? ListingState(known: ["ann": "0-0-0/ann.vcf"]) : .full
        let listing = try await VCardDirectoryConnector(directory: folder.path).list(since: state)
        #expect(listing.changedIDs == ["ann", "bob"] && listing.unreadable.isEmpty && listing.deleted.isEmpty)
        var ann = stat()
        var bob = stat()
        stat(folder.path + "/ann.vcf", &ann)
        stat(folder.path + "/bob.vcf", &bob)
        #expect(listing.changed.map(\.version) == [CardVersion.make(ann, name: "ann.vcf"), CardVersion.make(bob, name: "bob.vcf")])
    }

    // MARK: - Links

    /// An update of a card that is a link inside the folder writes the file it leads to and
    /// keeps the link; one that leads out of the folder fails, and nothing is written.
    @Test func anUpdateWritesThroughALinkInsideTheFolderOnly() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/store", withIntermediateDirectories: true)
        try folder.write(vCard(uid: "ann", name: "Ann"), to: "store/ann.card")
        symlink("store/ann.card", folder.path + "/ann.vcf")
        let connector = VCardDirectoryConnector(directory: folder.path)
        let ann = try #require(try await connector.list(since: .full).changed.first)
        let result = try await connector.update([ContactUpdate(id: "ann", fields: ["title": ["CEO"]], basedOn: ann.version)])
        #expect(result.first?.record?.version != nil, "\(result)")
        #expect(try folder.text("store/ann.card").contains("TITLE:CEO"))
        var info = stat()
        lstat(folder.path + "/ann.vcf", &info)
        #expect(info.st_mode & S_IFMT == S_IFLNK)
        #expect(try await connector.list(since: ListingState(known: ["ann": result[0].record!.version!])).changed.isEmpty)

        // The link now leads out of the folder.
        let outside = folder.outside("ann.card")
        try vCard(uid: "ann", name: "Ann").write(toFile: outside, atomically: true, encoding: .utf8)
        unlink(folder.path + "/ann.vcf")
        symlink(outside, folder.path + "/ann.vcf")
        let refused = try await connector.update([ContactUpdate(id: "ann", fields: ["title": ["CTO"]])])
        #expect(refused.first?.failure?.contains("outside the folder") == true, "\(refused)")
        #expect(!(try String(contentsOfFile: outside, encoding: .utf8).contains("TITLE")))
    }

    // MARK: - Updates

    /// An update finds the file of a UID from the listing; a file that holds another card now
    /// (or none any more) fails that update, with a reason, and is not written.
    @Test func anUpdateWritesOnlyTheFileOfItsUID() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write(vCard(uid: "ann", name: "Ann"), to: "a.vcf")
        try folder.write(vCard(uid: "bob", name: "Bob"), to: "b.vcf")
        let connector = VCardDirectoryConnector(directory: folder.path)
        _ = try await connector.list(since: .full)
        try folder.write(vCard(uid: "cy", name: "Cy"), to: "a.vcf")
        unlink(folder.path + "/b.vcf")
        let results = try await connector.update([
            ContactUpdate(id: "ann", fields: ["title": ["X"]]), ContactUpdate(id: "bob", fields: ["title": ["X"]]),
            ContactUpdate(id: "nobody", fields: ["title": ["X"]]),
        ])
        #expect(results.map(\.failure) == [
            "'a.vcf' now holds the card with the UID 'cy', not 'ann'; the next run finds where it went",
            "'b.vcf' no longer exists; the next run lists the folder again",
            "no card with the UID 'nobody' is known in '\(folder.path)'; the next run lists the folder again",
        ])
        #expect(!(try folder.text("a.vcf").contains("TITLE")))
    }

    /// A card with a byte order mark keeps it when accord rewrites it.
    @Test func aByteOrderMarkIsKept() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write([0xEF, 0xBB, 0xBF] + Array(vCard(uid: "ann", name: "Ann").utf8), to: "ann.vcf")
        let connector = VCardDirectoryConnector(directory: folder.path)
        #expect(try await connector.list(since: .full).changedIDs == ["ann"])
        _ = try await connector.update([ContactUpdate(id: "ann", fields: ["title": ["CEO"]])])
        #expect(try folder.read("ann.vcf").starts(with: [0xEF, 0xBB, 0xBF, UInt8(ascii: "B")]))
    }

    /// Replacing a card keeps its permissions.
    @Test func anUpdateKeepsTheCardsPermissions() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        chmod(try folder.write(vCard(uid: "ann", name: "Ann"), to: "ann.vcf"), 0o600)
        let connector = VCardDirectoryConnector(directory: folder.path)
        _ = try await connector.list(since: .full)
        _ = try await connector.update([ContactUpdate(id: "ann", fields: ["title": ["CEO"]])])
        var info = stat()
        stat(folder.path + "/ann.vcf", &info)
        #expect(info.st_mode & 0o777 == 0o600)
    }

    // MARK: - The folder

    /// A folder that is not there is an error naming the path as resolved and what it was
    /// resolved against, for a listing and for the check for changes; nothing is created.
    @Test(arguments: ["missing", "missing parent", "a file", "part is a file"])
    func aFolderThatIsNotThereIsAnError(_ kind: String) async throws {
        let base = try TemporaryFolder()
        defer { base.remove() }
        let written: String
        let expected: String
        switch kind {
        case "missing":
            written = "contacts"
            expected = "the folder '\(base.path)/contacts' (path: 'contacts' in the connection, resolved against '\(base.path)', the connection file's folder) does not exist. accord does not take a missing folder for an empty address book"
        case "missing parent":
            written = "nas/contacts"
            expected = "does not exist, nor does the folder '\(base.path)/nas' it would be in (a renamed folder, or a volume not mounted?)"
        case "a file":
            try base.write("x", to: "contacts")
            written = "contacts"
            expected = "'\(base.path)/contacts' (path: 'contacts' in the connection, resolved against '\(base.path)', the connection file's folder) is a file, not a folder of .vcf files"
        default:
            try base.write("x", to: "file")
            written = "file/contacts"
            expected = "cannot be reached: a part of it is a file, not a folder"
        }
        let connector = VCardDirectoryConnector(directory: SourcePath(written, relativeTo: base.path))
        for state in [ListingState.full, ListingState(known: ["ann": "1-1-1/ann.vcf"]), ListingState(isFirstRun: true)] {
            let error = await #expect(throws: ConnectorError.self) { try await connector.list(since: state) }
            #expect(error?.description.contains(expected) == true, "\(error?.description ?? "")")
        }
        let error = await #expect(throws: ConnectorError.self) { try await connector.isUnchanged(since: "digest2:0:0:0") }
        #expect(error?.description.contains(expected) == true)
        #expect(try base.names() == (kind == "missing" || kind == "missing parent" ? [] : kind == "a file" ? ["contacts"] : ["file"]))
    }

    /// `create: true` makes the connection's first run create a missing folder, and only that run.
    @Test func createMakesTheFolderOnTheFirstRunOnly() async throws {
        let base = try TemporaryFolder()
        defer { base.remove() }
        let connector = VCardDirectoryConnector(directory: SourcePath("contacts", relativeTo: base.path), settings: try .init(["create": "true"]))
        await #expect(throws: ConnectorError.self) { try await connector.list(since: .full) }
        #expect(try base.names().isEmpty)
        let first = try await connector.list(since: ListingState(isFirstRun: true))
        #expect(first.changed.isEmpty && first.deleted.isEmpty)
        #expect(try base.names() == ["contacts"])
        // A missing parent is not made.
        let deeper = VCardDirectoryConnector(directory: SourcePath("a/b", relativeTo: base.path), settings: try .init(["create": "yes"]))
        await #expect(throws: ConnectorError.self) { try await deeper.list(since: ListingState(isFirstRun: true)) }
        #expect(throws: ConnectorError.self) { try VCardDirectoryConnector.Settings(["create": "maybe"]) }
        #expect(throws: ConnectorError.self) { try VCardDirectoryConnector.Settings(["max_card_mb": "0"]) }
        #expect(try VCardDirectoryConnector.Settings(["max_card_mb": "2"]).maxCardSize == 2 << 20)
    }

    /// The temporary files of writes killed before their rename are removed by the next pass over
    /// the folder; those of running processes (this one's too) stay, and so do other hidden files.
    @Test func leftoversOfWritesWhoseProcessIsGoneAreRemoved() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        let gone = process.processIdentifier
        try folder.write(vCard(uid: "ann", name: "Ann"), to: "ann.vcf")
        for name in [".ann.vcf.\(gone)-1.tmp", ".ann.vcf.\(getpid())-7.tmp", ".ann.vcf.1-3.tmp", ".ann.vcf.x-1.tmp", ".notes.tmp", ".ann.vcf.\(gone)-2.tmp.bak"] {
            try folder.write("partial", to: name)
        }
        let connector = VCardDirectoryConnector(directory: folder.path)
        #expect(try await connector.isUnchanged(since: "digest2:0:0:0") == false)
        #expect(try folder.names() == [".ann.vcf.1-3.tmp", ".ann.vcf.\(getpid())-7.tmp", ".ann.vcf.\(gone)-2.tmp.bak", ".ann.vcf.x-1.tmp", ".notes.tmp", "ann.vcf"].sorted())
        try folder.write("partial", to: ".ann.vcf.\(gone)-9.tmp")
        _ = try await connector.list(since: .full)
        #expect(!(try folder.names().contains(".ann.vcf.\(gone)-9.tmp")))
    }

    /// The digest of a folder's versions changes with a rename, though no content changed.
    @Test func aRenameChangesTheDigest() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write(vCard(uid: "ann", name: "Ann"), to: "ann.vcf")
        let connector = VCardDirectoryConnector(directory: folder.path)
        var digest = ListingDigest()
        for record in try await connector.list(since: .full).changed { digest.insert(version: record.version!) }
        #expect(try await connector.isUnchanged(since: digest.cursor))
        rename(folder.path + "/ann.vcf", folder.path + "/anna.vcf")
        #expect(try await connector.isUnchanged(since: digest.cursor) == false)
    }
}
