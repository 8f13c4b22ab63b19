"""The training matrix written by scripts/build-features.ts, and the time windows cut from it.

Python never computes a feature: it reads the float32 matrix the TypeScript feature code wrote, which is
bit for bit what the worker hands onnxruntime at serving time.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CANDLE_MS = 3_600_000


@dataclass
class Matrix:
    X: np.ndarray  # float32 [rows, features]
    symbols: np.ndarray  # str [rows]
    timestamps: np.ndarray  # int64 ms UTC, candle open time [rows]
    close: np.ndarray  # float64 close of the row's candle [rows]
    fwd: np.ndarray  # float64 forward return over the label horizon [rows]
    y: np.ndarray  # int64 class id (index into meta["classes"]) [rows]
    meta: dict

    @property
    def feature_names(self) -> list[str]:
        return self.meta["featureNames"]

    @property
    def classes(self) -> list[str]:
        return self.meta["classes"]

    @property
    def horizon(self) -> int:
        return int(self.meta["label"]["horizonCandles"])


def load_matrix(prefix: str | Path) -> Matrix:
    prefix = str(prefix)
    meta_path = Path(prefix + ".meta.json")
    if not meta_path.exists():
        raise SystemExit(f"{meta_path} not found: build the matrix first with `npm run features -- --out {prefix}`")
    meta = json.loads(meta_path.read_text())
    names, classes = meta["featureNames"], meta["classes"]
    rows_expected = int(meta["matrix"]["rows"])
    X = np.fromfile(prefix + ".f32", dtype="<f4")
    if X.size != rows_expected * len(names):
        raise SystemExit(f"{prefix}.f32 holds {X.size} values, the meta file says {rows_expected} x {len(names)}; rebuild it")
    X = X.reshape(rows_expected, len(names))
    if not np.isfinite(X).all():
        raise SystemExit(f"{prefix}.f32 has non-finite values; the feature builder should have dropped those rows")

    class_id = {c: i for i, c in enumerate(classes)}
    symbols, timestamps, closes, fwd, labels = [], [], [], [], []
    with open(prefix + ".rows.csv", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header != ["symbol", "timestamp", "close", "forward_return", "label"]:
            raise SystemExit(f"{prefix}.rows.csv has columns {header}; rebuild it with npm run features")
        for row in reader:
            symbols.append(row[0])
            timestamps.append(int(row[1]))
            closes.append(float(row[2]))
            fwd.append(float(row[3]))
            labels.append(class_id[row[4]])
    if len(labels) != rows_expected:
        raise SystemExit(f"{prefix}.rows.csv has {len(labels)} rows, the matrix {rows_expected}; rebuild both")
    return Matrix(X=X, symbols=np.asarray(symbols), timestamps=np.asarray(timestamps, dtype=np.int64),
                  close=np.asarray(closes, dtype=np.float64), fwd=np.asarray(fwd, dtype=np.float64), y=np.asarray(labels, dtype=np.int64), meta=meta)


@dataclass
class Fold:
    name: str
    train: np.ndarray  # bool mask
    validation: np.ndarray  # bool mask


@dataclass
class Windows:
    """Development (everything models and choices may see) and the out-of-time test (seen by nothing)."""
    development: np.ndarray
    test: np.ndarray
    folds: list[Fold]
    gap_candles: int
    purge_candles: int
    embargo_candles: int
    boundaries: dict = field(default_factory=dict)


def make_windows(timestamps: np.ndarray, horizon: int, embargo: int, test_fraction: float,
                 blocks: int, folds: int) -> Windows:
    """Walk-forward windows on the one time axis all symbols share.

    - test: the last `test_fraction` of time. Development: everything before it, minus a gap.
    - The gap before every window a model is judged on (each validation block, and the test) is
      `horizon` candles of purge, because a row's label looks `horizon` candles ahead and would otherwise
      overlap the window, plus `embargo` candles, because features look back days and neighbouring hours
      are strongly correlated. So no training label overlaps a window it is judged on.
    - Development is cut into `blocks` equal stretches of time; fold k validates on one of the last `folds`
      blocks and trains on everything before it (expanding window), never on anything after it.
    """
    gap_ms = (horizon + embargo) * CANDLE_MS
    times = np.unique(timestamps)
    test_start = int(times[int(len(times) * (1 - test_fraction))])
    test = timestamps >= test_start
    development = timestamps < test_start - gap_ms
    dev_times = np.unique(timestamps[development])
    if len(dev_times) < blocks * 24:
        raise SystemExit(f"only {len(dev_times)} development hours: too little data for {blocks} walk-forward blocks")
    starts = [int(dev_times[int(len(dev_times) * b / blocks)]) for b in range(blocks)]
    ends = starts[1:] + [int(dev_times[-1]) + 1]
    out = []
    for b in range(blocks - folds, blocks):
        validation = development & (timestamps >= starts[b]) & (timestamps < ends[b])
        train = development & (timestamps < starts[b] - gap_ms)
        out.append(Fold(name=f"fold {len(out) + 1}", train=train, validation=validation))
    return Windows(development=development, test=test, folds=out, gap_candles=horizon + embargo,
                   purge_candles=horizon, embargo_candles=embargo,
                   boundaries={"testStart": test_start, "blockStarts": starts})


def window_info(mask: np.ndarray, timestamps: np.ndarray, y: np.ndarray, classes: list[str]) -> dict:
    from .util import iso
    ts = timestamps[mask]
    counts = np.bincount(y[mask], minlength=len(classes))
    return {
        "from": iso(int(ts.min())),
        "to": iso(int(ts.max())),
        "rows": int(mask.sum()),
        "labelCounts": {c: int(n) for c, n in zip(classes, counts)},
    }
