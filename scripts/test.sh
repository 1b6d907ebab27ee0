#!/usr/bin/env bash
# Runs accord's whole test suite. Installs what the tests need beyond the Swift toolchain:
# Python's jsonschema and PyYAML, used to check the examples against the editor JSON Schema.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 -c 'import jsonschema, yaml' 2>/dev/null; then
  python3 -m pip install --quiet jsonschema pyyaml
fi
swift build
swift test "$@"
