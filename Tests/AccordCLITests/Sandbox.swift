import AccordConnectors
import Foundation
import Testing

/// A temporary folder with a csv (a) ↔ vcard-dir (b) connection, its two apps and a state file.
struct Sandbox {
    let directory: String
    var connection: String { directory + "/connection.yaml" }
    var state: String { directory + "/state.sqlite" }
    var csv: String { directory + "/a.csv" }
    var vcards: String { directory + "/b" }

    init(rules: String = "", batchSize: Int = 500) throws {
        directory = NSTemporaryDirectory() + "accord-sandbox-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory + "/b", withIntermediateDirectories: true)
        try """
        connection: sandbox
        apps:
          a: {app: csv, settings: {path: a.csv, batch_size: "\(batchSize)"}}
          b: {app: vcard-dir, settings: {path: b, batch_size: "\(batchSize)"}}
        direction: two-way
        winner: a
        sync_deletions: {enabled: true, marker: Accord Trash}
        \(rules)
        """.write(toFile: connection, atomically: true, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    func writeCSV(_ text: String) throws { try text.write(toFile: csv, atomically: true, encoding: .utf8) }

    func writeVCard(_ name: String, _ lines: [String]) throws {
        try (["BEGIN:VCARD", "VERSION:3.0", "UID:\(name)"] + lines + ["END:VCARD"]).map { $0 + "\r\n" }.joined()
            .write(toFile: vcards + "/\(name).vcf", atomically: true, encoding: .utf8)
    }

    /// `accord ARGUMENTS --state STATE`, and for `run` the connection file.
    func accord(_ arguments: [String], environment: [String: String] = [:]) throws -> AccordOutput {
        try runAccord(arguments + runArguments(arguments), environment: environment)
    }

    func runArguments(_ arguments: [String]) -> [String] {
        ["--state", state] + (arguments.first == "run" ? [connection, "--schemas", packageRoot + "/schemas"] : [])
    }

    /// The records of one app ("a" or "b"), read through its connector.
    func records(_ side: String) async throws -> [ContactRecord] {
        let connector: any ContactConnector = side == "a" ? CSVConnector(path: csv) : VCardDirectoryConnector(directory: vcards)
        return try await connector.list(since: .full).changed
    }

    /// Every record of one app as a sorted line of its fields and tags, without ids.
    func contents(_ side: String) async throws -> [String] {
        try await records(side).map { record in
            let fields = record.fields.filter { !["id", "uid", "rev"].contains($0.key) && !$0.value.allSatisfy(\.isEmpty) }
                .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.joined(separator: "|"))" }
            let tags = record.segments.sorted { $0.key < $1.key }.map { "#\($0.key)=\($0.value.sorted().joined(separator: "|"))" }
            return (fields + tags).joined(separator: " ")
        }.sorted()
    }

    /// The emails of one app; a test checks none repeats.
    func emails(_ side: String) async throws -> [String] {
        try await records(side).compactMap { $0.fields["email"]?.first?.lowercased() }
    }

    /// A hash of every file's name and content, to prove nothing was written.
    func fingerprint() throws -> String {
        var parts: [String] = []
        for path in [csv] + ((try? FileManager.default.contentsOfDirectory(atPath: vcards)) ?? []).sorted().map({ vcards + "/" + $0 }) {
            parts.append(path + ":" + ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "-"))
        }
        return parts.joined(separator: "\n")
    }
}
