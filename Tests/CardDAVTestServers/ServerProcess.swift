import AccordConnectors
import Foundation
import Synchronization

/// A Python server (Radicale, Xandikos) run for tests: started on a free loopback port, its
/// output in a log file, ended when `stop()` is called or when the test process is gone.
final class ServerProcess: Sendable {
    let port: Int
    let log: String
    private let process: Mutex<Process?>

    private init(port: Int, log: String, process: sending Process) {
        self.port = port
        self.log = log
        self.process = Mutex(process)
    }

    struct StartFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `entry` (`module:function`, the package's command-line entry point) with the
    /// arguments `arguments(port)` until it accepts connections; tries other ports when one is taken.
    static func start(
        _ name: String, entry: String, package: String, log: String, port fixedPort: Int? = nil, arguments: (Int) -> [String]
    ) throws -> ServerProcess {
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        var lastLog = ""
        for _ in 0..<5 {
            let port = fixedPort ?? freePort()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", launcher(entry: entry, program: name)] + arguments(port)
            let output = FileHandle(forWritingAtPath: log) ?? FileHandle.nullDevice
            output.seekToEndOfFile()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline, process.isRunning {
                if canConnect(port) { return ServerProcess(port: port, log: log, process: process) }
                Thread.sleep(forTimeInterval: 0.05)
            }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            lastLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if lastLog.contains("No module named '\(package)'") {
                throw StartFailure(description: "\(name) is not installed: run ./scripts/setup.sh (pip install \(package))")
            }
        }
        throw StartFailure(description: "\(name) did not start:\n\(lastLog.suffix(2000))")
    }

    /// Runs the entry point, and ends the server when the test process that started it is gone
    /// (a test process that crashes or exits never leaves a server behind).
    private static func launcher(entry: String, program: String) -> String {
        let parts = entry.split(separator: ":")
        return """
            import os, sys, threading, time
            parent = os.getppid()
            def watch():
                while os.getppid() == parent:
                    time.sleep(0.5)
                os._exit(0)
            threading.Thread(target=watch, daemon=True).start()
            from \(parts[0]) import \(parts[1])
            sys.argv = ["\(program)"] + sys.argv[1:]
            \(parts[1])()
            """
    }

    /// Stops the server (SIGTERM; SIGKILL when it is still busy after two seconds) and waits for it.
    func stop() {
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
}

/// An HTTP client for a test server: quick retries, so a test that provokes failures stays fast.
/// A server that answers 423 Locked (Xandikos, while another write holds its git repository)
/// gets retried and one request at a time.
func testClient(app: String, auth: HTTPAuth?) -> HTTPClient {
    var configuration = HTTPClient.Configuration()
    configuration.backoff = .milliseconds(100)
    return HTTPClient(app: app, auth: auth, configuration: configuration)
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
