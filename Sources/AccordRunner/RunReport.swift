import Foundation

/// What one run did (or, for a dry run, would do).
public struct RunReport: Codable, Sendable {
    public var connection: String
    public var fullScan: Bool
    /// Neither app changed since the last run: nothing was listed in full, loaded or written.
    public var unchanged: Bool
    public var dryRun: Bool
    public var counts: RunCounts
    /// Every create, update and marker, with field-level before → after.
    public var changes: [PlannedChange]
    public var seconds: Double
    /// Set when the run stopped on an error; what was done before it is kept.
    public var error: String?
}

/// The counters of a run, as shown by `accord activity`.
public struct RunCounts: Codable, Sendable, Hashable {
    public var created_a_to_b = 0
    public var created_b_to_a = 0
    public var updated_a_to_b = 0
    public var updated_b_to_a = 0
    public var markers_added = 0
    public var conflicts_resolved = 0
    public var failed = 0
    public var excluded = 0
    public var duplicates = 0
    public var linked = 0

    public init() {}

    /// The non-zero counters by name.
    public var dictionary: [String: Int] {
        let all: [String: Int] = [
            "created_a_to_b": created_a_to_b, "created_b_to_a": created_b_to_a, "updated_a_to_b": updated_a_to_b,
            "updated_b_to_a": updated_b_to_a, "markers_added": markers_added, "conflicts_resolved": conflicts_resolved,
            "failed": failed, "excluded": excluded, "duplicates": duplicates, "linked": linked,
        ]
        return all.filter { $0.value != 0 }
    }

    public var writes: Int { created_a_to_b + created_b_to_a + updated_a_to_b + updated_b_to_a }
}

/// One change in a target app.
public struct PlannedChange: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable { case create, update, mark }

    public var way: String
    public var kind: Kind
    public var sourceID: String
    /// The target record; `nil` for creates.
    public var targetID: String?
    public var email: String?
    public var fields: [FieldChange]

    public struct FieldChange: Codable, Sendable, Hashable {
        public var field: String
        public var before: [String]
        public var after: [String]
    }
}
