import AccordDiagnostics
import AccordSyntax
import Testing

@Suite struct YAMLReaderTests {
    func read(_ text: String) -> YAMLReader.Result {
        YAMLReader.read(SourceFile(path: "t.yaml", text: text))
    }

    @Test func locatesKeysAndValues() throws {
        let root = try #require(read("connection: demo\napps:\n  a: {app: 'csv'}\n").root)
        let pairs = try #require(root.pairs)
        #expect(pairs[0].key.range.start == SourceLocation(line: 1, column: 1))
        #expect(pairs[0].value.range == SourceRange(start: SourceLocation(line: 1, column: 13), length: 4))
        let app = try #require(pairs[1].value.pairs?.first?.value.pairs?.first?.value)
        #expect(app.scalar == YAMLNode.Scalar(text: "csv", isPlain: false))
        // Quoted scalars cover their quotes.
        #expect(app.range == SourceRange(start: SourceLocation(line: 3, column: 12), length: 5))
    }

    @Test(arguments: [
        ("true", true), ("off", false), ("Yes", true), ("FALSE", false),
    ])
    func plainBooleans(_ text: String, _ value: Bool) throws {
        let node = try #require(read("k: \(text)\n").root?.pairs?.first?.value)
        #expect(node.bool == value)
    }

    @Test func quotedBooleanIsText() throws {
        let node = try #require(read("k: 'true'\n").root?.pairs?.first?.value)
        #expect(node.bool == nil)
        #expect(node.kindDescription == "the text 'true'")
    }

    @Test func duplicateKeyPointsAtTheSecondOccurrence() throws {
        let diagnostics = read("a: 1\nb: 2\na: 3\n").diagnostics
        let diagnostic = try #require(diagnostics.first)
        #expect(diagnostic.code == DiagnosticCatalog.duplicateKey)
        #expect(diagnostic.location == SourceLocation(line: 3, column: 1))
        #expect(diagnostic.notes.first?.range?.start == SourceLocation(line: 1, column: 1))
    }

    @Test func secondDocumentPointsAtItsMarker() throws {
        let diagnostic = try #require(read("a: 1\n---\nb: 2\n").diagnostics.first)
        #expect(diagnostic.code == DiagnosticCatalog.multipleDocuments)
        #expect(diagnostic.location == SourceLocation(line: 2, column: 1))
    }

    @Test func nonASCIIColumnsCountCharacters() throws {
        let root = try #require(read("name: Müller\nnext: x\n").root)
        #expect(root.pairs?[1].value.range.start == SourceLocation(line: 2, column: 7))
        let müller = try #require(root.pairs?[0].value)
        #expect(müller.range.end == SourceLocation(line: 1, column: 13))
    }
}

@Suite struct SuggestionTests {
    @Test(arguments: [
        ("dirction", "direction"), ("two_way", "two-way"), ("winer", "winner"), ("mapings", "mappings"), ("rlues", "rules"),
    ])
    func suggestsTheClosest(_ typo: String, _ expected: String) {
        let known = ["connection", "direction", "two-way", "winner", "mappings", "rules", "apps"]
        #expect(Suggestions.bestMatch(for: typo, in: known) == expected)
    }

    @Test func doesNotSuggestFarFetchedWords() {
        #expect(Suggestions.bestMatch(for: "banana", in: ["direction", "winner"]) == nil)
    }
}
