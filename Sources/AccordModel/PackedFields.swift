/// A record's fields (name → values) held in one string instead of a dictionary of arrays of
/// strings: a first run over 100,000 contacts holds every listed record at once, and this form
/// takes about a quarter of the memory (one allocation per record instead of one per field and
/// value). Reading `dictionary` rebuilds the dictionary each time.
///
/// Layout: for each name in sorted order, the name, U+001F, each value followed by U+001E, then
/// U+001D. Fields whose names or values contain one of those three characters are kept as a
/// dictionary instead.
public struct PackedFields: Sendable, Hashable {
    private enum Storage: Sendable, Hashable {
        case packed(String)
        case dictionary([String: [String]])
    }

    private var storage: Storage

    private static let nameEnd: UInt8 = 0x1F
    private static let valueEnd: UInt8 = 0x1E
    private static let fieldEnd: UInt8 = 0x1D

    public init(_ fields: [String: [String]]) {
        let sorted = fields.sorted { $0.key < $1.key }
        self.init(names: sorted.map(\.key), values: sorted.map(\.value), keepingEmpty: true)
    }

    /// The fields `names[i]: values[i]`, names in sorted order and each once; a field without
    /// values is left out unless `keepingEmpty`. A connector that reads fields into slots of a
    /// fixed order packs them this way, without building a dictionary.
    public init(names: [String], values: [[String]], keepingEmpty: Bool = false) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(names.count * 24)
        for (name, list) in zip(names, values) {
            guard Self.append(field: (name, list), to: &bytes, keepingEmpty: keepingEmpty) else {
                var fields: [String: [String]] = [:]
                for (name, list) in zip(names, values) where keepingEmpty || !list.isEmpty { fields[name] = list }
                storage = .dictionary(fields)
                return
            }
        }
        storage = .packed(String(decoding: bytes, as: UTF8.self))
    }

    /// The fields kept as a dictionary: for a record that is read once and dropped (a write's
    /// result), packing costs more than it saves.
    public init(unpacked fields: [String: [String]]) {
        storage = .dictionary(fields)
    }

    /// Appends the UTF-8 of `text`; false when it holds a separator.
    private static func append(_ text: String, to bytes: inout [UInt8]) -> Bool {
        text.withUTF8Bytes { utf8 in
            if holdsSeparator(utf8) { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
    }

    private static func isSeparator(_ byte: UInt8) -> Bool { byte >= fieldEnd && byte <= nameEnd }

    private static func holdsSeparator(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var found = false
        forEachSeparator(in: bytes) { _, _ in
            found = true
            return false
        }
        return found
    }

    /// Calls `body` with the index and value of each separator in `bytes`, in order, until it
    /// returns false; looks at eight bytes at a time: every record's packed fields are scanned a
    /// few times in a run, and they are mostly text without a byte below U+0020 (as every
    /// separator is).
    @inline(__always)
    private static func forEachSeparator(in bytes: UnsafeBufferPointer<UInt8>, _ body: (Int, UInt8) -> Bool) {
        guard let base = bytes.baseAddress else { return }
        var index = 0
        while index + 8 <= bytes.count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            // The high bit of each byte below 0x20 (and, past one, maybe of bytes above it).
            if (word &- 0x2020_2020_2020_2020) & ~word & 0x8080_8080_8080_8080 != 0 {
                for offset in index..<index + 8 where isSeparator(base[offset]) {
                    guard body(offset, base[offset]) else { return }
                }
            }
            index += 8
        }
        for offset in index..<bytes.count where isSeparator(base[offset]) {
            guard body(offset, base[offset]) else { return }
        }
    }

    /// These fields restricted to `names`, without empty values (a field left with none is
    /// dropped), with `extra` added (replacing a field of the same name). Works on the packed
    /// form without unpacking it: the engine takes in every listed record this way.
    public func restricted(to names: FieldNameSet, adding extra: [String: [String]]) -> PackedFields {
        guard case .packed(var text) = storage else { return restrictedByDictionary(to: names.names, adding: extra) }
        let extras = extra.sorted { $0.key < $1.key }
        let extrasHoldNoSeparator = extras.allSatisfy { field in
            !field.key.withUTF8Bytes(Self.holdsSeparator) && !field.value.contains { $0.withUTF8Bytes(Self.holdsSeparator) }
        }
        guard extrasHoldNoSeparator else { return restrictedByDictionary(to: names.names, adding: extra) }
        let bytes = text.withUTF8 { Self.restrict($0, to: names, adding: extras) }
        return PackedFields(storage: .packed(String(decoding: bytes, as: UTF8.self)))
    }

    /// `restricted(to:adding:)` on packed bytes, with extras that hold no separator.
    private static func restrict(
        _ bytes: UnsafeBufferPointer<UInt8>, to names: FieldNameSet, adding extras: [(key: String, value: [String])]
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 32)
        var nextExtra = 0
        var start = 0
        var keep = false
        var fieldStart = 0
        var fieldHasValue = false
        forEachSeparator(in: bytes) { index, separator in
            switch separator {
            case nameEnd:
                let name = UnsafeBufferPointer(rebasing: bytes[start..<index])
                if nextExtra < extras.count {
                    let text = String(decoding: name, as: UTF8.self)
                    while nextExtra < extras.count, extras[nextExtra].key < text {
                        _ = append(field: extras[nextExtra], to: &out)
                        nextExtra += 1
                    }
                    keep = names.contains(utf8: name) && !(nextExtra < extras.count && extras[nextExtra].key == text)
                } else {
                    keep = names.contains(utf8: name)
                }
                fieldStart = out.count
                fieldHasValue = false
                if keep { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...index])) }
            case valueEnd:
                if keep, index > start {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...index]))
                    fieldHasValue = true
                }
            default:  // fieldEnd
                if keep {
                    if fieldHasValue { out.append(fieldEnd) } else { out.removeSubrange(fieldStart...) }
                }
            }
            start = index + 1
            return true
        }
        for field in extras[nextExtra...] { _ = append(field: field, to: &out) }
        return out
    }

    /// Appends one field (nothing when it has no values, unless `keepingEmpty`); false when it
    /// holds a separator.
    private static func append(field: (key: String, value: [String]), to out: inout [UInt8], keepingEmpty: Bool = false) -> Bool {
        guard keepingEmpty || !field.value.isEmpty else { return true }
        guard append(field.key, to: &out) else { return false }
        out.append(nameEnd)
        for value in field.value {
            guard append(value, to: &out) else { return false }
            out.append(valueEnd)
        }
        out.append(fieldEnd)
        return true
    }

    /// A dictionary-held record stays one: it is a write's result, read once.
    private func restrictedByDictionary(to names: Set<String>, adding extra: [String: [String]]) -> PackedFields {
        var fields = dictionary
        // Usually every field is wanted and none has an empty value: nothing to change.
        var changes: [(name: String, kept: [String]?)] = []
        for (name, values) in fields where !names.contains(name) || values.isEmpty || values.contains("") {
            let kept = names.contains(name) ? values.filter { !$0.isEmpty } : []
            changes.append((name, kept.isEmpty ? nil : kept))
        }
        for change in changes { fields[change.name] = change.kept }
        for (name, values) in extra where !values.isEmpty { fields[name] = values }
        if case .packed = storage { return PackedFields(fields) }
        return PackedFields(unpacked: fields)
    }

    private init(storage: Storage) {
        self.storage = storage
    }

    /// The first value of field `name`, without unpacking the others.
    public func first(_ name: String) -> String? {
        var found: String?
        forEachValue(of: name) { value in
            found = value
            return false
        }
        return found
    }

    /// Calls `body` with each value of field `name` in order, without unpacking the others,
    /// until it returns false.
    public func forEachValue(of name: String, _ body: (String) -> Bool) {
        guard case .packed(var text) = storage else {
            for value in dictionary[name] ?? [] where !body(value) { return }
            return
        }
        var name = name
        text.withUTF8 { bytes in
            name.withUTF8 { wanted in
                var start = 0
                var matching = false
                Self.forEachSeparator(in: bytes) { index, separator in
                    switch separator {
                    case Self.nameEnd:
                        matching = UnsafeBufferPointer(rebasing: bytes[start..<index]).elementsEqual(wanted)
                    case Self.valueEnd:
                        if matching, !body(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)) {
                            return false
                        }
                    default:  // fieldEnd
                        if matching { return false }
                    }
                    start = index + 1
                    return true
                }
            }
        }
    }

    /// Calls `name` with each field's name and then `value` with each of its values, fields in
    /// name order, as UTF-8 in place: the store writes each record it keeps this way, without a
    /// string per value. False (and no call) when the fields are held as a dictionary.
    public func visitUTF8(
        name: (UnsafeBufferPointer<UInt8>) -> Void, value: (UnsafeBufferPointer<UInt8>) -> Void
    ) -> Bool {
        guard case .packed(var text) = storage else { return false }
        text.withUTF8 { bytes in
            var start = 0
            Self.forEachSeparator(in: bytes) { index, separator in
                switch separator {
                case Self.nameEnd: name(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                case Self.valueEnd: value(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                default: break  // fieldEnd
                }
                start = index + 1
                return true
            }
        }
        return true
    }

    /// Calls `body` with each field's name and values, in name order, without building a
    /// dictionary (the values' array is reused from one field to the next unless `body` keeps it).
    public func forEachField(_ body: (String, [String]) -> Void) {
        guard case .packed(var text) = storage else {
            for (name, values) in dictionary.sorted(by: { $0.key < $1.key }) { body(name, values) }
            return
        }
        text.withUTF8 { Self.forEachField(in: $0, body) }
    }

    /// `forEachField` on packed bytes.
    private static func forEachField(in bytes: UnsafeBufferPointer<UInt8>, _ body: (String, [String]) -> Void) {
        var start = 0
        var name = ""
        var values: [String] = []
        forEachSeparator(in: bytes) { index, separator in
            switch separator {
            case nameEnd: name = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            case valueEnd: values.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
            default:  // fieldEnd
                body(name, values)
                values.removeAll(keepingCapacity: true)
            }
            start = index + 1
            return true
        }
    }

    /// The fields as a dictionary.
    public var dictionary: [String: [String]] {
        switch storage {
        case .dictionary(let fields):
            return fields
        case .packed(var text):
            if text.isEmpty { return [:] }
            return text.withUTF8(Self.unpack)
        }
    }

    private static func unpack(_ bytes: UnsafeBufferPointer<UInt8>) -> [String: [String]] {
        var count = 0
        forEachSeparator(in: bytes) { _, separator in
            if separator == fieldEnd { count += 1 }
            return true
        }
        var fields: [String: [String]] = [:]
        fields.reserveCapacity(count)
        forEachField(in: bytes) { fields[$0] = $1 }
        return fields
    }

    public static func == (lhs: PackedFields, rhs: PackedFields) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case (.packed(let left), .packed(let right)): left == right
        default: lhs.dictionary == rhs.dictionary
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(dictionary)
    }
}
