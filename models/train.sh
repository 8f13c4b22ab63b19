#!/usr/bin/env bash
# Retrains the signal models end to end: `npm run train`.
#   1. models/.venv with the pinned requirements (models/venv.sh)
#   2. the feature matrix from the real candles, with the TypeScript feature code (npm run features)
#   3. models/train.py: walk-forward selection, out-of-time test, ONNX export, manifests, REPORT.md,
#      CURRENT and the parity fixture
# Extra arguments go to models/train.py (e.g. --profile quick).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=$(bash models/venv.sh | tail -n 1)
npm run --silent features -- --out models/data/features
"$PY" -u models/train.py --features models/data/features --promote \
  --report models/REPORT.md --fixture tests/fixtures/model-parity.json "$@"
