import AccordModel
import AccordPlan
import Foundation

/// A mapping as it carries values one way: its source and target fields, its transforms, and
/// how the target's values compare. Worked out once per run from the plan: a create applies
/// every mapping of its way to its record.
struct DirectedMapping: Sendable {
    enum Step: Sendable {
        case firstValue
        case formatAsText(FieldType?)
        case dateToDatetime, datetimeToDate, joinName, splitName
        case valueMap([String: String])
    }

    /// What a mapping makes of a source's values.
    enum Projection: Equatable {
        /// The target fields' values.
        case values(Values)
        /// A source value the mapping's value map has no entry for: nothing is written (a
        /// value map never clears the other side), and the record is reported.
        case unmapped(String)
    }

    let way: Way
    let sources: [String]
    let targets: [String]
    let steps: [Step]
    /// A single value written into a multi-value field (a CSV email into a card's emails): it
    /// takes the first (preferred) value's place and every other value stays, in order.
    let replacesFirstValue: Bool
    /// How the target's values compare, and the source's.
    let targetComparison: ValueComparison
    let sourceComparison: ValueComparison

    init(_ mapping: SyncPlan.Mapping, way: Way, fields: BySide<[String: SyncPlan.Field]>) {
        self.way = way
        sources = mapping.fields(way.source)
        targets = mapping.fields(way.target)
        steps = (mapping.transforms[way] ?? []).compactMap { transform in
            switch transform.kind {
            case .firstValue: .firstValue
            case .formatAsText: .formatAsText(transform.from_type)
            case .dateToDatetime: .dateToDatetime
            case .datetimeToDate: .datetimeToDate
            case .valueMap: .valueMap(transform.values ?? [:])
            case .joinName: .joinName
            case .splitName: .splitName
            case .identity: nil
            }
        }
        let source = sources.count == 1 ? fields[way.source][sources[0]] : nil
        let target = targets.count == 1 ? fields[way.target][targets[0]] : nil
        replacesFirstValue = target?.multi_value == true && source?.multi_value == false
        targetComparison = target.map { ValueComparison($0.type) } ?? .exact
        sourceComparison = source.map { ValueComparison($0.type) } ?? .exact
    }

    /// Whether the values of the source fields are all empty.
    func sourceIsEmpty(_ values: Values) -> Bool {
        sources.allSatisfy { (values[$0] ?? []).isEmpty }
    }

    /// The target values (by target field) that the source values produce. `target` is the
    /// target's current values: a name is split "smartly" against them, and a single value
    /// replaces only the first of a multi-value target's.
    func apply(source: Values, target: Values) -> Projection {
        var result: Values = [:]
        if let unmapped = apply(source: source, target: target, into: &result) { return .unmapped(unmapped) }
        return .values(result)
    }

    /// `apply(source:target:)` writing each target field into `result` (a create builds a
    /// record from every mapping of its way, without a dictionary per mapping); with
    /// `skippingEmpty`, a field without values is left as it is.
    ///
    /// - Returns: a source value the value map does not map, in which case nothing is written.
    @discardableResult
    func apply(source: Values, target: Values, into result: inout Values, skippingEmpty: Bool = false) -> String? {
        func set(_ field: String, _ values: [String]) {
            if !(skippingEmpty && values.isEmpty) { result[field] = values }
        }
        var values: [String] = sources.count == 2
            ? [source[sources[0]]?.first ?? "", source[sources[1]]?.first ?? ""]
            : source[sources[0]] ?? []
        for step in steps {
            switch step {
            case .firstValue: values = Array(values.prefix(1))
            case .formatAsText(let type):
                values = type == .address ? values.map(AddressText.formatted) : values
                values = values.isEmpty ? [] : [values.joined(separator: ", ")]
            case .dateToDatetime: values = values.map { $0.count == 10 ? $0 + "T00:00:00Z" : $0 }
            case .datetimeToDate: values = values.map { String($0.prefix(10)) }
            case .valueMap(let map):
                var mapped: [String] = []
                for value in values {
                    guard let option = map[value] else { return value }
                    mapped.append(option)
                }
                values = mapped
            case .joinName: values = [values.filter { !$0.isEmpty }.joined(separator: " ")]
            case .splitName:
                let split = PersonName.split(values.first ?? "", given: target[targets[0]]?.first ?? "", family: target[targets[1]]?.first ?? "")
                set(targets[0], split.given.isEmpty ? [] : [split.given])
                set(targets[1], split.family.isEmpty ? [] : [split.family])
                return nil
            }
        }
        values = values.contains("") ? values.filter { !$0.isEmpty } : values
        if replacesFirstValue {
            values = replacingFirst(of: target[targets[0]] ?? [], with: values.first)
        }
        set(targets[0], values)
        return nil
    }

    /// A multi-value field's values with `value` as the first: a value already there moves to
    /// the front as the target spells it (nothing is lost), another one takes the first value's
    /// place; `nil` removes the first value.
    private func replacingFirst(of current: [String], with value: String?) -> [String] {
        guard let value else { return Array(current.dropFirst()) }
        if let index = current.firstIndex(where: { targetComparison.equal($0, value) }) {
            var reordered = current
            let own = reordered.remove(at: index)
            return [own] + reordered
        }
        return [value] + current.dropFirst()
    }

    /// Whether the target's values of the mapped fields are what `projected` says.
    func targetHolds(_ projected: Values, in target: Values) -> Bool {
        projected.allSatisfy { targetComparison.equal(target[$0.key] ?? [], $0.value) }
    }
}

/// Addresses as text: a structured address value (an ADR: post office box, extended address,
/// street, locality, region, postal code, country, separated by unescaped `;`) written on one
/// line, street first.
enum AddressText {
    static func formatted(_ address: String) -> String {
        guard address.contains(";") else { return address }
        var parts: [String] = []
        var part = ""
        var escaped = false
        for character in address {
            if escaped {
                part.append(character == "n" || character == "N" ? " " : character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ";" {
                parts.append(part)
                part = ""
            } else {
                part.append(character)
            }
        }
        parts.append(part)
        func component(_ index: Int) -> String { index < parts.count ? parts[index].trimmingCharacters(in: .whitespaces) : "" }
        let place = [component(5), component(3)].filter { !$0.isEmpty }.joined(separator: " ")
        let lines = [component(0), component(1), component(2), place, component(4), component(6)]
        return lines.filter { !$0.isEmpty }.joined(separator: ", ")
    }
}
