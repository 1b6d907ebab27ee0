import AccordModel
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
    /// Set when the safety budget held the run: it wrote nothing (for a dry run: it would be held).
    public var held: SafetyVerdict?
    /// The run's number in activity (`accord log NAME --run N`); `nil` for a dry run.
    public var run: Int64?

    public init(
        connection: String, fullScan: Bool, unchanged: Bool, dryRun: Bool, counts: RunCounts, changes: [PlannedChange], seconds: Double,
        error: String? = nil, held: SafetyVerdict? = nil, run: Int64? = nil
    ) {
        self.connection = connection
        self.fullScan = fullScan
        self.unchanged = unchanged
        self.dryRun = dryRun
        self.counts = counts
        self.changes = changes
        self.seconds = seconds
        self.error = error
        self.held = held
        self.run = run
    }
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

    mutating func countCreated(into target: Side, _ count: Int = 1) {
        if target == .b { created_a_to_b += count } else { created_b_to_a += count }
    }

    mutating func countUpdated(_ target: Side, _ count: Int = 1) {
        if target == .b { updated_a_to_b += count } else { updated_b_to_a += count }
    }
}

/// One change in a target app.
public struct PlannedChange: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable { case create, update, mark }

    public var way: Way
    public var kind: Kind
    public var sourceID: String
    /// The target record; `nil` for creates.
    public var targetID: String?
    public var email: String?
    public var fields: [FieldChange]
    /// Segments (tags, lists, groups, ...) joined and left.
    public var segments: [SegmentChange]

    public struct FieldChange: Codable, Sendable, Hashable {
        public var field: String
        public var before: [String]
        public var after: [String]
    }

    public struct SegmentChange: Codable, Sendable, Hashable {
        /// The segment kind: `tag`, `list`, `group`, ...
        public var kind: String
        public var added: [String]
        public var removed: [String]
    }

    /// The change from `before` to `after` (a record's values), fields and segments apart.
    static func between(_ before: [String: [String]], _ after: [String: [String]]) -> (fields: [FieldChange], segments: [SegmentChange]) {
        var fields: [FieldChange] = []
        var segments: [SegmentChange] = []
        for key in Set(before.keys).union(after.keys).sorted() where before[key] != after[key] {
            let old = before[key] ?? [], new = after[key] ?? []
            if let kind = ValueKeys.segmentKind(key) {
                segments.append(SegmentChange(
                    kind: kind, added: new.filter { !old.contains($0) }.sorted(), removed: old.filter { !new.contains($0) }.sorted()))
            } else if ValueKeys.isField(key) {
                fields.append(FieldChange(field: key, before: old, after: new))
            }
        }
        return (fields, segments)
    }
}
