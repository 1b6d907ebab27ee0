import AccordDiagnostics
import AccordModel
import AccordSyntax

/// Checks IF/THEN rules: conditions against the source app, actions against the target app,
/// literals against field types, undo, two writers on one field and rules that may oscillate.
struct RuleCheck {
    var context: CheckContext
    let a: ResolvedApp
    let b: ResolvedApp
    let direction: SyncDirection
    let mappings: [ResolvedMapping]

    /// What a rule's actions write and its conditions read, for the oscillation check.
    private struct Signal: Hashable {
        var app: Side
        var key: String
    }

    private var writes: [Way: [(signal: Signal, range: SourceRange, description: String)]] = [:]
    private var reads: [Way: [(signal: Signal, range: SourceRange, description: String)]] = [:]

    init(context: CheckContext, a: ResolvedApp, b: ResolvedApp, direction: SyncDirection, mappings: [ResolvedMapping]) {
        self.context = context
        self.a = a
        self.b = b
        self.direction = direction
        self.mappings = mappings
    }

    private func app(_ side: Side) -> ResolvedApp { side == .a ? a : b }

    mutating func check(_ ruleSets: [RuleSetSyntax]) -> [Way: [ResolvedRule]] {
        var result: [Way: [ResolvedRule]] = [:]
        for way in direction.ways {
            result[way] = [ResolvedRule(name: nil, index: nil, predicate: .always, actions: [], undoActions: nil)]
        }
        for ruleSet in ruleSets {
            guard direction.contains(ruleSet.way) else {
                context.report(
                    DiagnosticCatalog.ruleForDisabledDirection,
                    "the connection syncs \(direction) only, so the rules of '\(ruleSet.way.rawValue)' are ignored",
                    at: ruleSet.range)
                continue
            }
            guard !ruleSet.rules.isEmpty else { continue }
            result[ruleSet.way] = ruleSet.rules.enumerated().compactMap { index, rule in
                check(rule, index: index, way: ruleSet.way)
            }
        }
        checkOscillation()
        return result
    }

    private mutating func check(_ rule: RuleSyntax, index: Int, way: Way) -> ResolvedRule? {
        let source = app(way.source), target = app(way.target)
        let predicate = rule.condition.map { condition($0, app: source, way: way) } ?? .always
        var actions: [ResolvedAction] = []
        for syntax in rule.actions {
            if let action = action(syntax, app: target, way: way) { actions.append(action) }
        }
        var undoActions: [ResolvedAction]?
        if rule.undo?.value == true {
            var reversed: [ResolvedAction] = []
            for (syntax, action) in zip(rule.actions, actions) {
                guard let undoName = target.schema.action(named: action.name)?.undo,
                      let undo = target.schema.action(named: undoName)
                else {
                    context.report(
                        DiagnosticCatalog.undoUnavailable,
                        "'undo: true' needs a reverse for every action, but '\(action.name)' of app '\(target.schema.id)' has none",
                        at: syntax.name.range,
                        notes: [Note("undo asked for here", file: context.file, range: rule.undo?.range)])
                    continue
                }
                reversed.append(ResolvedAction(
                    name: undo.name, kind: undo.kind, segment: undo.segment, segmentName: action.segmentName,
                    field: undo.field, value: undo.value.map { .text($0) }))
            }
            undoActions = reversed
        }
        return ResolvedRule(name: rule.name?.value, index: index, predicate: predicate, actions: actions, undoActions: undoActions)
    }

    // MARK: - Conditions

    private mutating func condition(_ syntax: ConditionSyntax, app: ResolvedApp, way: Way) -> RulePredicate {
        switch syntax {
        case .all(let children, let range), .any(let children, let range):
            let isAny: Bool = if case .any = syntax { true } else { false }
            if children.isEmpty {
                context.report(
                    DiagnosticCatalog.emptyConditionGroup,
                    "an empty '\(isAny ? "any" : "all")' group " + (isAny ? "matches no contact" : "matches every contact")
                        + "; remove it or give it conditions",
                    at: range)
            }
            let predicates = children.map { condition($0, app: app, way: way) }
            return isAny ? .any(predicates) : .all(predicates)
        case .named(let name, let argument):
            return named(name, argument: argument, app: app, way: way)
        case .field(let field, let op, let operand):
            guard app.schema.conditions.contains(where: { $0.kind == .field }) else {
                context.report(
                    DiagnosticCatalog.unsupportedCondition,
                    "app '\(app.schema.id)' (\(app.side.rawValue)) does not support field-value conditions; it supports "
                        + conditionList(app),
                    at: field.range)
                return .always
            }
            return fieldCondition(field: field, op: op, operand: operand, app: app, way: way)
        }
    }

    private func conditionList(_ app: ResolvedApp) -> String {
        app.schema.conditions.map { "'\($0.kind == .field ? "field" : $0.name)'" }.joined(separator: ", ")
    }

    private mutating func named(_ name: Located<String>, argument: LiteralSyntax, app: ResolvedApp, way: Way) -> RulePredicate {
        guard let definition = app.schema.condition(named: name.value), definition.kind != .field else {
            let names = app.schema.conditions.map { $0.kind == .field ? "field" : $0.name }
            let suggestion = Suggestions.bestMatch(for: name.value, in: names)
            context.report(
                DiagnosticCatalog.unsupportedCondition,
                "app '\(app.schema.id)' (\(app.side.rawValue)) does not support the condition '\(name.value)'"
                    + (suggestion.map { "; did you mean '\($0)'?" } ?? "; it supports " + conditionList(app)),
                at: name.range,
                fixIts: suggestion.map { [FixIt.replace(name.value, with: $0, at: name.range)] } ?? [])
            return .always
        }
        switch definition.kind {
        case .segment:
            guard let segmentName = segmentArgument(argument, for: name.value) else { return .always }
            let kind = definition.segment ?? "tag"
            reads[way, default: []].append((Signal(app: app.side, key: "\(kind):\(segmentName)"), name.range, "\(kind) '\(segmentName)'"))
            return .inSegment(kind: kind, name: segmentName, negated: definition.negated)
        case .existsInOtherApp:
            guard let flag = boolArgument(argument, for: name.value) else { return .always }
            return .existsInOtherApp(flag)
        case .fieldIs:
            guard let fieldName = definition.field, let field = app.schema.field(named: fieldName) else { return .always }
            reads[way, default: []].append((Signal(app: app.side, key: "field:\(field.name)"), name.range, "field '\(field.name)'"))
            return typed(argument, field: field).map { .field(name: field.name, operator: .equals, value: $0) } ?? .always
        case .field:
            return .always
        }
    }

    private mutating func fieldCondition(
        field fieldName: Located<String>, op: Located<String>, operand: LiteralSyntax, app: ResolvedApp, way: Way
    ) -> RulePredicate {
        guard let field = context.field(fieldName, in: app) else { return .always }
        reads[way, default: []].append((Signal(app: app.side, key: "field:\(field.name)"), fieldName.range, "field '\(field.name)'"))
        let fitting = FieldOperator.operators(for: field.type)
        guard let fieldOperator = FieldOperator(rawValue: op.value), fitting.contains(fieldOperator) else {
            let suggestion = Suggestions.bestMatch(for: op.value, in: fitting.map(\.rawValue))
            let known = FieldOperator(rawValue: op.value) != nil
            context.report(
                DiagnosticCatalog.operatorTypeMismatch,
                (known ? "operator '\(op.value)' does not fit \(field.described)" : "unknown operator '\(op.value)' for \(field.described)")
                    + "; \(field.type.rawValue) fields take " + fitting.map { "'\($0.rawValue)'" }.joined(separator: ", ")
                    + (suggestion.map { "; did you mean '\($0)'?" } ?? ""),
                at: op.range,
                notes: field.site.map { [$0.note("'\(field.name)' declared here as \(field.type.rawValue)")] } ?? [],
                fixIts: suggestion.map { [FixIt.replace(op.value, with: $0, at: op.range)] } ?? [])
            return .always
        }
        if fieldOperator.takesFlag {
            guard let flag = boolArgument(operand, for: op.value) else { return .always }
            let effective: FieldOperator = flag == (fieldOperator == .empty) ? .empty : .notEmpty
            return .field(name: field.name, operator: effective, value: nil)
        }
        if fieldOperator.takesList {
            guard let items = operand.list, !items.isEmpty else {
                context.report(
                    DiagnosticCatalog.invalidLiteral, "'\(op.value)' takes a list of values, such as [a, b]", at: operand.range)
                return .always
            }
            let values = items.compactMap { typed($0, field: field) }
            guard values.count == items.count else { return .always }
            let texts = values.map { value -> String in
                switch value {
                case .text(let s), .number(let s), .date(let s), .datetime(let s), .option(let s): s
                case .boolean(let flag): String(flag)
                case .options(let list): list.joined(separator: ",")
                }
            }
            return .field(name: field.name, operator: fieldOperator, value: .options(texts))
        }
        var literalField = field
        if field.type == .set { literalField.type = .enumeration }
        return typed(operand, field: literalField).map { .field(name: field.name, operator: fieldOperator, value: $0) } ?? .always
    }

    private mutating func typed(_ literal: LiteralSyntax, field: FieldDefinition) -> TypedValue? {
        switch LiteralTyping(file: context.file).value(literal, for: field) {
        case .success(let value): return value
        case .failure(let diagnostic):
            context.report(diagnostic)
            return nil
        }
    }

    private mutating func segmentArgument(_ literal: LiteralSyntax, for name: String) -> String? {
        guard literal.list == nil, !literal.isNull, !literal.text.trimmingCharacters(in: .whitespaces).isEmpty else {
            context.report(DiagnosticCatalog.invalidLiteral, "'\(name)' takes one segment name, such as '\(name): customers'", at: literal.range)
            return nil
        }
        return literal.text
    }

    private mutating func boolArgument(_ literal: LiteralSyntax, for name: String) -> Bool? {
        let flag: Bool? = switch literal.isPlain ? literal.text.lowercased() : "" {
        case "true", "yes", "on": true
        case "false", "no", "off": false
        default: nil
        }
        guard let flag, literal.list == nil else {
            context.report(DiagnosticCatalog.invalidLiteral, "'\(name)' takes true or false, found '\(literal.text)'", at: literal.range)
            return nil
        }
        return flag
    }

    // MARK: - Actions

    private mutating func action(_ syntax: ActionSyntax, app: ResolvedApp, way: Way) -> ResolvedAction? {
        guard let definition = app.schema.action(named: syntax.name.value) else {
            let names = app.schema.actions.map(\.name)
            let suggestion = Suggestions.bestMatch(for: syntax.name.value, in: names)
            context.report(
                DiagnosticCatalog.unsupportedAction,
                "app '\(app.schema.id)' (\(app.side.rawValue)) does not support the action '\(syntax.name.value)'"
                    + (suggestion.map { "; did you mean '\($0)'?" }
                        ?? (names.isEmpty ? "; it supports no actions" : "; it supports " + names.map { "'\($0)'" }.joined(separator: ", "))),
                at: syntax.name.range,
                fixIts: suggestion.map { [FixIt.replace(syntax.name.value, with: $0, at: syntax.name.range)] } ?? [])
            return nil
        }
        var action = ResolvedAction(name: definition.name, kind: definition.kind)
        switch definition.kind {
        case .addToSegment, .removeFromSegment:
            guard let argument = syntax.argument, let segmentName = segmentArgument(argument, for: definition.name) else {
                if syntax.argument == nil {
                    context.report(
                        DiagnosticCatalog.invalidLiteral, "'\(definition.name)' takes a segment name, such as '\(definition.name): customers'",
                        at: syntax.name.range)
                }
                return nil
            }
            action.segment = definition.segment
            action.segmentName = segmentName
            writes[way, default: []].append((
                Signal(app: app.side, key: "\(definition.segment ?? ""):\(segmentName)"), syntax.name.range,
                "\(definition.segment ?? "segment") '\(segmentName)'"))
        case .setFlag:
            if let argument = syntax.argument, boolArgument(argument, for: definition.name) != true { return nil }
            guard let fieldName = definition.field, let field = app.schema.field(named: fieldName) else { return nil }
            action.field = field.name
            action.value = definition.value.flatMap {
                try? LiteralTyping(file: context.file).value(
                    LiteralSyntax(text: $0, isPlain: true, isNull: false, list: nil, range: syntax.range), for: field).get()
            }
            guard checkWrite(field, action: syntax, way: way, app: app) else { return nil }
        case .setField:
            guard let fieldName = syntax.field, let argument = syntax.argument else {
                context.report(
                    DiagnosticCatalog.invalidLiteral, "'\(definition.name)' takes {field: NAME, value: VALUE}", at: syntax.name.range)
                return nil
            }
            guard let field = context.field(fieldName, in: app) else { return nil }
            if field.readOnly {
                context.report(
                    DiagnosticCatalog.unsupportedAction,
                    "'\(definition.name)' cannot write '\(field.name)': it is read-only in app '\(app.schema.id)'",
                    at: fieldName.range, notes: field.site.map { [$0.note("'\(field.name)' declared here")] } ?? [])
                return nil
            }
            guard let value = typed(argument, field: field) else { return nil }
            action.field = field.name
            action.value = value
            guard checkWrite(field, action: syntax, way: way, app: app) else { return nil }
        }
        return action
    }

    /// An action may not write a field that a mapping of the same way writes.
    private mutating func checkWrite(_ field: FieldDefinition, action: ActionSyntax, way: Way, app: ResolvedApp) -> Bool {
        writes[way, default: []].append((Signal(app: app.side, key: "field:\(field.name)"), action.name.range, "field '\(field.name)'"))
        guard let mapping = mappings.first(where: { $0.writes(field.name, way: way) }) else { return true }
        let origin = switch mapping.origin {
        case .standard(let id): "the default mapping '\(id)'"
        case .custom(let index): "custom mapping #\(index + 1)"
        }
        context.report(
            DiagnosticCatalog.actionConflictsWithMapping,
            "action '\(action.name.value)' writes '\(field.name)' in app '\(app.schema.id)', which \(origin) also writes \(way.rawValue)",
            at: action.name.range)
        return false
    }

    // MARK: - Oscillation

    /// An action of one way that changes what a rule of the other way reads can flip a contact
    /// back and forth on every run.
    private mutating func checkOscillation() {
        for way in Way.allCases {
            for write in writes[way] ?? [] {
                guard let read = (reads[way.reversed] ?? []).first(where: { $0.signal == write.signal }) else { continue }
                context.report(
                    DiagnosticCatalog.ruleMayOscillate,
                    "this \(way.rawValue) action changes \(write.description) in app '\(app(write.signal.app).schema.id)', which a \(way.reversed.rawValue) rule filters on; the rules may re-trigger each other",
                    at: write.range,
                    notes: [Note("\(way.reversed.rawValue) rule reads \(read.description) here", file: context.file, range: read.range)])
            }
        }
    }
}
