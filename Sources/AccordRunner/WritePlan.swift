import AccordModel
import AccordStore

/// Phase 5's value: everything a run would write, worked out before the first write, so the
/// safety budget can judge it whole and a dry run can show it.
struct WritePlan {
    /// Per app: record id → its next values (fields, segments), for every record that changes.
    var updates = BySide<[String: Values]>(both: [:])
    /// Records to create in the other app, a-to-b first.
    var creates: [Create] = []
    /// Pairs of a record and its counterpart looked at this run, by app: their snapshots are
    /// written again; a pair that is not is left as the state holds it.
    var examined = BySide<Set<String>>(both: [])
    /// Linked records their way's rules no longer let through: their stored values stay their
    /// baseline, so what changes meanwhile syncs once they match again.
    var outOfScope = BySide<Set<String>>(both: [])
    /// Records of pairs merged without a baseline (matched now): the winning app settling their
    /// differences is the first sync itself, not an overwrite the budget counts.
    var firstMatches = BySide<Set<String>>(both: [])
    /// Health entries found while planning: duplicates, exclusions, deleted opposites, values
    /// that could not be carried, unreadable records.
    var health: [HealthEntry] = []
    var counts = RunCounts()
    /// What the safety budget judges.
    var measures = SafetyMeasures()
}

/// A record to create in the other app; its values are worked out batch by batch, so a large
/// first run does not hold them all.
struct Create: Sendable {
    var way: Way
    var sourceID: String
    var emails: Emails
}

/// What the safety budget judges, per app: the linked records gone from it, and those whose
/// values the run overwrites or clears there.
struct SafetyMeasures {
    var deleted = BySide<[String]>(both: [])
    var overwritten = BySide<[String]>(both: [])
    var cleared = BySide<[String]>(both: [])
    /// Apps that list nothing while the state links contacts to them.
    var emptied: [Side] = []
    /// Contacts linked when the run began (the base of the shares).
    var linked = 0

    /// Files `next` (a record's next values against its current ones) under the measures; the
    /// overwrites of a first match are not counted (its clearings are).
    mutating func classify(_ id: String, on side: Side, from current: Values, to next: Values, firstMatch: Bool) {
        var overwrote = false, clearedOne = false
        for (key, before) in current where ValueKeys.isField(key) && !before.isEmpty {
            let after = next[key] ?? []
            if after.isEmpty { clearedOne = true } else if after != before && !Set(before).isSubset(of: Set(after)) { overwrote = true }
        }
        if overwrote && !firstMatch { overwritten[side].append(id) }
        if clearedOne { cleared[side].append(id) }
    }
}
