import AccordModel
import Foundation

/// The JSON text of a record's fields (`{"name":["value",...],...}`, keys sorted), written and read
/// by hand: a run stores and loads one per record, and Foundation's coders cost ten times more.
enum FieldsCodec {
    static func encode(_ fields: PackedFields) -> String {
        var writer = ObjectWriter()
        // Packed fields are in name order already: written from their bytes as they are visited.
        if !fields.visitUTF8(name: { writer.field($0) }, value: { writer.value($0) }) {
            fields.forEachField { name, values in
                name.withUTF8Bytes { writer.field($0) }
                for value in values { value.withUTF8Bytes { writer.value($0) } }
            }
        }
        return writer.finished()
    }

    /// Writes `{"name":["value",...],...}` a field name or value at a time.
    private struct ObjectWriter {
        private var out: [UInt8] = [UInt8(ascii: "{")]
        private var fieldCount = 0
        private var valueCount = 0

        init() { out.reserveCapacity(256) }

        mutating func field(_ name: UnsafeBufferPointer<UInt8>) {
            if fieldCount > 0 {
                out.append(UInt8(ascii: "]"))
                out.append(UInt8(ascii: ","))
            }
            fieldCount += 1
            valueCount = 0
            append(name, to: &out)
            out.append(UInt8(ascii: ":"))
            out.append(UInt8(ascii: "["))
        }

        mutating func value(_ value: UnsafeBufferPointer<UInt8>) {
            if valueCount > 0 { out.append(UInt8(ascii: ",")) }
            valueCount += 1
            append(value, to: &out)
        }

        consuming func finished() -> String {
            if fieldCount > 0 { out.append(UInt8(ascii: "]")) }
            out.append(UInt8(ascii: "}"))
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Appends `string` as a JSON string.
    static func append(_ string: String, to out: inout [UInt8]) {
        string.withUTF8Bytes { append($0, to: &out) }
    }

    /// Appends UTF-8 `bytes` as a JSON string.
    private static func append(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most values need no escape: copied whole.
        if !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20: out.append(contentsOf: Array(String(format: "\\u%04x", byte).utf8))
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Parses what `encode` wrote; `nil` for anything else.
    static func decode(_ text: String) -> [String: [String]]? {
        var parser = Parser(bytes: Array(text.utf8))
        return parser.object()
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        mutating func consume(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func object() -> [String: [String]]? {
            guard consume(UInt8(ascii: "{")) else { return nil }
            var result: [String: [String]] = [:]
            if consume(UInt8(ascii: "}")) { return result }
            repeat {
                guard let key = string(), consume(UInt8(ascii: ":")), consume(UInt8(ascii: "[")) else { return nil }
                var values: [String] = []
                if !consume(UInt8(ascii: "]")) {
                    repeat {
                        guard let value = string() else { return nil }
                        values.append(value)
                    } while consume(UInt8(ascii: ","))
                    guard consume(UInt8(ascii: "]")) else { return nil }
                }
                result[key] = values
            } while consume(UInt8(ascii: ","))
            return consume(UInt8(ascii: "}")) && index == bytes.count ? result : nil
        }

        mutating func string() -> String? {
            guard consume(UInt8(ascii: "\"")) else { return nil }
            var scalars: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: scalars, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { return nil }
                    let escaped = bytes[index]
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "n"): scalars.append(0x0A)
                    case UInt8(ascii: "r"): scalars.append(0x0D)
                    case UInt8(ascii: "t"): scalars.append(0x09)
                    case UInt8(ascii: "u"):
                        guard index + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16),
                              let scalar = Unicode.Scalar(value)
                        else { return nil }
                        index += 4
                        scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
                    default: scalars.append(escaped)
                    }
                default:
                    scalars.append(byte)
                }
            }
            return nil
        }
    }
}

/// The matched rules of a record as stored: rule indexes joined by commas (`""` when none matched,
/// `NULL` when the record's rules were not evaluated).
enum RulesCodec {
    static func encode(_ rules: [Int]?) -> String? {
        rules.map { $0.map(String.init).joined(separator: ",") }
    }

    static func decode(_ text: String?) -> [Int]? {
        text.map { $0.split(separator: ",").compactMap { Int($0) } }
    }
}

/// The entries of a journaled batch of creates: a JSON array of `[source id, email or null,
/// correlation id, source version or null]` (entries of the first journal format have the first
/// two only).
enum IntentEntriesCodec {
    static func encode(_ intents: [Intent]) -> String {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(intents.count * 120)
        func append(_ text: String?) {
            if let text { FieldsCodec.append(text, to: &out) } else { out += Array("null".utf8) }
        }
        for (index, intent) in intents.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "["))
            append(intent.sourceID)
            out.append(UInt8(ascii: ","))
            append(intent.email)
            out.append(UInt8(ascii: ","))
            append(intent.correlationID)
            out.append(UInt8(ascii: ","))
            append(intent.sourceVersion)
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    /// One decoded entry.
    struct Entry {
        var sourceID: String
        var email: String?
        var correlationID: String?
        var sourceVersion: String?
    }

    /// `nil` when `text` is not what `encode` writes.
    static func decode(_ text: String) -> [Entry]? {
        guard let entries = try? JSONDecoder().decode([[String?]].self, from: Data(text.utf8)) else { return nil }
        var result: [Entry] = []
        for entry in entries {
            guard entry.count == 2 || entry.count == 4, let sourceID = entry[0] else { return nil }
            result.append(Entry(sourceID: sourceID, email: entry[1], correlationID: entry.count == 4 ? entry[2] : nil, sourceVersion: entry.count == 4 ? entry[3] : nil))
        }
        return result
    }
}
