import Foundation
import Testing

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// The `accord` binary built next to the test bundle.
let accordExecutable: String? = {
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("accord").path,
        Bundle.main.bundleURL.appendingPathComponent("accord").path,
        Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("accord").path,
        packageRoot + "/.build/debug/accord",
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}()

struct AccordOutput {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// A started `accord` process with its output going to files (so a test can poll them).
func startAccord(_ arguments: [String], in directory: String = packageRoot, environment: [String: String] = [:], outputPrefix: String) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try #require(accordExecutable, "build the accord executable first"))
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    _ = FileManager.default.createFile(atPath: outputPrefix + ".out", contents: nil)
    _ = FileManager.default.createFile(atPath: outputPrefix + ".err", contents: nil)
    process.standardOutput = FileHandle(forWritingAtPath: outputPrefix + ".out")
    process.standardError = FileHandle(forWritingAtPath: outputPrefix + ".err")
    try process.run()
    return process
}

/// Runs `accord` to the end.
func runAccord(_ arguments: [String], in directory: String = packageRoot, environment: [String: String] = [:]) throws -> AccordOutput {
    let prefix = NSTemporaryDirectory() + "accord-out-" + UUID().uuidString
    defer {
        try? FileManager.default.removeItem(atPath: prefix + ".out")
        try? FileManager.default.removeItem(atPath: prefix + ".err")
    }
    let process = try startAccord(arguments, in: directory, environment: environment, outputPrefix: prefix)
    process.waitUntilExit()
    return AccordOutput(
        status: process.terminationStatus,
        stdout: (try? String(contentsOfFile: prefix + ".out", encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: prefix + ".err", encoding: .utf8)) ?? "")
}

/// Waits until `path` contains `text`; false after `seconds`.
func waitFor(_ text: String, in path: String, seconds: Double = 30) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let content = try? String(contentsOfFile: path, encoding: .utf8), content.contains(text) { return true }
        usleep(20_000)
    }
    return false
}
