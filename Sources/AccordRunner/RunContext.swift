import AccordConnectors
import AccordModel
import AccordPlan
import AccordStore

/// What every phase of a run reads and none changes: the plan worked out for the run, the two
/// apps, the state store and what it held when the run began, and the run's options.
struct RunContext: Sendable {
    let plan: CompiledPlan
    let connectors: BySide<any ContactConnector>
    let store: StateStore
    let snapshot: ConnectionSnapshot
    /// Whether both apps are listed whole: the first run, and any run after the plan changed.
    let fullScan: Bool
    let options: RunOptions
    /// The run's number in activity, which its changelog is kept under; `nil` for a dry run.
    let runID: Int64?

    var connection: String { plan.plan.connection }

    /// Whether the state holds nothing yet for the connection.
    var isFirstRun: Bool { snapshot.fingerprint == nil && snapshot.links.isEmpty && snapshot.records.values.allSatisfy(\.isEmpty) }

    func app(_ side: Side) -> SyncPlan.App { plan.app(side) }

    /// The same run, with records renamed in the state's snapshot (`Listing.reidentified`).
    func reidentifying(_ renamed: BySide<[String: String]>) -> RunContext {
        guard !renamed.a.isEmpty || !renamed.b.isEmpty else { return self }
        let snapshot = snapshot.reidentifying(renamed.a, on: .a).reidentifying(renamed.b, on: .b)
        return RunContext(plan: plan, connectors: connectors, store: store, snapshot: snapshot, fullScan: fullScan, options: options, runID: runID)
    }

    /// The same run, writing nothing and reporting every change: what a held run shows.
    func dryRun() -> RunContext {
        var options = options
        options.dryRun = true
        options.reportsChanges = true
        return RunContext(
            plan: plan, connectors: connectors, store: store, snapshot: snapshot, fullScan: fullScan, options: options, runID: nil)
    }

    func report(_ line: String) { options.progress?(line) }

    /// What changed in one app since the last run (everything on a full scan).
    func listing(_ side: Side) async throws -> Listing {
        var known: [String: String] = [:]
        if !fullScan {
            for (id, record) in snapshot.records[side] ?? [:] where !record.deleted {
                if let version = record.version { known[id] = version }
            }
        }
        let state = fullScan
            ? ListingState(lastCursor: snapshot.cursors[side], isFirstRun: isFirstRun)
            : ListingState(cursor: snapshot.cursors[side], known: known, isFirstRun: false)
        do {
            return try await connectors[side].list(since: state)
        } catch {
            throw Self.cannotList(app(side), error)
        }
    }

    /// A listing (or a check for changes) that failed, naming the app.
    static func cannotList(_ app: SyncPlan.App, _ error: any Error) -> ConnectorError {
        ConnectorError("cannot list app \(app.label): \(error)")
    }

    /// A record's version as the last run stored it.
    func storedVersion(_ side: Side, _ id: String) -> String? {
        snapshot.records[side]?[id]?.version
    }
}
