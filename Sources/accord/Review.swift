import AccordModel
import AccordPlan
import AccordRunner
import AccordStore
import ArgumentParser
import Foundation

extension Accord {
    struct Approve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "approve",
            abstract: "Let a connection's next run go over its safety budget, once.",
            discussion: "A run held by the safety budget wrote nothing and printed what it would do; `accord activity NAME` shows why it was held.")
        @Argument(help: "The connection name.") var name: String
        @OptionGroup var stateOptions: StateOptions

        func run() throws {
            let store = try stateOptions.open()
            let held = try store.runs(name, limit: 1).first.flatMap { $0.status == .held ? $0 : nil }
            try store.approve(name)
            print("\(name): the next run may go over the safety budget once" + (held.map { " (held run #\($0.id): \($0.error ?? ""))" } ?? ""))
        }
    }

    struct Log: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "log",
            abstract: "Show what a run wrote: every field with its value before and after, markers, creates.",
            discussion: "Without --run, the last run that wrote anything. Changelogs are kept `safety.changelog_days` days (default 30).")
        @Argument(help: "The connection name.") var name: String
        @Option(name: .customLong("run"), help: "The run (its number in `accord activity`).") var runNumber: Int64?
        @OptionGroup var stateOptions: StateOptions
        @Option(name: .long, help: "Output format: text or json.") var format: OutputFormat = .text

        func run() throws {
            let store = try stateOptions.open(.reading)
            guard let id = try runNumber ?? store.changelogRuns(name).last else {
                throw ValidationError("'\(name)' has no run with a changelog in the state")
            }
            let entries = try store.changelog(name, run: id)
            let record = try store.run(name, id: id)
            if format == .json {
                struct Log: Encodable {
                    var connection: String
                    var run: Int64
                    var status: RunRecord.Status?
                    var started_at: Date?
                    var entries: [ChangelogEntry]
                }
                print(json(Log(connection: name, run: id, status: record?.status, started_at: record?.startedAt, entries: entries)), terminator: "")
                return
            }
            let when = record.map { ISO8601DateFormatter().string(from: $0.startedAt) } ?? "?"
            print("\(name) run #\(id) \(when) \(record?.status.rawValue ?? ""): \(entries.filter { $0.kind == .created }.count) created, \(entries.filter { $0.kind == .updated }.count) updated")
            for entry in entries {
                let who = "\(entry.side.rawValue) \(entry.recordID)" + (entry.email.map { " <\($0)>" } ?? "")
                let from = entry.counterpart.map { " from \(entry.side.other.rawValue) \($0)" } ?? ""
                print("  \(entry.kind.rawValue) \(who)\(from)")
                for field in entry.fields {
                    print("    \(field.field): \(RunText.describe(field.before)) → \(RunText.describe(field.after))")
                }
                for segment in entry.segments {
                    print("    \(segment.kind): " + (segment.added.map { "+'\($0)'" } + segment.removed.map { "-'\($0)'" }).joined(separator: " "))
                }
            }
        }
    }

    struct Revert: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revert",
            abstract: "Undo a run: write back the values it overwrote, take off the markers it added, tag what it created.",
            discussion: """
            A field is written back only where the app still holds what the run wrote; one changed
            since is reported as a conflict and left alone. Contacts the run created are tagged
            'Accord Reverted' (accord never deletes a contact). The state's baselines stay: the
            next run syncs the restored values to the other app as edits made in this one.
            """)
        @Argument(help: "The connection name.") var name: String
        @Option(name: .customLong("run"), help: "The run to undo (its number in `accord activity`).") var runNumber: Int64
        @Flag(name: .long, help: "Print what would be written back; write nothing.") var dryRun = false
        @OptionGroup var stateOptions: StateOptions
        @Option(name: .long, help: "Output format: text or json.") var format: OutputFormat = .text

        func run() async throws {
            let store = try stateOptions.open(dryRun ? .reading : .readWrite)
            guard let ran = try store.ranPlan(name), let plan = try? JSONDecoder().decode(SyncPlan.self, from: Data(ran.json.utf8)) else {
                throw ValidationError("the state holds no plan for '\(name)': it has not run through once with this accord")
            }
            guard try store.run(name, id: runNumber) != nil else { throw ValidationError("'\(name)' has no run #\(runNumber) in the state") }
            let a = try ConnectorFactory.make(plan.app(.a), baseDirectory: ran.baseDirectory)
            let b = try ConnectorFactory.make(plan.app(.b), baseDirectory: ran.baseDirectory)
            let report = try await Reverter(plan: plan, a: a, b: b, store: store).revert(run: runNumber, dryRun: dryRun)
            try store.close()
            if format == .json {
                print(json(report), terminator: "")
                return
            }
            let verb = dryRun ? "would restore" : "restored"
            print("\(name): \(dryRun ? "dry run of the revert of" : "reverted") run #\(runNumber)\(report.run.map { " (as run #\($0))" } ?? ""): "
                + "\(verb) \(report.fieldsRestored) fields and \(report.segmentsRestored) segment changes, "
                + "\(dryRun ? "would tag" : "tagged") \(report.createdTagged) created contacts '\(Reverter.marker)', \(report.conflicts.count) conflicts left alone")
            for conflict in report.conflicts {
                print("  conflict \(conflict.side.rawValue) \(conflict.recordID)" + (conflict.email.map { " <\($0)>" } ?? "")
                    + (conflict.field.map { " \($0)" } ?? "") + ": \(conflict.reason)")
            }
            if dryRun {
                for entry in report.changes {
                    print("  \(entry.side.rawValue) \(entry.recordID)" + (entry.email.map { " <\($0)>" } ?? ""))
                    for field in entry.fields { print("    \(field.field): \(RunText.describe(field.before)) → \(RunText.describe(field.after))") }
                    for segment in entry.segments {
                        print("    \(segment.kind): " + (segment.added.map { "+'\($0)'" } + segment.removed.map { "-'\($0)'" }).joined(separator: " "))
                    }
                }
            }
        }
    }
}
