import AccordModel

/// Phase 4, merging, for one linked pair: a pure function of the pair's values, its baselines,
/// the mappings, the ways its rules let through and the winning app; it gives both records'
/// next values. Each run is a three-way merge per mapping against the values stored after the
/// last run: a mapping changed on one side is copied to the other; changed on both to
/// different values, the winning app's non-empty value wins. At the first match (no baseline)
/// empty fields are filled from the other side and differing values settled by the winning app.
/// An empty value never clears the other side where the winner is concerned, the match email is
/// never carried across as empty, and a value a value map has no entry for is never written.
enum PairMerge {
    struct Input {
        var current: BySide<Values>
        /// The values stored after the last run; `nil` at the first match.
        var baseline: BySide<Values>?
        /// Whether each way (by its source side) syncs this pair: its source matches a rule.
        var syncs: BySide<Bool>
    }

    struct Outcome: Equatable {
        var next: BySide<Values>
        /// Mappings whose values differed on both sides and were settled by the winning app.
        var conflicts = 0
        var notes: [Note] = []
    }

    /// Something the merge left undone, for the pair's health.
    enum Note: Equatable {
        /// The match email was removed on `side`; the other side keeps its own.
        case emailKept(removedOn: Side)
        /// A source value the mapping's value map does not map; nothing was written.
        case unmapped(mapping: String, way: Way, value: String)
    }

    static func merge(_ input: Input, mappings: [CompiledMapping], winner: Side?) -> Outcome {
        var outcome = Outcome(next: input.current)
        for mapping in mappings {
            merge(mapping, input, winner: winner ?? .a, into: &outcome)
        }
        return outcome
    }

    private static func merge(_ mapping: CompiledMapping, _ input: Input, winner: Side, into outcome: inout Outcome) {
        func allowed(_ source: Side) -> Bool { mapping.ways[source] != nil && input.syncs[source] }
        /// Writes the source's values into the target; returns whether the target changed.
        func propagate(from source: Side) -> Bool {
            let target = source.other
            let directed = mapping.ways[source]!
            switch directed.apply(source: outcome.next[source], target: outcome.next[target]) {
            case .unmapped(let value):
                outcome.notes.append(.unmapped(mapping: mapping.id, way: Way.from(source), value: value))
                return false
            case .values(let desired):
                if mapping.isMatchKey, directed.sourceIsEmpty(outcome.next[source]), !mapping.isEmpty(target, outcome.next[target]) {
                    outcome.notes.append(.emailKept(removedOn: source))
                    return false
                }
                var changed = false
                for (field, values) in desired where !directed.targetComparison.equal(outcome.next[target][field] ?? [], values) {
                    outcome.next[target][field] = values.isEmpty ? nil : values
                    changed = true
                }
                // A single value cleared in a multi-value field takes out its first value only:
                // the next becomes the first, and the single-value side shows it.
                if changed, directed.replacesFirstValue, directed.sourceIsEmpty(outcome.next[source]), let back = mapping.ways[target],
                   case .values(let reverse) = back.apply(source: outcome.next[target], target: outcome.next[source]) {
                    for (field, values) in reverse { outcome.next[source][field] = values.isEmpty ? nil : values }
                }
                return changed
            }
        }
        /// The side whose values settle a difference: the winning app, unless it has none (an
        /// empty winner never clears); `nil` when that side may not write (its rules do not let it
        /// through): the other side never overwrites a winner's value.
        func settling() -> Side? {
            guard let source = [winner, winner.other].first(where: { !mapping.isEmpty($0, outcome.next[$0]) }) else { return nil }
            return allowed(source) ? source : nil
        }
        guard let baseline = input.baseline else {
            // Differing values at the first match: the winning app's; empty fields filled.
            if let source = settling() {
                let hadValue = !mapping.isEmpty(source.other, outcome.next[source.other])
                if propagate(from: source), hadValue { outcome.conflicts += 1 }
            }
            return
        }
        let aChanged = mapping.differs(.a, input.current[.a], baseline[.a])
        let bChanged = mapping.differs(.b, input.current[.b], baseline[.b])
        switch (aChanged, bChanged) {
        case (true, false) where allowed(.a): _ = propagate(from: .a)
        case (false, true) where allowed(.b): _ = propagate(from: .b)
        case (true, true):
            // Both changed: nothing to do if they agree, else the winning app (never an empty winner).
            func agree(from source: Side) -> Bool {
                guard allowed(source), let directed = mapping.ways[source],
                      case .values(let desired) = directed.apply(source: outcome.next[source], target: outcome.next[source.other])
                else { return false }
                return directed.targetHolds(desired, in: outcome.next[source.other])
            }
            if agree(from: .a) || agree(from: .b) { return }
            if let source = settling(), propagate(from: source) { outcome.conflicts += 1 }
        default: break
        }
    }
}

extension BySide: Equatable where Value: Equatable {
    static func == (lhs: BySide, rhs: BySide) -> Bool { lhs.a == rhs.a && lhs.b == rhs.b }
}
