"""Train the signal model (XGBoost, down/flat/up) and export it to ONNX for activities/inference.ts.

Run through `npm run train` (models/train.sh), which builds the feature matrix first. Directly:
    models/.venv/bin/python models/train.py --features models/data/features.csv

Honesty rules this script follows:
- Time-ordered split: train on the earliest ~70% of time, early-stop on the next ~10%, and report figures on
  the last ~20% only, which is never used for fitting or for choosing anything.
- Between windows, the last `horizon` candles before a boundary are dropped (purged): their labels look
  into the next window, so keeping them would leak future prices into training.
- Every figure is printed beside a baseline that uses no features (majority class, class priors).
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import os
import random
import sys
from pathlib import Path

import numpy as np
import onnxmltools
import onnxruntime as ort
import xgboost as xgb
from onnxmltools.convert.common.data_types import FloatTensorType
from sklearn.metrics import accuracy_score, confusion_matrix, log_loss, precision_recall_fscore_support

REPO_ROOT = Path(__file__).resolve().parent.parent
MODEL_ROOT = REPO_ROOT / "models" / "signal-xgb"
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "model-parity.json"
SEED = 42
CANDLE_MS = 3_600_000
TRAIN_FRACTION = 0.70
VALIDATION_FRACTION = 0.10
# Small on purpose: the ONNX file stays well under 3 MB and one worker loads it in milliseconds.
PARAMS = dict(
    n_estimators=300,
    max_depth=4,
    learning_rate=0.05,
    subsample=0.8,
    colsample_bytree=0.8,
    min_child_weight=20,
    reg_lambda=1.0,
    objective="multi:softprob",
    eval_metric="mlogloss",
    tree_method="hist",
    random_state=SEED,
    # One thread makes every run bit-identical; 2 cores would save seconds, not minutes.
    n_jobs=1,
)
EARLY_STOPPING_ROUNDS = 30
INPUT_NAME = "features"
PARITY_ROWS = 20


def iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc).isoformat().replace("+00:00", "Z")


def load_matrix(path: Path, feature_names: list[str], classes: list[str]):
    with path.open(newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        expected = ["symbol", "timestamp", *feature_names, "forward_return", "label"]
        if header != expected:
            sys.exit(f"{path}: columns {header} differ from the meta file's {expected}; rebuild with npm run features")
        symbols, timestamps, features, fwd, labels = [], [], [], [], []
        class_id = {c: i for i, c in enumerate(classes)}
        for row in reader:
            symbols.append(row[0])
            timestamps.append(int(row[1]))
            features.append([float(x) for x in row[2:-2]])
            fwd.append(float(row[-2]))
            labels.append(class_id[row[-1]])
    # The model is served float32 (ONNX input), so it is trained on exactly the values it will see.
    X = np.asarray(features, dtype=np.float64).astype(np.float32)
    if not np.isfinite(X).all():
        sys.exit(f"{path}: non-finite feature values; the feature builder should have dropped those rows")
    return np.asarray(symbols), np.asarray(timestamps, dtype=np.int64), X, np.asarray(fwd), np.asarray(labels)


def time_windows(timestamps: np.ndarray, horizon: int):
    """Boundaries on the shared time axis (all symbols cover the same hours), with purges before each one."""
    times = np.unique(timestamps)
    val_start = int(times[int(len(times) * TRAIN_FRACTION)])
    test_start = int(times[int(len(times) * (TRAIN_FRACTION + VALIDATION_FRACTION))])
    purge = horizon * CANDLE_MS
    train = timestamps < val_start - purge
    val = (timestamps >= val_start) & (timestamps < test_start - purge)
    test = timestamps >= test_start
    return train, val, test


def window_info(mask: np.ndarray, timestamps: np.ndarray, labels: np.ndarray, classes: list[str]) -> dict:
    ts = timestamps[mask]
    counts = np.bincount(labels[mask], minlength=len(classes))
    return {
        "from": iso(int(ts.min())),
        "to": iso(int(ts.max())),
        "rows": int(mask.sum()),
        "labelCounts": {c: int(n) for c, n in zip(classes, counts)},
    }


def evaluate(proba: np.ndarray, y: np.ndarray, fwd: np.ndarray, prior: np.ndarray, train_majority: int,
             classes: list[str], symbols: np.ndarray, min_confidence: float) -> dict:
    pred = proba.argmax(axis=1)
    labels = list(range(len(classes)))
    precision, recall, _, support = precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    hindsight_majority = int(np.bincount(y, minlength=len(classes)).argmax())
    confident = proba.max(axis=1) >= min_confidence
    return {
        "rows": int(len(y)),
        "accuracy": float(accuracy_score(y, pred)),
        "logLoss": float(log_loss(y, proba, labels=labels)),
        "perClass": {
            c: {"precision": float(precision[i]), "recall": float(recall[i]), "support": int(support[i]),
                "predicted": int((pred == i).sum())}
            for i, c in enumerate(classes)
        },
        "confusionMatrix": {"rowsAreTrue_colsArePredicted": classes,
                            "counts": confusion_matrix(y, pred, labels=labels).tolist()},
        "baselines": {
            "majorityClassFromTrain": {"class": classes[train_majority],
                                       "accuracy": float((y == train_majority).mean())},
            # Knows the test set's most common class in hindsight: an upper bound for any constant guess.
            "majorityClassOfTest": {"class": classes[hindsight_majority],
                                    "accuracy": float((y == hindsight_majority).mean())},
            "trainClassPriorsLogLoss": float(log_loss(y, np.tile(prior, (len(y), 1)), labels=labels)),
            # The test set's own class frequencies in hindsight: the best log-loss any constant forecast gets.
            "testClassFrequenciesLogLoss": float(log_loss(
                y, np.tile(np.bincount(y, minlength=len(classes)) / len(y), (len(y), 1)), labels=labels)),
        },
        "atMinConfidence": {
            "minConfidence": min_confidence,
            "coverage": float(confident.mean()),
            "accuracy": float((pred[confident] == y[confident]).mean()) if confident.any() else None,
        },
        # What a trader would act on: confident up/down calls, their hit rate and realised return before costs.
        "directionalCallsAtMinConfidence": {
            c: directional_calls(pred == i, confident, y == i, fwd) for i, c in enumerate(classes) if c != "flat"
        },
        # Average realised forward return (before costs) of the rows the model called each way.
        "meanForwardReturnByPrediction": {
            c: (float(fwd[pred == i].mean()) if (pred == i).any() else None) for i, c in enumerate(classes)
        },
        "meanForwardReturnAll": float(fwd.mean()),
        # Per symbol, beside the share of that symbol's most common class (a quiet market is mostly `flat`).
        "accuracyBySymbol": {
            s: {"accuracy": float((pred[symbols == s] == y[symbols == s]).mean()),
                "majorityOfTestAccuracy": float(np.bincount(y[symbols == s], minlength=len(classes)).max()
                                                / (symbols == s).sum())}
            for s in sorted(set(symbols.tolist()))
        },
    }


def directional_calls(called: np.ndarray, confident: np.ndarray, right: np.ndarray, fwd: np.ndarray) -> dict:
    taken = called & confident
    return {
        "count": int(taken.sum()),
        "precision": float(right[taken].mean()) if taken.any() else None,
        "meanForwardReturn": float(fwd[taken].mean()) if taken.any() else None,
    }


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", default=str(REPO_ROOT / "models" / "data" / "features.csv"))
    parser.add_argument("--min-confidence", type=float, default=0.45,
                        help="the risk config's default minConfidence, for the coverage figure")
    args = parser.parse_args()

    random.seed(SEED)
    np.random.seed(SEED)
    features_path = Path(args.features).resolve()
    meta_path = features_path.with_suffix(".meta.json")
    meta = json.loads(meta_path.read_text())
    feature_names, classes = meta["featureNames"], meta["classes"]
    horizon = int(meta["label"]["horizonCandles"])

    symbols, timestamps, X, fwd, y = load_matrix(features_path, feature_names, classes)
    train, val, test = time_windows(timestamps, horizon)
    print(f"rows: train {train.sum()}, validation {val.sum()}, test {test.sum()} "
          f"(purged {len(y) - train.sum() - val.sum() - test.sum()})")

    search = xgb.XGBClassifier(**PARAMS, early_stopping_rounds=EARLY_STOPPING_ROUNDS)
    search.fit(X[train], y[train], eval_set=[(X[val], y[val])], verbose=False)
    n_trees_per_class = int(search.best_iteration) + 1
    print(f"early stopping: best iteration {search.best_iteration} "
          f"(validation mlogloss {search.best_score:.5f})")

    # Refit with exactly the chosen number of rounds so the exported model holds no trees past the best
    # iteration (the ONNX converter exports every tree). Same data and seed, so the trees are identical.
    model = xgb.XGBClassifier(**{**PARAMS, "n_estimators": n_trees_per_class})
    model.fit(X[train], y[train], verbose=False)
    same = np.abs(model.predict_proba(X[val]) - search.predict_proba(X[val], iteration_range=(0, n_trees_per_class))).max()
    if same > 1e-6:
        sys.exit(f"refit differs from the early-stopped model by {same}; training is not deterministic")

    prior = np.bincount(y[train], minlength=len(classes)) / train.sum()
    train_majority = int(prior.argmax())
    test_metrics = evaluate(model.predict_proba(X[test]), y[test], fwd[test], prior, train_majority, classes,
                            symbols[test], args.min_confidence)
    val_metrics = evaluate(model.predict_proba(X[val]), y[val], fwd[val], prior, train_majority, classes,
                           symbols[val], args.min_confidence)

    # A fixed graph name: the converter otherwise picks a random one, and identical models would hash differently.
    onnx_model = onnxmltools.convert_xgboost(
        model, name="signal_xgb", initial_types=[(INPUT_NAME, FloatTensorType([None, len(feature_names)]))])
    onnx_bytes = onnx_model.SerializeToString()
    digest = sha256_bytes(onnx_bytes)
    output_names = [o.name for o in onnx_model.graph.output]
    if output_names != ["label", "probabilities"]:
        sys.exit(f"unexpected ONNX outputs {output_names}; update the manifest's onnx section and inference.ts")

    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    onnx_test = session.run(["probabilities"], {INPUT_NAME: X[test]})[0]
    onnx_vs_xgb = float(np.abs(onnx_test - model.predict_proba(X[test])).max())
    print(f"ONNX vs XGBoost on the test window: max |dp| = {onnx_vs_xgb:.2e}")

    created = dt.datetime.now(dt.timezone.utc)
    version = f"{created:%Y%m%d}-{digest[:8]}"
    out_dir = MODEL_ROOT / version
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "model.onnx").write_bytes(onnx_bytes)

    manifest = {
        "version": version,
        "createdAt": created.isoformat().replace("+00:00", "Z"),
        "model": {
            "type": "xgboost.XGBClassifier",
            "params": PARAMS,
            "earlyStoppingRounds": EARLY_STOPPING_ROUNDS,
            "treesPerClass": n_trees_per_class,
            "libraries": {"xgboost": xgb.__version__, "onnxmltools": onnxmltools.__version__,
                          "onnxruntime": ort.__version__, "numpy": np.__version__},
        },
        "onnx": {
            "file": "model.onnx",
            "sha256": digest,
            "bytes": len(onnx_bytes),
            "input": {"name": INPUT_NAME, "type": "float32", "shape": ["N", len(feature_names)]},
            # onnxmltools emits both: `label` (int64 [N], argmax class id) and `probabilities` (float32 [N, 3],
            # columns in `classes` order). inference.ts reads `probabilities` only.
            "outputs": {"label": "label", "probabilities": "probabilities"},
            "maxAbsDiffVsXgboostOnTest": onnx_vs_xgb,
        },
        "featureNames": feature_names,
        "classes": classes,
        "label": meta["label"],
        "data": {"timeframe": meta["timeframe"], "sources": meta["sources"], "featureBuilder": meta["generatedBy"]},
        "windows": {
            "purgeCandlesBeforeEachBoundary": horizon,
            "train": window_info(train, timestamps, y, classes),
            "validation": window_info(val, timestamps, y, classes),
            "test": window_info(test, timestamps, y, classes),
        },
        "metrics": {
            "note": "test = held-out out-of-time window, never used for fitting or early stopping; "
                    "validation was used for early stopping, so its figures are optimistic",
            "test": test_metrics,
            "validation": val_metrics,
        },
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (MODEL_ROOT / "CURRENT").write_text(version + "\n")

    write_parity_fixture(session, version, feature_names, classes, symbols[test], timestamps[test], X[test])

    t = test_metrics
    print(json.dumps({
        "version": version,
        "onnxBytes": len(onnx_bytes),
        "test": {"from": manifest["windows"]["test"]["from"], "to": manifest["windows"]["test"]["to"],
                 "rows": t["rows"], "accuracy": round(t["accuracy"], 4),
                 "majorityFromTrainAccuracy": round(t["baselines"]["majorityClassFromTrain"]["accuracy"], 4),
                 "majorityOfTestAccuracy": round(t["baselines"]["majorityClassOfTest"]["accuracy"], 4),
                 "logLoss": round(t["logLoss"], 4),
                 "priorLogLoss": round(t["baselines"]["trainClassPriorsLogLoss"], 4),
                 "testFrequenciesLogLoss": round(t["baselines"]["testClassFrequenciesLogLoss"], 4),
                 "perClass": {c: {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()}
                              for c, m in t["perClass"].items()},
                 "atMinConfidence": t["atMinConfidence"],
                 "directionalCallsAtMinConfidence": t["directionalCallsAtMinConfidence"],
                 "meanForwardReturnByPrediction": t["meanForwardReturnByPrediction"],
                 "meanForwardReturnAll": t["meanForwardReturnAll"]},
    }, indent=2))
    print(f"wrote {out_dir.relative_to(REPO_ROOT)}/model.onnx, manifest.json; CURRENT = {version}")


def write_parity_fixture(session, version, feature_names, classes, symbols, timestamps, X) -> None:
    """Evenly spaced rows of the test window with onnxruntime's (python) probabilities, for the TS parity test."""
    picks = np.linspace(0, len(X) - 1, PARITY_ROWS).round().astype(int)
    proba = session.run(["probabilities"], {INPUT_NAME: X[picks]})[0]
    rows = [{
        "symbol": str(symbols[i]),
        "asOf": int(timestamps[i]),
        # float32 values written as their exact decimal: Float32Array in Node gets the very same input.
        "values": [float(v) for v in X[i]],
        "probabilities": {c: float(p) for c, p in zip(classes, proba[k])},
    } for k, i in enumerate(picks)]
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps({
        "modelVersion": version,
        "producedBy": f"models/train.py with onnxruntime {ort.__version__} (python)",
        "featureNames": feature_names,
        "classes": classes,
        "rows": rows,
    }, indent=2) + "\n")
    print(f"wrote {FIXTURE.relative_to(REPO_ROOT)} ({len(rows)} rows)")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", str(SEED))
    main()
