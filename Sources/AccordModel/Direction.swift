/// One of the two apps of a connection.
public enum Side: String, CaseIterable, Sendable, Codable, Comparable {
    case a, b

    /// The other app.
    public var other: Side { self == .a ? .b : .a }

    public static func < (lhs: Side, rhs: Side) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One way data can flow: from one app into the other.
public enum Way: String, CaseIterable, Sendable, Codable, Comparable {
    case aToB = "a-to-b"
    case bToA = "b-to-a"

    public var source: Side { self == .aToB ? .a : .b }
    public var target: Side { self == .aToB ? .b : .a }
    public var reversed: Way { self == .aToB ? .bToA : .aToB }

    /// The way whose source is `side`.
    public static func from(_ side: Side) -> Way { side == .a ? .aToB : .bToA }

    public static func < (lhs: Way, rhs: Way) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The direction of a connection or of a mapping: a set of ways, written `two-way`, `a-to-b`,
/// `b-to-a` (or `none` when nothing is left).
public struct SyncDirection: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let aToB = SyncDirection(rawValue: 1)
    public static let bToA = SyncDirection(rawValue: 2)
    public static let twoWay: SyncDirection = [.aToB, .bToA]
    public static let none: SyncDirection = []

    public init(_ way: Way) { self = way == .aToB ? .aToB : .bToA }

    /// Parses `two-way`, `a-to-b` or `b-to-a`.
    public init?(name: String) {
        switch name {
        case "two-way": self = .twoWay
        case "a-to-b": self = .aToB
        case "b-to-a": self = .bToA
        default: return nil
        }
    }

    /// The spellings a connection file may use.
    public static let names = ["two-way", "a-to-b", "b-to-a"]

    public var ways: [Way] { Way.allCases.filter { contains(SyncDirection($0)) } }

    public func contains(_ way: Way) -> Bool { contains(SyncDirection(way)) }

    public var description: String {
        switch self {
        case .twoWay: "two-way"
        case .aToB: "a-to-b"
        case .bToA: "b-to-a"
        default: "none"
        }
    }
}
