#!/usr/bin/env bash
# Creates models/.venv with the pinned models/requirements.txt, or refreshes it when the requirements changed.
# Used by `npm run train` (models/train.sh) and by the training activity; CI runs it once (.ci/run).
# Prints the venv's python on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=models/.venv
PYTHON=${PYTHON:-python3}
if [ ! -x "$VENV/bin/python" ]; then
  echo "creating $VENV with $($PYTHON --version)" >&2
  "$PYTHON" -m venv "$VENV"
fi
# Reinstalling only when requirements.txt changed keeps a retrain fast and offline-friendly.
STAMP="$VENV/.requirements.sha256"
WANT=$(sha256sum models/requirements.txt | cut -d' ' -f1)
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "installing models/requirements.txt into $VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r models/requirements.txt >&2
  echo "$WANT" > "$STAMP"
fi
echo "$PWD/$VENV/bin/python"
