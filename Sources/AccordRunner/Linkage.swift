import AccordConnectors
import AccordModel
import AccordStore

/// Phase 2, linking: which record of one app is which of the other. Takes the inventory, the
/// stored links and the journal of creates a crashed run left; gives the links (kept by record
/// id, whatever happens to emails since), the links made now (by email, or from the journal),
/// the duplicates, and the live records still without a counterpart.
struct Linkage {
    /// Each side's linked records → their counterparts.
    var linkOf = BySide<[String: String]>(both: [:])
    /// Links made this run.
    var newLinks: Set<RecordLink> = []
    /// Links re-made from the journal of a run that crashed after a create, whose source did not
    /// change since: the created record's baseline is what was written (see `WritePlanner`).
    var journaled: [(link: RecordLink, source: Side)] = []
    /// Every normalised email (any slot) → the live records holding it, per app.
    var emailIndex = BySide<[String: [String]]>(both: [:])
    /// Records sharing an email with another record of their app: reported, never matched.
    var duplicates = BySide<Set<String>>(both: [])
    /// Live records without a counterpart after matching.
    var unlinked = BySide<Set<String>>(both: [])
    /// Unlinked records whose emails point at several records of the other app, or at one that
    /// another record claims too: left for the user to merge.
    var ambiguous = BySide<Set<String>>(both: [])
    /// Duplicate entries found.
    var health: [HealthEntry] = []

    static func link(_ inventory: Inventory, context: RunContext) -> Linkage {
        var linkage = Linkage()
        for link in context.snapshot.links {
            linkage.linkOf[.a][link.a] = link.b
            linkage.linkOf[.b][link.b] = link.a
        }
        linkage.indexEmails(inventory)
        linkage.findDuplicates(context: context)
        linkage.resolveJournal(inventory, context: context)
        linkage.matchByEmail(inventory)
        return linkage
    }

    func isLinked(_ side: Side, _ id: String) -> Bool { linkOf[side].index(forKey: id) != nil }

    mutating func addLink(_ link: RecordLink) {
        linkOf[.a][link.a] = link.b
        linkOf[.b][link.b] = link.a
        newLinks.insert(link)
    }

    private mutating func indexEmails(_ inventory: Inventory) {
        for side in Side.allCases {
            var index: [String: [String]] = [:]
            index.reserveCapacity(inventory[side].emails.count)
            for (id, emails) in inventory[side].emails where !emails.isEmpty {
                if let only = emails.first, emails.joined == only {
                    index[only, default: []].append(id)
                } else {
                    for email in emails.all { index[email, default: []].append(id) }
                }
            }
            emailIndex[side] = index
        }
    }

    /// Records of one app that share an email, in any slot.
    private mutating func findDuplicates(context: RunContext) {
        for side in Side.allCases {
            var shared: [String: (email: String, count: Int)] = [:]
            for (email, ids) in emailIndex[side] where ids.count > 1 {
                for id in ids where shared[id] == nil { shared[id] = (email, ids.count) }
            }
            for (id, found) in shared.sorted(by: { $0.key < $1.key }) {
                duplicates[side].insert(id)
                health.append(HealthEntry(
                    side: side, recordID: id, kind: .duplicate,
                    reason: "\(found.count) records in app \(context.app(side).label) share this email", email: found.email))
            }
        }
    }

    /// Creates journaled by a run that crashed before it saved their links: the created record is
    /// found by the correlation id it was made with (else, while avoiding duplicates, by email)
    /// and linked. When the source has not changed since, the link keeps what was written as
    /// the baseline, so an edit of the new copy made since is synced rather than overwritten.
    private mutating func resolveJournal(_ inventory: Inventory, context: RunContext) {
        for intent in context.snapshot.intents {
            let source = intent.way.source, target = intent.way.target
            guard !isLinked(source, intent.sourceID), inventory.isLive(source, intent.sourceID) else { continue }
            if let correlation = intent.correlationID,
               let targetID = context.connectors[target].recordID(forCorrelation: correlation),
               inventory.isLive(target, targetID), !isLinked(target, targetID) {
                let link = source == .a ? RecordLink(a: intent.sourceID, b: targetID) : RecordLink(a: targetID, b: intent.sourceID)
                addLink(link)
                let sourceVersion = inventory[source].versions[intent.sourceID] ?? context.storedVersion(source, intent.sourceID)
                if let version = intent.sourceVersion, version == sourceVersion { journaled.append((link, source)) }
                continue
            }
            guard context.plan.plan.options.avoid_duplicates, let email = normalizedEmail(intent.email),
                  let targetID = emailIndex[target][email]?.first(where: { !isLinked(target, $0) })
            else { continue }
            addLink(source == .a ? RecordLink(a: intent.sourceID, b: targetID) : RecordLink(a: targetID, b: intent.sourceID))
        }
    }

    /// Links each unlinked record of app a to the one unlinked record of app b holding any of its
    /// emails, when no other record of a claims that one: with several emails a contact, two
    /// records that share none may still point at one counterpart, and then neither is guessed.
    private mutating func matchByEmail(_ inventory: Inventory) {
        var candidates: [String: String] = [:]  // a → its only candidate in b
        var claims: [String: Int] = [:]  // b → how many a records point at it
        for side in Side.allCases {
            for id in inventory[side].emails.keys where !isLinked(side, id) { unlinked[side].insert(id) }
        }
        for id in unlinked[.a] where !duplicates[.a].contains(id) {
            guard let emails = inventory[.a].emails[id], !emails.isEmpty else { continue }
            var found: Set<String> = []
            for email in emails.all { found.formUnion(emailIndex[.b][email] ?? []) }
            guard !found.isEmpty else { continue }
            for b in found { claims[b, default: 0] += 1 }
            if found.count == 1, let b = found.first, !isLinked(.b, b), !duplicates[.b].contains(b) {
                candidates[id] = b
            } else {
                ambiguous[.a].insert(id)
            }
        }
        for (a, b) in candidates.sorted(by: { $0.key < $1.key }) {
            guard claims[b] == 1 else {
                ambiguous[.a].insert(a)
                ambiguous[.b].insert(b)
                continue
            }
            addLink(RecordLink(a: a, b: b))
            unlinked[.a].remove(a)
            unlinked[.b].remove(b)
        }
        for link in newLinks {
            unlinked[.a].remove(link.a)
            unlinked[.b].remove(link.b)
        }
    }
}
