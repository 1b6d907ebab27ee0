import AccordConnectors
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// A real Radicale CardDAV server for tests: started with `python3 -m radicale` on a free
/// loopback port, with its own storage folder and an htpasswd user, stopped on `stop()`.
/// `./scripts/setup.sh` installs Radicale (`pip install radicale`).
public final class RadicaleServer: Sendable {
    public let port: Int
    public let folder: String
    public let user = "alice"
    public let password: String
    private let process: Mutex<Process?>

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

    private init(port: Int, folder: String, password: String, process: sending Process) {
        self.port = port
        self.folder = folder
        self.password = password
        self.process = Mutex(process)
    }

    public struct StartFailure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts a server; with `folder` and `port`, restarts one on the same storage and address.
    public static func start(folder: String? = nil, port: Int? = nil, password: String? = nil) throws -> RadicaleServer {
        let folder = folder ?? NSTemporaryDirectory() + "accord-radicale-" + UUID().uuidString
        let password = password ?? "pw-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder + "/collections", withIntermediateDirectories: true)
        try "alice:\(password)\n".write(toFile: folder + "/users", atomically: true, encoding: .utf8)
        var lastLog = ""
        for _ in 0..<5 {
            let port = port ?? freePort()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "python3", "-c", Self.launcher, "--config", "", "--server-hosts", "127.0.0.1:\(port)",
                "--storage-filesystem-folder", folder + "/collections", "--auth-type", "htpasswd",
                "--auth-htpasswd-filename", folder + "/users", "--auth-htpasswd-encryption", "plain",
                "--auth-delay", "0", "--rights-type", "owner_only", "--logging-level", "info",
            ]
            let log = FileHandle(forWritingAtPath: createLog(folder)) ?? FileHandle.nullDevice
            log.seekToEndOfFile()
            process.standardOutput = log
            process.standardError = log
            try process.run()
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline, process.isRunning {
                if canConnect(port) { return RadicaleServer(port: port, folder: folder, password: password, process: process) }
                Thread.sleep(forTimeInterval: 0.05)
            }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            lastLog = (try? String(contentsOfFile: folder + "/radicale.log", encoding: .utf8)) ?? ""
            if lastLog.contains("No module named 'radicale'") {
                throw StartFailure(description: "Radicale is not installed: run ./scripts/setup.sh (pip install radicale)")
            }
        }
        throw StartFailure(description: "Radicale did not start:\n\(lastLog.suffix(2000))")
    }

    /// Runs Radicale, and ends it when the test process that started it is gone (a test
    /// process that crashes or exits never leaves a server behind).
    private static let launcher = """
        import os, sys, threading, time
        parent = os.getppid()
        def watch():
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
        from radicale.__main__ import run
        sys.argv = ["radicale"] + sys.argv[1:]
        run()
        """

    private static func createLog(_ folder: String) -> String {
        let path = folder + "/radicale.log"
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        return path
    }

    /// Stops the server (SIGTERM; SIGKILL when it is still busy after two seconds) and waits for it.
    public func stop() {
        process.withLock { process in
            guard let running = process else { return }
            if running.isRunning { running.terminate() }
            let deadline = Date().addingTimeInterval(2)
            while running.isRunning, Date() < deadline { usleep(20_000) }
            if running.isRunning { kill(running.processIdentifier, SIGKILL) }
            running.waitUntilExit()
            process = nil
        }
    }

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
        var configuration = HTTPClient.Configuration()
        configuration.backoff = .milliseconds(50)
        configuration.attempts = 2
        return HTTPClient(app: app, auth: .basic(user: user, password: password), configuration: configuration)
    }

    /// Requests the server has logged so far, by method (`PUT`, `REPORT`, ...).
    public func requestCounts() -> [String: Int] {
        let log = (try? String(contentsOfFile: folder + "/radicale.log", encoding: .utf8)) ?? ""
        var counts: [String: Int] = [:]
        for line in log.split(separator: "\n") {
            guard let range = line.range(of: " request for '") else { continue }
            let method = line[..<range.lowerBound].split(separator: " ").last.map(String.init) ?? "?"
            counts[method, default: 0] += 1
        }
        return counts
    }
}

/// A TCP port nothing listens on right now (bound to port 0 and released).
public func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

func canConnect(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}
