#!/usr/bin/env bash
# Times the vCard code of a revision (default: the working tree) in release mode: parsing and
# reading 100,000 generated cards, updating and creating 10,000. Usage:
#   scripts/vcard-benchmark.sh [REVISION] [COUNT]
# It compiles scripts/vcard-benchmark.swift with that revision's AccordModel value types and
# vCard sources into one module (no package build needed), so two revisions compare fairly.
set -euo pipefail
cd "$(dirname "$0")/.."
revision="${1:-}"
count="${2:-100000}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
files=(Sources/AccordModel/PackedFields.swift Sources/AccordModel/FieldNameSet.swift Sources/AccordModel/FieldType.swift
       Sources/AccordModel/String+UTF8Bytes.swift Sources/AccordModel/PersonName.swift Sources/AccordConnectors/ContactConnector.swift
       Sources/AccordConnectors/TimeOrderedUUID.swift)
if [ -n "$revision" ]; then
  for path in $(git ls-tree -r --name-only "$revision" -- Sources/AccordConnectors | grep -E 'AccordConnectors/(VCard/[^/]*|VCard|VCardFields)\.swift$') "${files[@]}"; do
    git show "$revision:$path" > "$work/$(echo "$path" | tr / _)" 2>/dev/null || true
  done
else
  for path in Sources/AccordConnectors/VCard/*.swift "${files[@]}"; do [ -f "$path" ] && cp "$path" "$work/$(echo "$path" | tr / _)"; done
fi
# One module: the imports of the package's own modules go.
sed -i -E '/^import Accord(Model|Diagnostics)$/d' "$work"/*.swift
# The API the benchmark calls, over either revision's.
if grep -q "public struct VCardFields" "$work"/*.swift; then
  cat > "$work/Mapping.swift" <<'SWIFT'
import Foundation

struct Mapping {
    // With VCARD_READING set, records hold only the fields a vcard-dir <-> vcard-dir plan of
    // default mappings uses, as the runner builds the connector.
    let fields: VCardFields = {
        guard ProcessInfo.processInfo.environment["VCARD_READING"] != nil else { return VCardFields() }
        let reading: Set<String> = ["email", "given_name", "family_name", "formatted_name", "tel", "org", "title", "adr", "url", "note", "bday"]
        return VCardFields(reading: reading)
    }()
    func record(_ card: VCard) -> Int { fields.record(card, id: "x", version: nil).segments.count }
    func apply(_ values: [String: [String]], to card: inout VCard) { fields.apply(values, add: [], remove: [], to: &card) }
    func newCard(_ values: [String: [String]]) -> VCard { fields.newCard(uid: "u", fields: values, tags: []) }
}
SWIFT
else
  cat > "$work/Mapping.swift" <<'SWIFT'
struct Mapping {
    func record(_ card: VCard) -> Int { VCardFields.record(card, id: "x", version: nil).segments.count }
    func apply(_ values: [String: [String]], to card: inout VCard) { VCardFields.apply(values, add: [], remove: [], to: &card) }
    func newCard(_ values: [String: [String]]) -> VCard { VCardFields.newCard(uid: "u", fields: values, tags: []) }
}
SWIFT
fi
cp scripts/vcard-benchmark.swift "$work/main.swift"
swiftc -O -wmo -module-name VCardBenchmark "$work"/*.swift -o "$work/benchmark" 2>&1 | grep -v warning | grep -E "error" && exit 1
if [ -n "${KEEP_BENCHMARK:-}" ]; then cp "$work/benchmark" "$KEEP_BENCHMARK"; fi
"$work/benchmark" "$count"
