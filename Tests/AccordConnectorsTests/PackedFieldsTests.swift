import AccordConnectors
import AccordModel
import Testing

/// Fields packed into one string read back exactly as they were given.
@Suite struct PackedFieldsTests {
    @Test(arguments: [
        [:],
        ["email": ["ann@example.com"]],
        ["email": ["ann@example.com", "a.n@example.org"], "given_name": ["Ann"], "note": ["line one\nline two; é ü 漢字 🙂"]],
        ["empty": [], "blank": [""], "two blanks": ["", ""], "": ["unnamed field"]],
        // Separator characters in a value or a name: kept as a dictionary.
        ["note": ["a\u{1F}b\u{1E}c\u{1D}d"]],
        ["odd\u{1E}name": ["x"]],
    ] as [[String: [String]]])
    func readsBackWhatItWasGiven(_ fields: [String: [String]]) {
        let packed = PackedFields(fields)
        #expect(packed.dictionary == fields)
        #expect(packed == PackedFields(fields) && packed.hashValue == PackedFields(fields).hashValue)
        let inOrder = fields.sorted { $0.key < $1.key }.map { [$0.key] + $0.value }
        // Visited field by field, in name order, whether packed or held as a dictionary.
        for held in [packed, PackedFields(unpacked: fields)] {
            var visited: [[String]] = []
            held.forEachField { visited.append([$0] + $1) }
            #expect(visited == inOrder)
        }
        var visited: [[String]] = []
        let wasPacked = packed.visitUTF8(
            name: { visited.append([String(decoding: $0, as: UTF8.self)]) },
            value: { visited[visited.count - 1].append(String(decoding: $0, as: UTF8.self)) })
        #expect(visited == (wasPacked ? inOrder : []))
        #expect(!PackedFields(unpacked: fields).visitUTF8(name: { _ in }, value: { _ in }))
    }

    /// `restricted(to:adding:)` on the packed form gives what the dictionary form gives: wanted
    /// fields only, empty values dropped, extra fields merged in name order or replacing one.
    @Test(arguments: [
        [:],
        ["email": ["ann@example.com"], "note": ["x"], "org": ["", "ACME", ""], "title": [""], "zeta": []],
        ["email": ["", "b@example.com"], "given_name": ["Ann"], "note": ["é ü 漢字 🙂\nline"], "2nd": ["digit first"], "Upper": ["u"]],
        ["note": ["a\u{1F}b"], "email": ["c@example.com"]],
        ["email": ["a@example.com"], "note": ["x", "y"], "2nd": ["kept as it is"]],
    ] as [[String: [String]]])
    func restrictingWorksOnThePackedForm(_ fields: [String: [String]]) {
        let names: Set<String> = ["email", "given_name", "note", "org", "title", "2nd", "Upper", "#tag"]
        for extra in [[:], ["#tag": ["a", "b"]], ["@unsubscribed": ["true"], "#list": ["x"]], ["note": ["replaced"]], ["~last": ["z"]], ["#bad": ["a\u{1E}b"]]] as [[String: [String]]] {
            var expected: [String: [String]] = [:]
            for (name, values) in fields where names.contains(name) && !values.filter({ !$0.isEmpty }).isEmpty {
                expected[name] = values.filter { !$0.isEmpty }
            }
            expected.merge(extra) { $1 }
            for held in [PackedFields(fields), PackedFields(unpacked: fields)] {
                let restricted = held.restricted(to: FieldNameSet(names), adding: extra)
                #expect(restricted.dictionary == expected, "extra \(extra)")
                #expect(restricted == PackedFields(expected))
                for name in Set(fields.keys).union(extra.keys).union(["missing"]) {
                    #expect(restricted.first(name) == expected[name]?.first, "first \(name)")
                }
            }
        }
    }

    /// Separators are found wherever they fall in the eight-byte words the scan reads, next to
    /// other control characters and multi-byte characters.
    @Test func separatorsAreFoundAtEveryOffset() {
        for length in 0..<20 {
            let text = String((0..<length).map { ["a", "\t", "é", "\n", "z"][$0 % 5] })
            let fields: [String: [String]] = ["a": [text], "b\(text)": [text, "x"], "c": ["\u{1C}" + text], "d": []]
            let packed = PackedFields(fields)
            #expect(packed.dictionary == fields)
            #expect(packed.first("c") == "\u{1C}" + text && packed.first("b\(text)") == text)
            #expect(packed.restricted(to: FieldNameSet(["a", "c"]), adding: ["#tag": [text + "!"]]).dictionary == ["a": text.isEmpty ? nil : [text], "c": ["\u{1C}" + text], "#tag": [text + "!"]].compactMapValues { $0 })
        }
    }

    /// A name set finds names by their UTF-8, few names by comparing, many by hashing.
    @Test(arguments: [0, 3, 40])
    func aNameSetHoldsItsNames(extraNames: Int) {
        let names = Set(["", "email", "é ü", "emails", "#tag"] + (0..<extraNames).map { "field\($0)" })
        let set = FieldNameSet(names)
        for name in names.union(["mail", "emai", "e", "E mail", "é", "field40", "#tags"]) {
            #expect(name.withUTF8Bytes { set.contains(utf8: $0) } == names.contains(name), "\(name)")
        }
        let fields: [String: [String]] = ["email": ["a@example.com"], "field2": ["x"], "other": ["y"], "é ü": ["z"]]
        #expect(PackedFields(fields).restricted(to: set, adding: [:]).dictionary == fields.filter { names.contains($0.key) })
    }

    @Test func differentFieldsDiffer() {
        #expect(PackedFields(["a": ["1"]]) != PackedFields(["a": ["1", ""]]))
        #expect(PackedFields(["a": []]) != PackedFields(["a": [""]]))
        #expect(PackedFields(["a": ["x\u{1F}"]]) != PackedFields(["a": ["x"]]))
    }

    @Test func aRecordKeepsItsFieldsPacked() {
        var record = ContactRecord(id: "1", fields: ["email": ["ann@example.com"]])
        record.fields["given_name"] = ["Ann"]
        #expect(record.fields == ["email": ["ann@example.com"], "given_name": ["Ann"]])
        #expect(record.packedFields == PackedFields(record.fields))
    }
}
