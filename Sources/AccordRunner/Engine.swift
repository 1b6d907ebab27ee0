import AccordConnectors
import AccordModel
import AccordStore

/// One run's work, as phases that hand values on:
///
/// 1. inventory (`Inventory.take`): what each app holds, listed whole or since the cursor;
/// 2. linking (`Linkage.link`): links kept, made by email, or recovered from the journal;
/// 3. rule evaluation (`MatchedRules`): which rules each record looked at matches;
/// 4. merging (`PairMerge`, driven by `WritePlanner`): each pair's next values;
/// 5. the write plan (`WritePlanner.plan`) and its check against the safety budget (`SafetyCheck`);
/// 6. writing (`Writer`): creates, then updates, each batch committed as it lands;
/// 7. saving (`Saver`): snapshots, deletions, cursors, health.
///
/// A run over its safety budget stops after step 5 and writes nothing; a dry run goes through
/// step 6 without writing.
struct Engine {
    let context: RunContext

    /// What a run came to.
    struct Result {
        var counts: RunCounts
        var changes: [PlannedChange]
        /// Set when the safety budget holds the run (for a dry run: would hold it).
        var held: SafetyVerdict?
    }

    /// Runs the phases; `approved` lets the run go over its safety budget.
    func execute(approved: Bool) async throws -> Result {
        context.report(context.fullScan ? "scanning both apps (full scan)" : "listing changes")
        let listings = try await Inventory.list(context)
        // Records an app now goes by other ids are renamed in what the state holds first.
        let renamed = BySide(a: listings[.a]?.reidentified ?? [:], b: listings[.b]?.reidentified ?? [:])
        return try await Engine(context: context.reidentifying(renamed)).execute(listings, renamed: renamed, approved: approved)
    }

    private func execute(_ listings: consuming [Side: Listing], renamed: BySide<[String: String]>, approved: Bool) async throws -> Result {
        var inventory = try await Inventory.take(listings, context: context)
        context.report("listed \(inventory[.a].emails.count) records in a, \(inventory[.b].emails.count) in b")
        let linkage = Linkage.link(inventory, context: context)
        try loadTouchedRecords(&inventory, linkage: linkage)
        let rules = evaluateRules(inventory, linkage: linkage)
        let planner = WritePlanner(context: context, inventory: inventory, linkage: linkage, rules: rules)
        let plan = planner.plan()
        // The unchanged records to create were planned by their emails and stored rules alone:
        // their values are loaded now.
        var createSources = BySide<Set<String>>(both: [])
        for create in plan.creates where !inventory[create.way.source].values.contains(create.sourceID) {
            createSources[create.way.source].insert(create.sourceID)
        }
        try inventory.loadStoredValues(of: createSources, context: context)
        let verdict = SafetyCheck.judge(
            plan, budget: context.plan.plan.safety ?? .defaults, context: context, inventory: inventory, linked: linkage.linkOf[.a].count)
        let held = verdict.isHeld && !approved
        if held || context.options.dryRun {
            // What the run would do, worked out without writing anything.
            var writer = Writer(context: context.dryRun(), inventory: inventory, planner: planner, plan: plan)
            try await writer.write(plan)
            return Result(counts: writer.state.counts, changes: writer.state.changes, held: verdict.isHeld ? verdict : nil)
        }
        try forgetVersionDigests()
        for side in Side.allCases { try context.store.reidentify(context.connection, side: side, renamed[side]) }
        if !linkage.newLinks.isEmpty || !context.snapshot.intents.isEmpty {
            var early = StateChanges()
            early.links = Array(linkage.newLinks)
            early.removedIntents = context.snapshot.intents.compactMap(\.id)
            try context.store.apply(early, connection: context.connection)
        }
        var writer = Writer(context: context, inventory: inventory, planner: planner, plan: plan)
        try await writer.write(plan)
        Failpoint.hit("before-save")
        try await Saver(context: context, inventory: inventory, plan: plan, writer: writer).save()
        context.report("done: \(writer.state.counts.dictionary.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        return Result(counts: writer.state.counts, changes: writer.state.changes, held: nil)
    }

    /// Loads the stored values of the records this run looks at besides the listed ones: the
    /// counterparts of changed, new and deleted records, records linked this run, and, on a retry,
    /// records whose last write failed. Unlinked records are matched, excluded and planned for
    /// creating by their emails and stored rules. A full scan looks at every record, so it loads
    /// every stored one without working out which (a first run has none).
    private func loadTouchedRecords(_ inventory: inout Inventory, linkage: Linkage) throws {
        if context.fullScan {
            try inventory.loadAllStoredValues(context: context)
            return
        }
        var failedBefore = BySide<Set<String>>(both: [])
        if context.snapshot.retryRequested {
            for entry in context.snapshot.health where entry.kind == .failed { failedBefore[entry.side].insert(entry.recordID) }
        }
        var touched = BySide<Set<String>>(both: [])
        for side in Side.allCases {
            for id in inventory[side].changed.union(inventory[side].deleted).union(failedBefore[side]) {
                touched[side].insert(id)
                if let counterpart = linkage.linkOf[side][id] { touched[side.other].insert(counterpart) }
            }
        }
        for link in linkage.newLinks {
            touched[.a].insert(link.a)
            touched[.b].insert(link.b)
        }
        try inventory.loadStoredValues(of: touched, context: context)
    }

    /// Evaluates the rules for the records this run looks at; the others keep the rules they
    /// matched at the last run (their values did not change, and they were linked then). A way
    /// whose rules look at no values is not evaluated record by record (`MatchedRules` answers
    /// from whether the record is linked): a first run over 100,000 contacts spent 0.37 s of one
    /// core here while the other had nothing to do.
    private func evaluateRules(_ inventory: Inventory, linkage: Linkage) -> MatchedRules {
        var rules = MatchedRules(context.plan.rules)
        for side in Side.allCases where context.plan.rules.syncs(Way.from(side)) && context.plan.rules.valueFreeMatches[side] == nil {
            let records = inventory[side].values
            rules.reserveCapacity(records.count, on: side)
            for id in records.ids {
                rules.evaluate(id, on: side, values: records[id]!, linked: linkage.isLinked(side, id))
            }
        }
        return rules
    }

    /// A digest cursor stands for the state a finished run leaves: a run that goes on removes it
    /// first, so one that stops half-way (a crash) leaves none for the next run to trust.
    private func forgetVersionDigests() throws {
        let sides = Side.allCases.filter { context.connectors[$0].cursorIsVersionDigest }
        if !sides.isEmpty { try context.store.removeCursors(context.connection, sides: sides) }
    }
}
