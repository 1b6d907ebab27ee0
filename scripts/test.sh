#!/usr/bin/env bash
# Runs accord's whole test suite, after installing what it needs (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build
swift test "$@"
