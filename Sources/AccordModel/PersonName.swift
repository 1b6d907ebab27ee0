/// A person's name in the five parts vCard's N property has (RFC 6350 §6.2.2), and the two ways
/// between it and a one-line full name: `formatted` joins the parts, `init(splitting:)` and
/// `split(_:given:family:)` take a full name apart.
///
/// The rules, so that a name read from a card and a name written to it agree:
/// - **Joining**: the non-empty parts in the order honorific prefix, given, additional, family,
///   honorific suffix, separated by one space ("Dr. Ann Marie Lee Jr.").
/// - **Splitting** a full name (a card with FN and no N, a one-field app):
///   - one that holds `@` is an email address put where a name goes: it has no parts;
///   - "Family, Given" (one comma, as address books that sort by family name write it) is
///     split at the comma;
///   - otherwise words are separated by white space; leading honorifics ("Dr.", "Mr", "Prof.")
///     are the prefix, trailing ones ("Jr.", "III", "PhD") the suffix; the family name starts
///     at the first surname particle after the first word ("van Dam", "de la Cruz", "von
///     Trapp"), else it is the last word; the rest is the given name. Additional names are
///     never guessed: "Ann Marie Lee" is given "Ann Marie", family "Lee".
public struct PersonName: Sendable, Hashable {
    public var prefix: String
    public var given: String
    public var additional: String
    public var family: String
    public var suffix: String

    public init(prefix: String = "", given: String = "", additional: String = "", family: String = "", suffix: String = "") {
        self.prefix = prefix
        self.given = given
        self.additional = additional
        self.family = family
        self.suffix = suffix
    }

    /// The parts in the order they are joined.
    public var parts: [String] { [prefix, given, additional, family, suffix] }

    /// Whether every part is empty.
    public var isEmpty: Bool { parts.allSatisfy(\.isEmpty) }

    /// The non-empty parts joined by one space: prefix, given, additional, family, suffix.
    public var formatted: String {
        var out = ""
        for part in parts where !part.isEmpty {
            if !out.isEmpty { out += " " }
            out += part
        }
        return out
    }

    /// The parts of a full name, by the splitting rules above (empty for an email address).
    public init(splitting full: String) {
        self.init()
        let full = Self.trimmed(full)
        guard !full.isEmpty, !full.contains("@") else { return }
        if let comma = full.firstIndex(of: ","), full[full.index(after: comma)...].firstIndex(of: ",") == nil {
            let family = Self.trimmed(full[..<comma])
            let rest = Self.trimmed(full[full.index(after: comma)...])
            // "Lee, Jr." is a suffix after a comma, not a given name.
            if !family.isEmpty, !rest.isEmpty, !Self.suffixes.contains(Self.key(rest)) {
                var given = PersonName(splitting: rest)
                given.given = [given.given, given.additional, given.family].filter { !$0.isEmpty }.joined(separator: " ")
                self.init(prefix: given.prefix, given: given.given, family: family, suffix: given.suffix)
                return
            }
        }
        var words = full.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        var prefixes: [String] = []
        while words.count > 1, Self.prefixes.contains(Self.key(words[0])) { prefixes.append(words.removeFirst()) }
        var suffixes: [String] = []
        while words.count > 1, Self.suffixes.contains(Self.key(words[words.count - 1])) {
            var word = words.removeLast()
            // "Lee, Jr." leaves its comma on the family name.
            if word.hasSuffix(",") { word.removeLast() }
            suffixes.insert(word, at: 0)
        }
        if let last = words.last, last.hasSuffix(","), !suffixes.isEmpty { words[words.count - 1] = String(last.dropLast()) }
        prefix = prefixes.joined(separator: " ")
        suffix = suffixes.joined(separator: " ")
        guard words.count > 1 else {
            given = words.first ?? ""
            return
        }
        let start = words.indices.dropFirst().first { Self.surnameParticles.contains(words[$0].lowercased()) } ?? words.count - 1
        given = words[..<start].joined(separator: " ")
        family = words[start...].joined(separator: " ")
    }

    /// Splits a full name into given and family names, changing only the part that changed when
    /// the rest still matches the current `given` and `family` (a one-field app renamed "Ann
    /// Lee" to "Anna Lee": the family name stays as it was written). Otherwise the split of
    /// `init(splitting:)`, with any honorifics kept on the given and family names so that
    /// joining the two gives the full name back.
    public static func split(_ full: String, given: String, family: String) -> (given: String, family: String) {
        let full = trimmed(full)
        if [given, family].filter({ !$0.isEmpty }).joined(separator: " ") == full { return (given, family) }
        if !given.isEmpty, full.hasPrefix(given + " ") { return (given, String(full.dropFirst(given.count + 1))) }
        if !family.isEmpty, full.hasSuffix(" " + family) { return (String(full.dropLast(family.count + 1)), family) }
        let words = full.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count > 1 else { return (full, "") }
        let start = words.indices.dropFirst().first { surnameParticles.contains(words[$0].lowercased()) } ?? words.count - 1
        return (words[..<start].joined(separator: " "), words[start...].joined(separator: " "))
    }

    /// `text` with the first whole-word occurrence of `old` replaced by `new` (removed, with one
    /// space beside it, when `new` is empty); nil when `old` is empty or not there as whole
    /// words. A full name written in an order of its own ("Lee, Ann") follows a changed part
    /// this way.
    public static func replacingWords(_ old: String, with new: String, in text: String) -> String? {
        guard !old.isEmpty else { return nil }
        func isWordCharacter(_ character: Character?) -> Bool { character.map { $0.isLetter || $0.isNumber } ?? false }
        var index = text.startIndex
        while index < text.endIndex {
            defer { index = text.index(after: index) }
            guard text[index...].hasPrefix(old) else { continue }
            let end = text.index(index, offsetBy: old.count)
            let before = index == text.startIndex ? nil : text[text.index(before: index)]
            let after = end == text.endIndex ? nil : text[end]
            guard !isWordCharacter(before), !isWordCharacter(after) else { continue }
            if !new.isEmpty { return String(text[..<index]) + new + text[end...] }
            if after == " " { return String(text[..<index]) + text[text.index(after: end)...] }
            if before == " " { return String(text[..<text.index(before: index)]) + text[end...] }
            return String(text[..<index]) + text[end...]
        }
        return nil
    }

    /// Words that start a family name after a given name ("van Dam", "de la Cruz").
    public static let surnameParticles: Set<String> = [
        "van", "von", "de", "der", "den", "da", "das", "di", "del", "della", "du", "la", "le", "ten", "ter", "zu", "af", "bin", "ibn",
    ]

    /// Honorifics read as a prefix before a name, lower-cased without a final period.
    static let prefixes: Set<String> = ["mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "fr", "hon"]

    /// Honorifics and generations read as a suffix after a name, lower-cased without a final
    /// period or comma.
    static let suffixes: Set<String> = ["jr", "sr", "ii", "iii", "iv", "phd", "md", "esq", "dds", "mba"]

    /// A word as the honorific sets hold it.
    private static func key(_ word: String) -> String {
        String(word.lowercased().filter { $0 != "." && $0 != "," })
    }

    private static func trimmed(_ text: some StringProtocol) -> String {
        var text = Substring(text)
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return String(text)
    }
}
