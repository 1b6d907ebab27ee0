import AccordCompiler
import AccordDiagnostics
import AccordModel
import AccordPlan
import AccordRunner
import AccordStore
import ArgumentParser
import Foundation
import Logging
import Synchronization

extension Accord {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Run connections: sync their two apps once, or on a timer.",
            discussion: """
            PATH is a connection file (compiled on the fly) or a compiled plan (.json). Relative app
            paths are resolved against the connection file's directory. With --every, a connection
            whose previous run is still going (here or in another runner) is skipped; SIGINT or
            SIGTERM finishes the current batch, saves state and exits 0.

            A run that would delete, overwrite or clear more contacts than the connection's safety
            budget allows (`safety:`) is held: it writes nothing, prints what it would have done,
            and exits 3. `accord approve NAME` (or --accept-held) lets the next run through.

            Exit codes: 0 success; 1 a run failed; 3 a run was held by the safety budget; 64 usage.
            """)

        @Argument(help: ArgumentHelp("Connection files or compiled plans.", valueName: "path"))
        var paths: [String]

        @OptionGroup var stateOptions: StateOptions
        @OptionGroup var schemaOptions: SchemaOptions

        @Flag(name: .long, help: "Print what would be created, updated and marked; write nothing.")
        var dryRun = false

        @Flag(name: .long, help: "Let this run go over the safety budget once (as `accord approve` does).")
        var acceptHeld = false

        @Option(name: .long, help: ArgumentHelp("Run again after this long, until stopped (e.g. 30s, 5m, 1h).", valueName: "duration"))
        var every: Duration?

        @Option(name: .long, help: "Output format: text or json.")
        var format: OutputFormat = .text

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Log level on standard error: trace, debug, info, notice, warning, error (default: $ACCORD_LOG_LEVEL or warning). debug shows every HTTP request, secrets redacted.",
                valueName: "level"))
        var logLevel: String?

        func validate() throws {
            if let logLevel, Logger.Level(rawValue: logLevel) == nil { throw ValidationError("unknown log level '\(logLevel)'") }
        }

        func run() async throws {
            let level = (logLevel ?? ProcessInfo.processInfo.environment["ACCORD_LOG_LEVEL"]).flatMap(Logger.Level.init(rawValue:)) ?? .warning
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let stop = StopSignal.install()
            let store = try stateOptions.open(dryRun ? .reading : .readWrite)
            var outcome = RunOutcome.success
            repeat {
                for path in paths {
                    if stop.requested { break }
                    outcome = max(outcome, await runOne(path, store: store, stop: stop))
                }
                guard let every, !stop.requested else { break }
                await stop.sleep(every)
            } while !stop.requested
            try store.close()
            if outcome != .success, every == nil { throw ExitCode(outcome.rawValue) }
        }

        /// Runs one connection.
        func runOne(_ path: String, store: StateStore, stop: StopSignal) async -> RunOutcome {
            do {
                let plan = try loadPlan(path, schemas: schemaOptions.schemas)
                let base = (path as NSString).deletingLastPathComponent
                let baseDirectory = base.isEmpty ? FileManager.default.currentDirectoryPath : (base as NSString).standardizingPath
                let absoluteBase = baseDirectory.hasPrefix("/") ? baseDirectory : FileManager.default.currentDirectoryPath + "/" + baseDirectory
                let a = try ConnectorFactory.make(plan.app(.a), baseDirectory: absoluteBase)
                let b = try ConnectorFactory.make(plan.app(.b), baseDirectory: absoluteBase)
                let progress = ProgressLine()
                var showProgress: (@Sendable (String) -> Void)?
                if format == .text { showProgress = { @Sendable line in progress.show(line) } }
                let options = RunOptions(
                    dryRun: dryRun, acceptHeld: acceptHeld, reportsChanges: format == .json, progress: showProgress, shouldStop: { stop.requested })
                let report = try await Runner(plan: plan, a: a, b: b, store: store, baseDirectory: absoluteBase).run(options)
                progress.finish()
                // Unbuffered: with --every, each run's summary shows as it happens, also in a log file.
                FileHandle.standardOutput.write(Data((format == .json ? json(report) : RunText.summary(report)).utf8))
                return report.held != nil && !report.dryRun ? .held : .success
            } catch let refusal as RunRefusal {
                if case .paused = refusal {
                    printError("accord: \(path): skipped: \(refusal)\n")
                    return .success
                }
                printError("accord: \(path): \(every != nil ? "skipped: " : "")\(refusal)\n")
                return every != nil ? .success : .failure
            } catch let failure as PlanLoadFailure {
                printError(failure.rendered)
                return .failure
            } catch {
                printError("accord: \(path): run failed: \(error)\n")
                return .failure
            }
        }
    }
}

/// `--state FILE`.
struct StateOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The state database (default: $ACCORD_STATE or .accord/state.sqlite).", valueName: "file"))
    var state: String?

    /// The store, for a command that writes it or (`.reading`) one that leaves it as it is.
    func open(_ access: StateStore.Access = .readWrite) throws -> StateStore {
        do {
            return try StateStore(path: state ?? StateStore.defaultPath, access: access)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

extension Duration: @retroactive ExpressibleByArgument {
    /// `30s`, `5m`, `1h`, or plain seconds.
    public init?(argument: String) {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        let unit = argument.last.flatMap { units[$0] }
        guard let number = Double(unit == nil ? argument : String(argument.dropLast())), number > 0 else { return nil }
        self = .milliseconds(Int64(number * (unit ?? 1) * 1000))
    }
}

struct PlanLoadFailure: Error {
    var rendered: String
}

/// A connection file compiled now, or a plan compiled earlier.
func loadPlan(_ path: String, schemas: String) throws -> SyncPlan {
    if path.hasSuffix(".json") {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read '\(path)'") }
        return try JSONDecoder().decode(SyncPlan.self, from: data)
    }
    let (plan, unit, compiler) = Compiler.compile(path: path, schemasDirectory: schemas)
    guard let plan else {
        var sources = compiler.schemaSources
        if let source = unit.source { sources[source.path] = source }
        throw PlanLoadFailure(rendered: TextRenderer(sources: sources).render(unit.diagnostics.sortedForOutput(), filesChecked: 1))
    }
    return plan
}

func json<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self) + "\n"
}

/// SIGINT/SIGTERM set a flag the runner checks between batches.
final class StopSignal: Sendable {
    private let flag = Mutex(false)
    private static let shared = StopSignal()
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    var requested: Bool { flag.withLock { $0 } }

    static func install() -> StopSignal {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                shared.flag.withLock { $0 = true }
                FileHandle.standardError.write(Data("\naccord: stopping after the current batch\n".utf8))
            }
            source.resume()
            sources.append(source)
        }
        return shared
    }

    func sleep(_ duration: Duration) async {
        let deadline = ContinuousClock.now + duration
        while !requested, ContinuousClock.now < deadline {
            try? await Task.sleep(for: min(.milliseconds(200), deadline - ContinuousClock.now))
        }
    }
}

/// Progress on standard error: one rewritten line on a terminal, plain lines otherwise.
final class ProgressLine: Sendable {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let shown = Mutex(false)

    func show(_ line: String) {
        if isTerminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
            shown.withLock { $0 = true }
        } else {
            FileHandle.standardError.write(Data("accord: \(line)\n".utf8))
        }
    }

    func finish() {
        if shown.withLock({ $0 }) { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

/// How a `run` command ends, in the order of precedence when it runs several connections: the
/// raw value is the exit code.
enum RunOutcome: Int32, Comparable {
    case success = 0
    /// A run was held by the safety budget: it wrote nothing, and waits for `accord approve`.
    case held = 3
    case failure = 1

    private var rank: Int {
        switch self {
        case .success: 0
        case .held: 1
        case .failure: 2
        }
    }

    static func < (lhs: RunOutcome, rhs: RunOutcome) -> Bool { lhs.rank < rhs.rank }
}

/// Text renderings of run reports.
enum RunText {
    static func summary(_ report: RunReport) -> String {
        let c = report.counts
        var out = ""
        if report.dryRun { out += "\(report.connection): dry run, nothing written\n" }
        if let held = report.held {
            out += report.dryRun
                ? "\(report.connection): this run would be held by the safety budget:\n"
                : "\(report.connection): held by the safety budget, nothing written:\n"
            for reason in held.reasons { out += "  \(reason)\n" }
            if !held.samples.isEmpty {
                out += "  for example:\n"
                for sample in held.samples {
                    out += "    \(sample.change) in \(sample.app) (\(sample.side.rawValue)): \(sample.email ?? sample.id)\n"
                }
            }
            if !report.dryRun {
                out += "  review what it would do below; then `accord approve \(report.connection)` (or run with --accept-held) lets the next run through\n"
            }
        }
        if report.dryRun || report.held != nil {
            for way in Way.allCases {
                let changes = report.changes.filter { $0.way == way }
                guard !changes.isEmpty else { continue }
                out += "  \(way.rawValue):\n"
                for change in changes {
                    let who = change.email ?? change.targetID ?? change.sourceID
                    out += "    \(change.kind.rawValue) \(who)\n"
                    for field in change.fields {
                        out += "      \(field.field): \(describe(field.before)) → \(describe(field.after))\n"
                    }
                    for segment in change.segments {
                        let added = segment.added.map { "+'\($0)'" }, removed = segment.removed.map { "-'\($0)'" }
                        out += "      \(segment.kind): \((added + removed).joined(separator: " "))\n"
                    }
                }
            }
        }
        out += "\(report.connection): \(report.held != nil && !report.dryRun ? "held" : report.fullScan ? "full scan" : report.unchanged ? "unchanged" : "incremental"), "
            + "created \(c.created_a_to_b) a→b / \(c.created_b_to_a) b→a, updated \(c.updated_a_to_b) a→b / \(c.updated_b_to_a) b→a, "
            + "\(c.markers_added) markers, \(c.conflicts_resolved) conflicts, \(c.failed) failed, \(c.excluded) excluded, "
            + "\(c.duplicates) duplicates in \(String(format: "%.2f", report.seconds)) s\n"
        return out
    }

    static func describe(_ values: [String]) -> String {
        values.isEmpty ? "(empty)" : values.map { "'\($0)'" }.joined(separator: ", ")
    }
}
