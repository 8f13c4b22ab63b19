#!/usr/bin/env bash
# Retrains the signal model end to end: `npm run train`.
#   1. models/.venv with the pinned requirements (created on first run, refreshed when requirements change)
#   2. the feature matrix from the real candles (npm run features)
#   3. models/train.py: fit, held-out evaluation, ONNX export, manifest, CURRENT, parity fixture
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=models/.venv
PYTHON=${PYTHON:-python3}
if [ ! -x "$VENV/bin/python" ]; then
  echo "creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi
# Reinstalling only when requirements.txt changed keeps a retrain fast and offline-friendly.
STAMP="$VENV/.requirements.sha256"
WANT=$(sha256sum models/requirements.txt | cut -d' ' -f1)
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r models/requirements.txt
  echo "$WANT" > "$STAMP"
fi

npm run --silent features -- --out models/data/features.csv
"$VENV/bin/python" models/train.py --features models/data/features.csv "$@"
