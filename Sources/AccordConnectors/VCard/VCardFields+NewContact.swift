import AccordModel

extension VCardFields {
    /// A new vCard 3.0 with a fresh UID: what `apply` makes of an empty card, built directly (a
    /// first run makes one per contact; `apply` searches the card for each field it sets, and
    /// derives FN and N by reading the card back).
    func newCard(uid: String, fields: [String: [String]], tags: Set<String>) -> VCard {
        newContact(uid: uid, id: "", fields: PackedFields(unpacked: fields), tags: tags).card
    }

    /// A new card (`newCard`) with the record it describes (without a version), the record worked
    /// out from the values written rather than read back from the card: a first run makes one
    /// per contact, and reading the card took a fifth of making and writing it. Each value is
    /// what `record` reads from what is written; a test holds the two equal.
    func newContact(uid: String, id: String, fields: PackedFields, tags: Set<String>) -> (card: VCard, record: ContactRecord) {
        var properties = [VCard.Property(name: "VERSION", value: "3.0"), VCard.Property(name: "UID", value: uid)]
        properties.reserveCapacity(fieldNames.count + 4)
        var read = [[String]](repeating: [], count: fieldNames.count)  // by slot, as `record` reads them
        if !uid.isEmpty, let slot = slots["uid"]?.slot { read[slot] = [Self.read(properties[1], .other)] }
        // N, ORG and the first ADR: made at their first non-empty component (ADR by `adr`'s first
        // value), written once all are set; their component slots are read from them at the end.
        var structured: [(name: String, position: Int, parts: [String])] = []
        var formattedName: [String]?  // written after the parts of N, as `apply` writes it
        func write(_ field: String, _ values: [String]) {
            guard field != "uid", let target = table[field] else { return }
            let slot = slots[field]?.slot
            switch target {
            case .property(let name, let multi, let kind):
                for value in (multi ? values : Array(values.prefix(1))) where !value.isEmpty {
                    let property = VCard.Property(name: name, value: Self.written(value, kind, for: nil, version21: false))
                    let readBack = Self.read(property, kind)
                    if let slot, !readBack.isEmpty { read[slot].append(readBack) }
                    if name == "ADR", !structured.contains(where: { $0.name == "ADR" }) {
                        structured.append(("ADR", properties.count, VCard.split(property.value, on: ";")))
                    }
                    properties.append(property)
                }
            case .component(let name, let index, let count):
                let value = Self.escaped(values.first ?? "", structured: true, version21: false)
                if let known = structured.firstIndex(where: { $0.name == name }) {
                    // As `apply`: a part that reads the same is left as written.
                    let parts = structured[known].parts
                    guard (index < parts.count ? VCard.unescape(parts[index]) : "") != values.first ?? "" else { return }
                    while structured[known].parts.count <= index { structured[known].parts.append("") }
                    structured[known].parts[index] = value
                } else if !value.isEmpty {
                    var parts = Array(repeating: "", count: count)
                    parts[index] = value
                    structured.append((name, properties.count, parts))
                    properties.append(VCard.Property(name: name, value: ""))
                }
            }
        }
        fields.forEachField { field, values in
            if let pending = formattedName, Self.writingOrder(field) > Self.writingOrder("formatted_name") {
                write("formatted_name", pending)
                formattedName = nil
            }
            if field == "formatted_name" { formattedName = values } else { write(field, values) }
        }
        if let pending = formattedName { write("formatted_name", pending) }
        for (name, position, parts) in structured {
            properties[position].value = parts.joined(separator: ";")
            for (slot, target) in propertyTargets.first(where: { $0.name == name })?.targets ?? [] {
                guard case .component(_, let index, _) = target else { continue }
                let value = index < parts.count ? VCard.unescape(parts[index]) : ""
                read[slot] = value.isEmpty ? [] : [value]
            }
            // `adr` reads the first address as its parts left it (made by them, or by `adr`'s first value).
            if name == "ADR", let slot = slots["adr"]?.slot {
                if !read[slot].isEmpty { read[slot][0] = properties[position].value } else { read[slot] = [properties[position].value] }
            }
        }
        var readTags = Set<String>()
        let tags = tags.filter { !Self.trimmed($0).isEmpty }
        if !tags.isEmpty {
            let property = Self.categories(tags)
            Self.addTags(of: property, to: &readTags)
            properties.append(property)
        }
        // What `ensureRequired` adds, from the values at hand instead of reading the card back.
        let name = structured.first { $0.name == "N" }.map { parts in
            let part = { (index: Int) in index < parts.parts.count ? VCard.unescape(parts.parts[index]) : "" }
            return PersonName(prefix: part(3), given: part(1), additional: part(2), family: part(0), suffix: part(4))
        } ?? PersonName()
        // FN as written: the field's value, else the name parts joined, else the first email.
        let writtenName = properties.first { $0.name == "FN" }.map { Self.read($0, .text) } ?? ""
        var fullName = writtenName
        if writtenName.isEmpty {
            let firstEmail = properties.first { $0.name == "EMAIL" }.map { Self.read($0, .email) } ?? ""
            let derived = name.isEmpty ? firstEmail : name.formatted
            Self.setFormattedName(derived, in: &properties)
            fullName = VCard.unescape(VCard.escape(derived))
            if let slot = slots["formatted_name"]?.slot { read[slot] = fullName.isEmpty ? [] : [fullName] }
        }
        func readName(_ name: PersonName) {
            for (field, part) in zip(Self.nameFields, name.parts) where !part.isEmpty {
                if let slot = slots[field]?.slot { read[slot] = [part] }
            }
        }
        if !structured.contains(where: { $0.name == "N" }) {
            let split = PersonName(splitting: fullName)
            properties.append(VCard.Property(name: "N", value: Self.nValue(split, version21: false)))
            readName(split)
        } else if name.isEmpty {
            // N without parts: they are read from FN.
            readName(PersonName(splitting: fullName))
        }
        let record = ContactRecord(
            id: id, version: nil, packedFields: PackedFields(names: fieldNames, values: read),
            segments: readTags.isEmpty ? [:] : [Self.tagSegment: readTags])
        return (VCard(properties: properties), record)
    }
}
