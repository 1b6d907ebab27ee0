import AccordConnectors
import AccordRunner
import Testing

/// Random sequences of user edits on both apps, interleaved with runs, checked against a reference
/// model of the semantics: the apps converge, conflicts follow the winning app (never an empty
/// one), nothing is deleted, no email is created twice, deleted opposites get a marker and are
/// never re-created.
@Suite struct PropertyTests {
    /// The fields the model follows: (name in app a, name in app b).
    static let fields = [("first_name", "given_name"), ("last_name", "family_name"), ("company", "org"), ("phone", "tel")]
    static let pools = [["Ann", "Bob", "Cy", ""], ["Lee", "Ray", "Moe", ""], ["ACME", "Initech", "Hooli", ""], ["+1 555 0100", "+1 555 0199", ""]]
    static let marker = "Accord Trash"

    /// One contact as the model sees it: its values in each app (`nil` when absent there).
    struct Entity {
        var email: String
        var a: [String]?
        var b: [String]?
        var aID: String?
        var bID: String?
        /// The values at the last run that synced the pair; `nil` until linked.
        var base: [String]?
        /// Linked, then one side deleted: the survivor is marked and left alone.
        var orphaned = false
    }

    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
        mutating func values() -> [String] { PropertyTests.pools.map { $0[next($0.count)] } }
        mutating func pick<T>(_ list: [T]) -> T { list[next(list.count)] }
        mutating func chance(_ percent: Int) -> Bool { next(100) < percent }
    }

    static func record(_ values: [String], email: String, side: Int) -> [String: [String]] {
        var record = ["email": [email]]
        for (index, names) in fields.enumerated() where !values[index].isEmpty {
            record[side == 0 ? names.0 : names.1] = [values[index]]
        }
        return record
    }

    /// The model's run: links, creates, per-field three-way merge with app a winning.
    static func modelRun(_ entities: inout [Entity]) {
        for index in entities.indices {
            var entity = entities[index]
            defer { entities[index] = entity }
            if entity.orphaned { continue }
            switch (entity.a, entity.b, entity.base) {
            case (let a?, let b?, let base?):
                entity.a = zip(zip(a, b), base).map { pair, base in
                    let (a, b) = pair
                    switch (a != base, b != base) {
                    case (true, false): return a
                    case (false, true): return b
                    case (true, true): return a == b ? a : (a.isEmpty ? b : a)
                    case (false, false): return a
                    }
                }
            case (let a?, let b?, nil): entity.a = zip(a, b).map { $0.isEmpty ? $1 : $0 }
            case (let a?, nil, nil): entity.a = a
            case (nil, let b?, nil): entity.a = b
            case (_?, nil, _?), (nil, _?, _?):
                entity.orphaned = true
                continue
            case (nil, nil, _): continue
            }
            entity.b = entity.a
            entity.base = entity.a
        }
    }

    @Test(arguments: 0..<60)
    func randomEditsAndRunsFollowTheModel(seed: Int) async throws {
        var random = Generator(state: UInt64(seed) &* 7919)
        // The model knows no safety budget: a run of random deletions over a few contacts would
        // be held for review (SafetyTests cover that).
        let h = try Harness(try plan("sync_deletions: {enabled: true, marker: \(Self.marker)}\nsafety: {enabled: false}"))
        var entities: [Entity] = []
        var log: [String] = []
        var nextEmail = 0

        for _ in 0..<40 {
            let live = entities.indices.filter { entities[$0].a != nil || entities[$0].b != nil }
            switch random.next(10) {
            case 0, 1:  // a new contact in one app, or in both at once (matched at the next run)
                let email = "c\(nextEmail)@example.com"
                nextEmail += 1
                let place = random.next(3)  // 0: a, 1: b, 2: both (b spells the email in capitals)
                var entity = Entity(email: email)
                if place != 1 { entity.a = random.values(); entity.aID = h.a.add(Self.record(entity.a!, email: email, side: 0)) }
                if place != 0 { entity.b = random.values(); entity.bID = h.b.add(Self.record(entity.b!, email: place == 2 ? email.uppercased() : email, side: 1)) }
                log.append("add \(email) in \(["a", "b", "both"][place])")
                entities.append(entity)
            case 2, 3, 4, 5:  // an edit of one field
                guard let index = live.isEmpty ? nil : live[random.next(live.count)] else { continue }
                let side = random.next(2)
                let field = random.next(Self.fields.count)
                let value = Self.pools[field][random.next(Self.pools[field].count)]
                let name = side == 0 ? Self.fields[field].0 : Self.fields[field].1
                if side == 0, entities[index].a != nil {
                    entities[index].a![field] = value
                    h.a.edit(entities[index].aID!) { $0.fields[name] = value.isEmpty ? nil : [value] }
                } else if side == 1, entities[index].b != nil {
                    entities[index].b![field] = value
                    h.b.edit(entities[index].bID!) { $0.fields[name] = value.isEmpty ? nil : [value] }
                } else { continue }
                log.append("edit \(entities[index].email) \(name) = '\(value)' in \(side == 0 ? "a" : "b")")
            case 6:  // a user deletes a contact in one app
                guard let index = live.isEmpty ? nil : live[random.next(live.count)] else { continue }
                if random.next(2) == 0, let id = entities[index].aID, entities[index].a != nil {
                    h.a.delete(id)
                    entities[index].a = nil
                    log.append("delete \(entities[index].email) in a")
                } else if let id = entities[index].bID, entities[index].b != nil {
                    h.b.delete(id)
                    entities[index].b = nil
                    log.append("delete \(entities[index].email) in b")
                }
            default:
                log.append("run")
                try await h.run()
                Self.modelRun(&entities)
                for index in entities.indices {
                    let email = entities[index].email
                    entities[index].aID = entities[index].a == nil ? entities[index].aID : h.a.records.first { $0.fields["email"]?.first?.lowercased() == email }?.id
                    entities[index].bID = entities[index].b == nil ? entities[index].bID : h.b.records.first { $0.fields["email"]?.first?.lowercased() == email }?.id
                }
                try check(h, entities, log: log)
                #expect(try await h.run().counts.writes == 0, "a second run wrote; seed \(seed): \(log.joined(separator: "; "))")
            }
        }
    }

    /// The apps hold exactly the model's contacts, with the model's values.
    func check(_ h: Harness, _ entities: [Entity], log: [String]) throws {
        let context = Comment(rawValue: "after: " + log.joined(separator: "; "))
        for (side, connector) in [(0, h.a), (1, h.b)] {
            let records = connector.records
            let expected = entities.filter { (side == 0 ? $0.a : $0.b) != nil }
            #expect(records.count == expected.count, "app \(side == 0 ? "a" : "b") holds \(records.count) records, the model \(expected.count); \(context.rawValue)")
            let emails = records.compactMap { $0.fields["email"]?.first?.lowercased() }
            #expect(Set(emails).count == emails.count, "an email was created twice; \(context.rawValue)")
            for entity in expected {
                let record = try #require(records.first { $0.fields["email"]?.first?.lowercased() == entity.email }, context)
                let values = side == 0 ? entity.a! : entity.b!
                for (index, names) in Self.fields.enumerated() {
                    let actual = record.fields[side == 0 ? names.0 : names.1]?.first ?? ""
                    #expect(actual == values[index], "\(entity.email) \(side == 0 ? names.0 : names.1) in \(side == 0 ? "a" : "b"); \(context.rawValue)")
                }
                let marked = record.segments["tag"]?.contains(Self.marker) ?? false
                #expect(marked == entity.orphaned, "\(entity.email): marker \(marked), model \(entity.orphaned); \(context.rawValue)")
            }
        }
    }
}
