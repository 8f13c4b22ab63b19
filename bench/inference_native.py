"""Python side of `npm run bench:inference`: the served model's native predict on the rows bench/inference.ts wrote.

    models/.venv/bin/python bench/inference_native.py --version-dir DIR --rows FILE --features F --batch B --seconds S

Native = each library's own predict_proba (XGBoost, LightGBM, scikit-learn) combined with the manifest's weights
and calibration, i.e. the same ensemble the ONNX graph holds. One thread everywhere, like the worker's session.
Prints one JSON line: rows/s, and the first rows' probabilities so the caller can check both sides ran the same model.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

# Before numpy and the libraries load: one thread, like the worker's onnxruntime session.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))
from pipeline.export import native_ensemble  # noqa: E402
from pipeline.registry import load_ensemble  # noqa: E402


def rows_per_second(fn, X: np.ndarray, batch: int, seconds: float) -> float:
    """Median over 5 rounds of rows scored per second, each round at least seconds/5 long."""
    n = len(X)
    fn(X[:batch])  # warm-up
    rates = []
    for _ in range(5):
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 5:
            for i in range(0, n, batch):
                fn(X[i:i + batch])
            done += n
        rates.append(done / (time.perf_counter() - start))
    return float(np.median(rates))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--version-dir", required=True)
    p.add_argument("--rows", required=True)
    p.add_argument("--features", type=int, required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--seconds", type=float, default=5.0)
    args = p.parse_args()
    X = np.fromfile(args.rows, dtype="<f4").reshape(-1, args.features)
    natives, weights, calibrator = load_ensemble(Path(args.version_dir))
    served = {n: m for n, m in natives.items() if weights[n] > 0}
    ensemble = lambda b: native_ensemble(served, weights, calibrator, b)  # noqa: E731
    P = ensemble(X)
    print(json.dumps({
        "rows": len(X),
        "batch": args.batch,
        "ensembleRowsPerSecond": rows_per_second(ensemble, X, args.batch, args.seconds),
        # The first rows' probabilities, so the bench can check both sides score the same model.
        "firstProbabilities": P[:50].tolist(),
    }))


if __name__ == "__main__":
    main()
