"""Train the signal models, measure them honestly out of time, export the served ensemble to ONNX.

Run through `npm run train` (models/train.sh builds the feature matrix with the TypeScript feature code
first). Directly:
    models/.venv/bin/python models/train.py --features models/data/features [--promote] [--report models/REPORT.md]
        [--fixture tests/fixtures/model-parity.json] [--registry models/signal-xgb] [--profile full|quick]

Protocol (models/README.md has the why):
1. Time windows on the one time axis all symbols share: the last 20% of time is the out-of-time TEST window,
   used for nothing but the figures; everything before it (minus a purge + embargo gap) is DEVELOPMENT.
2. Walk-forward cross-validation inside development: expanding training windows, each followed by a gap
   and a validation block. It chooses each learner's setting (boosting rounds, C) and the ensemble weights
   from out-of-fold validation predictions.
3. The served models are the last fold's: trained on everything before the last validation block (minus
   the gap) with the chosen settings; that block, which they never saw, fits their Platt calibration. Then,
   once, everything is scored on the test window beside the baselines.
4. Export: each learner calibrated on its own, and the ensemble as one ONNX graph; a manifest per model;
   the parity fixture; REPORT.md. The version is <last data day>-<sha256 prefix of the ensemble ONNX>.
Deterministic: fixed seeds, one thread, fixed ONNX names. The same matrix gives byte-identical models.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

import lightgbm as lgb
import numpy as np
import onnx
import onnxmltools
import onnxruntime as ort
import sklearn
import xgboost as xgb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline import metrics as M  # noqa: E402
from pipeline.calibration import PlattCalibrator, ensemble_weights  # noqa: E402
from pipeline.data import load_matrix, make_windows, window_info  # noqa: E402
from pipeline.export import INPUT_NAME, OUTPUT_NAME, compose, convert_member  # noqa: E402
from pipeline.learners import LEARNERS, LGBM_PARAMS, PROFILES, SEED, XGB_PARAMS, proba, walk_forward  # noqa: E402
from pipeline.registry import write_version  # noqa: E402
from pipeline.report import render_report  # noqa: E402
from pipeline.util import day, rounded, stage  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REGISTRY = REPO_ROOT / "models" / "signal-xgb"
TEST_FRACTION = 0.20
EMBARGO_CANDLES = 24
PARITY_ROWS_PER_SYMBOL = 3
# Serving requires ONNX and the native libraries to agree this closely (the parity test's bound).
PARITY_TOLERANCE = 1e-5
# The risk config's default minConfidence at the time of training, for the coverage figure only.
MIN_CONFIDENCE = 0.45


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--features", required=True, help="matrix prefix written by npm run features (--out)")
    p.add_argument("--registry", default=str(DEFAULT_REGISTRY), help="model registry root (versions + CURRENT)")
    p.add_argument("--profile", choices=sorted(PROFILES), default="full")
    p.add_argument("--promote", action="store_true", help="write CURRENT = the new version")
    p.add_argument("--report", help="also copy the version's REPORT.md here")
    p.add_argument("--fixture", help="write the TypeScript parity fixture here")
    return p.parse_args()


def main() -> None:
    args = parse_args()
    np.random.seed(SEED)
    profile = PROFILES[args.profile]
    stage(f"loading {args.features}")
    data = load_matrix(args.features)
    classes, names = data.classes, data.feature_names
    windows = make_windows(data.timestamps, data.horizon, EMBARGO_CANDLES, TEST_FRACTION, profile.blocks, profile.folds)
    dev, test = windows.development, windows.test
    print(f"rows: development {dev.sum()}, test {test.sum()}, dropped in the gap {len(data.y) - dev.sum() - test.sum()}; "
          f"{len(windows.folds)} walk-forward folds; {len(names)} features", flush=True)

    # ---- 2. walk-forward: settings, out-of-fold predictions
    y_oof = np.concatenate([data.y[f.validation] for f in windows.folds])
    selections, oof = {}, {}
    for learner in LEARNERS:
        stage(f"walk-forward {learner.label}")
        sel, per_fold = walk_forward(learner, data.X, data.y, windows.folds, profile,
                                     on_fold=lambda i, f, l=learner: stage(f"{l.label} {f.name} done"))
        selections[learner.name] = sel
        oof[learner.name] = np.concatenate(per_fold)
        print(f"  {learner.label}: chose {sel.setting}", flush=True)
    weights, oof_mix_loss = ensemble_weights(oof, y_oof)
    print(f"  ensemble weights {weights} (out-of-fold log-loss {oof_mix_loss:.5f})", flush=True)
    oof_mix = sum(weights[n] * oof[n] for n in oof)
    fold_figures = fold_table(windows.folds, data, oof, oof_mix, weights)

    # ---- 3. the served models: refitted on the LAST fold's training window with the chosen settings, so the
    # last validation block is unseen by them and can calibrate exactly the models that will be served
    # (calibrating on older folds' weaker models made the final, sharper ones overconfident).
    last = windows.folds[-1]
    n_last = int(last.validation.sum())
    y_cal = data.y[last.validation]
    natives, cal_raw = {}, {}
    for learner in LEARNERS:
        stage(f"final fit {learner.label}")
        natives[learner.name] = learner.fit_final(data.X[last.train], data.y[last.train], selections[learner.name].setting)
        cal_raw[learner.name] = proba(natives[learner.name], data.X[last.validation])
        # Same data, same seed, same setting: the refit must reproduce the fold's own predictions.
        drift = float(np.abs(cal_raw[learner.name] - oof[learner.name][-n_last:]).max())
        if drift > 1e-6:
            raise SystemExit(f"{learner.label}: refit differs from its walk-forward fit by {drift}; training is not deterministic")
    cal_raw["ensemble"] = sum(weights[n] * cal_raw[n] for n in natives)
    calibrators = {name: PlattCalibrator().fit(P, y_cal) for name, P in cal_raw.items()}

    stage("scoring the out-of-time test window")
    X_test, y_test = data.X[test], data.y[test]
    raw = {name: proba(model, X_test) for name, model in natives.items()}
    raw["ensemble"] = sum(weights[n] * raw[n] for n in natives)
    calibrated = {name: calibrators[name].transform(P) for name, P in raw.items()}
    prior = np.bincount(data.y[last.train], minlength=3) / last.train.sum()
    test_figures = evaluate_test(data, test, calibrated, raw, prior)

    # ---- 4. export
    stage("exporting ONNX")
    served = [n for n in natives if weights[n] > 0]
    member_onnx = {n: convert_member(n, natives[n], len(names)) for n in natives}
    member_models = {n: compose([(n, member_onnx[n], 1.0)], calibrators[n], f"signal_{n}", len(names)) for n in natives}
    ensemble_model = compose([(n, member_onnx[n], weights[n]) for n in served], calibrators["ensemble"],
                             "signal_ensemble", len(names))
    parity = {"tolerance": PARITY_TOLERANCE}
    onnx_test = {}
    for name, model in [*member_models.items(), ("ensemble", ensemble_model)]:
        session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        onnx_test[name] = session.run([OUTPUT_NAME], {INPUT_NAME: X_test})[0]
        parity[name] = float(np.abs(onnx_test[name] - calibrated[name]).max())
    print(f"  ONNX vs native on the test window, max |dp|: {json.dumps(rounded(parity, 9))}", flush=True)

    test_end = int(data.timestamps.max())
    context = dict(
        data=data, windows=windows, profile=profile, selections=selections, weights=weights, calibrators=calibrators,
        oof_mix_loss=oof_mix_loss, fold_figures=fold_figures, test_figures=test_figures, parity=parity,
        libraries={"xgboost": xgb.__version__, "lightgbm": lgb.__version__, "scikit-learn": sklearn.__version__,
                   "onnxmltools": onnxmltools.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__,
                   "numpy": np.__version__},
        params={"xgboost": XGB_PARAMS, "lightgbm": LGBM_PARAMS},
        windows_info=windows_summary(data, windows, last),
        min_confidence=MIN_CONFIDENCE, test_fraction=TEST_FRACTION,
    )
    version_dir = write_version(Path(args.registry), f"{day(test_end).replace('-', '')}", ensemble_model, member_models,
                                natives, context, render_report)
    version = version_dir.name

    fixture_rows = pick_fixture_rows(data, test)
    fixture_worst = max(float(np.abs(onnx_test["ensemble"][k] - calibrated["ensemble"][k]).max()) for k in fixture_rows)
    if fixture_worst > PARITY_TOLERANCE:
        raise SystemExit(f"ONNX and native ensemble differ by {fixture_worst} on the fixture rows (> {PARITY_TOLERANCE})")
    if args.fixture:
        write_fixture(Path(args.fixture), version, data, test, fixture_rows, onnx_test["ensemble"], calibrated["ensemble"])
    if args.report:
        shutil.copyfile(version_dir / "REPORT.md", args.report)
        print(f"wrote {args.report}", flush=True)
    if args.promote:
        current = Path(args.registry) / "CURRENT"
        tmp = current.with_suffix(".tmp")
        tmp.write_text(version + "\n")
        os.replace(tmp, current)
        print(f"CURRENT = {version}", flush=True)

    t = test_figures["overall"]
    summary = {
        "version": version,
        "dir": str(version_dir),
        "profile": profile.name,
        "testWindow": context["windows_info"]["test"],
        "developmentWindow": context["windows_info"]["development"],
        "weights": weights,
        "test": {k: {m: t[k][m] for m in ("accuracy", "logLoss", "brier", "buyPrecision", "rocAucUp")} for k in
                 ("ensemble", "xgboost", "lightgbm", "logreg", "majorityClass", "hindsightMajority")},
    }
    print("RESULT " + json.dumps(rounded(summary)), flush=True)


def fold_table(folds, data, oof, oof_mix, weights):
    """Per fold, each learner's validation log-loss and accuracy at its chosen setting (raw probabilities)."""
    from sklearn.metrics import log_loss
    rows, start = [], 0
    for fold in folds:
        n = int(fold.validation.sum())
        y = data.y[fold.validation]
        entry = {"name": fold.name, "train": window_info(fold.train, data.timestamps, data.y, data.classes),
                 "validation": window_info(fold.validation, data.timestamps, data.y, data.classes), "models": {}}
        for name, P in [*oof.items(), ("ensemble", oof_mix)]:
            part = P[start:start + n]
            entry["models"][name] = {"logLoss": float(log_loss(y, part, labels=[0, 1, 2])),
                                     "accuracy": float((part.argmax(axis=1) == y).mean())}
        prior = np.bincount(data.y[fold.train], minlength=3) / fold.train.sum()
        entry["models"]["majorityClass"] = {
            "logLoss": float(log_loss(y, np.tile(prior, (n, 1)), labels=[0, 1, 2])),
            "accuracy": float((y == prior.argmax()).mean())}
        rows.append(entry)
        start += n
    return rows


def evaluate_test(data, test, calibrated, raw, prior):
    """Every model and baseline on the test window: overall and per symbol, classification and trading."""
    y, sym, ts, fwd, close = data.y[test], data.symbols[test], data.timestamps[test], data.fwd[test], data.close[test]
    horizon = data.horizon
    majority = int(prior.argmax())
    predictions = {name: (P, P.argmax(axis=1)) for name, P in calibrated.items()}
    predictions["majorityClass"] = (np.tile(prior, (len(y), 1)), np.full(len(y), majority))
    predictions["alwaysLong"] = (None, np.full(len(y), M.UP))

    def figures(mask):
        preds = dict(predictions)
        # Hindsight: the most common class of exactly these rows, their class frequencies as probabilities. No
        # constant forecast can do better; it flatters the baseline, which is the point of showing it.
        freq = np.bincount(y[mask], minlength=3) / mask.sum()
        preds["hindsightMajority"] = (np.tile(freq, (len(y), 1)), np.full(len(y), int(freq.argmax())))
        out = {}
        for name, (P, pred) in preds.items():
            out[name] = M.classification(None if P is None else P[mask], pred[mask], y[mask])
            trades = M.traded_alone(sym[mask], ts[mask], fwd[mask], pred[mask] == M.UP, horizon)
            out[name]["tradedAlone"] = M.mean_return(trades)
            out[name]["trades"] = int(sum(v["trades"] for v in trades.values()))
            out[name]["exposure"] = float(np.mean([v["exposure"] for v in trades.values()]))
        out["hindsightMajority"]["class"] = data.classes[int(freq.argmax())]
        out["majorityClass"]["class"] = data.classes[majority]
        hold = M.buy_and_hold(sym[mask], ts[mask], close[mask], fwd[mask])
        out["buyAndHold"] = {"tradedAlone": M.mean_return(hold), "trades": len(hold), "exposure": 1.0}
        return out

    everything = np.ones(len(y), dtype=bool)
    by_symbol = {s: figures(sym == s) for s in sorted(set(sym.tolist()))}
    conf = calibrated["ensemble"].max(axis=1)
    gated = conf >= MIN_CONFIDENCE
    return {
        "overall": figures(everything),
        "bySymbol": by_symbol,
        "reliability": {name: M.reliability(P, y) for name, P in calibrated.items()},
        "reliabilityUncalibrated": {"ensemble": M.reliability(raw["ensemble"], y)},
        "eceUncalibrated": {name: M.expected_calibration_error(P, y) for name, P in raw.items()},
        "classShares": {c: float((y == k).mean()) for k, c in enumerate(data.classes)},
        "predictedShares": {c: float((calibrated["ensemble"].argmax(axis=1) == k).mean()) for k, c in enumerate(data.classes)},
        "atMinConfidence": {
            "minConfidence": MIN_CONFIDENCE,
            "coverage": float(gated.mean()),
            "accuracy": float((calibrated["ensemble"].argmax(axis=1)[gated] == y[gated]).mean()) if gated.any() else None,
            "buyCalls": int((gated & (calibrated["ensemble"].argmax(axis=1) == M.UP)).sum()),
        },
    }


def windows_summary(data, windows, last):
    info = lambda m: window_info(m, data.timestamps, data.y, data.classes)  # noqa: E731
    return {
        "development": info(windows.development),
        # The served models' training window, and the block that fitted their calibration.
        "training": info(last.train),
        "calibration": info(last.validation),
        "test": info(windows.test),
        "purgeCandles": windows.purge_candles,
        "embargoCandles": windows.embargo_candles,
        "folds": [{"name": f.name, "train": info(f.train), "validation": info(f.validation)} for f in windows.folds],
    }


def pick_fixture_rows(data, test) -> list[int]:
    """Evenly spaced test rows of every symbol (positions within the test window)."""
    sym = data.symbols[test]
    picks = []
    for s in sorted(set(sym.tolist())):
        idx = np.where(sym == s)[0]
        picks += [int(idx[k]) for k in np.linspace(0, len(idx) - 1, PARITY_ROWS_PER_SYMBOL).round().astype(int)]
    return picks


def write_fixture(path: Path, version, data, test, picks, onnx_probs, native_probs) -> None:
    X, sym, ts = data.X[test], data.symbols[test], data.timestamps[test]
    rows = [{
        "symbol": str(sym[k]),
        "asOf": int(ts[k]),
        # float32 values written as their exact decimal: a Float32Array in Node gets the very same input.
        "values": [float(v) for v in X[k]],
        "onnx": {c: float(p) for c, p in zip(data.classes, onnx_probs[k])},
        "native": {c: float(p) for c, p in zip(data.classes, native_probs[k])},
    } for k in picks]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "modelVersion": version,
        "producedBy": f"models/train.py: python onnxruntime {ort.__version__} (onnx) and xgboost/lightgbm/scikit-learn "
                      "predict_proba with the same weights and calibration (native)",
        "featureNames": data.feature_names,
        "classes": data.classes,
        "rows": rows,
    }, indent=1) + "\n")
    print(f"wrote {path} ({len(rows)} rows)", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", str(SEED))
    main()
