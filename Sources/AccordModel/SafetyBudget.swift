/// How much one run may change before it is held for review: per app, the contacts it would
/// mark deleted, update (a value overwritten) or clear a field of, as a share of the contacts
/// linked on that side and as a count. A run over budget writes nothing until approved.
public struct SafetyBudget: Codable, Sendable, Hashable {
    /// A limit on one measure: over it when the count exceeds `count`, or exceeds `percent` of
    /// the linked contacts while it concerns at least `SafetyBudget.shareFloor` contacts.
    public struct Limit: Codable, Sendable, Hashable {
        public var percent: Double
        public var count: Int

        public init(percent: Double, count: Int) {
            self.percent = percent
            self.count = count
        }

        /// Whether `count` contacts out of `linked` exceed the limit.
        public func isExceeded(by count: Int, linked: Int) -> Bool {
            if count > self.count { return true }
            return count >= SafetyBudget.shareFloor && Double(count) * 100 > percent * Double(max(linked, 1))
        }
    }

    /// Whether the budget holds runs at all.
    public var enabled: Bool
    /// Contacts whose counterpart is gone (deletion markers, and records the state forgets).
    public var max_deletions: Limit
    /// Contacts with a value overwritten (filling an empty field is not counted).
    public var max_updates: Limit
    /// Contacts with a value cleared.
    public var max_cleared: Limit
    /// How many days the changelog of each run is kept.
    public var changelog_days: Int

    public init(enabled: Bool, max_deletions: Limit, max_updates: Limit, max_cleared: Limit, changelog_days: Int) {
        self.enabled = enabled
        self.max_deletions = max_deletions
        self.max_updates = max_updates
        self.max_cleared = max_cleared
        self.changelog_days = changelog_days
    }

    /// Below this many contacts a share is not judged: one deletion in a small address book
    /// never holds a run. (A side that lists nothing at all is held whatever its size.)
    public static let shareFloor = 3

    /// Limits an ordinary day does not reach and a wiped, emptied or swapped app always does.
    public static let defaults = SafetyBudget(
        enabled: true,
        max_deletions: Limit(percent: 20, count: 500),
        max_updates: Limit(percent: 50, count: 5_000),
        max_cleared: Limit(percent: 20, count: 500),
        changelog_days: 30)
}
