import AccordChecker
import AccordModel
import AccordPlan
import Foundation

/// The plan stage: lowers a checked connection into a ``SyncPlan`` with a deterministic order
/// and a fingerprint.
public enum Planner {
    public static func plan(_ connection: CheckedConnection) -> SyncPlan {
        var plan = SyncPlan(
            format_version: SyncPlan.currentFormatVersion,
            fingerprint: "",
            connection: connection.name,
            description: connection.description,
            paused: connection.paused,
            direction: connection.direction,
            winner: connection.winner,
            options: SyncPlan.Options(
                avoid_duplicates: connection.avoidDuplicates,
                match_key: connection.avoidDuplicates ? "email" : nil,
                sync_deletions: connection.syncDeletions.map(marker),
                sync_unsubscribes: connection.syncUnsubscribes.map(marker)),
            apps: connection.apps.map { app(connection, $0) },
            mappings: connection.mappings.map(mapping),
            rules: connection.rules.mapValues { $0.map(rule) },
            safety: connection.safety)
        plan.fingerprint = plan.computedFingerprint
        return plan
    }

    // MARK: - Lowering

    private static func marker(_ option: MarkerOption) -> SyncPlan.MarkerOption {
        SyncPlan.MarkerOption(
            marker: option.marker,
            ways: option.ways.map { SyncPlan.MarkedWay(way: $0, marker_kind: option.markerKinds[$0] ?? "tag") })
    }

    private static func app(_ connection: CheckedConnection, _ app: ResolvedApp) -> SyncPlan.App {
        var used = Set(connection.mappings.flatMap { $0.fields(app.side).map(\.name) })
        for (way, rules) in connection.rules {
            for rule in rules {
                if way.source == app.side { used.formUnion(fieldNames(rule.predicate)) }
                if way.target == app.side {
                    used.formUnion(rule.actions.compactMap(\.field))
                    used.formUnion((rule.undoActions ?? []).compactMap(\.field))
                }
            }
        }
        let fields = app.schema.fields(for: app.contactType).filter { used.contains($0.name) }.map { field in
            SyncPlan.Field(
                name: field.name, type: field.type, multi_value: field.multiValue, read_only: field.readOnly,
                required: field.required, custom: field.isCustom, options: field.options.isEmpty ? nil : field.options)
        }
        func parameters(_ list: [ResolvedParameter]) -> [String: SyncPlan.Parameter] {
            Dictionary(uniqueKeysWithValues: list.map { parameter in
                switch parameter {
                case .literal(let name, let value): (name, SyncPlan.Parameter(value: value))
                case .environment(let name, let variable): (name, SyncPlan.Parameter(env: variable))
                case .file(let name, let path): (name, SyncPlan.Parameter(file: path))
                case .fieldMap(let name, let entries): (name, SyncPlan.Parameter(entries: entries))
                }
            })
        }
        return SyncPlan.App(
            side: app.side, app: app.schema.id, contact_type: app.contactType,
            subset: app.subset.map { SyncPlan.Subset(kind: $0.kind, name: $0.name) },
            auth: parameters(app.auth), settings: parameters(app.settings),
            limits: SyncPlan.Limits(
                batch_size: app.schema.limits.batchSize, concurrency: app.schema.limits.concurrency,
                requests_per_second: app.schema.limits.requestsPerSecond),
            fields: fields.sorted { $0.name < $1.name }, marker_kind: app.schema.marker?.kind)
    }

    private static func fieldNames(_ predicate: RulePredicate) -> [String] {
        switch predicate {
        case .all(let children), .any(let children): children.flatMap(fieldNames)
        case .field(let name, _, _): [name]
        case .inSegment, .existsInOtherApp: []
        }
    }

    private static func mapping(_ mapping: ResolvedMapping) -> SyncPlan.Mapping {
        let id = switch mapping.origin {
        case .standard(let id): "default:\(id)"
        case .custom(let index): "custom:\(index + 1)"
        }
        return SyncPlan.Mapping(
            id: id, a: mapping.a.map(\.name), b: mapping.b.map(\.name), direction: mapping.direction,
            transforms: mapping.transforms.mapValues { $0.map(transform) })
    }

    private static func transform(_ transform: Transform) -> SyncPlan.Transform {
        switch transform {
        case .identity: SyncPlan.Transform(kind: .identity)
        case .formatAsText(let type): SyncPlan.Transform(kind: .formatAsText, from_type: type)
        case .firstValue: SyncPlan.Transform(kind: .firstValue)
        case .dateToDatetime: SyncPlan.Transform(kind: .dateToDatetime)
        case .datetimeToDate: SyncPlan.Transform(kind: .datetimeToDate)
        case .valueMap(let values): SyncPlan.Transform(kind: .valueMap, values: values)
        case .joinName: SyncPlan.Transform(kind: .joinName)
        case .splitName: SyncPlan.Transform(kind: .splitName)
        }
    }

    private static func rule(_ rule: ResolvedRule) -> SyncPlan.Rule {
        SyncPlan.Rule(
            name: rule.name, index: rule.index.map { $0 + 1 }, predicate: predicate(simplify(rule.predicate)),
            actions: rule.actions.map(action), undo: rule.undoActions?.map(action))
    }

    /// Flattens nested groups of the same kind and unwraps single-child groups, so equivalent
    /// rules lower to the same tree (and the same fingerprint).
    static func simplify(_ predicate: RulePredicate) -> RulePredicate {
        switch predicate {
        case .all(let children):
            let flat = children.map(simplify).flatMap { child -> [RulePredicate] in
                if case .all(let inner) = child { return inner }
                return [child]
            }
            return flat.count == 1 ? flat[0] : .all(flat)
        case .any(let children):
            let flat = children.map(simplify).flatMap { child -> [RulePredicate] in
                if case .any(let inner) = child { return inner }
                return [child]
            }
            return flat.count == 1 ? flat[0] : .any(flat)
        default:
            return predicate
        }
    }

    private static func predicate(_ predicate: RulePredicate) -> SyncPlan.PredicateNode {
        switch predicate {
        case .all(let children): SyncPlan.PredicateNode(all: children.map(self.predicate))
        case .any(let children): SyncPlan.PredicateNode(any: children.map(self.predicate))
        case .inSegment(let kind, let name, let negated):
            SyncPlan.PredicateNode(segment: SyncPlan.SegmentTest(kind: kind, name: name, negated: negated))
        case .field(let name, let op, let value):
            SyncPlan.PredicateNode(field: SyncPlan.FieldTest(name: name, operator: op, value: value.map(self.value)))
        case .existsInOtherApp(let flag): SyncPlan.PredicateNode(existsInOtherApp: flag)
        }
    }

    private static func value(_ value: TypedValue) -> SyncPlan.Value {
        switch value {
        case .text(let s): SyncPlan.Value(type: .text, value: s)
        case .number(let s): SyncPlan.Value(type: .number, value: s)
        case .date(let s): SyncPlan.Value(type: .date, value: s)
        case .datetime(let s): SyncPlan.Value(type: .datetime, value: s)
        case .boolean(let flag): SyncPlan.Value(type: .boolean, value: String(flag))
        case .option(let s): SyncPlan.Value(type: .option, value: s)
        case .options(let list): SyncPlan.Value(type: .list, values: list)
        }
    }

    private static func action(_ action: ResolvedAction) -> SyncPlan.Action {
        SyncPlan.Action(
            action: action.name, kind: action.kind, segment: action.segment, name: action.segmentName,
            field: action.field, value: action.value.map(value))
    }
}
