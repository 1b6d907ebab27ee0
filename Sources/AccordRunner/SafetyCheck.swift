import Foundation
import AccordModel
import AccordPlan

/// Why a run was held by the safety budget, with a sample of the contacts concerned: recorded in
/// activity and printed, so whoever reviews it sees what the run would have done.
public struct SafetyVerdict: Codable, Sendable, Hashable {
    /// One line per limit the run went over.
    public var reasons: [String]
    /// Up to a few contacts per limit.
    public var samples: [Sample]

    public struct Sample: Codable, Sendable, Hashable {
        public var app: String
        public var side: Side
        public var id: String
        public var email: String?
        /// `deleted`, `overwritten`, `cleared` or `emptied`.
        public var change: String
    }

    public var isHeld: Bool { !reasons.isEmpty }

    static let samplesPerLimit = 5
}

/// Phase 5's check: the write plan against the connection's safety budget (`safety:`). A run that
/// would mark deleted, overwrite or clear more contacts of one app than the budget allows, or
/// that finds an app listing nothing while the state links contacts to it, is held: it writes
/// nothing until it is approved.
enum SafetyCheck {
    static func judge(_ plan: WritePlan, budget: SafetyBudget, context: RunContext, inventory: Inventory, linked: Int) -> SafetyVerdict {
        var verdict = SafetyVerdict(reasons: [], samples: [])
        guard budget.enabled else { return verdict }
        let measures = plan.measures
        for side in measures.emptied {
            verdict.reasons.append(
                "app \(context.app(side).label) lists no contacts, while the state links \(measures.linked) to it: a missing, emptied or swapped source?")
        }
        let limits: [(name: String, ids: BySide<[String]>, limit: SafetyBudget.Limit, what: String)] = [
            ("deleted", measures.deleted, budget.max_deletions, "linked contacts deleted"),
            ("overwritten", measures.overwritten, budget.max_updates, "contacts with values overwritten"),
            ("cleared", measures.cleared, budget.max_cleared, "contacts with values cleared"),
        ]
        let base = max(linked, measures.linked)
        for (name, ids, limit, what) in limits {
            for side in Side.allCases where limit.isExceeded(by: ids[side].count, linked: base) {
                let count = ids[side].count
                let share = base > 0 ? Double(count) * 100 / Double(base) : 100
                verdict.reasons.append(
                    "\(count) \(what) in app \(context.app(side).label) (\(Self.percent(share)) of \(base) linked); "
                        + "the budget allows \(limit.count) or \(Self.percent(limit.percent)) (safety.max_\(name == "deleted" ? "deletions" : name == "overwritten" ? "updates" : "cleared"))")
                for id in ids[side].sorted().prefix(SafetyVerdict.samplesPerLimit) {
                    verdict.samples.append(SafetyVerdict.Sample(
                        app: context.app(side).app, side: side, id: id,
                        email: inventory[side].emails[id]?.first ?? context.snapshot.records[side]?[id]?.email.flatMap { Emails(joined: $0).first },
                        change: name))
                }
            }
        }
        return verdict
    }

    private static func percent(_ value: Double) -> String {
        value.rounded() == value ? "\(Int(value))%" : String(format: "%.1f%%", value)
    }
}
