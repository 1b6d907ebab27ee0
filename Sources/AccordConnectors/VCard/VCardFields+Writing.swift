import AccordModel

extension VCardFields {
    /// Applies field values (an empty list clears) and segment changes to a card, changing only
    /// the properties whose values change: every other property keeps its bytes.
    ///
    /// - A multi-value field gets its complete new list, the preferred value first. A value
    ///   still there keeps its property (parameters, group, position); a changed value takes the
    ///   place and parameters of one that is gone; values gone are removed with their group's
    ///   labels (`item1.X-ABLabel`); new values are appended after the property's last line (and
    ///   that line's group).
    ///   Emails are matched to lines without case (a value in another case rewrites its line).
    /// - A single-value field replaces, or removes, the occurrence it reads and keeps the others.
    /// - A component field changes its part of the occurrence it reads and nothing else; a card
    ///   whose N has no parts gets them from FN first, so a name read from FN is not lost.
    /// - When name parts change and `formatted_name` is not set, FN follows: the new parts
    ///   joined if FN was the old parts joined (`PersonName.formatted`), else with the changed
    ///   words replaced in it, else as it was.
    /// - Nothing else is added to a card read from elsewhere, except an FN made from the name
    ///   parts when the update clears FN (vCard requires one). A card accord makes gets the FN
    ///   (and, in 3.0, the N) that vCard requires.
    ///
    /// Fields are written in name order, but the parts of N before `formatted_name`, so a
    /// formatted name set with them does not change how they read.
    /// - Returns: whether the card changed.
    @discardableResult
    func apply(_ fields: [String: [String]], add: Set<String>, remove: Set<String>, to card: inout VCard) -> Bool {
        let version21 = card.version == "2.1"
        let setsName = Self.nameFields.contains { fields[$0] != nil }
        let nameBefore = setsName ? name(of: card, splitting: true) : PersonName()
        let hadFormattedName = fields["formatted_name"] != nil && !Self.read(table["formatted_name"]!, from: card).isEmpty
        var changed = false
        for (field, values) in fields.sorted(by: { Self.writingOrder($0.key) < Self.writingOrder($1.key) }) {
            guard let target = table[field] else { continue }
            changed = write(values, to: field, target, in: &card, version21: version21) || changed
        }
        if setsName, fields["formatted_name"] == nil {
            changed = followName(from: nameBefore, in: &card, version21: version21) || changed
        }
        changed = applyTags(add: add, remove: remove, to: &card) || changed
        if card.layout == nil {
            ensureRequired(&card)
        } else if hadFormattedName, Self.read(table["formatted_name"]!, from: card).isEmpty {
            // A card read from elsewhere gains nothing the update did not ask for; only an FN the
            // update cleared is made again, from the name, as vCard requires one.
            deriveFormattedName(&card)
        }
        return changed
    }

    /// The order fields are written in: by name, the parts of N before FN.
    static func writingOrder(_ field: String) -> String {
        field == "formatted_name" ? "honorific_suffix\u{1}" : field
    }

    private func write(_ values: [String], to field: String, _ target: Target, in card: inout VCard, version21: Bool) -> Bool {
        switch target {
        case .property(let name, true, let kind):
            let values = values.filter { !$0.isEmpty }
            let wrote = writeAll(values, name: name, kind: kind, in: &card, version21: version21)
            return prefer(values.first, name: name, kind: kind, in: &card) || wrote
        case .property(let name, false, let kind):
            return writeSingle(values.first ?? "", name: name, kind: kind, in: &card, version21: version21)
        case .component(let name, let index, let count):
            let value = values.first ?? ""
            guard read(field, from: card) != (value.isEmpty ? [] : [value]) else { return false }
            if name == "N" { spellOutName(in: &card, version21: version21) }
            return setComponent(value, name: name, index: index, count: count, in: &card, version21: version21)
        }
    }

    /// Writes the values of a multi-value field (`apply`).
    private func writeAll(_ values: [String], name: String, kind: Kind, in card: inout VCard, version21: Bool) -> Bool {
        let indices = Self.occurrences(of: name, in: card).filter { !Self.read(card.properties[$0], kind).isEmpty }
        let current = indices.map { Self.read(card.properties[$0], kind) }
        func same(_ a: String, _ b: String) -> Bool { kind == .email ? a.lowercased() == b.lowercased() : a == b }
        // Values still there keep their lines (an email written in another case, with it).
        var kept = [Bool](repeating: false, count: indices.count)
        var new: [String] = []
        var recased = false
        for value in values {
            if let match = current.indices.first(where: { !kept[$0] && same(current[$0], value) }) {
                kept[match] = true
                if current[match] != value {
                    card.properties[indices[match]].value = Self.written(value, kind, for: card.properties[indices[match]], version21: version21)
                    recased = true
                }
            } else {
                new.append(value)
            }
        }
        // Changed values take the places of values gone, in order; the rest are appended.
        var free = indices.indices.filter { !kept[$0] }.map { indices[$0] }[...]
        var appended: [VCard.Property] = []
        for value in new {
            if let index = free.popFirst() {
                card.properties[index].value = Self.written(value, kind, for: card.properties[index], version21: version21)
            } else {
                appended.append(VCard.Property(name: name, value: Self.written(value, kind, for: nil, version21: version21)))
            }
        }
        guard !new.isEmpty || !free.isEmpty else { return recased }
        removeWithGroupLabels(Array(free), from: &card)
        if !appended.isEmpty {
            // After the last property of the name, and the labels of its group.
            var position = card.properties.count
            if let last = card.properties.lastIndex(where: { $0.name == name }) {
                position = last + 1
                if let group = card.properties[last].group?.lowercased() {
                    while position < card.properties.count, card.properties[position].group?.lowercased() == group { position += 1 }
                }
            }
            card.properties.insert(contentsOf: appended, at: position)
        }
        return true
    }

    /// Makes `value` the one the card reads first among the occurrences of `name` (the preferred
    /// one): where no occurrence says how preferred it is, its line moves before the others;
    /// else it gets the preference marker (`PREF=1`, 3.0's `TYPE=pref`, 2.1's `PREF`) and the
    /// others lose theirs. Returns whether the card changed.
    private func prefer(_ value: String?, name: String, kind: Kind, in card: inout VCard) -> Bool {
        guard let value else { return false }
        func same(_ a: String, _ b: String) -> Bool { kind == .email ? a.lowercased() == b.lowercased() : a == b }
        let lines = Self.occurrences(of: name, in: card).filter { !Self.read(card.properties[$0], kind).isEmpty }
        guard lines.count > 1, let line = lines.first(where: { same(Self.read(card.properties[$0], kind), value) }) else { return false }
        let preferences = lines.map { VCardParameters.preference(of: card.properties[$0].parameters) }
        let first = zip(lines, preferences).min { $0.1 < $1.1 }!.0  // the first of the most preferred
        guard first != line else { return false }
        if preferences.allSatisfy({ $0 == VCardParameters.notPreferred }) {
            let property = card.properties.remove(at: line)
            card.properties.insert(property, at: lines[0])
        } else {
            for other in lines where other != line {
                card.properties[other].parameters = VCardParameters.withoutPreference(card.properties[other].parameters)
            }
            card.properties[line].parameters = VCardParameters.withPreference(card.properties[line].parameters, version: card.version)
        }
        return true
    }

    /// Writes the value of a single-value field (`apply`).
    private func writeSingle(_ value: String, name: String, kind: Kind, in card: inout VCard, version21: Bool) -> Bool {
        guard let index = Self.singleOccurrence(of: name, kind: kind, in: card) else {
            guard !value.isEmpty else { return false }
            card.properties.append(VCard.Property(name: name, value: Self.written(value, kind, for: nil, version21: version21)))
            return true
        }
        guard Self.read(card.properties[index], kind) != value else { return false }
        if value.isEmpty {
            removeWithGroupLabels([index], from: &card)
        } else {
            card.properties[index].value = Self.written(value, kind, for: card.properties[index], version21: version21)
        }
        return true
    }

    /// Sets one component of the first `name` property (N, ORG, ADR), adding the property when
    /// there is none and the value is not empty.
    private func setComponent(_ value: String, name: String, index: Int, count: Int, in card: inout VCard, version21: Bool) -> Bool {
        let value = Self.escaped(value, structured: true, version21: version21)
        if let position = Self.occurrences(of: name, in: card).first {
            var parts = VCard.split(card.properties[position].value, on: ";")
            while parts.count <= index { parts.append("") }
            guard parts[index] != value else { return false }
            parts[index] = value
            card.properties[position].value = parts.joined(separator: ";")
            return true
        }
        guard !value.isEmpty else { return false }
        var parts = Array(repeating: "", count: count)
        parts[index] = value
        card.properties.append(VCard.Property(name: name, value: parts.joined(separator: ";")))
        return true
    }

    /// Writes the name parts a card reads from FN into its N (when N has none), so that
    /// setting one part keeps the others.
    private func spellOutName(in card: inout VCard, version21: Bool) {
        guard name(of: card, splitting: false).isEmpty else { return }
        let split = name(of: card, splitting: true)
        guard !split.isEmpty else { return }
        let value = Self.nValue(split, version21: version21)
        if let position = Self.occurrences(of: "N", in: card).first {
            card.properties[position].value = value
        } else {
            card.properties.append(VCard.Property(name: "N", value: value))
        }
    }

    /// N's value for `name`: family;given;additional;prefix;suffix.
    static func nValue(_ name: PersonName, version21: Bool) -> String {
        [name.family, name.given, name.additional, name.prefix, name.suffix]
            .map { escaped($0, structured: true, version21: version21) }.joined(separator: ";")
    }

    /// Lets FN follow name parts that changed (`apply`).
    private func followName(from before: PersonName, in card: inout VCard, version21: Bool) -> Bool {
        let after = name(of: card, splitting: true)
        guard after != before, let index = Self.singleOccurrence(of: "FN", kind: .text, in: card) else { return false }
        let full = Self.read(card.properties[index], .text)
        guard !full.isEmpty else { return false }
        var followed = full
        if full == before.formatted {
            followed = after.formatted
        } else {
            for (old, new) in zip(before.parts, after.parts) where old != new {
                if let replaced = PersonName.replacingWords(old, with: new, in: followed) { followed = replaced }
            }
        }
        guard !followed.isEmpty, followed != full else { return false }
        card.properties[index].value = Self.written(followed, .text, for: card.properties[index], version21: version21)
        return true
    }

    /// Removes the properties at `indices` and, of each one's group, the properties no field
    /// reads: its labels (`item1.X-ABLabel`, `item1.X-ABADR`). Nothing else.
    private func removeWithGroupLabels(_ indices: [Int], from card: inout VCard) {
        var doomed = Set(indices)
        for index in indices {
            guard let group = card.properties[index].group?.lowercased(), !group.isEmpty else { continue }
            for (other, property) in card.properties.enumerated() where property.group?.lowercased() == group && !isMapped(property.name) {
                doomed.insert(other)
            }
        }
        for index in doomed.sorted(by: >) { card.properties.remove(at: index) }
    }

    /// Adds and removes tags, changing only the CATEGORIES lines that list a removed tag (a
    /// line left empty goes) and the first one (new tags are added to it, or to a new line).
    private func applyTags(add: Set<String>, remove: Set<String>, to card: inout VCard) -> Bool {
        guard !add.isEmpty || !remove.isEmpty else { return false }
        var present = Set<String>()
        var emptied: [Int] = []
        var changed = false
        for index in card.properties.indices where card.properties[index].name == "CATEGORIES" {
            let items = VCard.split(card.properties[index].value, on: ",")
            let kept = items.filter { !remove.contains(Self.trimmed(VCard.unescape($0))) }
            for item in kept {
                let tag = Self.trimmed(VCard.unescape(item))
                if !tag.isEmpty { present.insert(tag) }
            }
            guard kept.count < items.count else { continue }
            changed = true
            if kept.allSatisfy({ Self.trimmed(VCard.unescape($0)).isEmpty }) {
                emptied.append(index)
            } else {
                card.properties[index].value = kept.joined(separator: ",")
            }
        }
        for index in emptied.reversed() { card.properties.remove(at: index) }
        let missing = add.subtracting(remove).subtracting(present).filter { !Self.trimmed($0).isEmpty }
        guard !missing.isEmpty else { return changed }
        if let first = card.properties.firstIndex(where: { $0.name == "CATEGORIES" }) {
            card.properties[first].value += "," + missing.sorted().map(VCard.escape).joined(separator: ",")
        } else {
            card.properties.append(Self.categories(missing))
        }
        return true
    }

    /// vCard requires FN (and 3.0 requires N): a card that changed gets them when missing. FN is
    /// the name parts joined, else the first email; N is FN's parts (empty for an email).
    private func ensureRequired(_ card: inout VCard) {
        let version21 = card.version == "2.1"
        if Self.read(table["formatted_name"]!, from: card).isEmpty { deriveFormattedName(&card) }
        if card.version == "3.0", !card.properties.contains(where: { $0.name == "N" }) {
            let full = Self.read(table["formatted_name"]!, from: card).first ?? ""
            card.properties.append(VCard.Property(name: "N", value: Self.nValue(PersonName(splitting: full), version21: version21)))
        }
    }

    /// Sets FN to the name parts joined, else to the first email.
    private func deriveFormattedName(_ card: inout VCard) {
        let name = name(of: card, splitting: false).formatted
        let email = Self.read(table["email"]!, from: card).first ?? ""
        Self.setFormattedName(name.isEmpty ? email : name, in: &card.properties, version21: card.version == "2.1")
    }

    /// Sets FN (which vCard requires) to `name`, right after VERSION, in place of any empty FN.
    static func setFormattedName(_ name: String, in properties: inout [VCard.Property], version21: Bool = false) {
        properties.removeAll { $0.name == "FN" }
        let position = (properties.firstIndex { $0.name == "VERSION" }).map { $0 + 1 } ?? 0
        properties.insert(VCard.Property(name: "FN", value: escaped(name, structured: false, version21: version21)), at: position)
    }

    // MARK: - Values as written

    /// A value as a property of `kind` holds it: escaped when it is text, a `tel:` URI where the
    /// property is typed `VALUE=uri`, and never with a raw line break outside 2.1 (whose writer
    /// makes the property quoted-printable for it). `property` is the one the value replaces.
    static func written(_ value: String, _ kind: Kind, for property: VCard.Property?, version21: Bool) -> String {
        switch kind {
        case .text: escaped(value, structured: false, version21: version21)
        case .structured: VCard.withoutLineBreaks(value)
        case .phone where property?.isURIValue == true: TelURI.uri(fromPhone: value)
        case .email, .phone, .other: VCard.withoutLineBreaks(escapedNonText(value))
        }
    }

    /// A text value escaped as the card's version escapes it.
    static func escaped(_ value: String, structured: Bool, version21: Bool) -> String {
        version21 ? VCard.escape21(value, structured: structured) : VCard.escape(value)
    }

    /// A value that is not text, with a backslash doubled where `VCard.unescapeNonText` would
    /// otherwise take it away (before `:`, `,`, `;`, `\`, or at the end): it reads back as it is.
    static func escapedNonText(_ value: String) -> String {
        guard value.utf8Contains(UInt8(ascii: "\\")) else { return value }
        var out = ""
        let characters = Array(value)
        for (index, character) in characters.enumerated() {
            out.append(character)
            if character == "\\" && (index + 1 == characters.count || [":", ",", ";", "\\"].contains(characters[index + 1])) { out.append("\\") }
        }
        return out
    }
}
