/// The cursor of an app that is listed whole every time (a folder of files, the in-memory app):
/// an order-independent digest of every record's version.
///
/// Versions only, not ids: an app whose cursor is a digest gives each record a version no other
/// record has (a `vcard-dir` version holds the file name), and it must be able to digest them
/// from a pass that reads no record, when it cannot know a record's id (a card's UID is inside
/// its file). After a run the runner stores the digest of the versions the state remembers; the
/// next run finds the app unchanged when the app's own versions give the same digest. That is
/// exactly when a listing would report nothing changed. Two 64-bit sums of differently seeded
/// hashes plus the count: a false "unchanged" needs all three to collide.
public struct ListingDigest: Hashable, Sendable {
    private var count = 0
    private var first: UInt64 = 0
    private var second: UInt64 = 0

    public init() {}

    /// Adds one record's version.
    public mutating func insert(version: String) {
        let (h1, h2) = Self.hashes(version)
        count += 1
        first &+= h1
        second &+= h2
    }

    /// `digest2`: a digest stored under `digest1` was of ids and versions, and is never equal.
    private static let prefix = "digest2:"

    /// The digest as a cursor to store.
    public var cursor: String {
        Self.prefix + "\(count):" + String(first, radix: 16) + ":" + String(second, radix: 16)
    }

    /// FNV-1a over the version, twice with different offsets, each finished with MurmurHash3's
    /// 64-bit mixer so that sums of similar entries do not cancel.
    private static func hashes(_ version: String) -> (UInt64, UInt64) {
        var h1: UInt64 = 0xcbf2_9ce4_8422_2325
        var h2: UInt64 = 0x8422_2325_cbf2_9ce4
        func add(_ byte: UInt8) {
            h1 = (h1 ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            h2 = (h2 ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        for byte in version.utf8 { add(byte) }
        return (mix(h1), mix(h2 ^ 0x9e37_79b9_7f4a_7c15))
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 33)) &* 0xff51_afd7_ed55_8ccd
        z = (z ^ (z >> 33)) &* 0xc4ce_b9fe_1a85_ec53
        return z ^ (z >> 33)
    }
}
