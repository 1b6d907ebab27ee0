#!/usr/bin/env bash
# Runs accord's benchmarks in release mode and prints their tables.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product accord-benchmark >/dev/null
.build/release/accord-benchmark "$@"
