@testable import AccordConnectors
import Foundation
import Synchronization
import Testing

/// The `csv` app on real-world files: what it reads, and that what it writes back changes only
/// what accord changed.
@Suite struct CSVTests {
    /// A connector for a file holding `bytes` in a folder of its own.
    func csvFile(_ bytes: [UInt8], settings: CSVConnector.Settings = CSVConnector.Settings(), name: String = "c.csv") throws
        -> (connector: CSVConnector, folder: TemporaryFolder)
    {
        let folder = try TemporaryFolder()
        let path = try folder.write(bytes, to: name)
        return (CSVConnector(path: SourcePath(path), settings: settings), folder)
    }

    func csvFile(_ text: String, settings: CSVConnector.Settings = CSVConnector.Settings()) throws -> (connector: CSVConnector, folder: TemporaryFolder) {
        try csvFile(Array(text.utf8), settings: settings)
    }

    func value(_ record: ContactRecord?, _ field: String) -> String { record?.fields[field]?.first ?? "" }

    // MARK: - Real-world files

    /// Each sample is read, field by field, through the header matching rule and the column map.
    @Test(arguments: CSVSample.all)
    func exportsAreRead(_ sample: CSVSample) async throws {
        let (connector, folder) = try csvFile(sample.bytes, settings: sample.settings)
        defer { folder.remove() }
        let listing = try await connector.list(since: .full)
        #expect(listing.unreadable.isEmpty && Set(listing.changedIDs) == Set(sample.reads.keys))
        for (id, fields) in sample.reads {
            let record = listing.changed.first { $0.id == id }
            for (field, expected) in fields { #expect(value(record, field) == expected, "\(id) \(field)") }
        }
    }

    /// Changing one field of one row rewrites that cell only: every other byte of the file (its
    /// encoding, byte order mark, delimiter, quoting, line ends, blank lines) stays as it was.
    @Test(arguments: CSVSample.all)
    func anUpdateChangesOnlyItsCell(_ sample: CSVSample) async throws {
        let (connector, folder) = try csvFile(sample.bytes, settings: sample.settings)
        defer { folder.remove() }
        let record = try #require(try await connector.list(since: .full).changed.first { $0.id == sample.id })
        let result = try await connector.update([ContactUpdate(id: sample.id, fields: [sample.field: [sample.value]], basedOn: record.version)])
        #expect(value(result.first?.record, sample.field) == sample.value, "\(result)")
        let written = try folder.read("c.csv")
        #expect(written == sample.expected, "\(String(decoding: written, as: UTF8.self))")
        // Read back, the file holds the new value, and the record keeps its id and version.
        let again = try await connector.list(since: .full)
        let reread = again.changed.first { $0.id == sample.id }
        #expect(value(reread, sample.field) == sample.value && reread?.version == result.first?.record?.version)
    }

    /// Parsed and written back without a change, a file is what it was, to the byte.
    @Test(arguments: CSVSample.all)
    func aFileWrittenBackUnchangedIsTheSame(_ sample: CSVSample) throws {
        let decoded = try TextEncoding.decode(sample.bytes, declared: sample.settings.encoding)
        let document = try CSVDocument(decoded, delimiter: nil, schema: CSVConnector(path: "x", idColumn: sample.settings.idColumn).schema)
        #expect(try document.encoded() == sample.bytes)
    }

    /// A row accord adds ends as the file's rows do, and a file without a final line end keeps
    /// none.
    @Test(arguments: [
        ("id,email\r\n1,a@example.com\r\n", "id,email\r\n1,a@example.com\r\nNEW,b@example.com\r\n"),
        ("id,email\n1,a@example.com\n", "id,email\n1,a@example.com\nNEW,b@example.com\n"),
        ("id,email\n1,a@example.com", "id,email\n1,a@example.com\nNEW,b@example.com"),
        ("id,email\n1,a@example.com\n\n", "id,email\n1,a@example.com\nNEW,b@example.com\n\n"),
        ("id,email", "id,email\r\nNEW,b@example.com"),
        ("\"id\";\"email\"\r\n", "\"id\";\"email\"\r\n\"NEW\";\"b@example.com\"\r\n"),
    ])
    func aCreatedRowFollowsTheFilesLayout(_ before: String, _ after: String) async throws {
        let (connector, folder) = try csvFile(before)
        defer { folder.remove() }
        let contact = NewContact(fields: ["email": ["b@example.com"]])
        let result = try await connector.create([contact])
        #expect(result.first?.record?.id == contact.correlationID && connector.recordID(forCorrelation: contact.correlationID) == contact.correlationID)
        #expect(try folder.text("c.csv") == after.replacingOccurrences(of: "NEW", with: contact.correlationID))
    }

    // MARK: - Columns

    /// Headers are matched to fields case-insensitively, ignoring spaces, underscores and
    /// hyphens, by the field's name or label; others are no field.
    @Test(arguments: [
        ("Email", "email"), ("E-Mail", "email"), ("e_mail", "email"), ("E-mail Address", "email"), ("First Name", "first_name"),
        ("FIRST_NAME", "first_name"), ("Given Name", "first_name"), ("Family Name", "last_name"), ("Job-Title", "job_title"),
        ("Company Name", "company"), ("Web Page", "website"), (" notes ", "notes"), ("Title", nil), ("Name", nil), ("Email 2", nil),
    ] as [(String, String?)])
    func headersMatchFields(_ header: String, _ field: String?) {
        let columns = CSVColumns(header: ["id", header], schema: CSVConnector(path: "x").schema)
        #expect(columns.fields.first { $0.value == 1 }?.key == field)
    }

    /// The fields and labels the connector matches headers against are the csv schema's.
    @Test func theSchemaFieldsAreTheSchemasOwn() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let schema = try String(contentsOf: root.appendingPathComponent("schemas/csv.yaml"), encoding: .utf8)
        let fields = schema.split(separator: "\n").compactMap { line -> (String, String)? in
            guard line.hasPrefix("  - {name: "), line.contains("type: ") else { return nil }
            let parts = line.dropFirst(11).split(separator: ",", maxSplits: 2)
            guard parts.count == 3, parts[1].hasPrefix(" label: ") else { return nil }
            return (String(parts[0]), String(parts[1].dropFirst(8)))
        }
        #expect(fields.map(\.0) == CSVConnector.schemaFields.map(\.name) && fields.map(\.1) == CSVConnector.schemaFields.map(\.label))
    }

    /// A field whose column is there under another spelling gets no second column; a field with
    /// no column gets one at the end when it has a value to write, and not when it is empty.
    @Test func accordAppendsAColumnOnlyForAFieldThatMustBeWrittenAndHasNone() async throws {
        let (connector, folder) = try csvFile("ID,Email,First Name\r\n1,ann@example.com,Ann\r\n")
        defer { folder.remove() }
        _ = try await connector.update([ContactUpdate(id: "1", fields: ["email": ["ann@example.org"], "first_name": ["Anna"], "phone": []])])
        #expect(try folder.text("c.csv") == "ID,Email,First Name\r\n1,ann@example.org,Anna\r\n")
        _ = try await connector.update([ContactUpdate(id: "1", fields: ["company": ["Acme"]], addSegments: ["tag": ["vip"]])])
        #expect(try folder.text("c.csv") == "ID,Email,First Name,company,tags\r\n1,ann@example.org,Anna,Acme,vip\r\n")
    }

    /// The column map names a field's column; custom fields are columns read and written too.
    @Test func theColumnMapAndCustomFields() async throws {
        var settings = CSVConnector.Settings()
        settings.columns = ["email": "Mail", "tags": "Labels", "lead_source": "Source"]
        settings.customFields = ["lead_source", "plan_tier"]
        let (connector, folder) = try csvFile("id,Mail,Email,Source,Plan Tier,Labels\n1,ann@example.com,other@example.com,fair,gold,a;b\n", settings: settings)
        defer { folder.remove() }
        let ann = try #require(try await connector.list(since: .full).changed.first)
        #expect(ann.fields["email"] == ["ann@example.com"] && ann.fields["lead_source"] == ["fair"] && ann.fields["plan_tier"] == ["gold"])
        #expect(ann.segments["tag"] == ["a", "b"])
        _ = try await connector.update([ContactUpdate(id: "1", fields: ["plan_tier": ["silver"], "lead_source": ["web"]], removeSegments: ["tag": ["a"]])])
        #expect(try folder.text("c.csv") == "id,Mail,Email,Source,Plan Tier,Labels\n1,ann@example.com,other@example.com,web,silver,b\n")
        #expect(throws: ConnectorError.self) { try CSVConnector.Settings([:], columns: ["email": "Mail", "first_name": "mail"]) }
    }

    // MARK: - Identity

    /// A row's id never depends on its position: inserting, removing or moving rows keeps every
    /// other row's id and values together.
    @Test func idsDoNotDependOnPosition() async throws {
        let rows = ["7,ann@example.com,Ann", ",bob@example.com,Bob", ",,Cy", ",,Cy", ",,Di"]
        let (connector, folder) = try csvFile("id,email,first_name\n" + rows.joined(separator: "\n") + "\n")
        defer { folder.remove() }
        func names() async throws -> [String: String] {
            let listing = try await connector.list(since: .full)
            #expect(listing.unreadable.isEmpty)
            return Dictionary(uniqueKeysWithValues: listing.changed.map { ($0.id, value($0, "first_name")) })
        }
        let before = try await names()
        #expect(before["7"] == "Ann" && before["email:bob@example.com"] == "Bob" && before.keys.contains { $0.hasPrefix("hash:") })
        #expect(before.keys.allSatisfy { !$0.hasPrefix("row") } && before.count == 5)
        try ("id,email,first_name\n,new@example.com,Newt\n,,Ed\n" + rows.reversed().joined(separator: "\n") + "\n").write(
            toFile: connector.path, atomically: true, encoding: .utf8)
        let after = try await names()
        for (id, name) in before { #expect(after[id] == name, "\(id)") }
    }

    /// Two rows with one id are unreadable, one record for the id naming both lines; two rows
    /// with one email (and no id) are told apart by their values, so the engine sees duplicates.
    @Test func repeatedIDsAreUnreadableAndRepeatedEmailsAreKnownByValues() async throws {
        let (connector, folder) = try csvFile("id,email,first_name\n1,ann@example.com,Ann\n1,bob@example.com,Bob\n,cy@example.com,Cy\n,CY@example.com ,Cyrus\n")
        defer { folder.remove() }
        let listing = try await connector.list(since: ListingState(known: ["1": "x"]))
        #expect(listing.unreadable == [
            UnreadableRecord(id: "1", location: connector.path + ":2,3", reason: "the row on line 2 has the id '1', as do the rows on lines 2, 3: an id must be unique in the file")
        ])
        #expect(listing.deleted.isEmpty)
        #expect(listing.changed.map { value($0, "first_name") }.sorted() == ["Cy", "Cyrus"] && listing.changedIDs.allSatisfy { $0.hasPrefix("hash:") })
    }

    /// accord fills the ids rows were known by into the id column when it writes the file.
    @Test func rowsWithoutAnIDGetTheirsWrittenIn() async throws {
        let (connector, folder) = try csvFile("id,email,first_name,tags\n,Ann@Example.com,Ann,\n,,Bob,\n")
        defer { folder.remove() }
        let listing = try await connector.list(since: .full)
        let bob = try #require(listing.changed.first { value($0, "first_name") == "Bob" })
        #expect(listing.changedIDs.first == "email:ann@example.com" && bob.id.hasPrefix("hash:"))
        _ = try await connector.update([ContactUpdate(id: "email:ann@example.com", fields: ["first_name": ["Anna"]])])
        #expect(try folder.text("c.csv") == "id,email,first_name,tags\nemail:ann@example.com,Ann@Example.com,Anna,\n\(bob.id),,Bob,\n")
        // Now the ids stay whatever happens to the values.
        _ = try await connector.update([ContactUpdate(id: bob.id, fields: ["first_name": ["Robert"], "email": ["bob@example.com"]])])
        #expect(Set(try await connector.list(since: .full).changedIDs) == ["email:ann@example.com", bob.id])
    }

    /// A file without an id column gets one when accord creates a row (whose id must be in the
    /// file), or changes a row whose id would otherwise change with it; not for other updates.
    @Test func anIDColumnIsAddedOnlyWhenAnIDMustBeWritten() async throws {
        let (connector, folder) = try csvFile("email,first_name\nann@example.com,Ann\n,Bob\n")
        defer { folder.remove() }
        let listing = try await connector.list(since: .full)
        let bob = try #require(listing.changed.first { value($0, "first_name") == "Bob" })
        _ = try await connector.update([ContactUpdate(id: "email:ann@example.com", fields: ["first_name": ["Anna"]])])
        #expect(try folder.text("c.csv") == "email,first_name\nann@example.com,Anna\n,Bob\n")
        // Bob is known by his values: changing them adds the id column, with his id.
        let result = try await connector.update([ContactUpdate(id: bob.id, fields: ["first_name": ["Robert"]])])
        #expect(result.first?.record?.id == bob.id)
        #expect(try folder.text("c.csv") == "email,first_name,id\nann@example.com,Anna,email:ann@example.com\n,Robert,\(bob.id)\n")
        #expect(Set(try await connector.list(since: .full).changedIDs) == ["email:ann@example.com", bob.id])

        let (creating, other) = try csvFile("email\nann@example.com\n")
        defer { other.remove() }
        let contact = NewContact(fields: ["email": ["cy@example.com"]])
        _ = try await creating.create([contact])
        #expect(try other.text("c.csv") == "email,id\nann@example.com,email:ann@example.com\ncy@example.com,\(contact.correlationID)\n")
    }

    // MARK: - The file

    /// A file that is not there is an error naming the path as resolved and what it was resolved
    /// against, for a listing and for the check for changes; nothing is created.
    @Test(arguments: ["missing", "missing folder", "a folder"])
    func aFileThatIsNotThereIsAnError(_ kind: String) async throws {
        let base = try TemporaryFolder()
        defer { base.remove() }
        var written = "contacts.csv"
        var expected = "the file '\(base.path)/contacts.csv' (path: 'contacts.csv' in the connection, resolved against '\(base.path)', the connection file's folder) does not exist. accord does not take a missing file for an app without contacts"
        if kind == "missing folder" {
            written = "exports/contacts.csv"
            expected = "does not exist, nor does the folder '\(base.path)/exports' it would be in"
        } else if kind == "a folder" {
            try FileManager.default.createDirectory(atPath: base.path + "/contacts.csv", withIntermediateDirectories: true)
            expected = "'\(base.path)/contacts.csv' (path: 'contacts.csv' in the connection, resolved against '\(base.path)', the connection file's folder) is a folder, not a CSV file"
        }
        let connector = CSVConnector(path: SourcePath(written, relativeTo: base.path))
        for state in [ListingState.full, ListingState(cursor: "1-1-1", known: ["1": "x"]), ListingState(isFirstRun: true)] {
            let error = await #expect(throws: ConnectorError.self) { try await connector.list(since: state) }
            #expect(error?.description.contains(expected) == true, "\(error?.description ?? "")")
        }
        let error = await #expect(throws: ConnectorError.self) { try await connector.isUnchanged(since: "1-1-1") }
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "")")
        let write = await #expect(throws: ConnectorError.self) { try await connector.create([NewContact(fields: ["email": ["a@example.com"]])]) }
        #expect(write?.description.contains(expected) == true)
        #expect(try base.names() == (kind == "a folder" ? ["contacts.csv"] : []))
    }

    /// `create: true` makes the connection's first run create a missing file with a header row
    /// (the plan's fields), and only that run.
    @Test func createMakesTheFileOnTheFirstRunOnly() async throws {
        let base = try TemporaryFolder()
        defer { base.remove() }
        let settings = try CSVConnector.Settings(["create": "true", "delimiter": ";"], fields: ["id", "email", "first_name", "notes"])
        let connector = CSVConnector(path: SourcePath("contacts.csv", relativeTo: base.path), settings: settings)
        await #expect(throws: ConnectorError.self) { try await connector.list(since: .full) }
        let first = try await connector.list(since: ListingState(isFirstRun: true))
        #expect(first.changed.isEmpty && first.cursor != nil)
        #expect(try base.text("contacts.csv") == "id;email;first_name;notes;tags\r\n")
        #expect(try await connector.isUnchanged(since: first.cursor!))
    }

    /// A file over the size limit is refused at once, without being read: a 2 GB sparse file.
    @Test func aFileOverTheLimitIsRefusedWithoutReadingIt() async throws {
        let (connector, folder) = try csvFile("id,email\n1,a@example.com\n")
        defer { folder.remove() }
        let descriptor = open(connector.path, O_WRONLY)
        ftruncate(descriptor, 2 << 30)
        close(descriptor)
        let start = Date()
        let error = await #expect(throws: ConnectorError.self) { try await connector.list(since: .full) }
        #expect(Date().timeIntervalSince(start) < 1)
        #expect(error?.description.contains("is 2 GB, over the limit of 128 MB (setting max_file_mb)") == true, "\(error?.description ?? "")")
        await #expect(throws: ConnectorError.self) { try await connector.update([ContactUpdate(id: "1", fields: ["email": ["b@example.com"]])]) }
        let small = CSVConnector(path: SourcePath(connector.path), settings: try .init(["max_file_mb": "1"]))
        let smaller = await #expect(throws: ConnectorError.self) { try await small.list(since: .full) }
        #expect(smaller?.description.contains("over the limit of 1 MB") == true)
    }

    /// A file that is not valid in its encoding is refused, naming the line of the first bad byte
    /// and the setting that reads it; never read with replacement characters.
    @Test func aFileInAnotherEncodingIsRefusedUntilTheSettingSaysWhich() async throws {
        let latin1: [UInt8] = Array("id,email,first_name\n1,a@example.com,Ann\n2,b@example.com,Ren".utf8) + [0xE9] + Array("\n".utf8)
        let (connector, folder) = try csvFile(latin1)
        defer { folder.remove() }
        let error = await #expect(throws: ConnectorError.self) { try await connector.list(since: .full) }
        #expect(error?.description.contains("cannot be read as UTF-8 text: line 3: byte 0xE9 is not UTF-8. If it comes from Excel or Windows, set 'encoding: windows-1252'") == true, "\(error?.description ?? "")")
        let read = CSVConnector(path: SourcePath(connector.path), settings: try .init(["encoding": "latin1"]))
        let listing = try await read.list(since: .full)
        #expect(listing.changed.map { value($0, "first_name") } == ["Ann", "René"])
        // A value latin1 cannot hold fails its record; the file is not changed.
        let results = try await read.update([ContactUpdate(id: "1", fields: ["first_name": ["安"]]), ContactUpdate(id: "2", fields: ["first_name": ["Renée"]])])
        #expect(results[0].failure == "'first_name': '安' (U+5B89) cannot be written in latin1, the file's encoding" && results[1].record != nil)
        #expect(try folder.read("c.csv") == Array("id,email,first_name\n1,a@example.com,Ann\n2,b@example.com,Ren".utf8) + [0xE9, 0x65, 0x0A])

        try folder.write([0x69, 0, 0x64, 0, 0x0A, 0], to: "c.csv")
        let nul = await #expect(throws: ConnectorError.self) { try await connector.list(since: .full) }
        #expect(nul?.description.contains("it holds NUL bytes (UTF-16 without a byte order mark?)") == true)
        #expect(throws: ConnectorError.self) { try CSVConnector.Settings(["encoding": "ebcdic"]) }
    }

    /// The delimiter is the setting's, else the one the header uses most.
    @Test(arguments: [
        ("id,email\n1,a@example.com\n", nil, "a@example.com"), ("id;email\n1;a@example.com\n", nil, "a@example.com"),
        ("id\temail\n1\ta@example.com\n", nil, "a@example.com"), ("\"a,b\";id;email\n;1;a@example.com\n", nil, "a@example.com"),
        ("id|email\n1|a@example.com\n", "|", "a@example.com"), ("id;email\n1;a@example.com\n", ",", ""),
    ] as [(String, String?, String)])
    func theDelimiter(_ text: String, _ setting: String?, _ email: String) async throws {
        let (connector, folder) = try csvFile(text, settings: try .init(setting.map { ["delimiter": $0] } ?? [:]))
        defer { folder.remove() }
        let listing = try await connector.list(since: .full)
        #expect(value(listing.changed.first, "email") == email)
    }

    /// A file that cannot be parsed is refused whole, naming the line.
    @Test(arguments: [
        ("id,email\n1,\"unterminated\n2,b@example.com\n", "line 2: a quoted field is never closed"),
        ("id,email\n1,a\"b@example.com\n", "line 2: a quote inside an unquoted field"),
        ("id,notes\n1,\"two\nlines\"x\n", "line 3: text follows the closing quote of a field"),
        ("", "line 1: it has no header row"),
    ])
    func aFileThatCannotBeParsedIsRefused(_ text: String, _ message: String) async throws {
        let (connector, folder) = try csvFile(text)
        defer { folder.remove() }
        let error = await #expect(throws: ConnectorError.self) { try await connector.list(since: .full) }
        #expect(error?.description.contains("'\(connector.path)' \(message)") == true, "\(error?.description ?? "")")
    }

    /// A row with another number of cells than the header is unreadable; the others are read.
    /// A known row missing while such a row cannot be identified is not taken as deleted.
    @Test func aRowWithTheWrongNumberOfCellsIsUnreadable() async throws {
        let (connector, folder) = try csvFile("id,email,first_name\n1,a@example.com,Ann\n2,b@example.com\n3,c@example.com,Cy\n")
        defer { folder.remove() }
        let listing = try await connector.list(since: .full)
        #expect(listing.changedIDs == ["1", "3"])
        #expect(listing.unreadable == [UnreadableRecord(id: "2", location: connector.path + ":3", reason: "the row on line 3 has 2 fields, the header 3")])
        let known = listing.known()
        try "id,email,first_name\n1,a@example.com,Ann\nb@example.com\n".write(toFile: connector.path, atomically: true, encoding: .utf8)
        let withheld = try await connector.list(since: ListingState(known: known))
        #expect(withheld.deleted.isEmpty && withheld.unreadable.map(\.id).contains("3"))
        try "id,email,first_name\n1,a@example.com,Ann\n".write(toFile: connector.path, atomically: true, encoding: .utf8)
        #expect(try await connector.list(since: ListingState(known: known)).deleted == ["3"])
    }

    // MARK: - Other writers

    /// Another program appending rows (open, write, close) while accord writes the file batch
    /// after batch: none of its rows is lost, and every update of accord's lands.
    @Test(arguments: ["append", "save by rename"]) func anotherWriterLosesNothing(_ style: String) async throws {
        let header = "id,email,first_name\n"
        let (connector, folder) = try csvFile(header + (0..<50).map { "\($0),p\($0)@example.com,P\($0)\n" }.joined())
        defer { folder.remove() }
        let path = connector.path
        let writer = Thread {
            for n in 0..<200 {
                let line = "w\(n),w\(n)@example.com,W\(n)\n"
                if style == "append" {
                    let descriptor = open(path, O_WRONLY | O_APPEND)
                    _ = line.withCString { write(descriptor, $0, strlen($0)) }
                    close(descriptor)
                } else {
                    // An editor: reads the file, writes a new one beside it, renames it over.
                    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                    let temporary = path + ".editor"
                    try? (text + line).write(toFile: temporary, atomically: false, encoding: .utf8)
                    rename(temporary, path)
                }
                usleep(200)
            }
        }
        writer.start()
        var updated = 0
        for round in 0..<40 {
            let results = try await connector.update((0..<50).map { ContactUpdate(id: "\($0)", fields: ["first_name": ["R\(round)-\($0)"]]) })
            updated += results.filter { $0.record != nil }.count
            // A batch lands whole, or fails whole because the file kept changing under it.
            let failures = Set(results.compactMap(\.failure))
            #expect(failures.isEmpty || (failures.count == 1 && failures.first!.contains("kept changing while accord wrote it")), "\(failures)")
        }
        while !writer.isFinished { usleep(1000) }
        #expect(updated > 0)
        _ = try await connector.update((0..<50).map { ContactUpdate(id: "\($0)", fields: ["first_name": ["R39-\($0)"]]) })
        let text = try folder.text("c.csv")
        let lines = Set(text.split(separator: "\n").map(String.init))
        let missing = (0..<200).filter { !lines.contains("w\($0),w\($0)@example.com,W\($0)") }
        #expect(missing.isEmpty, "lost \(missing.count) rows of the other writer")
        #expect((0..<50).allSatisfy { lines.contains("\($0),p\($0)@example.com,R39-\($0)") })
        #expect(try folder.names() == ["c.csv"])
    }

    /// A program that had the file open writes into it just after accord replaced it: what it
    /// appended is added to the new file; a change it made in place gets accord's change made
    /// again on top of it.
    @Test(arguments: ["append", "rewrite in place"]) func aWriteIntoTheReplacedFileIsCarriedOver(_ style: String) async throws {
        var (connector, folder) = try csvFile("id,email,first_name\n1,ann@example.com,Ann\n2,bob@example.com,Bob\n")
        defer { folder.remove() }
        let descriptor = open(connector.path, O_WRONLY | (style == "append" ? O_APPEND : 0))
        defer { close(descriptor) }
        let written = Mutex(false)
        connector.afterReplacing = {
            let first = written.withLock { done in
                defer { done = true }
                return !done
            }
            guard first else { return }
            if style == "append" {
                _ = "3,cy@example.com,Cy\n".withCString { write(descriptor, $0, strlen($0)) }
            } else {
                _ = "1,ann@example.com,Anx".withCString { pwrite(descriptor, $0, strlen($0), 20) }
            }
        }
        let result = try await connector.update([ContactUpdate(id: "2", fields: ["first_name": ["Robert"]])])
        #expect(result.first?.record?.fields["first_name"] == ["Robert"], "\(result)")
        let expected = style == "append"
            ? "id,email,first_name\n1,ann@example.com,Ann\n2,bob@example.com,Robert\n3,cy@example.com,Cy\n"
            : "id,email,first_name\n1,ann@example.com,Anx\n2,bob@example.com,Robert\n"
        #expect(try folder.text("c.csv") == expected)
        #expect(try folder.names() == ["c.csv"])
    }

    /// A row edited by someone else between accord's listing and its update: another column's
    /// edit is kept and the row comes back without a version; the same column is not overwritten.
    @Test func aRowEditedSinceTheListingIsMergedOrLeftForTheNextRun() async throws {
        let (connector, folder) = try csvFile("id,email,first_name,company,tags\r\nann,ann@example.com,Ann,Acme,\r\n")
        defer { folder.remove() }
        let listed = try #require(try await connector.list(since: .full).changed.first)
        try "id,email,first_name,company,tags\r\nann,ann@example.com,Ann,Initech,\r\n".write(toFile: connector.path, atomically: true, encoding: .utf8)
        let merged = try await connector.update([
            ContactUpdate(id: "ann", fields: ["first_name": ["Anna"]], basedOn: listed.version, previous: ["first_name": ["Ann"]])
        ])
        let record = try #require(merged.first?.record, "\(merged)")
        #expect(record.version == nil && record.fields["company"] == ["Initech"] && record.fields["first_name"] == ["Anna"])
        let refused = try await connector.update([
            ContactUpdate(id: "ann", fields: ["company": ["Acme Corp"]], basedOn: listed.version, previous: ["company": ["Acme"]])
        ])
        #expect(refused == [.changedDuringRun(reason: "'company' was edited in the row of 'ann' during the run; the next run merges it")])
        #expect(try folder.text("c.csv") == "id,email,first_name,company,tags\r\nann,ann@example.com,Anna,Initech,\r\n")
    }

    /// The file's version (size, time, inode), the listing's cursor, tells a run nothing
    /// changed; accord's own write and an outside edit each move it.
    @Test func theFileVersionTellsWhetherAnythingChanged() async throws {
        let (connector, folder) = try csvFile("id,email,first_name,tags\r\nann,ann@example.com,Ann,\r\n")
        defer { folder.remove() }
        let first = try #require(try await connector.list(since: .full).cursor)
        #expect(try await connector.isUnchanged(since: first))
        #expect(try await connector.list(since: ListingState(cursor: first, known: ["ann": "x"])).changed.isEmpty)
        _ = try await connector.update([ContactUpdate(id: "ann", fields: ["first_name": ["Anna"]])])
        #expect(try await connector.isUnchanged(since: first) == false)
        let second = try #require(try await connector.list(since: .full).cursor)
        #expect(try await connector.isUnchanged(since: second))
        try "id,email,first_name,tags\r\nann,ann@example.com,Annabel,\r\n".write(toFile: connector.path, atomically: true, encoding: .utf8)
        #expect(try await connector.isUnchanged(since: second) == false)
    }

    /// A file that is a link is written through: the file it leads to changes, the link stays;
    /// its permissions stay; leftovers of crashed writes next to it are removed.
    @Test func aLinkedFileIsWrittenThroughAndKeepsItsPermissions() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let target = try folder.write("id,email\n1,a@example.com\n", to: "real.csv")
        chmod(target, 0o600)
        symlink("real.csv", folder.path + "/link.csv")
        try folder.write("partial", to: ".real.csv.2147483646-1.tmp")
        let connector = CSVConnector(path: folder.path + "/link.csv")
        _ = try await connector.update([ContactUpdate(id: "1", fields: ["email": ["b@example.com"]])])
        #expect(try folder.text("real.csv") == "id,email\n1,b@example.com\n")
        var info = stat()
        lstat(folder.path + "/link.csv", &info)
        #expect(info.st_mode & S_IFMT == S_IFLNK)
        stat(target, &info)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try folder.names() == ["link.csv", "real.csv"])
    }
}
