import AccordDiagnostics
import AccordModel
import AccordSyntax

/// Builds the default mappings and checks custom ones: field names, one mapping per field,
/// type compatibility, effective directions, value maps and name join/split.
struct MappingCheck {
    var context: CheckContext
    let a: ResolvedApp
    let b: ResolvedApp
    let direction: SyncDirection
    let avoidDuplicates: Bool

    /// Which mapping already claimed a field, by side and field name.
    private var claims: [Side: [String: Claim]] = [.a: [:], .b: [:]]

    private struct Claim {
        var description: String
        var range: SourceRange?
        var defaultID: String?
    }

    init(context: CheckContext, a: ResolvedApp, b: ResolvedApp, direction: SyncDirection, avoidDuplicates: Bool) {
        self.context = context
        self.a = a
        self.b = b
        self.direction = direction
        self.avoidDuplicates = avoidDuplicates
    }

    mutating func check(_ syntax: MappingsSyntax) -> [ResolvedMapping] {
        let candidates = DefaultMappings.candidates(a: a, b: b)
        let ids = candidates.map(\.id)
        var disabled: Set<String> = []
        for toggle in syntax.toggles {
            let known = Set(ids + (ids.contains { DefaultMappings.nameIDs.contains($0) } ? ["name"] : []))
            guard known.contains(toggle.role.value) else {
                let suggestion = Suggestions.bestMatch(for: toggle.role.value, in: known.sorted())
                context.report(
                    DiagnosticCatalog.unknownDefaultMapping,
                    "'\(toggle.role.value)' is not a default mapping between '\(a.schema.id)' and '\(b.schema.id)'; they are "
                        + known.sorted().map { "'\($0)'" }.joined(separator: ", ")
                        + (suggestion.map { "; did you mean '\($0)'?" } ?? ""),
                    at: toggle.role.range,
                    fixIts: suggestion.map { [FixIt.replace(toggle.role.value, with: $0, at: toggle.role.range)] } ?? [])
                continue
            }
            if toggle.enabled.value { continue }
            if toggle.role.value == "email", avoidDuplicates {
                context.report(
                    DiagnosticCatalog.matchKeyDisabled,
                    "the email mapping cannot be turned off: contacts are matched by email while 'avoid_duplicates' is on",
                    at: toggle.role.range)
                continue
            }
            disabled.insert(toggle.role.value)
            if toggle.role.value == "name" { disabled.formUnion(DefaultMappings.nameIDs) }
        }

        var mappings: [ResolvedMapping] = []
        if syntax.defaults?.value ?? true {
            for candidate in candidates where !disabled.contains(candidate.id) {
                let allowed = candidate.a.count + candidate.b.count > 2
                    ? joinDirection(aFields: candidate.a, bFields: candidate.b)
                    : allowedDirection(a: candidate.a, b: candidate.b, valueMap: nil)
                let effective = allowed.direction.intersection(direction)
                guard !effective.isEmpty else { continue }
                for field in candidate.a { claims[.a]![field.name] = Claim(description: "default mapping '\(candidate.id)'", defaultID: candidate.id) }
                for field in candidate.b { claims[.b]![field.name] = Claim(description: "default mapping '\(candidate.id)'", defaultID: candidate.id) }
                mappings.append(ResolvedMapping(
                    origin: .standard(candidate.id), a: candidate.a, b: candidate.b, direction: effective,
                    transforms: allowed.transforms.filter { effective.contains($0.key) }))
            }
        }
        for (index, custom) in syntax.custom.enumerated() {
            if let mapping = check(custom, index: index) { mappings.append(mapping) }
        }
        return mappings
    }

    // MARK: - Custom mappings

    private mutating func check(_ syntax: CustomMappingSyntax, index: Int) -> ResolvedMapping? {
        guard let aSide = syntax.a, let bSide = syntax.b else { return nil }
        let aFields = aSide.fields.compactMap { context.field($0, in: a) }
        let bFields = bSide.fields.compactMap { context.field($0, in: b) }
        guard aFields.count == aSide.fields.count, bFields.count == bSide.fields.count else { return nil }
        if syntax.enabled?.value == false { return nil }

        let isJoin = aSide.isList || bSide.isList || aFields.count > 1 || bFields.count > 1
        if isJoin, !checkNameJoin(aSide: aSide, bSide: bSide, aFields: aFields, bFields: bFields) { return nil }

        var claimedTwice = false
        for (side, fields, located) in [(Side.a, aFields, aSide.fields), (Side.b, bFields, bSide.fields)] {
            for (field, name) in zip(fields, located) {
                if let claim = claims[side]![field.name] {
                    claimedTwice = true
                    context.report(
                        DiagnosticCatalog.fieldMappedTwice,
                        "field '\(field.name)' of app '\(side == .a ? a.schema.id : b.schema.id)' is already mapped by the \(claim.description)"
                            + (claim.defaultID.map { "; turn it off with 'toggles: {\($0): off}' to map the field here" } ?? ""),
                        at: name.range,
                        notes: claim.range.map { [Note("'\(field.name)' mapped here first", file: context.file, range: $0)] } ?? [])
                } else {
                    claims[side]![field.name] = Claim(description: "custom mapping #\(index + 1)", range: name.range)
                }
            }
        }
        if claimedTwice { return nil }

        // Value maps.
        let pairIsChoice = !isJoin && aFields[0].type == bFields[0].type
            && (aFields[0].type == .enumeration || aFields[0].type == .set)
        if let values = syntax.values, !pairIsChoice {
            context.report(
                DiagnosticCatalog.valueMapNotApplicable,
                "'values' maps drop-down options, but \(aFields.map(\.described).joined(separator: " + ")) and "
                    + "\(bFields.map(\.described).joined(separator: " + ")) are not both drop-downs of one kind",
                at: values.range)
            return nil
        }
        if pairIsChoice, syntax.values == nil {
            context.report(
                DiagnosticCatalog.valueMapRequired,
                "mapping \(aFields[0].described) to \(bFields[0].described) needs a value map: add 'values: {\(aFields[0].options.first ?? "a_option"): \(bFields[0].options.first ?? "b_option"), ...}'",
                at: syntax.range)
            return nil
        }

        var valueMap: [String: String]?
        if let values = syntax.values {
            guard let map = checkValueMapEntries(values, aField: aFields[0], bField: bFields[0]) else { return nil }
            valueMap = map
        }

        let allowed = isJoin ? joinDirection(aFields: aFields, bFields: bFields) : allowedDirection(a: aFields, b: bFields, valueMap: valueMap)
        let asked = syntax.direction?.value ?? direction
        let effective = asked.intersection(allowed.direction).intersection(direction)
        let describedPair = "between \(aFields.map(\.described).joined(separator: " + ")) and \(bFields.map(\.described).joined(separator: " + "))"

        if allowed.typeDirection.isEmpty {
            let reasons = Way.allCases.compactMap { allowed.reasons[$0] }
            let first = reasons.first ?? "the types do not convert"
            context.report(
                DiagnosticCatalog.incompatibleFieldTypes,
                first + (reasons.count > 1 ? ", nor the other way" : ""),
                at: syntax.range, notes: fieldNotes(aFields + bFields))
            return nil
        }
        let reasons = Way.allCases.filter { asked.contains($0) && !effective.contains($0) }.map { way in
            "\(way.rawValue): " + (allowed.reasons[way] ?? "the connection syncs \(direction) only")
        }
        if effective.isEmpty {
            context.report(
                DiagnosticCatalog.mappingHasNoDirection,
                "no direction is left for the mapping \(describedPair): " + reasons.joined(separator: "; "),
                at: syntax.direction?.range ?? syntax.range, notes: fieldNotes(aFields + bFields))
            return nil
        }
        if effective != asked {
            if let explicit = syntax.direction {
                context.report(
                    DiagnosticCatalog.mappingDirectionNarrowed,
                    "the mapping asks for \(explicit.value) but can only sync \(effective): " + reasons.joined(separator: "; "),
                    at: explicit.range, notes: fieldNotes(aFields + bFields),
                    fixIts: [FixIt.replace("\(explicit.value)", with: "\(effective)", at: explicit.range)])
                return nil
            }
            context.report(
                DiagnosticCatalog.mappingNarrowerThanDefault,
                "the mapping \(describedPair) syncs \(effective) only: " + reasons.joined(separator: "; "),
                at: syntax.range)
        }
        if let values = syntax.values, let valueMap {
            guard checkValueMapCoverage(values, map: valueMap, aField: aFields[0], bField: bFields[0], effective: effective) else { return nil }
        }
        return ResolvedMapping(
            origin: .custom(index), a: aFields, b: bFields, direction: effective,
            transforms: allowed.transforms.filter { effective.contains($0.key) })
    }

    private func fieldNotes(_ fields: [FieldDefinition]) -> [Note] {
        fields.compactMap { field in field.site.map { $0.note("'\(field.name)' declared here as \(field.type.rawValue)") } }
    }

    // MARK: - Directions

    struct Allowed {
        /// Ways the types allow.
        var typeDirection: SyncDirection = .none
        /// Ways the types and writability allow.
        var direction: SyncDirection = .none
        var transforms: [Way: [Transform]] = [:]
        /// Why a way is not allowed.
        var reasons: [Way: String] = [:]
    }

    /// The ways values can flow between single fields `a` and `b`, from the compatibility table
    /// and the fields' writability.
    func allowedDirection(a aFields: [FieldDefinition], b bFields: [FieldDefinition], valueMap: [String: String]?) -> Allowed {
        var allowed = Allowed()
        let aField = aFields[0], bField = bFields[0]
        for way in Way.allCases {
            let (source, target) = way == .aToB ? (aField, bField) : (bField, aField)
            var transforms: [Transform] = []
            if source.multiValue && !target.multiValue { transforms.append(.firstValue) }
            switch CompatibilityTable.conversion(from: source.type, into: target.type) {
            case .allowed(let transform):
                if transform != .identity { transforms.append(transform) }
            case .needsValueMap:
                guard let valueMap else {
                    allowed.reasons[way] = "\(source.described) needs a value map to be written into \(target.described)"
                    continue
                }
                transforms.append(.valueMap(way == .aToB ? valueMap : Dictionary(valueMap.map { ($1, $0) }, uniquingKeysWith: { l, _ in l })))
            case .forbidden(let reason):
                allowed.reasons[way] = "\(source.described) cannot be written into \(target.described): \(reason)"
                continue
            }
            allowed.typeDirection.insert(SyncDirection(way))
            if target.readOnly {
                allowed.reasons[way] = "'\(target.name)' is read-only in app '\(way == .aToB ? b.schema.id : a.schema.id)'"
                continue
            }
            allowed.direction.insert(SyncDirection(way))
            allowed.transforms[way] = transforms.isEmpty ? [.identity] : transforms
        }
        return allowed
    }

    /// Join one way, split the other; only read-only fields narrow it.
    private func joinDirection(aFields: [FieldDefinition], bFields: [FieldDefinition]) -> Allowed {
        var allowed = Allowed(typeDirection: .twoWay)
        for way in Way.allCases {
            let targets = way == .aToB ? bFields : aFields
            let sources = way == .aToB ? aFields : bFields
            if let readOnly = targets.first(where: \.readOnly) {
                allowed.reasons[way] = "'\(readOnly.name)' is read-only in app '\(way == .aToB ? b.schema.id : a.schema.id)'"
                continue
            }
            allowed.direction.insert(SyncDirection(way))
            allowed.transforms[way] = [sources.count == 2 ? .joinName : .splitName]
        }
        return allowed
    }

    private mutating func checkNameJoin(
        aSide: MappingSideSyntax, bSide: MappingSideSyntax, aFields: [FieldDefinition], bFields: [FieldDefinition]
    ) -> Bool {
        let counts = (aFields.count, bFields.count)
        guard counts == (2, 1) || counts == (1, 2) else {
            context.report(
                DiagnosticCatalog.invalidNameJoin,
                "a name join/split maps two fields (first and last name) on one side to one field (full name) on the other; found \(counts.0) and \(counts.1)",
                at: aFields.count == 1 || counts.0 == counts.1 ? bSide.range : aSide.range)
            return false
        }
        if let bad = (aFields + bFields).first(where: { $0.type != .text }) {
            context.report(
                DiagnosticCatalog.invalidNameJoin,
                "a name join/split needs text fields, but \(bad.described) is not text",
                at: (aSide.fields + bSide.fields).first { $0.value == bad.name }?.range ?? aSide.range)
            return false
        }
        return true
    }

    // MARK: - Value maps

    private mutating func checkValueMapEntries(_ values: ValueMapSyntax, aField: FieldDefinition, bField: FieldDefinition) -> [String: String]? {
        var map: [String: String] = [:]
        var valid = true
        for entry in values.entries {
            for (located, field) in [(entry.a, aField), (entry.b, bField)] where !field.options.contains(located.value) {
                valid = false
                let suggestion = Suggestions.bestMatch(for: located.value, in: field.options)
                context.report(
                    DiagnosticCatalog.valueMapUnknownOption,
                    "'\(located.value)' is not an option of \(field.described)"
                        + (suggestion.map { "; did you mean '\($0)'?" } ?? "; options are " + field.options.map { "'\($0)'" }.joined(separator: ", ")),
                    at: located.range, notes: fieldNotes([field]),
                    fixIts: suggestion.map { [FixIt.replace(located.value, with: $0, at: located.range)] } ?? [])
            }
            map[entry.a.value] = entry.b.value
        }
        return valid ? map : nil
    }

    private mutating func checkValueMapCoverage(
        _ values: ValueMapSyntax, map: [String: String], aField: FieldDefinition, bField: FieldDefinition, effective: SyncDirection
    ) -> Bool {
        var valid = true
        if effective.contains(.aToB) {
            valid = reportUnmapped(aField.options.filter { map[$0] == nil }, of: aField, into: bField, way: .aToB, at: values.range) && valid
        }
        if effective.contains(.bToA) {
            let grouped = Dictionary(grouping: values.entries, by: \.b.value).filter { $0.value.count > 1 }
            for (target, entries) in grouped.sorted(by: { $0.key < $1.key }) {
                valid = false
                context.report(
                    DiagnosticCatalog.valueMapNotOneToOne,
                    "the value map sends " + entries.map { "'\($0.a.value)'" }.joined(separator: " and ")
                        + " to '\(target)', so syncing back from '\(bField.name)' is ambiguous; make it one-to-one or use 'direction: a-to-b'",
                    at: entries[1].b.range,
                    notes: [Note("'\(entries[0].a.value)' mapped to '\(target)' here", file: context.file, range: entries[0].b.range)])
            }
            if grouped.isEmpty {
                let covered = Set(map.values)
                valid = reportUnmapped(bField.options.filter { !covered.contains($0) }, of: bField, into: aField, way: .bToA, at: values.range) && valid
            }
        }
        return valid
    }

    /// Reports source options the value map gives no target value for; returns whether there were none.
    private mutating func reportUnmapped(
        _ missing: [String], of source: FieldDefinition, into target: FieldDefinition, way: Way, at range: SourceRange
    ) -> Bool {
        guard !missing.isEmpty else { return true }
        context.report(
            DiagnosticCatalog.valueMapMissingOption,
            (way == .bToA ? "syncing b-to-a, " : "") + "the value map gives no '\(target.name)' value for these options of '\(source.name)': "
                + missing.map { "'\($0)'" }.joined(separator: ", "),
            at: range, notes: fieldNotes([source]))
        return false
    }
}

/// The default mappings between two apps, from the standard roles of their fields.
enum DefaultMappings {
    struct Candidate {
        var id: String
        var a: [FieldDefinition]
        var b: [FieldDefinition]
    }

    static let nameIDs: Set<String> = ["first_name", "last_name", "full_name", "name"]

    static func candidates(a: ResolvedApp, b: ResolvedApp) -> [Candidate] {
        func first(_ role: StandardRole, _ app: ResolvedApp) -> FieldDefinition? {
            app.schema.fields(for: app.contactType).first { $0.role == role }
        }
        var candidates: [Candidate] = []
        if let x = first(.email, a), let y = first(.email, b) { candidates.append(Candidate(id: "email", a: [x], b: [y])) }
        let aFirst = first(.firstName, a), aLast = first(.lastName, a), aFull = first(.fullName, a)
        let bFirst = first(.firstName, b), bLast = first(.lastName, b), bFull = first(.fullName, b)
        if let af = aFirst, let al = aLast, let bf = bFirst, let bl = bLast {
            candidates.append(Candidate(id: "first_name", a: [af], b: [bf]))
            candidates.append(Candidate(id: "last_name", a: [al], b: [bl]))
        } else if let x = aFull, let y = bFull {
            candidates.append(Candidate(id: "full_name", a: [x], b: [y]))
        } else if let af = aFirst, let al = aLast, let y = bFull {
            candidates.append(Candidate(id: "name", a: [af, al], b: [y]))
        } else if let x = aFull, let bf = bFirst, let bl = bLast {
            candidates.append(Candidate(id: "name", a: [x], b: [bf, bl]))
        }
        let others: [StandardRole] = [.phone, .mobilePhone, .company, .jobTitle, .address, .website, .notes, .birthday]
        for role in others {
            if let x = first(role, a), let y = first(role, b) {
                candidates.append(Candidate(id: role.rawValue, a: [x], b: [y]))
            }
        }
        return candidates
    }
}
