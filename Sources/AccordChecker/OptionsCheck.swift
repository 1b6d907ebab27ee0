import AccordDiagnostics
import AccordModel
import AccordSyntax

extension CheckContext {
    /// Warns about fields the target requires that no mapping or action of a way fills.
    mutating func checkRequiredFields(
        apps: [ResolvedApp], direction: SyncDirection, mappings: [ResolvedMapping], rules: [Way: [ResolvedRule]],
        syntax: ConnectionSyntax
    ) {
        for way in direction.ways {
            let target = apps[way.target == .a ? 0 : 1]
            let actionFields = Set((rules[way] ?? []).flatMap(\.actions).compactMap(\.field))
            for field in target.schema.fields(for: target.contactType) where field.required && !field.readOnly {
                let filled = mappings.contains { $0.writes(field.name, way: way) } || actionFields.contains(field.name)
                guard !filled else { continue }
                report(
                    DiagnosticCatalog.requiredFieldUnfilled,
                    "app '\(target.schema.id)' requires '\(field.name)' on new \(target.contactType), but no \(way.rawValue) mapping or action fills it; such contacts will fail to sync",
                    at: syntax.app(target.side)?.app?.range,
                    notes: field.site.map { [$0.note("'\(field.name)' declared required here")] } ?? [])
            }
        }
    }

    /// Checks `sync_deletions` / `sync_unsubscribes`: the event must be detectable in the source
    /// and a marker writable in the target of at least one way the connection syncs.
    mutating func markerOption(
        _ syntax: MarkerOptionSyntax?, apps: [ResolvedApp], direction: SyncDirection, defaultMarker: String,
        detects: KeyPath<EventSupport, Bool>, code: DiagnosticCode, event: String
    ) -> MarkerOption? {
        guard let syntax, syntax.enabled else { return nil }
        var ways: [Way] = []
        var kinds: [Way: String] = [:]
        var reasons: [String] = []
        for way in Way.allCases {
            let source = apps[way.source == .a ? 0 : 1], target = apps[way.target == .a ? 0 : 1]
            if !direction.contains(way) {
                reasons.append("\(way.rawValue): the connection does not sync this way")
            } else if !source.schema.events[keyPath: detects] {
                reasons.append("\(way.rawValue): app '\(source.schema.id)' cannot detect \(event)")
            } else if let marker = target.schema.marker {
                ways.append(way)
                kinds[way] = marker.kind
            } else {
                reasons.append("\(way.rawValue): app '\(target.schema.id)' cannot write a marker")
            }
        }
        guard !ways.isEmpty else {
            report(
                code, "sync \(event) is on, but no direction of this connection supports it: " + reasons.joined(separator: "; "),
                at: syntax.range)
            return nil
        }
        return MarkerOption(marker: syntax.marker?.value ?? defaultMarker, ways: ways, markerKinds: kinds)
    }
}
