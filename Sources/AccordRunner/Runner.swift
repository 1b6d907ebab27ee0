import AccordConnectors
import AccordModel
import AccordPlan
import AccordStore
import Foundation

/// Options of one run.
public struct RunOptions: Sendable {
    /// Compute and report every change, write nothing (neither apps nor state).
    public var dryRun: Bool
    /// Let this run go over the safety budget (as `accord approve` does for the next run).
    public var acceptHeld: Bool
    /// Receives progress lines (phase and counts).
    public var progress: (@Sendable (String) -> Void)?
    /// Asked between write batches; when it answers true the run stops after saving what it did.
    public var shouldStop: @Sendable () -> Bool
    /// Whether the report lists every change with its fields (`RunReport.changes`); a dry run
    /// always does. Off, a large run does not hold a description of every write in memory.
    public var reportsChanges: Bool

    public init(
        dryRun: Bool = false, acceptHeld: Bool = false, reportsChanges: Bool = true, progress: (@Sendable (String) -> Void)? = nil,
        shouldStop: @escaping @Sendable () -> Bool = { false }
    ) {
        self.dryRun = dryRun
        self.acceptHeld = acceptHeld
        self.reportsChanges = reportsChanges || dryRun
        self.progress = progress
        self.shouldStop = shouldStop
    }
}

/// Why a run did not happen.
public enum RunRefusal: Error, CustomStringConvertible, Sendable {
    case locked(LockHolder)
    case paused
    case unknownPlanVersion(Int)

    public var description: String {
        switch self {
        case .locked(let holder): "another runner holds this connection: \(holder)"
        case .paused: "the connection is paused"
        case .unknownPlanVersion(let version): "plan format_version \(version) is not supported by this accord"
        }
    }
}

/// Carries out a sync plan between two apps, keeping its memory in the state store.
public struct Runner: Sendable {
    public let plan: SyncPlan
    public let a: any ContactConnector
    public let b: any ContactConnector
    public let store: StateStore
    /// The directory the plan's relative paths are resolved against (the connection file's),
    /// kept with the plan for `accord revert`.
    public let baseDirectory: String

    public init(plan: SyncPlan, a: any ContactConnector, b: any ContactConnector, store: StateStore, baseDirectory: String = ".") {
        self.plan = plan
        self.a = a
        self.b = b
        self.store = store
        self.baseDirectory = baseDirectory
    }

    /// Runs the connection once.
    public func run(_ options: RunOptions = RunOptions()) async throws -> RunReport {
        guard plan.format_version == SyncPlan.currentFormatVersion else { throw RunRefusal.unknownPlanVersion(plan.format_version) }
        let pid = ProcessInfo.processInfo.processIdentifier
        let host = ProcessInfo.processInfo.hostName
        if !options.dryRun {
            if let holder = try store.acquireLock(plan.connection, pid: pid, host: host, isAlive: { Self.isAlive($0, host: host) }) {
                throw RunRefusal.locked(holder)
            }
        }
        defer { if !options.dryRun { try? store.releaseLock(plan.connection, pid: pid, host: host) } }
        let header = try store.header(plan.connection)
        if plan.paused || header.paused { throw RunRefusal.paused }

        let fullScan = header.fingerprint != plan.fingerprint
        let start = Date()
        let budget = plan.safety ?? .defaults
        var runID: Int64?
        if !options.dryRun {
            try store.pruneChangelog(plan.connection, before: start.addingTimeInterval(-Double(budget.changelog_days) * 86_400))
            runID = try store.startRun(plan.connection, fullScan: fullScan, dryRun: false, at: start)
        }
        var counts = RunCounts()
        let result: Engine.Result?
        do {
            if try await nothingChanged(header, fullScan: fullScan) {
                options.progress?("neither app changed since the last run")
                counts = try standingCounts()
                result = nil
            } else {
                let context = RunContext(
                    plan: CompiledPlan(plan), connectors: BySide(a: a, b: b), store: store, snapshot: try store.load(plan.connection),
                    fullScan: fullScan, options: options, runID: runID)
                result = try await Engine(context: context).execute(approved: header.approved || options.acceptHeld)
                counts = result!.counts
            }
        } catch {
            if let runID {
                try? store.finishRun(runID, connection: plan.connection, status: .failed, counts: counts.dictionary, error: "\(error)")
            }
            throw error
        }
        if let runID {
            if let held = result?.held {
                try store.finishRun(
                    runID, connection: plan.connection, status: .held, counts: counts.dictionary, error: held.reasons.joined(separator: "; "),
                    detail: Self.json(held))
            } else {
                try store.finishRun(
                    runID, connection: plan.connection, status: .ok, counts: counts.dictionary, error: nil,
                    ran: RanPlan(fingerprint: plan.fingerprint, json: plan.canonicalJSON(pretty: false), baseDirectory: baseDirectory))
            }
        }
        return RunReport(
            connection: plan.connection, fullScan: fullScan, unchanged: result == nil, dryRun: options.dryRun, counts: counts,
            changes: result?.changes ?? [], seconds: Date().timeIntervalSince(start), held: result?.held, run: runID)
    }

    /// Whether the run has nothing to do: the plan is the one the last run finished with, no
    /// create is left unresolved, no retry or approval is pending, and both apps say a listing
    /// from their cursor would find nothing (a digest of the versions the state remembers, or a
    /// ctag no write has moved since). Then the last run's state and health stand, and nothing
    /// is loaded or read.
    private func nothingChanged(_ header: ConnectionHeader, fullScan: Bool) async throws -> Bool {
        guard !fullScan, !header.retryRequested, header.pendingIntents == 0,
              let cursorA = header.cursors[.a], let cursorB = header.cursors[.b]
        else { return false }
        async let unchangedA = isUnchanged(a, since: cursorA, side: .a)
        async let unchangedB = isUnchanged(b, since: cursorB, side: .b)
        let (aUnchanged, bUnchanged) = try await (unchangedA, unchangedB)
        return aUnchanged && bUnchanged
    }

    /// The counts of a run that found nothing changed: the last run's exclusions and duplicates
    /// stand, and are counted as a run that looked would count them.
    private func standingCounts() throws -> RunCounts {
        let standing = try store.healthCounts(plan.connection)
        var counts = RunCounts()
        counts.excluded = standing[.excluded] ?? 0
        counts.duplicates = standing[.duplicate] ?? 0
        return counts
    }

    private func isUnchanged(_ connector: any ContactConnector, since cursor: String, side: Side) async throws -> Bool {
        do {
            return try await connector.isUnchanged(since: cursor)
        } catch {
            throw RunContext.cannotList(plan.app(side), error)
        }
    }

    /// A holder on this host is alive while its process exists; one on another host is assumed alive.
    static func isAlive(_ holder: LockHolder, host: String) -> Bool {
        guard holder.host == host else { return true }
        return kill(holder.pid, 0) == 0 || errno == EPERM
    }

    private static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }
}
