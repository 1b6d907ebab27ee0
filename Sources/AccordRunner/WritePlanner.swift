import AccordConnectors
import AccordModel
import AccordPlan
import AccordStore

/// Phases 3 to 5, from what the apps hold to what to write: takes the inventory, the links and
/// the rules each record matched; marks the counterparts of deleted and unsubscribed contacts,
/// merges every pair that needs it (`PairMerge`), applies the rules' actions, plans the creates
/// and records the exclusions; gives the `WritePlan`.
struct WritePlanner {
    let context: RunContext
    let inventory: Inventory
    let linkage: Linkage
    let rules: MatchedRules
    /// Records whose last write failed, and records excluded at the last run.
    let failedBefore: BySide<Set<String>>
    let excludedBefore: BySide<Set<String>>

    init(context: RunContext, inventory: Inventory, linkage: Linkage, rules: MatchedRules) {
        self.context = context
        self.inventory = inventory
        self.linkage = linkage
        self.rules = rules
        var failed = BySide<Set<String>>(both: [])
        var excluded = BySide<Set<String>>(both: [])
        for entry in context.snapshot.health {
            switch entry.kind {
            case .failed: failed[entry.side].insert(entry.recordID)
            case .excluded: excluded[entry.side].insert(entry.recordID)
            case .duplicate, .deletedOpposite, .keptValue, .deferred: break
            }
        }
        failedBefore = failed
        excludedBefore = excluded
    }

    func plan() -> WritePlan {
        var plan = WritePlan()
        plan.measures.linked = context.snapshot.links.count
        plan.health = linkage.health
        plan.counts.duplicates = linkage.duplicates.a.count + linkage.duplicates.b.count
        plan.counts.linked = linkage.newLinks.count
        reportUnreadable(into: &plan)
        markDeletedOpposites(into: &plan)
        markUnsubscribedOpposites(into: &plan)
        mergeLinkedPairs(into: &plan)
        planCreates(into: &plan)
        for side in Side.allCases {
            for (id, next) in plan.updates[side] {
                plan.measures.classify(
                    id, on: side, from: inventory[side].values[id] ?? [:], to: next, firstMatch: plan.firstMatches[side].contains(id))
            }
            // An app that lists nothing while the state links contacts to it was emptied, swapped
            // or is not what it was (vdirsyncer's guard); an address book of one or two contacts
            // emptied by hand is left to the deletion limits.
            if inventory[side].emails.isEmpty, context.snapshot.links.count >= SafetyBudget.shareFloor { plan.measures.emptied.append(side) }
        }
        return plan
    }

    // MARK: - Rules

    /// The rules of its own way a record matches (see `MatchedRules.rules`).
    func matchedRules(_ id: String, on side: Side) -> [Int]? {
        rules.rules(
            of: id, on: side, isLive: inventory[side].values.contains(id), isLinked: linkage.isLinked(side, id),
            stored: context.snapshot.records[side]?[id]?.rules)
    }

    /// Whether a record of `side` syncs into the other app: it matches a rule of its way.
    func syncs(_ id: String, from side: Side) -> Bool { !(matchedRules(id, on: side)?.isEmpty ?? true) }

    /// Applies to `target` (the counterpart's values) the actions of the rules `sourceID` of `way`
    /// matches, and the undo actions of those it matched last time and no longer does.
    func applyActions(_ way: Way, sourceID: String, to target: inout Values) {
        guard context.plan.rules.hasActions(way) else { return }
        let before = context.snapshot.records[way.source]?[sourceID]?.rules ?? []
        context.plan.rules.applyActions(way, matched: matchedRules(sourceID, on: way.source) ?? [], before: before, to: &target)
    }

    // MARK: - Deletions, unsubscribes, unreadable records

    private func reportUnreadable(into plan: inout WritePlan) {
        for side in Side.allCases {
            for record in inventory[side].unreadable.values.sorted(by: { $0.id < $1.id }) {
                plan.counts.failed += 1
                plan.health.append(HealthEntry(
                    side: side, recordID: record.id, kind: .failed, reason: "cannot be read: \(record.reason)", detail: record.location,
                    email: context.snapshot.records[side]?[record.id]?.email))
            }
        }
    }

    private func markDeletedOpposites(into plan: inout WritePlan) {
        for side in Side.allCases {
            let opposite = side.other
            let goneNow = inventory[side].deleted
            let goneBefore = (context.snapshot.records[side] ?? [:]).filter(\.value.deleted).keys
            for id in goneNow.union(goneBefore) {
                guard let counterpart = linkage.linkOf[side][id], inventory.isLive(opposite, counterpart) else { continue }
                plan.health.append(HealthEntry(
                    side: opposite, recordID: counterpart, kind: .deletedOpposite,
                    reason: "its counterpart in app \(context.app(side).label) was deleted", detail: id,
                    email: inventory[opposite].emails[counterpart]?.first))
                guard goneNow.contains(id) else { continue }
                plan.measures.deleted[side].append(id)
                addMarker(context.plan.plan.options.sync_deletions, from: side, to: counterpart, into: &plan)
            }
        }
    }

    /// Contacts that unsubscribed since the last run: their counterparts get the unsubscribe marker.
    private func markUnsubscribedOpposites(into plan: inout WritePlan) {
        for side in Side.allCases {
            for id in inventory[side].unsubscribed.sorted() {
                guard inventory[side].baselines[id]?[ValueKeys.unsubscribed] == nil, let counterpart = linkage.linkOf[side][id] else { continue }
                addMarker(context.plan.plan.options.sync_unsubscribes, from: side, to: counterpart, into: &plan)
            }
        }
    }

    /// Adds the marker of `option` to `counterpart`, when the option covers the way from `side`.
    private func addMarker(_ option: SyncPlan.MarkerOption?, from side: Side, to counterpart: String, into plan: inout WritePlan) {
        let opposite = side.other
        guard let (marker, kind) = context.plan.marker(option, from: side),
              let values = plan.updates[opposite][counterpart] ?? inventory[opposite].values[counterpart]
        else { return }
        let key = ValueKeys.segment(kind)
        guard !(values[key] ?? []).contains(marker) else { return }
        var next = values
        next[key] = ((values[key] ?? []) + [marker]).sorted()
        plan.updates[opposite][counterpart] = next
    }

    // MARK: - Merging

    /// The pairs a run looks at: every pair on a full scan; else those with a side that changed,
    /// linked now, or to retry.
    private func pairsToMerge() -> [String] {
        if context.fullScan { return Array(linkage.linkOf[.a].keys) }
        var pairs = Set<String>()
        let retrying = context.snapshot.retryRequested
        for side in Side.allCases {
            var ids = inventory[side].changed
            if retrying { ids.formUnion(failedBefore[side]) }
            for id in ids {
                guard let counterpart = linkage.linkOf[side][id] else { continue }
                pairs.insert(side == .a ? id : counterpart)
            }
        }
        pairs.formUnion(linkage.newLinks.map(\.a))
        return Array(pairs)
    }

    private func mergeLinkedPairs(into plan: inout WritePlan) {
        let journaled = Dictionary(linkage.journaled.map { ($0.link.a, $0.source) }) { first, _ in first }
        for aID in pairsToMerge().sorted() {
            guard let bID = linkage.linkOf[.a][aID], let aValues = inventory[.a].values[aID], let bValues = inventory[.b].values[bID],
                  inventory[.a].unreadable[aID] == nil, inventory[.b].unreadable[bID] == nil
            else { continue }
            plan.examined[.a].insert(aID)
            plan.examined[.b].insert(bID)
            let ids = BySide(a: aID, b: bID), listed = BySide(a: aValues, b: bValues)
            let current = BySide(a: plan.updates[.a][aID] ?? aValues, b: plan.updates[.b][bID] ?? bValues)  // with markers already planned
            var baseline: BySide<Values>?
            if let source = journaled[aID] {
                // Re-linked from the journal, the source unchanged since: what was written is the
                // new record's baseline.
                baseline = BySide(both: [:])
                baseline![source] = current[source]
                baseline![source.other] = createdValues(Create(way: Way.from(source), sourceID: ids[source], emails: .none), from: current[source])
            } else if !linkage.newLinks.contains(RecordLink(a: aID, b: bID)),
                      let a = inventory[.a].baselines[aID], let b = inventory[.b].baselines[bID] {
                baseline = BySide(a: a, b: b)
            }
            if baseline == nil {
                plan.firstMatches[.a].insert(aID)
                plan.firstMatches[.b].insert(bID)
            }
            let syncs = BySide(a: syncs(aID, from: .a), b: syncs(bID, from: .b))
            for side in Side.allCases where context.plan.rules.syncs(Way.from(side)) && !syncs[side] {
                // Out of its way's rules: reported, and its changes kept for when it matches again
                // (its stored values stay the baseline; matched now, it stores none and is matched
                // again, see `Saver`).
                plan.outOfScope[side].insert(ids[side])
                plan.health.append(HealthEntry(
                    side: side, recordID: ids[side], kind: .excluded,
                    reason: "it matches no \(Way.from(side).rawValue) rule; its changes sync once it does",
                    detail: ids[side.other], email: inventory[side].emails[ids[side]]?.first))
                plan.counts.excluded += 1
            }
            var outcome = PairMerge.merge(
                PairMerge.Input(current: current, baseline: baseline, syncs: syncs), mappings: context.plan.mappings,
                winner: context.plan.plan.winner)
            for way in Way.allCases where context.plan.rules.syncs(way) {
                applyActions(way, sourceID: ids[way.source], to: &outcome.next[way.target])
            }
            plan.counts.conflicts_resolved += outcome.conflicts
            for note in outcome.notes { plan.health.append(entry(for: note, ids: ids)) }
            if outcome.notes.contains(where: { if case .unmapped = $0 { true } else { false } }) { plan.counts.failed += 1 }
            for side in Side.allCases where outcome.next[side] != listed[side] { plan.updates[side][ids[side]] = outcome.next[side] }
        }
    }

    /// The health entry a merge note leaves on the pair.
    private func entry(for note: PairMerge.Note, ids: BySide<String>) -> HealthEntry {
        switch note {
        case .emailKept(let side):
            let other = side.other
            return HealthEntry(
                side: other, recordID: ids[other], kind: .keptValue,
                reason: "its email was removed in app \(context.app(side).label); accord does not clear it here, and the contacts stay linked",
                detail: ids[side], email: inventory[other].emails[ids[other]]?.first)
        case .unmapped(let mapping, let way, let value):
            return HealthEntry(
                side: way.source, recordID: ids[way.source], kind: .failed,
                reason: "the value '\(value)' is not in the value map of mapping \(mapping) (\(way.rawValue)); nothing was written",
                detail: ids[way.target], email: inventory[way.source].emails[ids[way.source]]?.first)
        }
    }
}
