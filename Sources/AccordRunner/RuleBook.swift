import AccordModel
import AccordPlan

/// The IF/THEN rules of a plan, by way: which rules a record matches, and what the actions of
/// those it matches (and the undo actions of those it stopped matching) do to its counterpart.
struct RuleBook: Sendable {
    /// The rules of each way, by the way's source side; `nil` for a way the connection does not sync.
    let rules: BySide<[SyncPlan.Rule]?>
    /// For a way whose rules look at no values: the rules a linked and an unlinked record match,
    /// the same for every record, so its records are not unpacked to evaluate them.
    let valueFreeMatches: BySide<(linked: [Int], unlinked: [Int])?>
    /// Whether any rule of the way has actions or undo actions (else applying them changes nothing).
    private let withActions: BySide<Bool>

    init(_ plan: SyncPlan) {
        rules = BySide(a: plan.rules[.aToB], b: plan.rules[.bToA])
        func valueFree(_ rules: [SyncPlan.Rule]?) -> (linked: [Int], unlinked: [Int])? {
            guard let rules, !rules.contains(where: { $0.predicate.readsValues }) else { return nil }
            func matches(linked: Bool) -> [Int] { rules.indices.filter { rules[$0].predicate.matches([:], linked: linked) } }
            return (matches(linked: true), matches(linked: false))
        }
        valueFreeMatches = BySide(a: valueFree(rules.a), b: valueFree(rules.b))
        func actions(_ rules: [SyncPlan.Rule]?) -> Bool {
            rules?.contains { !$0.actions.isEmpty || !($0.undo ?? []).isEmpty } ?? false
        }
        withActions = BySide(a: actions(rules.a), b: actions(rules.b))
    }

    func hasActions(_ way: Way) -> Bool { withActions[way.source] }

    /// Whether the connection syncs `way` at all.
    func syncs(_ way: Way) -> Bool { rules[way.source] != nil }

    /// The indices of the rules of `way` that `values` match.
    func matching(_ way: Way, _ values: Values, linked: Bool) -> [Int] {
        if let fixed = valueFreeMatches[way.source] { return linked ? fixed.linked : fixed.unlinked }
        guard let rules = rules[way.source] else { return [] }
        return rules.indices.filter { rules[$0].predicate.matches(values, linked: linked) }
    }

    /// Applies to `target` the actions of the rules `now` lists, and the undo actions of the
    /// rules in `before` that are not in `now`.
    func applyActions(_ way: Way, matched now: [Int], before: [Int], to target: inout Values) {
        guard hasActions(way), let rules = rules[way.source] else { return }
        var actions: [SyncPlan.Action] = now.flatMap { rules[$0].actions }
        for index in before where !now.contains(index) && index < rules.count {
            actions += rules[index].undo ?? []
        }
        for action in actions {
            switch action.kind {
            case .addToSegment, .removeFromSegment:
                guard let kind = action.segment, let name = action.name else { continue }
                let key = ValueKeys.segment(kind)
                var members = Set(target[key] ?? [])
                if action.kind == .addToSegment { members.insert(name) } else { members.remove(name) }
                target[key] = members.isEmpty ? nil : members.sorted()
            case .setField, .setFlag:
                guard let field = action.field, let value = action.value?.value else { continue }
                target[field] = [value]
            }
        }
    }
}

/// Which rules of its own way each record matches: as evaluated this run for the records it
/// looks at, else as the state stored them (an unchanged record's values did not change). The
/// lists are shared: 100,000 records matching one rule hold one array, not 100,000.
struct MatchedRules {
    private let book: RuleBook
    private var evaluated = BySide<[String: [Int]]>(both: [:])
    private var interned: Set<[Int]> = []

    init(_ book: RuleBook) { self.book = book }

    /// Evaluates the rules of `side`'s way for `values`.
    mutating func evaluate(_ id: String, on side: Side, values: @autoclosure () -> Values, linked: Bool) {
        let way = Way.from(side)
        guard book.syncs(way) else { return }
        evaluated[side][id] = intern(book.matching(way, book.valueFreeMatches[side] == nil ? values() : [:], linked: linked))
    }

    /// Sizes the table of one side for `count` more records.
    mutating func reserveCapacity(_ count: Int, on side: Side) {
        evaluated[side].reserveCapacity(evaluated[side].count + count)
    }

    private mutating func intern(_ indices: [Int]) -> [Int] {
        if indices.isEmpty { return [] }
        if let index = interned.firstIndex(of: indices) { return interned[index] }
        interned.insert(indices)
        return indices
    }

    /// The rules a record of `side` matches: as evaluated this run; for a way whose rules read no
    /// values, from whether it is live and linked; else as stored.
    func rules(of id: String, on side: Side, isLive: Bool, isLinked: Bool, stored: [Int]?) -> [Int]? {
        if let rules = evaluated[side][id] { return rules }
        if let fixed = book.valueFreeMatches[side], isLive { return isLinked ? fixed.linked : fixed.unlinked }
        return stored
    }
}
