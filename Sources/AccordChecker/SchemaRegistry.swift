import AccordModel

/// The app schemas known to a compilation, by app id.
public struct SchemaRegistry: Sendable {
    public private(set) var schemas: [String: AppSchema]

    public init(_ schemas: [AppSchema]) {
        self.schemas = Dictionary(schemas.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public subscript(id: String) -> AppSchema? { schemas[id] }

    /// All app ids, sorted.
    public var ids: [String] { schemas.keys.sorted() }
}
