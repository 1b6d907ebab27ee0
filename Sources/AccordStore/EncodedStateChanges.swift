import AccordModel
/// State changes with each record's fields and rules already in the text the store keeps.
///
/// The store writes on one thread, and while a first run creates records that thread is the
/// slowest stage of the pipeline: a batch encoded where it is worked out, while the batch before
/// it is committed, leaves the thread only the inserts (encoding was a quarter of its work).
public struct EncodedStateChanges: Sendable {
    public let changes: StateChanges
    /// The fields and rules texts of each side's `changes.records`, in the same order.
    let texts: [Side: [(fields: String, rules: String?)]]
    /// The changelog entries' text.
    let changelog: String?

    public init(_ changes: StateChanges) {
        self.changes = changes
        texts = changes.records.mapValues { records in
            records.map { (FieldsCodec.encode($0.fields), RulesCodec.encode($0.rules)) }
        }
        changelog = changes.changelog.isEmpty ? nil : ChangelogCodec.encode(changes.changelog)
    }
}
