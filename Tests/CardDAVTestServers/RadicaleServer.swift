import AccordConnectors
import Foundation

/// A real Radicale CardDAV server for tests: started on a free loopback port, with its own
/// storage folder and an htpasswd user, `owner_only` rights, stopped on `stop()`.
/// `./scripts/setup.sh` installs Radicale (`pip install radicale`).
public final class RadicaleServer: Sendable {
    public let folder: String
    public let user = "alice"
    public let password: String
    private let process: ServerProcess

    public var port: Int { process.port }

    /// The server's root URL.
    public var url: URL { URL(string: "http://127.0.0.1:\(port)/")! }

    /// The one server a test process shares (each test makes its own address book); started on first use.
    public static let shared: RadicaleServer = {
        do {
            return try RadicaleServer.start()
        } catch {
            fatalError("\(error)")
        }
    }()

    private init(folder: String, password: String, process: ServerProcess) {
        self.folder = folder
        self.password = password
        self.process = process
    }

    /// Starts a server; with `folder` and `port`, restarts one on the same storage and address.
    public static func start(folder: String? = nil, port: Int? = nil, password: String? = nil) throws -> RadicaleServer {
        let folder = folder ?? NSTemporaryDirectory() + "accord-radicale-" + UUID().uuidString
        let password = password ?? "pw-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder + "/collections", withIntermediateDirectories: true)
        try "alice:\(password)\n".write(toFile: folder + "/users", atomically: true, encoding: .utf8)
        let process = try ServerProcess.start("radicale", entry: "radicale.__main__:run", package: "radicale", log: folder + "/radicale.log", port: port) { port in
            [
                "--config", "", "--server-hosts", "127.0.0.1:\(port)",
                "--storage-filesystem-folder", folder + "/collections", "--auth-type", "htpasswd",
                "--auth-htpasswd-filename", folder + "/users", "--auth-htpasswd-encryption", "plain",
                "--auth-delay", "0", "--rights-type", "owner_only", "--logging-level", "info",
            ]
        }
        return RadicaleServer(folder: folder, password: password, process: process)
    }

    /// Stops the server (SIGTERM; SIGKILL when it is still busy after two seconds) and waits for it.
    public func stop() { process.stop() }

    /// Stops the server and removes its storage.
    public func destroy() {
        stop()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Creates an address book (a Radicale collection on disk) and returns its URL.
    @discardableResult
    public func makeAddressBook(_ name: String, displayName: String? = nil) throws -> URL {
        let path = "\(folder)/collections/collection-root/\(user)/\(name)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let props = #"{"tag": "VADDRESSBOOK", "D:displayname": "\#(displayName ?? name)"}"#
        try props.write(toFile: path + "/.Radicale.props", atomically: true, encoding: .utf8)
        return URL(string: "\(user)/\(name)/", relativeTo: url)!.absoluteURL
    }

    /// An HTTP client logged in as the test user.
    public func client(app: String = "carddav (test)") -> HTTPClient {
        testClient(app: app, auth: .basic(user: user, password: password))
    }

    /// Requests the server has logged so far, by method (`PUT`, `REPORT`, ...).
    public func requestCounts() -> [String: Int] {
        let log = (try? String(contentsOfFile: process.log, encoding: .utf8)) ?? ""
        var counts: [String: Int] = [:]
        for line in log.split(separator: "\n") {
            guard let range = line.range(of: " request for '") else { continue }
            let method = line[..<range.lowerBound].split(separator: " ").last.map(String.init) ?? "?"
            counts[method, default: 0] += 1
        }
        return counts
    }
}
