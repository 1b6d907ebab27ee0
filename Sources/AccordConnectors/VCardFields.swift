import AccordModel
import Foundation

/// Maps vCard properties to the fields of the `vcard-dir` and `carddav` app schemas, and
/// CATEGORIES to the `tag` segment. Shared by every app that stores vCards.
enum VCardFields {
    enum Target {
        /// A whole property; `multi` when the field holds every occurrence.
        case property(String, multi: Bool, text: Bool)
        /// One component of a structured property (N, ORG).
        case component(String, index: Int, count: Int)
    }

    static let table: [String: Target] = [
        "uid": .property("UID", multi: false, text: false),
        "email": .property("EMAIL", multi: true, text: false),
        "tel": .property("TEL", multi: true, text: false),
        "adr": .property("ADR", multi: true, text: false),
        "formatted_name": .property("FN", multi: false, text: true),
        "family_name": .component("N", index: 0, count: 5),
        "given_name": .component("N", index: 1, count: 5),
        "org": .component("ORG", index: 0, count: 1),
        "title": .property("TITLE", multi: false, text: true),
        "note": .property("NOTE", multi: false, text: true),
        "url": .property("URL", multi: false, text: false),
        "bday": .property("BDAY", multi: false, text: false),
        "rev": .property("REV", multi: false, text: false),
    ]

    static let tagSegment = "tag"

    /// The table's fields in name order: a record's fields are gathered in slots of this order.
    private static let fieldNames = table.keys.sorted()

    /// Each field's slot (into `fieldNames`) and target.
    private static let slots: [String: (slot: Int, target: Target)] =
        Dictionary(uniqueKeysWithValues: fieldNames.enumerated().map { ($1, ($0, table[$1]!)) })

    /// Each mapped property's name with the slots (into `fieldNames`) and targets it feeds.
    /// Searched in order: comparing a name with a dozen short strings costs less than hashing it.
    private static let propertyTargets: [(name: String, targets: [(slot: Int, target: Target)])] = {
        var result: [(name: String, targets: [(slot: Int, target: Target)])] = []
        for (slot, field) in fieldNames.enumerated() {
            let target = table[field]!
            let name: String
            switch target {
            case .property(let property, _, _), .component(let property, _, _): name = property
            }
            if let index = result.firstIndex(where: { $0.name == name }) {
                result[index].targets.append((slot, target))
            } else {
                result.append((name, [(slot, target)]))
            }
        }
        return result
    }()

    /// The record a card describes. One pass over the properties, into slots in name order,
    /// packed without a dictionary in between: a listing reads every card.
    /// - Parameter packed: whether the fields are packed (`PackedFields`), for a record that is
    ///   kept a while, like a listing's.
    static func record(_ card: VCard, id: String, version: String?, packed: Bool = true) -> ContactRecord {
        var slots = [[String]](repeating: [], count: fieldNames.count)
        var tags = Set<String>()
        var structuredSeen: UInt64 = 0  // by index into `propertyTargets`: a structured field comes from its first property
        for property in card.properties {
            if property.name == "CATEGORIES" {
                addTags(of: property, to: &tags)
                continue
            }
            guard let entry = propertyTargets.firstIndex(where: { $0.name == property.name }) else { continue }
            var parts: [String]?
            for (slot, target) in propertyTargets[entry].targets {
                switch target {
                case .property(_, let multi, let text):
                    let value = text ? VCard.unescape(property.value) : property.value
                    guard !value.isEmpty else { continue }
                    // A slot's first value makes its array (growing an empty one cost more).
                    if slots[slot].isEmpty { slots[slot] = [value] } else if multi { slots[slot].append(value) }
                case .component(_, let index, _):
                    guard structuredSeen & (1 << entry) == 0 else { continue }
                    if parts == nil { parts = VCard.split(property.value, on: ";") }
                    guard index < parts!.count else { continue }
                    let value = VCard.unescape(parts![index])
                    if !value.isEmpty { slots[slot] = [value] }
                }
            }
            if parts != nil { structuredSeen |= 1 << entry }
        }
        let fields: PackedFields
        if packed {
            fields = PackedFields(names: fieldNames, values: slots)
        } else {
            var dictionary: [String: [String]] = [:]
            dictionary.reserveCapacity(slots.count)
            for (name, values) in zip(fieldNames, slots) where !values.isEmpty { dictionary[name] = values }
            fields = PackedFields(unpacked: dictionary)
        }
        return ContactRecord(id: id, version: version, packedFields: fields, segments: tags.isEmpty ? [:] : [tagSegment: tags])
    }

    /// The fields a card holds, as a dictionary: what an update's fields are compared with.
    static func fields(of card: VCard) -> [String: [String]] {
        record(card, id: "", version: nil, packed: false).fields
    }

    /// Adds the tags a CATEGORIES property lists.
    private static func addTags(of property: VCard.Property, to tags: inout Set<String>) {
        for tag in VCard.split(property.value, on: ",") {
            let name = trimmed(VCard.unescape(tag))
            if !name.isEmpty { tags.insert(name) }
        }
    }

    /// The CATEGORIES property listing `tags`.
    private static func categories(_ tags: Set<String>) -> VCard.Property {
        VCard.Property(name: "CATEGORIES", value: tags.sorted().map(VCard.escape).joined(separator: ","))
    }

    /// Without surrounding white space; skips Foundation when the ends are plain ASCII.
    private static func trimmed(_ text: String) -> String {
        guard let first = text.utf8.first, let last = text.utf8.last,
              first > 0x20, first < 0x80, last > 0x20, last < 0x80
        else { return text.trimmingCharacters(in: .whitespaces) }
        return text
    }

    /// One field's values in `card`, read on their own (`record` reads them all in one pass).
    static func read(_ target: Target, from card: VCard) -> [String] {
        switch target {
        case .property(let name, let multi, let text):
            let values = card.properties.filter { $0.name == name }.map { text ? VCard.unescape($0.value) : $0.value }
                .filter { !$0.isEmpty }
            return multi ? values : Array(values.prefix(1))
        case .component(let name, let index, _):
            guard let property = card.properties.first(where: { $0.name == name }) else { return [] }
            let parts = VCard.split(property.value, on: ";")
            guard index < parts.count else { return [] }
            let value = VCard.unescape(parts[index])
            return value.isEmpty ? [] : [value]
        }
    }

    /// Applies field values (an empty list clears) and segment changes to a card, keeping every
    /// other property and the parameters of replaced ones.
    static func apply(_ fields: [String: [String]], add: Set<String>, remove: Set<String>, to card: inout VCard) {
        for (field, values) in fields.sorted(by: { $0.key < $1.key }) {
            guard let target = table[field] else { continue }
            write(values, target, to: &card)
        }
        if !add.isEmpty || !remove.isEmpty {
            var tags = Set<String>()
            for property in card.properties where property.name == "CATEGORIES" { addTags(of: property, to: &tags) }
            tags.formUnion(add)
            tags.subtract(remove)
            let position = card.properties.firstIndex { $0.name == "CATEGORIES" }
            card.properties.removeAll { $0.name == "CATEGORIES" }
            if !tags.isEmpty {
                card.properties.insert(categories(tags), at: min(position ?? card.properties.count, card.properties.count))
            }
        }
        ensureRequired(&card)
    }

    /// A value as a property holds it: escaped when it is text, and never with a raw line break.
    private static func written(_ value: String, text: Bool) -> String {
        text ? VCard.escape(value) : VCard.withoutLineBreaks(value)
    }

    private static func write(_ values: [String], _ target: Target, to card: inout VCard) {
        switch target {
        case .property(let name, let multi, let text):
            let encoded = (multi ? values : Array(values.prefix(1))).map { written($0, text: text) }
            let existing = card.properties.indices.filter { card.properties[$0].name == name }
            var replacements = existing.enumerated().compactMap { offset, index -> (Int, VCard.Property)? in
                guard offset < encoded.count else { return nil }
                var property = card.properties[index]
                property.value = encoded[offset]
                return (index, property)
            }
            for (index, property) in replacements { card.properties[index] = property }
            let unused = Array(existing.dropFirst(encoded.count))
            for index in unused.reversed() { card.properties.remove(at: index) }
            if encoded.count > existing.count {
                let insertAt = (replacements.last?.0).map { $0 + 1 } ?? card.properties.count
                let added = encoded[existing.count...].map { VCard.Property(name: name, value: $0) }
                card.properties.insert(contentsOf: added, at: min(insertAt, card.properties.count))
            }
            replacements.removeAll()
        case .component(let name, let index, let count):
            setComponent(values.first ?? "", name: name, index: index, count: count, in: &card.properties)
        }
    }

    /// Sets one component of the first `name` property (N, ORG), adding the property when there
    /// is none and the value is not empty.
    private static func setComponent(_ value: String, name: String, index: Int, count: Int, in properties: inout [VCard.Property]) {
        let value = VCard.escape(value)
        if let position = properties.firstIndex(where: { $0.name == name }) {
            var parts = VCard.split(properties[position].value, on: ";")
            while parts.count <= index { parts.append("") }
            parts[index] = value
            properties[position].value = parts.joined(separator: ";")
        } else if !value.isEmpty {
            var parts = Array(repeating: "", count: count)
            parts[index] = value
            properties.append(VCard.Property(name: name, value: parts.joined(separator: ";")))
        }
    }

    /// vCard requires FN (and 3.0 requires N): derive them when missing.
    private static func ensureRequired(_ card: inout VCard) {
        if !card.properties.contains(where: { $0.name == "FN" && !VCard.unescape($0.value).isEmpty }) {
            deriveFormattedName(
                given: read(.component("N", index: 1, count: 5), from: card).first,
                family: read(.component("N", index: 0, count: 5), from: card).first,
                email: read(.property("EMAIL", multi: false, text: false), from: card).first,
                in: &card.properties)
        }
        if card.version == "3.0", !card.properties.contains(where: { $0.name == "N" }) {
            card.properties.append(VCard.Property(name: "N", value: ";;;;"))
        }
    }

    /// Sets FN (which vCard requires) to the given and family names, else to the email, right
    /// after VERSION. The values are unescaped; returns FN's value as written.
    @discardableResult
    private static func deriveFormattedName(given: String?, family: String?, email: String?, in properties: inout [VCard.Property]) -> String {
        // The non-empty of the two, joined by a space (without the arrays of a `joined`: one per new card).
        let name = switch (given ?? "", family ?? "") {
        case ("", let family): family
        case (let given, ""): given
        case (let given, let family): given + " " + family
        }
        properties.removeAll { $0.name == "FN" }
        let position = (properties.firstIndex { $0.name == "VERSION" }).map { $0 + 1 } ?? 0
        let value = VCard.escape(name.isEmpty ? email ?? "" : name)
        properties.insert(VCard.Property(name: "FN", value: value), at: position)
        return value
    }

    /// A new vCard 3.0 with a fresh UID: what `apply` makes of an empty card, built directly (a
    /// first run makes one per contact; `apply` searches the card for each field it sets, and
    /// derives FN from N by reading the card back).
    static func newCard(uid: String, fields: [String: [String]], tags: Set<String>) -> VCard {
        newContact(uid: uid, id: "", fields: PackedFields(unpacked: fields), tags: tags).card
    }

    /// A new card (`newCard`) with the record it describes (without a version), the record worked
    /// out from the values written rather than read back from the card: a first run makes one
    /// per contact, and reading the card took a fifth of making and writing it. Each value is
    /// what `record` reads from what is written (`unescape` of `escape`, empties left out); a
    /// test holds the two equal.
    static func newContact(uid: String, id: String, fields: PackedFields, tags: Set<String>) -> (card: VCard, record: ContactRecord) {
        var properties = [VCard.Property(name: "VERSION", value: "3.0"), VCard.Property(name: "UID", value: uid)]
        properties.reserveCapacity(fieldNames.count + 4)
        var read = [[String]](repeating: [], count: fieldNames.count)  // by slot, as `record` reads them
        if !uid.isEmpty { read[slots["uid"]!.slot] = [uid] }
        // N and ORG: made at their first non-empty component, written once all are set.
        var structured: [(name: String, position: Int, parts: [String])] = []
        var formattedName = false
        var firstEmail: String?
        fields.forEachField { field, values in
            guard field != "uid", let (slot, target) = slots[field] else { return }
            switch target {
            case .property(let name, let multi, let text):
                for value in values.prefix(multi ? values.count : 1) {
                    let written = written(value, text: text)
                    let readBack = text ? VCard.unescape(written) : written
                    if !readBack.isEmpty { read[slot].append(readBack) }
                    if name == "FN", !readBack.isEmpty { formattedName = true }
                    if name == "EMAIL", firstEmail == nil, !written.isEmpty { firstEmail = written }
                    properties.append(VCard.Property(name: name, value: written))
                }
            case .component(let name, let index, let count):
                let value = VCard.escape(values.first ?? "")
                let readBack = VCard.unescape(value)
                if !readBack.isEmpty { read[slot] = [readBack] }
                if let known = structured.firstIndex(where: { $0.name == name }) {
                    structured[known].parts[index] = value
                } else if !value.isEmpty {
                    var parts = Array(repeating: "", count: count)
                    parts[index] = value
                    structured.append((name, properties.count, parts))
                    properties.append(VCard.Property(name: name, value: ""))
                }
            }
        }
        for (_, position, parts) in structured { properties[position].value = parts.joined(separator: ";") }
        var readTags = Set<String>()
        if !tags.isEmpty {
            let property = categories(tags)
            addTags(of: property, to: &readTags)
            properties.append(property)
        }
        // What `ensureRequired` adds, from the values at hand instead of reading the card back.
        let names = structured.first { $0.name == "N" }?.parts
        if !formattedName {
            let derived = VCard.unescape(deriveFormattedName(
                given: names.map { VCard.unescape($0[1]) }, family: names.map { VCard.unescape($0[0]) }, email: firstEmail, in: &properties))
            read[slots["formatted_name"]!.slot] = derived.isEmpty ? [] : [derived]
        }
        if names == nil { properties.append(VCard.Property(name: "N", value: ";;;;")) }
        let record = ContactRecord(
            id: id, version: nil, packedFields: PackedFields(names: fieldNames, values: read),
            segments: readTags.isEmpty ? [:] : [tagSegment: readTags])
        return (VCard(properties: properties), record)
    }
}
