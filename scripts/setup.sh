#!/usr/bin/env bash
# Installs what accord needs beyond the Swift toolchain, when missing:
# - libsqlite3-dev and libcurl4-openssl-dev (Debian), for the state store (GRDB on the system
#   SQLite) and the HTTP stack (libcurl);
# - Python's jsonschema and PyYAML, with which the tests check the examples against the JSON Schema;
# - Radicale and Xandikos, the CardDAV servers the carddav connector is tested against.
set -euo pipefail
if ! dpkg -s libsqlite3-dev libcurl4-openssl-dev >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq libsqlite3-dev libcurl4-openssl-dev
fi
if ! python3 -c 'import jsonschema, yaml' 2>/dev/null; then
  python3 -m pip install --quiet jsonschema pyyaml
fi
if ! python3 -c 'import radicale, xandikos' 2>/dev/null; then
  python3 -m pip install --quiet radicale xandikos
fi
