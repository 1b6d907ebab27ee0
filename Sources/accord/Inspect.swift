import AccordStore
import ArgumentParser
import Foundation

extension Accord {
    struct Health: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "health",
            abstract: "Show a connection's health: in sync, excluded, duplicates, failed, deleted opposites.")
        @Argument(help: "The connection name.") var name: String
        @OptionGroup var stateOptions: StateOptions
        @Option(name: .long, help: "Output format: text or json.") var format: OutputFormat = .text
        @Option(name: .long, help: "How many contacts to list per reason (text output).") var limit = 10

        func run() throws {
            let store = try stateOptions.open(.reading)
            let entries = try store.health(name)
            let counts = try store.counts(name)
            if format == .json {
                struct Report: Encodable {
                    var connection: String
                    var in_sync: Int
                    var records: [String: Int]
                    var entries: [HealthEntry]
                }
                print(json(Report(
                    connection: name, in_sync: counts.links,
                    records: Dictionary(uniqueKeysWithValues: counts.records.map { ($0.key.rawValue, $0.value) }), entries: entries)),
                    terminator: "")
                return
            }
            print("\(name): \(counts.links) in sync (a: \(counts.records[.a] ?? 0) records, b: \(counts.records[.b] ?? 0) records)")
            for kind in HealthEntry.Kind.allCases {
                let ofKind = entries.filter { $0.kind == kind }
                guard !ofKind.isEmpty else { continue }
                print("\(kind.rawValue.replacingOccurrences(of: "_", with: " ")): \(ofKind.count)")
                for (reason, group) in Dictionary(grouping: ofKind, by: \.reason).sorted(by: { $0.key < $1.key }) {
                    print("  \(reason) (\(group.count))")
                    for entry in group.prefix(limit) {
                        print("    \(entry.side.rawValue) \(entry.recordID)" + (entry.email.map { " <\($0)>" } ?? "") + (entry.detail.map { " — \($0)" } ?? ""))
                    }
                    if group.count > limit { print("    … and \(group.count - limit) more") }
                }
            }
        }
    }

    struct Activity: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "activity", abstract: "Show a connection's runs, newest first, with counts and duration.")
        @Argument(help: "The connection name.") var name: String
        @OptionGroup var stateOptions: StateOptions
        @Option(name: .long, help: "Output format: text or json.") var format: OutputFormat = .text
        @Option(name: .long, help: "How many runs.") var limit = 20

        func run() throws {
            let runs = try stateOptions.open(.reading).runs(name, limit: limit)
            if format == .json {
                print(json(runs), terminator: "")
                return
            }
            let formatter = ISO8601DateFormatter()
            for run in runs {
                let counts = run.counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                let outcome: String
                switch run.status {
                case .held: outcome = run.error.map { " held: \($0)" } ?? ""
                case .reverted: outcome = run.detail.flatMap { try? JSONDecoder().decode([String: Int64].self, from: Data($0.utf8))["reverts"] }.map { " reverts #\($0)" } ?? ""
                default: outcome = run.error.map { " error: \($0)" } ?? ""
                }
                print("#\(run.id) \(formatter.string(from: run.startedAt)) \(run.status.rawValue) \(run.fullScan ? "full" : "incremental") "
                    + (run.duration.map { String(format: "%.2fs", $0) } ?? "-") + (counts.isEmpty ? " no changes" : " " + counts) + outcome)
            }
        }
    }

    struct Pause: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause a connection: runs skip it until it is resumed.")
        @Argument(help: "The connection name.") var name: String
        @OptionGroup var stateOptions: StateOptions
        func run() throws { try setPaused(true, name: name, state: stateOptions) }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume a paused connection.")
        @Argument(help: "The connection name.") var name: String
        @OptionGroup var stateOptions: StateOptions
        func run() throws { try setPaused(false, name: name, state: stateOptions) }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "retry", abstract: "Retry every contact that failed to sync, at the next run.")
        @Argument(help: "The connection name.") var name: String
        @OptionGroup var stateOptions: StateOptions
        func run() throws {
            try stateOptions.open().requestRetry(name)
            print("\(name): failed contacts will be retried at the next run")
        }
    }
}

private func setPaused(_ paused: Bool, name: String, state: StateOptions) throws {
    try state.open().setPaused(name, paused)
    print("\(name): \(paused ? "paused" : "resumed")")
}
