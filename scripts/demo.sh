#!/usr/bin/env bash
# The demo: syncs a CSV "CRM export" with a vCard address book (connections/demo.yaml), twice.
# Works on copies of connections/demo-data/ in the git-ignored .accord/demo/, so the checkout's
# tracked files never change; each invocation starts again from the sample data.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build --product accord
accord=("$(swift build --show-bin-path)/accord")

rm -rf .accord/demo
mkdir -p .accord/demo
cp -R connections/demo-data/. .accord/demo/
state=(--state .accord/demo/state.sqlite)

echo "== first run: link the contacts both apps have, create the ones the rules let through"
"${accord[@]}" run connections/demo.yaml "${state[@]}"
echo
echo "== second run: everything is already in sync, so nothing is written"
"${accord[@]}" run connections/demo.yaml "${state[@]}"
echo
echo "== health"
"${accord[@]}" health demo "${state[@]}" --limit 3
echo
echo "The synced copies are in .accord/demo/ (crm-export.csv, addressbook/). Edit them and run:"
echo "  $(swift build --show-bin-path | sed "s#^$PWD/##")/accord run connections/demo.yaml --state .accord/demo/state.sqlite --dry-run"
