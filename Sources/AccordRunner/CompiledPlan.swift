import AccordModel
import AccordPlan

/// What a plan means for a run, worked out once before any record is looked at: every phase
/// reads it for every record.
struct CompiledPlan: Sendable {
    let plan: SyncPlan
    /// The fields each app's records are restricted to (the plan's fields of that app).
    let fieldNames: BySide<FieldNameSet>
    /// The field holding each app's match email (the default email mapping's, else the app's
    /// first email field).
    let emailFields: BySide<String?>
    /// Each mapping of the plan, in its order, as it carries values each of its ways.
    let mappings: [CompiledMapping]
    /// The same by way (by source side): a create applies all of its way's.
    let mappingsByWay: BySide<[DirectedMapping]>
    /// For each way whose rules have no actions and whose mappings each copy a field to the
    /// field of the same name, unchanged (two apps of one kind): those fields. A create of that
    /// way takes them from its source's packed values as they are.
    let copiedFields: BySide<FieldNameSet?>
    let rules: RuleBook

    init(_ plan: SyncPlan) {
        self.plan = plan
        var fieldNames = BySide(both: FieldNameSet([]))
        var emailFields = BySide<String?>(both: nil)
        var fields = BySide<[String: SyncPlan.Field]>(both: [:])
        let emailMapping = plan.mappings.first { $0.id == SyncPlan.Mapping.emailID }
        for side in Side.allCases {
            let app = plan.app(side)
            fieldNames[side] = FieldNameSet(Set(app.fields.map(\.name)))
            fields[side] = Dictionary(app.fields.map { ($0.name, $0) }) { first, _ in first }
            emailFields[side] = emailMapping?.fields(side).first ?? app.fields.first { $0.type == .email }?.name
        }
        self.fieldNames = fieldNames
        self.emailFields = emailFields
        let mappings = plan.mappings.map { CompiledMapping($0, fields: fields, isMatchKey: $0.id == SyncPlan.Mapping.emailID && plan.options.avoid_duplicates) }
        self.mappings = mappings
        let byWay = BySide(a: mappings.compactMap { $0.ways[.a] }, b: mappings.compactMap { $0.ways[.b] })
        mappingsByWay = byWay
        let rules = RuleBook(plan)
        self.rules = rules
        copiedFields = BySide(a: Self.copiedFields(byWay.a, hasActions: rules.hasActions(.aToB)), b: Self.copiedFields(byWay.b, hasActions: rules.hasActions(.bToA)))
    }

    private static func copiedFields(_ mappings: [DirectedMapping], hasActions: Bool) -> FieldNameSet? {
        guard !hasActions, mappings.allSatisfy({ $0.sources.count == 1 && $0.targets == $0.sources && $0.steps.isEmpty && !$0.replacesFirstValue })
        else { return nil }
        return FieldNameSet(Set(mappings.flatMap(\.sources)))
    }

    func app(_ side: Side) -> SyncPlan.App { plan.app(side) }

    /// A record's normalised emails, from its values.
    func emails(_ side: Side, _ values: Values?) -> Emails {
        guard let field = emailFields[side], let list = values?[field] else { return .none }
        return Emails(list)
    }

    /// A record's normalised emails, from its packed values.
    func emails(_ side: Side, _ values: PackedFields) -> Emails {
        guard let field = emailFields[side] else { return .none }
        return values.emails(field)
    }

    /// The marker options that cover the way from `side`: what a record deleted or unsubscribed
    /// there marks its counterpart with.
    func marker(_ option: SyncPlan.MarkerOption?, from side: Side) -> (name: String, kind: String)? {
        guard let option, let way = option.ways.first(where: { $0.way == Way.from(side) }) else { return nil }
        return (option.marker, way.marker_kind)
    }

    /// The names of every marker (deletions and unsubscribes).
    var markerNames: Set<String> {
        Set([plan.options.sync_deletions?.marker, plan.options.sync_unsubscribes?.marker].compactMap { $0 })
    }
}

/// A mapping of the plan with its ways, each as it carries values (`DirectedMapping`).
struct CompiledMapping: Sendable {
    let id: String
    /// The mapping as it carries values from each side (`ways[.a]` is a-to-b).
    let ways: BySide<DirectedMapping?>
    /// The fields of each side.
    let fields: BySide<[String]>
    /// How each side's values compare.
    let comparisons: BySide<ValueComparison>
    /// The match key (the default email mapping while avoiding duplicates): an email removed on
    /// one side is never carried across as an empty one.
    let isMatchKey: Bool

    init(_ mapping: SyncPlan.Mapping, fields: BySide<[String: SyncPlan.Field]>, isMatchKey: Bool) {
        id = mapping.id
        func way(_ way: Way) -> DirectedMapping? {
            mapping.transforms[way] != nil ? DirectedMapping(mapping, way: way, fields: fields) : nil
        }
        ways = BySide(a: way(.aToB), b: way(.bToA))
        self.fields = BySide(a: mapping.a, b: mapping.b)
        func comparison(_ side: Side) -> ValueComparison {
            let names = mapping.fields(side)
            return names.count == 1 ? fields[side][names[0]].map { ValueComparison($0.type) } ?? .exact : .exact
        }
        comparisons = BySide(a: comparison(.a), b: comparison(.b))
        self.isMatchKey = isMatchKey
    }

    /// Whether a side's mapped values differ between `now` and `before`.
    func differs(_ side: Side, _ now: Values, _ before: Values) -> Bool {
        fields[side].contains { !comparisons[side].equal(now[$0] ?? [], before[$0] ?? []) }
    }

    /// Whether a side's mapped values are all empty.
    func isEmpty(_ side: Side, _ values: Values) -> Bool {
        fields[side].allSatisfy { (values[$0] ?? []).isEmpty }
    }
}

extension PackedFields {
    /// The normalised emails of a field. Most records have one: it is taken without an array.
    func emails(_ field: String) -> Emails {
        var first: String?
        var more: [String] = []
        forEachValue(of: field) { value in
            if first == nil { first = value } else { more.append(value) }
            return true
        }
        guard let first else { return .none }
        return more.isEmpty ? Emails(joined: normalizedEmail(first) ?? "") : Emails([first] + more)
    }
}
