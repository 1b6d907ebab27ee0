// A release-mode loop over 100,000 generated cards (the kind Benchmarks/sync-vs-vdirsyncer.py
// makes): parse and read every card (a first run's listing), apply one field change and write
// (an update), make a new card (a create). Compiled by scripts/vcard-benchmark.sh together with
// the vCard sources of a revision, so two revisions can be compared on one machine.
import Foundation

func card(_ i: Int) -> [UInt8] {
    let uid = "bench-" + String(i)
    let lines = [
        "BEGIN:VCARD", "VERSION:3.0", "UID:\(uid)", "FN:Person\(i) Example", "N:Example;Person\(i);;;",
        "EMAIL;TYPE=INTERNET:person\(i)@example.com", "TEL;TYPE=CELL:+1 555 \(1_000_000 + i)", "ORG:Company \(i % 500)",
        "TITLE:Title \(i % 37)", "ADR;TYPE=WORK:;;\(i) Main Street;Springfield;;\(10000 + i % 9000);USA",
        "NOTE:Customer since \(2000 + i % 25)", "CATEGORIES:customer,bench", "END:VCARD",
    ]
    return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
}

let count = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 100_000
let cards = (0..<count).map(card)
let mapping = Mapping()

func seconds(_ body: () throws -> Int) rethrows -> (Double, Int) {
    let start = DispatchTime.now().uptimeNanoseconds
    let result = try body()
    return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, result)
}

var best: [String: Double] = [:]
for _ in 0..<5 {
    let (read, _) = try seconds {
        var total = 0
        for bytes in cards {
            total += try bytes.withUnsafeBufferPointer { try mapping.record(VCard.parse(bytes: $0)) }
        }
        return total
    }
    let (update, _) = try seconds {
        var total = 0
        for bytes in cards.prefix(count / 10) {
            var parsed = try bytes.withUnsafeBufferPointer { try VCard.parse(bytes: $0) }
            mapping.apply(["title": ["Chief"]], to: &parsed)
            total += parsed.serializedBytes().count
        }
        return total
    }
    let (create, _) = seconds {
        var total = 0
        for i in 0..<(count / 10) {
            let fields = ["given_name": ["Person\(i)"], "family_name": ["Example"], "email": ["p\(i)@example.com"], "tel": ["+1 555 \(i)"], "org": ["Co"], "note": ["n"]]
            total += mapping.newCard(fields).serializedBytes().count
        }
        return total
    }
    for (name, value) in [("read", read), ("update", update), ("create", create)] { best[name] = min(best[name] ?? .infinity, value) }
}
print(String(format: "parse+record %d cards: %.3f s (%.2f µs/card); update %d: %.3f s; create %d: %.3f s (best of 5)",
             count, best["read"]!, best["read"]! / Double(count) * 1e6, count / 10, best["update"]!, count / 10, best["create"]!))
