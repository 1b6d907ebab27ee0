import AccordConnectors
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
