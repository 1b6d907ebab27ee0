import AccordModel
import Crypto
import Foundation

extension SyncPlan {
    /// The canonical JSON text of the plan: sorted keys, two-space indentation, no escaped slashes.
    public func canonicalJSON(pretty: Bool = true) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        // The plan is made of strings, integers, booleans and finite doubles only.
        let data = try! encoder.encode(self)
        return String(decoding: data, as: UTF8.self) + (pretty ? "\n" : "")
    }

    /// SHA-256 of the compact canonical JSON with an empty fingerprint and without the parts
    /// that change no value a run writes (the safety budget, the changelog's retention, the
    /// apps' marker kinds, which only `accord revert` reads).
    public var computedFingerprint: String {
        var unsigned = self
        unsigned.fingerprint = ""
        unsigned.safety = nil
        for index in unsigned.apps.indices { unsigned.apps[index].marker_kind = nil }
        let digest = SHA256.hash(data: Data(unsigned.canonicalJSON(pretty: false).utf8))
        return "sha256:" + digest.map { String(format: "%02x", $0) }.joined()
    }
}

extension SyncDirection: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let direction = SyncDirection(name: name) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(name)' is not a direction")
        }
        self = direction
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Ways key the plan's rules and transforms, written as JSON object keys (`"a-to-b"`).
extension Way: CodingKeyRepresentable {
    public var codingKey: any CodingKey { WayKey(stringValue: rawValue) }

    public init?<T: CodingKey>(codingKey: T) {
        self.init(rawValue: codingKey.stringValue)
    }

    private struct WayKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
