import AccordModel
import Foundation

/// Maps vCard properties to the fields of the `vcard-dir` and `carddav` app schemas (and a
/// connection's custom fields), and CATEGORIES to the `tag` segment. Shared by every app that
/// stores vCards; built once per connector. `docs/vcard.md` describes the mapping.
///
/// Reading: a multi-value field holds every non-empty occurrence of its property, the most
/// preferred first (`PREF=1` in 4.0, `TYPE=pref` or a bare `PREF` in 2.1 and 3.0), else in file
/// order; a single-value field holds the most preferred non-empty occurrence; a component field
/// (a part of N, ORG or ADR) holds its part of the most preferred occurrence. A card without
/// name parts in N reads them from FN (`PersonName(splitting:)`).
public struct VCardFields: Sendable {
    /// A field a connection declares beyond the schema's (`custom_fields`): the property of that
    /// name (any case, in any group), its values read and written as the field's type says.
    public struct CustomField: Sendable, Hashable {
        /// The property's name (`X-SKYPE`), also the field's name.
        public var name: String
        /// `text` values are vCard text (escaped); any other type is written as it is.
        public var type: FieldType
        /// Whether the field holds every occurrence of the property, or the preferred one.
        public var multiValue: Bool

        public init(name: String, type: FieldType = .text, multiValue: Bool = false) {
            self.name = name
            self.type = type
            self.multiValue = multiValue
        }
    }

    /// How a property's values are read and written.
    enum Kind: Sendable {
        /// vCard text: unescaped on read (`\,` `\;` `\n` `\\`), escaped on write.
        case text
        /// An email address: not text, compared without case.
        case email
        /// A phone number: not text; a `VALUE=uri` one is a `tel:` URI (RFC 3966).
        case phone
        /// Another value that is not text (a URI, a date): clients that escape it as text are
        /// read through (`http\://` is `http://`).
        case other
        /// A structured value (ADR) held whole, as written: its `;` separate components.
        case structured
    }

    enum Target: Sendable {
        /// A whole property; `multi` when the field holds every occurrence.
        case property(String, multi: Bool, kind: Kind)
        /// One component of a structured property (N, ORG, ADR).
        case component(String, index: Int, count: Int)

        var propertyName: String {
            switch self {
            case .property(let name, _, _), .component(let name, _, _): name
            }
        }
    }

    /// The schema's fields.
    static let standardTable: [String: Target] = [
        "uid": .property("UID", multi: false, kind: .other),
        "email": .property("EMAIL", multi: true, kind: .email),
        "tel": .property("TEL", multi: true, kind: .phone),
        "adr": .property("ADR", multi: true, kind: .structured),
        "formatted_name": .property("FN", multi: false, kind: .text),
        "family_name": .component("N", index: 0, count: 5),
        "given_name": .component("N", index: 1, count: 5),
        "additional_names": .component("N", index: 2, count: 5),
        "honorific_prefix": .component("N", index: 3, count: 5),
        "honorific_suffix": .component("N", index: 4, count: 5),
        "org": .component("ORG", index: 0, count: 1),
        "title": .property("TITLE", multi: false, kind: .text),
        "note": .property("NOTE", multi: false, kind: .text),
        "url": .property("URL", multi: false, kind: .other),
        "bday": .property("BDAY", multi: false, kind: .other),
        "rev": .property("REV", multi: false, kind: .other),
        "adr_pobox": .component("ADR", index: 0, count: 7),
        "adr_extended": .component("ADR", index: 1, count: 7),
        "adr_street": .component("ADR", index: 2, count: 7),
        "adr_locality": .component("ADR", index: 3, count: 7),
        "adr_region": .component("ADR", index: 4, count: 7),
        "adr_postal_code": .component("ADR", index: 5, count: 7),
        "adr_country": .component("ADR", index: 6, count: 7),
    ]

    /// The fields of N's components, in PersonName's order: prefix, given, additional, family, suffix.
    static let nameFields = ["honorific_prefix", "given_name", "additional_names", "family_name", "honorific_suffix"]

    static let tagSegment = "tag"

    /// Field name → target: the schema's, and the custom fields'.
    let table: [String: Target]
    /// The fields a record holds, in name order: a record's fields are gathered in slots of this
    /// order.
    let fieldNames: [String]
    /// Each field a record holds: its slot (into `fieldNames`) and target.
    let slots: [String: (slot: Int, target: Target)]
    /// Each property a record reads with the slots (into `fieldNames`) and targets it feeds.
    /// Searched in order: comparing a name with a dozen short strings costs less than hashing it.
    let propertyTargets: [(name: String, targets: [(slot: Int, target: Target)])]
    /// The properties any field reads (and CATEGORIES): such a property is never a label of
    /// another's group.
    private let mappedProperties: Set<String>
    /// The slots of `nameFields` and of `formatted_name`, for reading names from FN; nil when a
    /// record holds no name.
    private let nameSlots: (parts: [Int], formatted: Int)?

    /// The schema's fields and `customFields`. A custom field named like a schema field is left
    /// out (the checker refuses one).
    /// - Parameter reading: the fields a record holds (the ones a plan uses), nil for all: a
    ///   listing reads every card, and each field read costs (the parts of N and FN come
    ///   together, as names are read from FN). Writing knows every field either way.
    public init(customFields: [CustomField] = [], reading: Set<String>? = nil) {
        var table = Self.standardTable
        for field in customFields where table[field.name] == nil {
            let kind: Kind = switch field.type {
            case .text: .text
            case .email: .email
            case .phone: .phone
            default: .other
            }
            table[field.name] = .property(field.name.uppercased(), multi: field.multiValue, kind: kind)
        }
        self.table = table
        var read = reading.map { $0.intersection(table.keys) } ?? Set(table.keys)
        if !read.isDisjoint(with: Self.nameFields) { read.formUnion(Self.nameFields + ["formatted_name"]) }
        let fieldNames = read.sorted()
        self.fieldNames = fieldNames
        slots = Dictionary(uniqueKeysWithValues: fieldNames.enumerated().map { ($1, ($0, table[$1]!)) })
        var propertyTargets: [(name: String, targets: [(slot: Int, target: Target)])] = []
        for (slot, field) in fieldNames.enumerated() {
            let target = table[field]!
            if let index = propertyTargets.firstIndex(where: { $0.name == target.propertyName }) {
                propertyTargets[index].targets.append((slot, target))
            } else {
                propertyTargets.append((target.propertyName, [(slot, target)]))
            }
        }
        self.propertyTargets = propertyTargets
        mappedProperties = Set(table.values.map(\.propertyName) + ["CATEGORIES"])
        if let formatted = fieldNames.firstIndex(of: "formatted_name"), read.isSuperset(of: Self.nameFields) {
            nameSlots = (Self.nameFields.map { fieldNames.firstIndex(of: $0)! }, formatted)
        } else {
            nameSlots = nil
        }
    }

    /// Whether a field reads property `name` (upper case).
    func isMapped(_ name: String) -> Bool { mappedProperties.contains(name) }

    // MARK: - Reading

    /// The record a card describes. One pass over the properties, into slots in name order,
    /// packed without a dictionary in between: a listing reads every card. Preferences are
    /// looked at only where a property has parameters, and values reordered only where one
    /// says it is preferred.
    /// - Parameter packed: whether the fields are packed (`PackedFields`), for a record that is
    ///   kept a while, like a listing's.
    func record(_ card: VCard, id: String, version: String?, packed: Bool = true) -> ContactRecord {
        var slots = [[String]](repeating: [], count: fieldNames.count)
        var tags = Set<String>()
        // Multi-value slots whose values say how preferred they are, with each value's preference.
        var preferences: [(slot: Int, preferences: [Int])] = []
        let entries = propertyTargets.count
        // Properties are looked at in place: copying each (four strings) cost a tenth of reading.
        card.properties.withUnsafeBufferPointer { properties in withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * entries) { chosen in
            // By entry (into `propertyTargets`): the preference of the occurrence the single-value
            // fields read, then of the one the components read; Int.max while there is none.
            chosen.initialize(repeating: .max)
            for index in properties.indices {
                let property = UnsafePointer(properties.baseAddress! + index)
                if property.pointee.name == "CATEGORIES" {
                    Self.addTags(listedIn: property.pointee.value, to: &tags)
                    continue
                }
                guard let entry = propertyTargets.firstIndex(where: { $0.name == property.pointee.name }) else { continue }
                let preference = VCardParameters.preference(of: property.pointee.parameters)
                let takesSingle = preference < chosen[entry]
                let takesComponents = preference < chosen[entries + entry]
                var tookSingle = false
                var parts: [String]?
                for (slot, target) in propertyTargets[entry].targets {
                    switch target {
                    case .property(_, let multi, let kind):
                        guard multi || takesSingle else { continue }
                        let value = Self.read(property.pointee.value, parameters: property.pointee.parameters, kind)
                        guard !value.isEmpty else { continue }
                        if !multi {
                            slots[slot] = [value]
                            tookSingle = true
                        } else if slots[slot].isEmpty {
                            // A slot's first value makes its array (growing an empty one cost more).
                            slots[slot] = [value]
                            if preference != VCardParameters.notPreferred { preferences.append((slot, [preference])) }
                        } else {
                            slots[slot].append(value)
                            if let known = preferences.firstIndex(where: { $0.slot == slot }) {
                                preferences[known].preferences.append(preference)
                            } else if preference != VCardParameters.notPreferred {
                                let before = Array(repeating: VCardParameters.notPreferred, count: slots[slot].count - 1)
                                preferences.append((slot, before + [preference]))
                            }
                        }
                    case .component(_, let index, _):
                        guard takesComponents else { continue }
                        if parts == nil { parts = VCard.unescapedComponents(property.pointee.value) }
                        let value = index < parts!.count ? parts![index] : ""
                        slots[slot] = value.isEmpty ? [] : [value]
                    }
                }
                if tookSingle { chosen[entry] = preference }
                if parts != nil { chosen[entries + entry] = preference }
            }
        } }
        for (slot, order) in preferences where slots[slot].count > 1 {
            slots[slot] = zip(slots[slot], order).enumerated()
                .sorted { ($0.element.1, $0.offset) < ($1.element.1, $1.offset) }.map(\.element.0)
        }
        if let nameSlots, nameSlots.parts.allSatisfy({ slots[$0].isEmpty }), let full = slots[nameSlots.formatted].first {
            let name = PersonName(splitting: full)
            for (slot, part) in zip(nameSlots.parts, name.parts) where !part.isEmpty { slots[slot] = [part] }
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
        return ContactRecord(id: id, version: version, packedFields: fields, segments: tags.isEmpty ? [:] : [Self.tagSegment: tags])
    }

    /// The fields a card holds, as a dictionary: what an update's fields are compared with.
    func fields(of card: VCard) -> [String: [String]] {
        record(card, id: "", version: nil, packed: false).fields
    }

    /// A property's value as a field of `kind` reads it.
    static func read(_ property: VCard.Property, _ kind: Kind) -> String {
        read(property.value, parameters: property.parameters, kind)
    }

    /// A value with `parameters` as a field of `kind` reads it (by parts: `record` reads the
    /// properties in place, and copying one cost more than reading it).
    static func read(_ value: String, parameters: String, _ kind: Kind) -> String {
        switch kind {
        case .text: return VCard.unescape(value)
        case .structured: return value
        case .email, .other: return VCard.unescapeNonText(value)
        case .phone:
            let value = VCard.unescapeNonText(value)
            guard value.utf8.count > 4, value.prefix(4).lowercased() == "tel:",
                  !parameters.isEmpty, parameters.withUTF8Bytes(VCardParameters.isURIValue)
            else { return value }
            return TelURI.phone(fromURI: value)
        }
    }

    /// The indices of the properties named `name` (upper case), the most preferred first, else
    /// in file order.
    static func occurrences(of name: String, in card: VCard) -> [Int] {
        let indices = card.properties.indices.filter { card.properties[$0].name == name }
        guard indices.count > 1 else { return indices }
        let preferences = indices.map { card.properties[$0].preference }
        return indices.indices.sorted { (preferences[$0], $0) < (preferences[$1], $1) }.map { indices[$0] }
    }

    /// The occurrence a single-value field reads: the most preferred with a value, else the most
    /// preferred.
    static func singleOccurrence(of name: String, kind: Kind, in card: VCard) -> Int? {
        let indices = occurrences(of: name, in: card)
        return indices.first { !read(card.properties[$0], kind).isEmpty } ?? indices.first
    }

    /// One field's values in `card`, read on their own (`record` reads them all in one pass).
    func read(_ field: String, from card: VCard) -> [String] {
        guard let target = table[field] else { return [] }
        if Self.nameFields.contains(field), name(of: card, splitting: false).isEmpty {
            let index = Self.nameFields.firstIndex(of: field)!
            let part = name(of: card, splitting: true).parts[index]
            return part.isEmpty ? [] : [part]
        }
        return Self.read(target, from: card)
    }

    /// One target's values in `card`, names not read from FN.
    static func read(_ target: Target, from card: VCard) -> [String] {
        switch target {
        case .property(let name, true, let kind):
            return occurrences(of: name, in: card).map { read(card.properties[$0], kind) }.filter { !$0.isEmpty }
        case .property(let name, false, let kind):
            guard let index = singleOccurrence(of: name, kind: kind, in: card) else { return [] }
            let value = read(card.properties[index], kind)
            return value.isEmpty ? [] : [value]
        case .component(let name, let index, _):
            guard let first = occurrences(of: name, in: card).first else { return [] }
            let parts = VCard.split(card.properties[first].value, on: ";")
            let value = index < parts.count ? VCard.unescape(parts[index]) : ""
            return value.isEmpty ? [] : [value]
        }
    }

    /// The name N's first occurrence holds; with `splitting`, FN's parts when N has none.
    func name(of card: VCard, splitting: Bool) -> PersonName {
        let parts = Self.nameFields.map { Self.read(table[$0]!, from: card).first ?? "" }
        let name = PersonName(prefix: parts[0], given: parts[1], additional: parts[2], family: parts[3], suffix: parts[4])
        guard splitting, name.isEmpty, let full = Self.read(table["formatted_name"]!, from: card).first else { return name }
        return PersonName(splitting: full)
    }

    // MARK: - Tags

    /// Adds the tags a CATEGORIES property lists.
    static func addTags(of property: VCard.Property, to tags: inout Set<String>) {
        addTags(listedIn: property.value, to: &tags)
    }

    /// Adds the tags a CATEGORIES value lists.
    static func addTags(listedIn value: String, to tags: inout Set<String>) {
        for tag in VCard.split(value, on: ",") {
            let name = trimmed(VCard.unescape(tag))
            if !name.isEmpty { tags.insert(name) }
        }
    }

    /// The CATEGORIES property listing `tags`.
    static func categories(_ tags: some Sequence<String>) -> VCard.Property {
        VCard.Property(name: "CATEGORIES", value: tags.sorted().map(VCard.escape).joined(separator: ","))
    }

    /// Without surrounding white space; skips Foundation when the ends are plain ASCII.
    static func trimmed(_ text: String) -> String {
        guard let first = text.utf8.first, let last = text.utf8.last,
              first > 0x20, first < 0x80, last > 0x20, last < 0x80
        else { return text.trimmingCharacters(in: .whitespaces) }
        return text
    }
}
