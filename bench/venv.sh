#!/usr/bin/env bash
# Creates bench/.venv with the pinned bench/requirements.txt (backtesting.py), or refreshes it when the requirements
# changed. With --freqtrade it also installs bench/requirements-freqtrade.txt (freqtrade, large: bench only, not CI).
# Used by tests/unit/backtest/parity.test.ts (CI runs it once, .ci/run) and by `npm run bench:backtest`.
# Prints the venv's python on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=bench/.venv
PYTHON=${PYTHON:-python3}
FILES=(bench/requirements.txt)
if [ "${1:-}" = "--freqtrade" ]; then FILES+=(bench/requirements-freqtrade.txt); fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "creating $VENV with $($PYTHON --version)" >&2
  "$PYTHON" -m venv "$VENV"
fi
# One stamp per requirements file: reinstalling only when a file changed keeps the test and the bench offline-friendly.
# Both files are always installed in one pip call so the shared pins (numpy, pandas, ...) are resolved together.
stale=0
for f in "${FILES[@]}"; do
  stamp="$VENV/.$(basename "$f").sha256"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(sha256sum "$f" | cut -d' ' -f1)" ] || stale=1
done
if [ "$stale" = 1 ]; then
  echo "installing ${FILES[*]} into $VENV" >&2
  args=()
  for f in "${FILES[@]}"; do args+=(-r "$f"); done
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --prefer-binary "${args[@]}" >&2
  for f in "${FILES[@]}"; do sha256sum "$f" | cut -d' ' -f1 > "$VENV/.$(basename "$f").sha256"; done
fi
echo "$PWD/$VENV/bin/python"
