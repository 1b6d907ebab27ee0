import AccordConnectors
import Foundation
import CardDAVTestServers
import Testing

/// `accord run` against a Radicale server of its own: the server stopped in the middle of a run,
/// and a secret that is not there.
@Suite struct CardDAVRunTests {
    /// A folder with a vcard-dir (a) → carddav (b) connection, `count` contacts in a, and a new
    /// address book for b.
    func prepare(_ server: RadicaleServer, count: Int) throws -> (directory: String, book: String) {
        let book = "book-" + UUID().uuidString.prefix(8).lowercased()
        let directory = NSTemporaryDirectory() + "accord-carddav-run-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory + "/a", withIntermediateDirectories: true)
        try server.makeAddressBook(book, displayName: book)
        try """
        connection: to-radicale
        apps:
          a: {app: vcard-dir, settings: {path: a}}
          b:
            app: carddav
            auth: {username: \(server.user), password: {env: ACCORD_TEST_CARDDAV_PASSWORD}}
            settings: {url: "\(server.url.absoluteString)"}
            subset: {addressbook: \(book)}
        direction: two-way
        winner: a
        """.write(toFile: directory + "/connection.yaml", atomically: true, encoding: .utf8)
        for i in 0..<count {
            try "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:p\(i)\r\nFN:Person \(i)\r\nN:\(i);Person;;;\r\nEMAIL:p\(i)@example.com\r\nEND:VCARD\r\n"
                .write(toFile: directory + "/a/p\(i).vcf", atomically: false, encoding: .utf8)
        }
        return (directory, book)
    }

    func arguments(_ directory: String) -> [String] {
        ["run", directory + "/connection.yaml", "--state", directory + "/state.sqlite", "--schemas", packageRoot + "/schemas"]
    }

    func run(_ directory: String, password: String?, environment: [String: String] = [:]) throws -> AccordOutput {
        try runAccord(arguments(directory), environment: environment.merging(password.map { ["ACCORD_TEST_CARDDAV_PASSWORD": $0] } ?? [:]) { $1 })
    }

    func emailsInAddressBook(_ server: RadicaleServer, book: String) async throws -> [String] {
        let connector = CardDAVConnector(url: server.url, addressBook: book, client: server.client())
        return try await connector.list(since: .full).changed.compactMap { $0.fields["email"]?.first }
    }

    @Test func theServerStoppedInTheMiddleOfARunFailsClearlyAndTheNextRunConverges() async throws {
        let server = try RadicaleServer.start()
        defer { server.destroy() }
        let (directory, book) = try prepare(server, count: 300)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let prefix = directory + "/run"
        // The run waits after its first batch of creates until the server is stopped.
        let stopped = directory + "/server-stopped"
        let process = try startAccord(
            arguments(directory), environment: ["ACCORD_TEST_CARDDAV_PASSWORD": server.password, "ACCORD_FAILPOINT": "after-create:1:until:\(stopped)"],
            outputPrefix: prefix)
        #expect(waitFor("failpoint 'after-create' reached", in: prefix + ".err", seconds: 60))
        // The first batch (100 cards) is written, and no more: the server's log may lag a little.
        let deadline = Date().addingTimeInterval(10)
        while server.requestCounts()["PUT", default: 0] < 100, Date() < deadline { usleep(20_000) }
        #expect(server.requestCounts()["PUT", default: 0] == 100)
        server.stop()
        #expect(FileManager.default.createFile(atPath: stopped, contents: nil))
        process.waitUntilExit()
        let stderr = try String(contentsOfFile: prefix + ".err", encoding: .utf8)
        #expect(process.terminationStatus == 1)
        #expect(stderr.contains("R1001 carddav (b): PUT \(server.url.absoluteString)\(server.user)/\(book)/"), "\(stderr)")
        #expect(stderr.contains("connection refused"), "\(stderr)")

        // The server is back: the next run creates the rest, and nobody twice.
        let restarted = try RadicaleServer.start(folder: server.folder, port: server.port, password: server.password)
        defer { restarted.stop() }
        let second = try run(directory, password: server.password)
        #expect(second.status == 0, "\(second.stderr)")
        let emails = try await emailsInAddressBook(restarted, book: book)
        #expect(emails.count == 300 && Set(emails).count == 300)
        let third = try run(directory, password: server.password)
        #expect(third.stdout.contains("created 0 a→b / 0 b→a, updated 0 a→b / 0 b→a"), "\(third.stdout)")
    }

    /// Killed after the n-th PUT answer (`carddav-put`), or at the engine's write boundaries: the
    /// next run links what the dead run created (the intent journal) and creates only the rest.
    @Test(arguments: [("carddav-put", 1), ("carddav-put", 25), ("after-create", 1), ("before-save", 1)])
    func aRunKilledWhileWritingToTheServerConvergesWithoutDuplicates(_ failpoint: String, _ count: Int) async throws {
        let server = RadicaleServer.shared
        let (directory, book) = try prepare(server, count: 40)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let killed = try run(directory, password: server.password, environment: ["ACCORD_FAILPOINT": "\(failpoint):\(count)"])
        #expect(killed.status == 99, "\(killed.stderr)")
        let next = try run(directory, password: server.password)
        #expect(next.status == 0, "\(next.stderr)")
        let emails = try await emailsInAddressBook(server, book: book)
        #expect(emails.count == 40 && Set(emails).count == 40)
        let quiet = try run(directory, password: server.password)
        #expect(quiet.stdout.contains("created 0 a→b / 0 b→a, updated 0 a→b / 0 b→a"), "\(quiet.stdout)")
    }

    /// Debug logs show every request and answer, and never the password or the header built from it.
    @Test func debugLogsNeverShowTheSecret() throws {
        let server = RadicaleServer.shared
        let (directory, book) = try prepare(server, count: 3)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let output = try run(directory, password: server.password, environment: ["ACCORD_LOG_LEVEL": "debug"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stderr.contains("→ PUT \(server.url.absoluteString)\(server.user)/\(book)/"))
        #expect(output.stderr.contains("Authorization: <redacted>"))
        let header = Data("\(server.user):\(server.password)".utf8).base64EncodedString()
        #expect(!(output.stdout + output.stderr).contains(server.password) && !(output.stdout + output.stderr).contains(header))
        for file in ["state.sqlite", "state.sqlite-wal"] {
            let state = (try? Data(contentsOf: URL(fileURLWithPath: directory + "/" + file))) ?? Data()
            #expect(state.range(of: Data(server.password.utf8)) == nil, "\(file)")
        }
    }

    @Test func aMissingSecretStopsTheRunNamingTheVariable() throws {
        let server = RadicaleServer.shared
        let (directory, _) = try prepare(server, count: 1)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let output = try run(directory, password: nil)
        #expect(output.status == 1)
        #expect(output.stderr.contains("R1008 carddav (b): 'password' comes from the environment variable ACCORD_TEST_CARDDAV_PASSWORD, which is not set"), "\(output.stderr)")
    }
}
