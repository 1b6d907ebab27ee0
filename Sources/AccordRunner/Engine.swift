import AccordConnectors
import AccordModel
import AccordPlan
import AccordStore
import Foundation

/// One run's work: list, link, evaluate rules, merge, write, remember.
struct Engine {
    let plan: SyncPlan
    let connectors: [StoredSide: any ContactConnector]
    let store: StateStore
    let snapshot: ConnectionSnapshot
    let fullScan: Bool
    let options: RunOptions

    /// The fields of each app, and the one holding the match email.
    private let fieldNamesBySide: BySide<FieldNameSet>
    private let emailFields: BySide<String?>
    /// Each mapping of the plan (in its order) by the ways it carries values: what merging applies.
    private let directedMappings: [[String: DirectedMapping]]
    /// The same by way: a create applies all of its way's.
    private let mappingsByWay: [String: [DirectedMapping]]
    /// For each way whose rules look at no values: the rules a linked and an unlinked record
    /// match, the same for every record.
    private let valueFreeMatches: [String: (linked: [Int], unlinked: [Int])]
    /// The ways with a rule that has actions or undo actions.
    private let waysWithActions: Set<String>
    /// For each way without actions whose mappings each copy a field to the field of the same
    /// name, unchanged (two apps of one kind): those fields. A create of that way takes them from
    /// its source's packed values as they are.
    private let copiedFields: [String: FieldNameSet]

    var counts = RunCounts()
    var changes: [PlannedChange] = []

    // Per side: every live record with its email; the current values of the records this run
    // looks at (every listed record, and the stored values of the unchanged ones it touches);
    // their baselines (the values stored after the last run); versions; what changed; what is gone.
    // Unchanged records nothing points at are never loaded, so a run costs O(changes).
    private var liveEmails = BySide<[String: String?]>(both: [:])
    private var emailIndex = BySide<[String: [String]]>(both: [:])
    private var current = BySide(both: PackedValues())
    private var baselines = BySide<[String: Values]>(both: [:])
    private var versions = BySide<[String: String]>(both: [:])
    private var changed = BySide<Set<String>>(both: [])
    /// Listed records the app reports unsubscribed.
    private var unsubscribed = BySide<Set<String>>(both: [])
    private var deleted = BySide<Set<String>>(both: [])
    private var cursors: [StoredSide: String] = [:]
    private var linkOf = BySide<[String: String]>(both: [:])
    private var newLinks: Set<RecordLink> = []
    private var matched: [String: [String: [Int]]] = [:]
    /// Every distinct list of matched rules, so records that match the same rules share one array.
    private var ruleLists: Set<[Int]> = []
    private var health: [HealthEntry] = []
    /// Snapshots already stored by a write batch this run.
    private var stored = BySide<Set<String>>(both: [])
    /// Whether the run was asked to stop before all writes were done.
    private var stoppedEarly = false
    /// Snapshots of updated records held back until their counterpart's update is written, by counterpart id.
    private var deferredSnapshots: [String: RecordSnapshot] = [:]
    /// Records created this run: side, id, source id.
    private var created: [(side: StoredSide, id: String, sourceID: String)] = []
    /// Records whose last write failed, and records excluded at the last run.
    private let failedBefore: BySide<Set<String>>
    private let excludedBefore: BySide<Set<String>>

    init(plan: SyncPlan, connectors: [StoredSide: any ContactConnector], store: StateStore, snapshot: ConnectionSnapshot, fullScan: Bool, options: RunOptions) {
        // Looked up for every record, so worked out once.
        var fieldNames = BySide(both: FieldNameSet([]))
        var emailFields = BySide<String?>(both: nil)
        let emailMapping = plan.mappings.first { $0.id == "default:email" }
        for side in StoredSide.allCases {
            let app = plan.apps.first { $0.side == side.rawValue }!
            fieldNames[side] = FieldNameSet(Set(app.fields.map(\.name)))
            emailFields[side] = emailMapping.map { side == .a ? $0.a.first : $0.b.first } ?? app.fields.first { $0.type == "email" }?.name
        }
        self.fieldNamesBySide = fieldNames
        self.emailFields = emailFields
        let directedMappings = plan.mappings.map { mapping in
            Dictionary(uniqueKeysWithValues: mapping.transforms.keys.map { ($0, DirectedMapping(mapping, way: $0)) })
        }
        self.directedMappings = directedMappings
        mappingsByWay = Dictionary(uniqueKeysWithValues: StoredSide.allCases.map(Self.way(from:)).map { way in
            (way, directedMappings.compactMap { $0[way] })
        })
        valueFreeMatches = plan.rules.filter { !$0.value.contains { $0.predicate.readsValues } }.mapValues { rules in
            func matches(linked: Bool) -> [Int] { rules.indices.filter { rules[$0].predicate.matches([:], linked: linked) } }
            return (matches(linked: true), matches(linked: false))
        }
        let waysWithActions = Set(plan.rules.filter { $0.value.contains { !$0.actions.isEmpty || !($0.undo ?? []).isEmpty } }.keys)
        self.waysWithActions = waysWithActions
        copiedFields = mappingsByWay.filter { way, mappings in
            !waysWithActions.contains(way) && mappings.allSatisfy { $0.sources.count == 1 && $0.targets == $0.sources && $0.steps.isEmpty }
        }.mapValues { FieldNameSet(Set($0.flatMap(\.sources))) }
        var failed = BySide<Set<String>>(both: [])
        var excluded = BySide<Set<String>>(both: [])
        for entry in snapshot.health {
            switch entry.kind {
            case .failed: failed[entry.side].insert(entry.recordID)
            case .excluded: excluded[entry.side].insert(entry.recordID)
            case .duplicate, .deletedOpposite: break
            }
        }
        self.failedBefore = failed
        self.excludedBefore = excluded
        self.plan = plan
        self.connectors = connectors
        self.store = store
        self.snapshot = snapshot
        self.fullScan = fullScan
        self.options = options
    }

    private func app(_ side: StoredSide) -> SyncPlan.App { plan.app(side) }
    private func fieldNames(_ side: StoredSide) -> FieldNameSet { fieldNamesBySide[side] }
    private static func way(from side: StoredSide) -> String { side == .a ? "a-to-b" : "b-to-a" }
    private static func source(of way: String) -> StoredSide { way == "a-to-b" ? .a : .b }
    private static func other(_ side: StoredSide) -> StoredSide { side == .a ? .b : .a }

    private func email(_ side: StoredSide, _ values: Values?) -> String? {
        emailFields[side].flatMap { normalizedEmail(values?[$0]?.first) }
    }

    private func email(_ side: StoredSide, _ values: PackedFields) -> String? {
        emailFields[side].flatMap { normalizedEmail(values.first($0)) }
    }

    private func baseline(_ side: StoredSide, _ id: String) -> Values? { baselines[side][id] }

    /// The normalised email of a live record.
    private func emailOf(_ side: StoredSide, _ id: String) -> String? { liveEmails[side][id] ?? nil }

    private func isLive(_ side: StoredSide, _ id: String) -> Bool { liveEmails[side].index(forKey: id) != nil }

    private func report(_ line: String) { options.progress?(line) }

    // MARK: - The run

    mutating func execute() async throws {
        if !options.dryRun { try forgetVersionDigests() }
        report(fullScan ? "scanning both apps (full scan)" : "listing changes")
        // Both apps are listed at once: listing is mostly waiting on the file system or the network.
        // A task group hands each listing over as it ends: an `async let` would keep its copy of
        // the listed records to the end of its scope, next to the values `absorb` takes from them.
        var listings: [StoredSide: Listing] = [:]
        try await withThrowingTaskGroup(of: (StoredSide, Listing).self) { [self] group in
            for side in StoredSide.allCases { group.addTask { (side, try await listing(side)) } }
            for try await (side, listing) in group { listings[side] = listing }
        }
        for side in StoredSide.allCases { try await absorb(listings.removeValue(forKey: side)!, side: side) }
        report("listed \(liveEmails[.a].count) records in a, \(liveEmails[.b].count) in b")
        loadLinks()
        indexEmails()
        resolveIntents()
        let duplicates = findDuplicates()
        // Matching, planning creates and recording exclusions look only at the unlinked records:
        // in a steady state there are few.
        let unlinked = matchByEmail(unlinkedRecords(), duplicates: duplicates)
        try loadTouchedRecords()
        evaluateRules()
        if !options.dryRun, !newLinks.isEmpty || !snapshot.intents.isEmpty {
            var early = StateChanges()
            early.links = Array(newLinks)
            early.removedIntents = snapshot.intents.compactMap(\.id)
            try store.apply(early, connection: plan.connection)
        }
        var updates: [StoredSide: [String: Values]] = [.a: [:], .b: [:]]
        markDeletedOpposites(into: &updates)
        markUnsubscribedOpposites(into: &updates)
        mergeLinkedPairs(into: &updates)
        let creates = plannedCreates(unlinked, duplicates: duplicates)
        try loadValues(ofCreates: creates)
        recordExclusions(unlinked, duplicates: duplicates)
        for way in ["a-to-b", "b-to-a"] {
            let target = Self.other(Self.source(of: way))
            try await performCreates(creates.filter { $0.way == way }, target: target, total: creates.count)
        }
        applyRulesOfCreatedRecords(into: &updates)
        for side in StoredSide.allCases {
            try await performUpdates(updates[side]!, target: side, counterpartUpdates: side == .a ? Set(updates[.b]!.keys) : [])
        }
        stoppedEarly = options.shouldStop()
        if !options.dryRun {
            Failpoint.hit("before-save")
            try await remember()
        }
        report("done: \(counts.dictionary.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
    }

    // MARK: - Listing

    /// What changed in one app since the last run (everything on a full scan).
    private func listing(_ side: StoredSide) async throws -> Listing {
        var known: [String: String] = [:]
        if !fullScan {
            for (id, record) in snapshot.records[side] ?? [:] where !record.deleted {
                if let version = record.version { known[id] = version }
            }
        }
        do {
            return try await connectors[side]!.list(since: fullScan ? .full : ListingState(cursor: snapshot.cursors[side], known: known))
        } catch {
            throw Self.cannotList(app(side), error)
        }
    }

    /// A listing (or a check for changes) that failed, naming the app.
    static func cannotList(_ app: SyncPlan.App, _ error: any Error) -> ConnectorError {
        ConnectorError("cannot list app '\(app.app)' (\(app.side)): \(error)")
    }

    /// Takes in one app's listing: the live records with their emails, the values of those that changed.
    /// The values are worked out on every core a chunk of records at a time, and each chunk's
    /// records are released once their values are taken, so a first run over 100,000 contacts
    /// never holds both forms of more than a chunk (before, this ran on one core while the
    /// other had nothing to do). Each chunk's values are filed (a few hash-table inserts per
    /// record, on one core) while the next chunk's are worked out: one after the other, at
    /// 100,000 contacts, the values took 0.30 s and the filing 0.31 s with one core idle.
    private mutating func absorb(_ listing: consuming Listing, side: StoredSide) async throws {
        let stored = snapshot.records[side] ?? [:]
        var live: [String: String?] = [:]
        if !fullScan {
            live.reserveCapacity(stored.count)
            for (id, record) in stored where !record.deleted { live.updateValue(record.email, forKey: id) }
        }
        let names = fieldNames(side)
        var values = PackedValues()
        var records = listing.changed
        listing.changed = []
        // Sized once: a first run over 100,000 contacts otherwise rehashes each table as it grows.
        values.reserveCapacity(records.count)
        live.reserveCapacity(live.count + records.count)
        versions[side].reserveCapacity(versions[side].count + records.count)
        changed[side].reserveCapacity(changed[side].count + records.count)
        let emailField = emailFields[side]
        func nextChunk() -> [ContactRecord] {
            let chunk = Array(records[max(records.count - 4_096, 0)...])
            records.removeLast(chunk.count)
            return chunk
        }
        try await withThrowingTaskGroup(of: [(PackedFields, String?)].self) { group in
            func startTaking(_ chunk: [ContactRecord]) {
                guard !chunk.isEmpty else { return }
                group.addTask {
                    try await concurrentMap(chunk) { record in
                        let recordValues = record.packedValues(fields: names)
                        return (recordValues, emailField.flatMap { normalizedEmail(recordValues.first($0)) })
                    }
                }
            }
            var chunk = nextChunk()
            startTaking(chunk)
            while !chunk.isEmpty {
                let taken = try await group.next()!
                let filing = chunk
                chunk = nextChunk()
                startTaking(chunk)
                for (record, (recordValues, email)) in zip(filing, taken) {
                    values.set(record.id, packed: recordValues)
                    live.updateValue(email, forKey: record.id)
                    versions[side][record.id] = record.version
                    changed[side].insert(record.id)
                    if record.unsubscribed { unsubscribed[side].insert(record.id) }
                }
            }
        }
        let gone = fullScan
            ? Set(stored.filter { !$0.value.deleted && !values.contains($0.key) }.keys)
            : Set(listing.deleted)
        for id in gone {
            values[id] = nil
            live[id] = nil
        }
        deleted[side] = gone
        current[side] = values
        liveEmails[side] = live
        if let cursor = listing.cursor { cursors[side] = cursor }
    }

    /// Loads the stored values of the records this run looks at besides the listed ones: the
    /// counterparts of changed, new and deleted records, records linked this run and records
    /// whose last write failed. Unlinked records are matched, excluded and planned for creating
    /// by their emails and stored rules; the values of those to create are loaded then
    /// (`loadValues(ofCreates:)`). A full scan looks at every record, so it loads every stored
    /// one without working out which (a first run has none).
    private mutating func loadTouchedRecords() throws {
        if fullScan {
            for side in StoredSide.allCases where !(snapshot.records[side] ?? [:]).isEmpty {
                takeStoredValues(try store.fields(plan.connection, side: side, ids: nil), side: side)
            }
            return
        }
        var touched = BySide<Set<String>>(both: [])
        for side in StoredSide.allCases {
            let opposite = Self.other(side)
            for id in changed[side].union(deleted[side]).union(failedBefore[side]) {
                touched[side].insert(id)
                if let counterpart = linkOf[side][id] { touched[opposite].insert(counterpart) }
            }
        }
        for link in newLinks {
            touched[.a].insert(link.a)
            touched[.b].insert(link.b)
        }
        try loadStoredValues(of: touched)
    }

    /// The stored values of the unchanged records `creates` copies from (the others are listed).
    private mutating func loadValues(ofCreates creates: [Create]) throws {
        var missing = BySide<Set<String>>(both: [])
        for create in creates {
            let source = Self.source(of: create.way)
            if !current[source].contains(create.sourceID) { missing[source].insert(create.sourceID) }
        }
        try loadStoredValues(of: missing)
    }

    /// Takes in the stored values of those of `ids` the store has.
    private mutating func loadStoredValues(of ids: BySide<Set<String>>) throws {
        for side in StoredSide.allCases {
            let known = ids[side].filter { snapshot.records[side]?[$0] != nil }
            guard !known.isEmpty else { continue }
            takeStoredValues(try store.fields(plan.connection, side: side, ids: known), side: side)
        }
    }

    /// Stored values become the baselines, and the current values of live records not listed.
    private mutating func takeStoredValues(_ loaded: [String: Values], side: StoredSide) {
        baselines[side].merge(loaded) { $1 }
        for (id, values) in loaded where !current[side].contains(id) && isLive(side, id) {
            current[side][id] = values
        }
    }

    // MARK: - Links and matching

    private mutating func loadLinks() {
        for link in snapshot.links {
            linkOf[.a][link.a] = link.b
            linkOf[.b][link.b] = link.a
        }
    }

    /// The live records without a link.
    private func unlinkedRecords() -> BySide<Set<String>> {
        var unlinked = BySide<Set<String>>(both: [])
        for side in StoredSide.allCases {
            for id in liveEmails[side].keys where linkOf[side][id] == nil { unlinked[side].insert(id) }
        }
        return unlinked
    }

    private mutating func addLink(a: String, b: String) {
        linkOf[.a][a] = b
        linkOf[.b][b] = a
        newLinks.insert(RecordLink(a: a, b: b))
        counts.linked += 1
    }

    /// Creates journaled by a run that crashed: link the created record if it is there.
    private mutating func resolveIntents() {
        for intent in snapshot.intents {
            let source = Self.source(of: intent.way)
            let target = Self.other(source)
            guard linkOf[source][intent.sourceID] == nil, let email = normalizedEmail(intent.email) else { continue }
            if let targetID = emailIndex[target][email]?.first(where: { linkOf[target][$0] == nil }) {
                source == .a ? addLink(a: intent.sourceID, b: targetID) : addLink(a: targetID, b: intent.sourceID)
            }
        }
    }

    /// Every live record by email, per app.
    private mutating func indexEmails() {
        for side in StoredSide.allCases {
            var index: [String: [String]] = [:]
            index.reserveCapacity(liveEmails[side].count)
            for (id, email) in liveEmails[side] {
                if let email { index[email, default: []].append(id) }
            }
            emailIndex[side] = index
        }
    }

    /// Emails shared by several live records of one app.
    private mutating func findDuplicates() -> BySide<Set<String>> {
        var result = BySide<Set<String>>(both: [])
        for side in StoredSide.allCases {
            for (email, ids) in emailIndex[side] where ids.count > 1 {
                for id in ids {
                    result[side].insert(id)
                    health.append(HealthEntry(
                        side: side, recordID: id, kind: .duplicate,
                        reason: "\(ids.count) records in app '\(app(side).app)' share this email", email: email))
                }
                counts.duplicates += ids.count
            }
        }
        return result
    }

    /// Links each unlinked a record to the one unlinked b record holding its email. The order
    /// does not matter: two a records with one email are duplicates, never matched, so no two
    /// candidates can claim the same b record.
    ///
    /// - Returns: `unlinked` (the unlinked live records) without the records it links.
    private mutating func matchByEmail(_ unlinked: BySide<Set<String>>, duplicates: BySide<Set<String>>) -> BySide<Set<String>> {
        var stillUnlinked = unlinked
        for id in unlinked[.a] {
            // An email held by one b record only (several would be duplicates), still unlinked.
            guard let email = emailOf(.a, id), let bIDs = emailIndex[.b][email], bIDs.count == 1,
                  linkOf[.b][bIDs[0]] == nil, !duplicates[.a].contains(id)
            else { continue }
            addLink(a: id, b: bIDs[0])
            stillUnlinked[.a].remove(id)
            stillUnlinked[.b].remove(bIDs[0])
        }
        return stillUnlinked
    }

    /// Evaluates the rules for the records this run looks at; the others keep the rules they
    /// matched at the last run (their values did not change, and they were linked then). A way
    /// whose rules look at no values is not evaluated record by record (`matchedRules` answers
    /// from whether the record is linked): a first run over 100,000 contacts spent 0.37 s of one
    /// core here while the other had nothing to do.
    private mutating func evaluateRules() {
        for way in plan.rules.keys where valueFreeMatches[way] == nil {
            let source = Self.source(of: way)
            var result: [String: [Int]] = [:]
            let records = current[source]
            result.reserveCapacity(records.ids.count)
            for id in records.ids {
                result[id] = matchingRules(way, records[id]!, linked: linkOf[source][id] != nil)
            }
            matched[way] = result
        }
    }

    /// The rules of `way` a record of its source app matches: as evaluated this run, else as stored.
    private func matchedRules(_ way: String, _ sourceID: String) -> [Int]? {
        if let rules = matched[way]?[sourceID] { return rules }
        let source = Self.source(of: way)
        // What `evaluateRules` would have found: links made after it come from creates, which
        // store the linked record's rules in `matched`.
        if let fixed = valueFreeMatches[way], current[source].contains(sourceID) {
            return linkOf[source][sourceID] != nil ? fixed.linked : fixed.unlinked
        }
        return snapshot.records[source]?[sourceID]?.rules
    }

    private func syncs(_ way: String, _ sourceID: String) -> Bool {
        !(matchedRules(way, sourceID)?.isEmpty ?? true)
    }

    /// Whether every unlinked record this run looks at syncs along `way`, when that does not
    /// depend on the record (no rule of the way reads values): `syncs` for each of them, found
    /// once, until a create links one.
    private func syncsEveryUnlinked(_ way: String) -> Bool? {
        valueFreeMatches[way].map { !$0.unlinked.isEmpty }
    }

    // MARK: - Deletions

    private mutating func markDeletedOpposites(into updates: inout [StoredSide: [String: Values]]) {
        for side in StoredSide.allCases {
            let opposite = Self.other(side)
            let goneNow = deleted[side]
            let goneBefore = Set((snapshot.records[side] ?? [:]).filter(\.value.deleted).keys)
            for id in goneNow.union(goneBefore) {
                guard let counterpart = linkOf[side][id], isLive(opposite, counterpart) else { continue }
                health.append(HealthEntry(
                    side: opposite, recordID: counterpart, kind: .deletedOpposite,
                    reason: "its counterpart in app '\(app(side).app)' was deleted", detail: id, email: emailOf(opposite, counterpart)))
                if goneNow.contains(id) { addMarker(plan.options.sync_deletions, from: side, to: counterpart, into: &updates) }
            }
        }
    }

    /// Contacts that unsubscribed since the last run: their counterparts get the unsubscribe marker.
    private mutating func markUnsubscribedOpposites(into updates: inout [StoredSide: [String: Values]]) {
        for side in StoredSide.allCases {
            for id in unsubscribed[side].sorted() {
                guard baseline(side, id)?[ValueKeys.unsubscribed] == nil, let counterpart = linkOf[side][id] else { continue }
                addMarker(plan.options.sync_unsubscribes, from: side, to: counterpart, into: &updates)
            }
        }
    }

    /// Adds `option`'s marker to `counterpart`, when the option covers the way from `side`.
    private func addMarker(_ option: SyncPlan.MarkerOption?, from side: StoredSide, to counterpart: String, into updates: inout [StoredSide: [String: Values]]) {
        let opposite = Self.other(side)
        guard let option, let way = option.ways.first(where: { $0.way == Self.way(from: side) }),
              let values = updates[opposite]![counterpart] ?? current[opposite][counterpart]
        else { return }
        let key = ValueKeys.segment(way.marker_kind)
        if !(values[key] ?? []).contains(option.marker) {
            var target = values
            target[key] = ((values[key] ?? []) + [option.marker]).sorted()
            updates[opposite]![counterpart] = target
        }
    }

    // MARK: - Merging

    private mutating func mergeLinkedPairs(into updates: inout [StoredSide: [String: Values]]) {
        let winnerWay = plan.winner == "b" ? "b-to-a" : "a-to-b"
        // Pairs with a side that changed, is new, was linked now or failed before; every pair on a full scan.
        var pairs = Set<String>()
        if fullScan {
            pairs = Set(linkOf[.a].keys)
        } else {
            pairs.formUnion(changed[.a].union(failedBefore[.a]).filter { linkOf[.a][$0] != nil })
            pairs.formUnion(changed[.b].union(failedBefore[.b]).compactMap { linkOf[.b][$0] })
            pairs.formUnion(newLinks.map(\.a))
        }
        for aID in pairs.sorted() {
            guard let bID = linkOf[.a][aID], let aValues = current[.a][aID], let bValues = current[.b][bID] else { continue }
            if skipFailed(.a, aID) && skipFailed(.b, bID) { continue }
            let firstMatch = newLinks.contains(RecordLink(a: aID, b: bID)) || baseline(.a, aID) == nil || baseline(.b, bID) == nil
            // Neither side changed since a run that left them in sync: nothing to merge (O(changes) runs).
            if !fullScan, !firstMatch, !changed[.a].contains(aID), !changed[.b].contains(bID),
               !failedBefore[.a].contains(aID), !failedBefore[.b].contains(bID) { continue }
            var next: [StoredSide: Values] = [.a: updates[.a]![aID] ?? aValues, .b: updates[.b]![bID] ?? bValues]
            for (mapping, ways) in zip(plan.mappings, directedMappings) {
                merge(mapping, ways: ways, aID: aID, bID: bID, firstMatch: firstMatch, winnerWay: winnerWay, next: &next)
            }
            for way in plan.rules.keys.sorted() {
                let (sourceID, targetSide) = way == "a-to-b" ? (aID, StoredSide.b) : (bID, StoredSide.a)
                applyActions(way: way, sourceID: sourceID, target: &next[targetSide]!)
            }
            if next[.a] != aValues { updates[.a]![aID] = next[.a] }
            if next[.b] != bValues { updates[.b]![bID] = next[.b] }
        }
    }

    private func restricted(_ values: Values, _ fields: [String]) -> Values {
        values.filter { fields.contains($0.key) }
    }

    private func isEmpty(_ values: Values, _ fields: [String]) -> Bool {
        fields.allSatisfy { (values[$0] ?? []).isEmpty }
    }

    /// - Parameter ways: `mapping` as it carries values each of its ways.
    private mutating func merge(
        _ mapping: SyncPlan.Mapping, ways: [String: DirectedMapping], aID: String, bID: String, firstMatch: Bool, winnerWay: String,
        next: inout [StoredSide: Values]
    ) {
        let ids: [StoredSide: String] = [.a: aID, .b: bID]
        func allowed(_ way: String) -> Bool {
            ways[way] != nil && syncs(way, way == "a-to-b" ? aID : bID)
        }
        /// Writes the source's values into the target; returns whether anything changed.
        func propagate(_ way: String) -> Bool {
            let source = Self.source(of: way), target = Self.other(source)
            let desired = ways[way]!.apply(source: next[source]!, target: next[target]!)
            var changedTarget = false
            for (field, values) in desired where (next[target]![field] ?? []) != values {
                next[target]![field] = values.isEmpty ? nil : values
                changedTarget = true
            }
            return changedTarget
        }
        let aFields = mapping.a, bFields = mapping.b
        let aNow = restricted(current[.a][aID]!, aFields), bNow = restricted(current[.b][bID]!, bFields)
        let otherWay = winnerWay == "a-to-b" ? "b-to-a" : "a-to-b"
        if firstMatch {
            // Differing values at the first match: the winning app, but an empty winner never clears.
            for way in [winnerWay, otherWay] where allowed(way) && !isEmpty(next[Self.source(of: way)]!, mapping.sourceFields(way)) {
                let targetFields = mapping.targetFields(way)
                let hadValue = !isEmpty(next[Self.other(Self.source(of: way))]!, targetFields)
                if propagate(way), hadValue { counts.conflicts_resolved += 1 }
                break
            }
            return
        }
        // A record whose last write failed counts as changed, so a retry sends its values again.
        let aChanged = failedBefore[.a].contains(aID) || aNow != restricted(baseline(.a, ids[.a]!) ?? [:], aFields)
        let bChanged = failedBefore[.b].contains(bID) || bNow != restricted(baseline(.b, ids[.b]!) ?? [:], bFields)
        switch (aChanged, bChanged) {
        case (true, false) where allowed("a-to-b"): _ = propagate("a-to-b")
        case (false, true) where allowed("b-to-a"): _ = propagate("b-to-a")
        case (true, true):
            // Both changed: nothing to do if they agree, else the winning app (never an empty winner).
            let agreeAB = allowed("a-to-b") && ways["a-to-b"]!.apply(source: next[.a]!, target: next[.b]!)
                .allSatisfy { (next[.b]![$0.key] ?? []) == $0.value }
            let agreeBA = allowed("b-to-a") && ways["b-to-a"]!.apply(source: next[.b]!, target: next[.a]!)
                .allSatisfy { (next[.a]![$0.key] ?? []) == $0.value }
            if agreeAB || agreeBA { return }
            for way in [winnerWay, otherWay] where allowed(way) && !isEmpty(next[Self.source(of: way)]!, mapping.sourceFields(way)) {
                if propagate(way) { counts.conflicts_resolved += 1 }
                break
            }
        default: break
        }
    }

    /// Whether any rule of `way` has actions or undoes (else `applyActions` never changes anything).
    private func hasActions(_ way: String) -> Bool { waysWithActions.contains(way) }

    /// Applies the actions of the rules `sourceID` matches, and undoes those of rules it stopped matching.
    private func applyActions(way: String, sourceID: String, target: inout Values) {
        guard hasActions(way), let rules = plan.rules[way] else { return }
        let now = matchedRules(way, sourceID) ?? []
        let before = snapshot.records[Self.source(of: way)]?[sourceID]?.rules ?? []
        var actions: [SyncPlan.Action] = now.flatMap { rules[$0].actions }
        for index in before where !now.contains(index) && index < rules.count {
            actions += rules[index].undo ?? []
        }
        for action in actions {
            switch action.kind {
            case "add_to_segment", "remove_from_segment":
                guard let kind = action.segment, let name = action.name else { continue }
                let key = ValueKeys.segment(kind)
                var members = Set(target[key] ?? [])
                if action.kind == "add_to_segment" { members.insert(name) } else { members.remove(name) }
                target[key] = members.isEmpty ? nil : members.sorted()
            default:
                guard let field = action.field, let value = action.value?.value else { continue }
                target[field] = [value]
            }
        }
    }

    // MARK: - Creates

    /// A record to create; its values are worked out batch by batch (`createdValues`), so a
    /// large first run does not hold them all.
    struct Create {
        var way: String
        var sourceID: String
        var email: String?
    }

    /// A record that failed before is retried when it changed, when the plan changed, or on `accord retry`.
    private func skipFailed(_ side: StoredSide, _ id: String) -> Bool {
        guard !fullScan, !snapshot.retryRequested, !changed[side].contains(id) else { return false }
        return failedBefore[side].contains(id)
    }

    private func plannedCreates(_ unlinked: BySide<Set<String>>, duplicates: BySide<Set<String>>) -> [Create] {
        var creates: [Create] = []
        for way in plan.rules.keys.sorted() {
            let source = Self.source(of: way)
            let target = Self.other(source)
            let candidates = unlinked[source].sorted()
            creates.reserveCapacity(creates.count + candidates.count)
            let everyUnlinkedSyncs = syncsEveryUnlinked(way)
            for id in candidates {
                guard everyUnlinkedSyncs ?? syncs(way, id), !duplicates[source].contains(id), !skipFailed(source, id) else { continue }
                let email = emailOf(source, id)
                if plan.options.avoid_duplicates {
                    guard let email, emailIndex[target][email] == nil else { continue }
                }
                creates.append(Create(way: way, sourceID: id, email: email))
            }
        }
        return creates
    }

    private static func change(creating create: Create, _ values: Values) -> PlannedChange {
        PlannedChange(
            way: create.way, kind: .create, sourceID: create.sourceID, targetID: nil, email: create.email,
            fields: values.keys.sorted().map { .init(field: $0, before: [], after: values[$0]!) })
    }

    /// The values of the record `create` makes from its source's values: the mapped ones and its
    /// rules' actions.
    private func createdValues(_ create: Create, from source: PackedFields) -> PackedFields {
        // Without unpacking: a first run between two apps of one kind creates every record this way.
        if let copied = copiedFields[create.way] { return source.restricted(to: copied, adding: [:]) }
        let values = source.dictionary
        let mappings = mappingsByWay[create.way] ?? []
        var created: Values = [:]
        created.reserveCapacity(mappings.count + 1)  // a field each, mostly: grown one by one, it was rehashed 4 times
        for mapping in mappings {
            mapping.apply(source: values, target: [:], into: &created, skippingEmpty: true)
        }
        applyActions(way: create.way, sourceID: create.sourceID, target: &created)
        return PackedFields(unpacked: created)
    }

    /// The contact to send for a record of `way` with `values`: its fields, and its segments apart.
    private func newContact(way: String, _ values: PackedFields) -> NewContact {
        if copiedFields[way] != nil { return NewContact(packedFields: values) }  // fields only
        let change = Self.contactChange(values.dictionary)
        return NewContact(fields: change.fields, segments: change.segments)
    }

    private mutating func recordExclusions(_ unlinked: BySide<Set<String>>, duplicates: BySide<Set<String>>) {
        for way in plan.rules.keys.sorted() {
            let source = Self.source(of: way)
            let target = Self.other(source)
            let ambiguous = Set(duplicates[target].compactMap { emailOf(target, $0) })
            let everyUnlinkedSyncs = syncsEveryUnlinked(way)
            for id in unlinked[source] where !duplicates[source].contains(id) {
                let reason: String
                let email = emailOf(source, id)
                if plan.options.avoid_duplicates, email == nil {
                    reason = "the contact has no email address"
                } else if let email, ambiguous.contains(email) {
                    reason = "several records in app '\(app(target).app)' have its email; it is linked once they are merged"
                } else if !(everyUnlinkedSyncs ?? syncs(way, id)) {
                    reason = "it matches no \(way) rule"
                } else {
                    continue
                }
                health.append(HealthEntry(side: source, recordID: id, kind: .excluded, reason: reason, email: email))
                counts.excluded += 1
            }
        }
    }

    // MARK: - Writing

    private static func contactChange(_ values: Values) -> (fields: [String: [String]], segments: [String: Set<String>]) {
        // The fields are the values but segments and flags: a copy with those removed costs less
        // than a new dictionary of the fields.
        var fields = values
        var segments: [String: Set<String>] = [:]
        for (key, list) in values where key.hasPrefix("#") || key.hasPrefix("@") {
            if key.hasPrefix("#") { segments[String(key.dropFirst())] = Set(list) }
            fields[key] = nil
        }
        return (fields, segments)
    }

    private mutating func performCreates(_ creates: [Create], target: StoredSide, total: Int) async throws {
        guard !creates.isEmpty else { return }
        let connector = connectors[target]!
        let source = Self.other(target)
        if options.dryRun {
            if target == .b { counts.created_a_to_b += creates.count } else { counts.created_b_to_a += creates.count }
            for create in creates {
                let values = createdValues(create, from: current[source].packed(create.sourceID) ?? PackedFields([:])).dictionary
                changes.append(Self.change(creating: create, values))
                evaluateRules(ofLinked: "new:\(create.sourceID)", values: values, side: target)
                created.append((target, "new:\(create.sourceID)", create.sourceID))
            }
            return
        }
        reserveCapacity(forCreates: creates.count, source: source, target: target)
        let batchSize = max(connector.batchSize, 1)
        let batches = stride(from: 0, to: creates.count, by: batchSize).map { $0..<min($0 + batchSize, creates.count) }
        // Every create of the run is journaled before the first is sent, in one transaction (one
        // entry per batch), so that a batch's state can be committed while the next batch is
        // written: on 2 cores the commit takes the core that building the next batch leaves idle.
        let intentIDs = try store.recordIntents(
            batches: batches.map { creates[$0].map { Intent(way: $0.way, sourceID: $0.sourceID, email: $0.email) } },
            connection: plan.connection)
        let targetApp = app(target)
        var sent = 0  // batches
        // A pipeline of three stages, one batch in each: the next batch's values are worked out
        // and the last batch's results taken in while a batch is written, and each batch's state
        // is committed while the next one is written (one commit at a time, in order). Only one
        // batch is ever being written, so the failpoints and stop requests fall between batches.
        try await withThrowingTaskGroup(of: Void.self) { commits in
            try await withThrowingTaskGroup(of: [WriteResult].self) { writes in
                func send(_ batch: PreparedCreates) {
                    if options.reportsChanges { changes += zip(batch.creates, batch.values).map { Self.change(creating: $0, $1.dictionary) } }
                    Failpoint.hit("before-create")
                    sent += 1
                    writes.addTask { try await Self.write(to: targetApp) { try await connector.create(batch.contacts) } }
                }
                guard !options.shouldStop() else { return }
                var writing = preparedCreates(creates, batches[0], source: source)
                send(writing)
                for next in 1...batches.count {  // the batch prepared while `writing` is written, if any
                    let following = next < batches.count ? preparedCreates(creates, batches[next], source: source) : nil
                    let results = try await writes.next()!
                    Failpoint.hit("after-create")
                    let sending = options.shouldStop() ? nil : following
                    if let sending { send(sending) }
                    var state = recordCreated(writing.creates, results: results, sourceValues: writing.sourceValues, target: target)
                    state.removedIntents = [intentIDs[writing.range.lowerBound / batchSize]]
                    let encoded = EncodedStateChanges(state)  // while the batch before is committed
                    try await commits.next()
                    commits.addTask { [store, connection = plan.connection] in
                        try await store.applyInBackground(encoded, connection: connection)
                        Failpoint.hit("after-create-commit")
                    }
                    report("created \(counts.created_a_to_b + counts.created_b_to_a) of \(total) records")
                    guard let sending else { break }
                    writing = sending
                }
            }
            try await commits.waitForAll()
        }
        // Stopped early: the creates never sent are not pending.
        if sent < batches.count {
            var state = StateChanges()
            state.removedIntents = Array(intentIDs[sent...])
            try store.apply(state, connection: plan.connection)
        }
    }

    /// Sizes the tables each create adds to (links, stored snapshots, matched rules) once for all
    /// of them: grown one by one, they were rehashed in about a third of the samples of taking in
    /// the results of 100,000 creates.
    private mutating func reserveCapacity(forCreates count: Int, source: StoredSide, target: StoredSide) {
        for side in [source, target] {
            linkOf[side].reserveCapacity(linkOf[side].count + count)
            stored[side].reserveCapacity(stored[side].count + count)
            let way = Self.way(from: side)
            if plan.rules[way] != nil { matched[way, default: [:]].reserveCapacity((matched[way]?.count ?? 0) + count) }
        }
    }

    /// A batch of creates ready to send: its source values and the contacts made from them.
    struct PreparedCreates: Sendable {
        var range: Range<Int>
        var creates: [Create]
        var sourceValues: [PackedFields?]
        var values: [PackedFields]
        var contacts: [NewContact]
    }

    private func preparedCreates(_ creates: [Create], _ range: Range<Int>, source: StoredSide) -> PreparedCreates {
        let batch = Array(creates[range])
        let sourceValues = batch.map { current[source].packed($0.sourceID) }
        let values = zip(batch, sourceValues).map { createdValues($0, from: $1 ?? PackedFields([:])) }
        let contacts = zip(batch, values).map { newContact(way: $0.way, $1) }
        return PreparedCreates(range: range, creates: batch, sourceValues: sourceValues, values: values, contacts: contacts)
    }

    /// Takes in the results of a batch of creates: links, rules, counts and health entries, and
    /// the state changes that record them.
    private mutating func recordCreated(_ batch: [Create], results: [WriteResult], sourceValues: [PackedFields?], target: StoredSide) -> StateChanges {
        let source = Self.other(target)
        var state = StateChanges()
        for ((create, result), sourceValues) in zip(zip(batch, results), sourceValues) {
            switch result {
            case .written(let record):
                let link = target == .b ? RecordLink(a: create.sourceID, b: record.id) : RecordLink(a: record.id, b: create.sourceID)
                state.links.append(link)
                linkOf[source][create.sourceID] = record.id
                linkOf[target][record.id] = create.sourceID
                let values = record.packedValues(fields: fieldNames(target))
                evaluateRules(ofLinked: record.id, values: values.dictionary, side: target)
                // The source is linked now: its rules are stored as they match a linked record,
                // so later runs need not evaluate its unchanged values again.
                if let sourceValues {
                    evaluateRules(ofLinked: create.sourceID, values: sourceValues.dictionary, side: source)
                }
                state.records[target, default: []].append(snapshotRecord(target, record.id, values, version: record.version))
                stored[target].insert(record.id)
                // The source's snapshot says "in sync"; when the new record's rules still have
                // actions to apply to it, the update that applies them stores it instead.
                if !hasPendingActions(ofCreated: record.id, on: target, sourceValues: sourceValues) {
                    state.records[source, default: []].append(snapshotRecord(source, create.sourceID, sourceValues))
                    stored[source].insert(create.sourceID)
                }
                if failedBefore[source].contains(create.sourceID) || excludedBefore[source].contains(create.sourceID) {
                    state.clearedHealth.append((source, create.sourceID, [.failed, .excluded]))
                }
                created.append((target, record.id, create.sourceID))
                if target == .b { counts.created_a_to_b += 1 } else { counts.created_b_to_a += 1 }
            case .failed(let reason):
                counts.failed += 1
                let entry = HealthEntry(side: source, recordID: create.sourceID, kind: .failed, reason: reason, detail: "create in app '\(app(target).app)'", email: create.email)
                state.health.append(entry)
                health.append(entry)
            }
        }
        return state
    }

    /// Which rules of its own app's way a record linked by a create this run matches.
    private mutating func evaluateRules(ofLinked id: String, values: @autoclosure () -> Values, side: StoredSide) {
        let way = Self.way(from: side)
        guard plan.rules[way] != nil else { return }
        matched[way, default: [:]][id] = matchingRules(way, values(), linked: true)
    }

    /// The indices of the rules of `way` that `values` match; the list is shared with every
    /// record that matches the same rules (100,000 records matching one rule hold one array, not
    /// 100,000). The values are not worked out when no rule of the way looks at them.
    private mutating func matchingRules(_ way: String, _ values: @autoclosure () -> Values, linked: Bool) -> [Int] {
        if let fixed = valueFreeMatches[way] { return linked ? fixed.linked : fixed.unlinked }
        guard let rules = plan.rules[way] else { return [] }
        let values = values()
        let indices = rules.indices.filter { rules[$0].predicate.matches(values, linked: linked) }
        if indices.isEmpty { return [] }
        if let index = ruleLists.firstIndex(of: indices) { return ruleLists[index] }
        ruleLists.insert(indices)
        return indices
    }

    /// Whether the rules a record created this run matches have actions for its source (whose
    /// values are `sourceValues`; none when the source is not among the records looked at).
    private func hasPendingActions(ofCreated id: String, on side: StoredSide, sourceValues: PackedFields?) -> Bool {
        guard hasActions(Self.way(from: side)), let sourceValues = sourceValues?.dictionary else { return false }
        var desired = sourceValues
        applyActions(way: Self.way(from: side), sourceID: id, target: &desired)
        return desired != sourceValues
    }

    /// A record created this run may match rules of the opposite way (a lead created in the CRM
    /// may be a partner there): their actions go to its source now, so the next run has nothing to do.
    private mutating func applyRulesOfCreatedRecords(into updates: inout [StoredSide: [String: Values]]) {
        for (side, id, sourceID) in created {
            let way = Self.way(from: side)
            guard hasActions(way) else { continue }  // before the source's values are unpacked
            let source = Self.other(side)
            guard let sourceValues = current[source][sourceID] else { continue }
            var next = updates[source]![sourceID] ?? sourceValues
            applyActions(way: way, sourceID: id, target: &next)
            if next != sourceValues { updates[source]![sourceID] = next }
        }
    }

    /// - Parameter counterpartUpdates: records of the other side with an update still to write. A
    ///   record whose counterpart is among them keeps its old snapshot until that update is written
    ///   (in the same transaction), so a crash in between cannot make a change look synced.
    private mutating func performUpdates(_ updates: [String: Values], target: StoredSide, counterpartUpdates: Set<String>) async throws {
        guard !updates.isEmpty else { return }
        let connector = connectors[target]!
        let way = Self.way(from: Self.other(target))
        var contactUpdates: [ContactUpdate] = []
        for (id, values) in updates.sorted(by: { $0.key < $1.key }) {
            let before = current[target][id] ?? [:]
            var update = ContactUpdate(id: id, basedOn: knownVersion(target, id))
            var fieldChanges: [PlannedChange.FieldChange] = []
            var marked = false
            for key in Set(before.keys).union(values.keys).sorted() where before[key] != values[key] {
                let old = before[key] ?? [], new = values[key] ?? []
                fieldChanges.append(.init(field: key, before: old, after: new))
                if key.hasPrefix("#") {
                    let kind = String(key.dropFirst())
                    let added = Set(new).subtracting(old), removed = Set(old).subtracting(new)
                    if !added.isEmpty { update.addSegments[kind] = added }
                    if !removed.isEmpty { update.removeSegments[kind] = removed }
                    let markers = [plan.options.sync_deletions?.marker, plan.options.sync_unsubscribes?.marker].compactMap { $0 }
                    if markers.contains(where: added.contains) { marked = true }
                } else if !key.hasPrefix("@") {
                    update.fields[key] = new
                    update.previous[key] = old
                }
            }
            guard !update.isEmpty else { continue }
            contactUpdates.append(update)
            if marked { counts.markers_added += 1 }
            guard options.reportsChanges else { continue }
            changes.append(PlannedChange(
                way: way, kind: marked && update.fields.isEmpty ? .mark : .update, sourceID: linkOf[target][id] ?? "", targetID: id,
                email: email(target, before), fields: fieldChanges))
        }
        if options.dryRun {
            if target == .b { counts.updated_a_to_b += contactUpdates.count } else { counts.updated_b_to_a += contactUpdates.count }
            return
        }
        for start in stride(from: 0, to: contactUpdates.count, by: max(connector.batchSize, 1)) where !options.shouldStop() {
            let batch = Array(contactUpdates[start..<min(start + connector.batchSize, contactUpdates.count)])
            Failpoint.hit("before-update")
            let results = try await Self.write(to: app(target)) { try await connector.update(batch) }
            Failpoint.hit("after-update")
            var state = StateChanges()
            for (update, result) in zip(batch, results) {
                switch result {
                case .written(let record):
                    // Without a version, the app merged this update into an edit made during the
                    // run: remembering what was written (and no version) makes the next run read
                    // the record again and sync that edit, instead of taking it as in sync.
                    let written = record.version == nil && update.basedOn != nil
                        ? snapshotRecord(target, record.id, PackedFields(updates[record.id] ?? [:]))
                        : snapshotRecord(target, record.id, record.packedValues(fields: fieldNames(target)), version: record.version)
                    if let counterpart = linkOf[target][record.id], counterpartUpdates.contains(counterpart) {
                        deferredSnapshots[counterpart] = written
                    } else {
                        state.records[target, default: []].append(written)
                        stored[target].insert(record.id)
                    }
                    if let counterpart = linkOf[target][record.id], let deferred = deferredSnapshots.removeValue(forKey: record.id) {
                        state.records[Self.other(target), default: []].append(deferred)
                        stored[Self.other(target)].insert(counterpart)
                    }
                    if target == .b { counts.updated_a_to_b += 1 } else { counts.updated_b_to_a += 1 }
                case .failed(let reason):
                    counts.failed += 1
                    let source = Self.other(target)
                    let entry = HealthEntry(
                        side: source, recordID: linkOf[target][update.id] ?? update.id, kind: .failed, reason: reason,
                        detail: "update of '\(update.id)' in app '\(app(target).app)'")
                    state.health.append(entry)
                    health.append(entry)
                }
            }
            try store.apply(state, connection: plan.connection)
            Failpoint.hit("after-update-commit")
        }
    }

    /// Runs a write, turning a thrown error into a run-stopping error that names the app.
    private static func write(to app: SyncPlan.App, _ body: () async throws -> [WriteResult]) async throws -> [WriteResult] {
        do {
            return try await body()
        } catch {
            throw ConnectorError("writing to app '\(app.app)' (\(app.side)) failed: \(error)")
        }
    }

    /// A record's version as this run listed it, else as the last run stored it.
    private func knownVersion(_ side: StoredSide, _ id: String) -> String? {
        versions[side][id] ?? snapshot.records[side]?[id]?.version
    }

    /// The snapshot to store for a record: its values now (or `values`), plus which rules it matched.
    private func snapshotRecord(_ side: StoredSide, _ id: String, _ values: PackedFields? = nil, version: String? = nil) -> RecordSnapshot {
        let fields = values ?? current[side].packed(id) ?? PackedFields([:])
        return RecordSnapshot(
            id: id, email: email(side, fields), version: version ?? knownVersion(side, id),
            fields: fields, rules: matchedRules(Self.way(from: side), id))
    }

    /// Stores what this run saw: snapshots of every changed or new record, deletions, cursors, health.
    /// A run stopped early stores only what its batches wrote, so the next run redoes the rest.
    private func remember() async throws {
        var state = StateChanges()
        for side in StoredSide.allCases where !stoppedEarly {
            var records: [RecordSnapshot] = []
            for id in current[side].ids where !stored[side].contains(id) {
                let previous = snapshot.records[side]?[id]
                if fullScan || changed[side].contains(id) || previous == nil || previous?.rules != matchedRules(Self.way(from: side), id) {
                    records.append(snapshotRecord(side, id))
                }
            }
            for id in deleted[side] {
                if let record = snapshot.records[side]?[id] {
                    records.append(RecordSnapshot(
                        id: id, email: record.email, version: record.version, fields: baselines[side][id] ?? [:], rules: record.rules, deleted: true))
                }
            }
            state.records[side] = records
        }
        if !stoppedEarly { state.cursors = cursors }
        try store.replaceHealth(health + skippedFailures(), connection: plan.connection)
        try store.apply(state, connection: plan.connection)
        try await rememberVersionDigests()
    }

    /// A digest cursor stands for the state a finished run leaves: a run that goes on removes it
    /// first, so one that stops half-way (a crash) leaves none for the next run to trust.
    private func forgetVersionDigests() throws {
        let sides = StoredSide.allCases.filter { connectors[$0]!.cursorIsVersionDigest }
        if !sides.isEmpty { try store.removeCursors(plan.connection, sides: sides) }
    }

    /// For apps whose cursor is a `ListingDigest`: the digest of the versions the state now
    /// remembers for their live records, equal to the app's own exactly when a listing would find
    /// nothing changed. Read back from the store, so it holds whatever this run left; a record
    /// remembered without a version is left out, so the app never looks unchanged.
    private func rememberVersionDigests() async throws {
        // Both sides at once, each on a reader connection of its own: this is most of the tail of
        // a first run, when every record's version is read back.
        let digests = try await withThrowingTaskGroup(of: (StoredSide, String).self) { group in
            for side in StoredSide.allCases where connectors[side]!.cursorIsVersionDigest {
                group.addTask { [store, connection = plan.connection] in
                    var digest = ListingDigest()
                    try store.forEachVersion(connection, side: side) { digest.insert(id: $0, version: $1) }
                    return (side, digest.cursor)
                }
            }
            var digests = StateChanges()
            for try await (side, cursor) in group { digests.cursors[side] = cursor }
            return digests
        }
        try store.apply(digests, connection: plan.connection)
    }

    /// Failed entries of records not retried this run: they stay.
    private func skippedFailures() -> [HealthEntry] {
        snapshot.health.filter { $0.kind == .failed && skipFailed($0.side, $0.recordID) }
    }
}
