"""The model registry on disk: <registry>/<version>/ with the served ensemble and its members, and CURRENT.

    <version>/manifest.json                 the served model (kind "ensemble"): what activities/inference.ts reads
    <version>/model.onnx                    ensemble + calibration, one graph
    <version>/REPORT.md                     the out-of-time report of this training run
    <version>/members/<name>/manifest.json  one per learner (kind "member"), its own figures
    <version>/members/<name>/model.onnx     the learner alone, calibrated
    <version>/members/<name>/native.*       the learner in its library's own format (parity and bench)
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import lightgbm as lgb
import numpy as np
import xgboost as xgb
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .calibration import PlattCalibrator
from .export import INPUT_NAME, OUTPUT_NAME
from .util import rounded, sha256_bytes

NATIVE_FILES = {"xgboost": "native.ubj", "lightgbm": "native.txt", "logreg": "native.json"}
MODEL_TYPES = {
    "xgboost": "xgboost.XGBClassifier (multi:softprob)",
    "lightgbm": "lightgbm.LGBMClassifier (multiclass)",
    "logreg": "sklearn Pipeline(StandardScaler, LogisticRegression multinomial)",
}


def write_version(root: Path, date_prefix: str, ensemble, members: dict, natives: dict, ctx: dict, render_report) -> Path:
    ensemble_bytes = ensemble.SerializeToString()
    digest = sha256_bytes(ensemble_bytes)
    version = f"{date_prefix}-{digest[:8]}"
    out = root / version
    if out.exists():
        # The same bytes give the same version: a rerun rewrites the same files.
        shutil.rmtree(out)
    (out / "members").mkdir(parents=True)
    (out / "model.onnx").write_bytes(ensemble_bytes)

    member_entries = []
    for name, model in members.items():
        mdir = out / "members" / name
        mdir.mkdir()
        data = model.SerializeToString()
        (mdir / "model.onnx").write_bytes(data)
        native_file = mdir / NATIVE_FILES[name]
        save_native(name, natives[name], native_file)
        manifest = {
            "version": f"{version}/{name}",
            "kind": "member",
            "partOf": version,
            **common(ctx, "model.onnx", data),
            "model": {
                "type": MODEL_TYPES[name],
                "setting": ctx["selections"][name].setting,
                "params": ctx["params"].get(name, {"C": ctx["selections"][name].setting.get("C")}),
                "native": {"file": native_file.name, "sha256": sha256_bytes(native_file.read_bytes())},
            },
            "calibration": ctx["calibrators"][name].to_json(),
            "ensembleWeight": ctx["weights"][name],
            "metrics": rounded({
                "note": "test = out-of-time window, never used for fitting or choosing anything; calibrated probabilities",
                "test": ctx["test_figures"]["overall"][name],
                "testBySymbol": {s: f[name] for s, f in ctx["test_figures"]["bySymbol"].items()},
                "testReliability": ctx["test_figures"]["reliability"][name],
                "walkForward": [{"fold": f["name"], **f["models"][name]} for f in ctx["fold_figures"]],
            }),
            "parity": {"maxAbsDiffOnnxVsNativeOnTest": ctx["parity"][name]},
        }
        write_json(mdir / "manifest.json", manifest)
        member_entries.append({"name": name, "weight": ctx["weights"][name], "manifest": f"members/{name}/manifest.json",
                               "inServedGraph": ctx["weights"][name] > 0})

    t = ctx["test_figures"]
    manifest = {
        "version": version,
        "kind": "ensemble",
        **common(ctx, "model.onnx", ensemble_bytes),
        "members": member_entries,
        "ensemble": {"method": "weighted mean of the members' raw probabilities, weights chosen on walk-forward "
                               "validation (grid over the simplex, step 0.05), then calibrated",
                     "weights": ctx["weights"], "outOfFoldLogLossBeforeCalibration": ctx["oof_mix_loss"]},
        "calibration": ctx["calibrators"]["ensemble"].to_json(),
        "selection": rounded({name: {"setting": s.setting, "candidates": s.candidates} for name, s in ctx["selections"].items()}),
        "metrics": rounded({
            "note": "test = out-of-time window, never used for fitting or choosing anything. Baselines: majorityClass "
                    "predicts the served models' training window's most common class with its class frequencies as "
                    "probabilities; hindsightMajority the test window's own most common class and frequencies (known "
                    "only in hindsight: the best any constant forecast can do); alwaysLong calls up on every row; "
                    "buyAndHold holds each symbol through the window.",
            "test": {k: t["overall"][k] for k in ("ensemble", "xgboost", "lightgbm", "logreg", "majorityClass",
                                                  "hindsightMajority", "alwaysLong", "buyAndHold")},
            "testBySymbol": t["bySymbol"],
            "testReliability": t["reliability"]["ensemble"],
            "testReliabilityUncalibrated": t["reliabilityUncalibrated"]["ensemble"],
            "testAtMinConfidence": t["atMinConfidence"],
            "walkForward": ctx["fold_figures"],
        }),
        "parity": {"maxAbsDiffOnnxVsNativeOnTest": ctx["parity"]["ensemble"], "tolerance": ctx["parity"]["tolerance"]},
        "training": {
            "script": "models/train.py",
            "profile": ctx["profile"].name,
            "seed": 42,
            "libraries": ctx["libraries"],
        },
    }
    write_json(out / "manifest.json", manifest)
    (out / "REPORT.md").write_text(render_report(ctx, version))
    print(f"wrote {out}", flush=True)
    return out


def common(ctx: dict, onnx_file: str, data: bytes) -> dict:
    d = ctx["data"]
    meta = d.meta
    return {
        "featureNames": meta["featureNames"],
        "classes": meta["classes"],
        "timeframe": meta["timeframe"],
        "minCandles": meta["minCandles"],
        "referenceSymbol": meta["referenceSymbol"],
        "features": {"definition": meta["featureDefinition"], "builder": meta["generatedBy"],
                     "codeSha256": meta["featureCodeSha256"]},
        "label": meta["label"],
        "data": {"slice": meta["slice"], "rows": meta["rows"], "sources": meta["sources"]},
        "windows": ctx["windows_info"],
        "onnx": {
            "file": onnx_file,
            "sha256": sha256_bytes(data),
            "bytes": len(data),
            "input": {"name": INPUT_NAME, "type": "float32", "shape": ["N", len(meta["featureNames"])]},
            # Calibrated probabilities, float32 [N, 3], columns in `classes` order.
            "outputs": {"probabilities": OUTPUT_NAME},
        },
    }


def write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=2) + "\n")


def save_native(name: str, model, path: Path) -> None:
    if name == "xgboost":
        model.save_model(str(path))
    elif name == "lightgbm":
        model.booster_.save_model(str(path))
    elif name == "logreg":
        scale, clf = model.named_steps["scale"], model.named_steps["logreg"]
        path.write_text(json.dumps({
            "C": clf.C, "classes": clf.classes_.tolist(), "mean": scale.mean_.tolist(), "scale": scale.scale_.tolist(),
            "var": scale.var_.tolist(), "coef": clf.coef_.tolist(), "intercept": clf.intercept_.tolist(),
        }) + "\n")


class _Booster:
    """A LightGBM Booster with the predict_proba the other learners have."""
    def __init__(self, booster: lgb.Booster):
        self.booster = booster

    def predict_proba(self, X, **kwargs):
        # One thread, like every other predict here (bench/inference_native.py compares single-threaded).
        return self.booster.predict(X, num_threads=1, **kwargs)


def load_native(name: str, path: Path):
    if name == "xgboost":
        model = xgb.XGBClassifier()
        model.load_model(str(path))
        model.set_params(n_jobs=1)
        return model
    if name == "lightgbm":
        return _Booster(lgb.Booster(model_file=str(path)))
    if name == "logreg":
        p = json.loads(path.read_text())
        scale = StandardScaler()
        scale.mean_, scale.scale_, scale.var_ = (np.asarray(p[k]) for k in ("mean", "scale", "var"))
        scale.n_features_in_ = len(p["mean"])
        clf = LogisticRegression(C=p["C"])
        clf.coef_, clf.intercept_, clf.classes_ = np.asarray(p["coef"]), np.asarray(p["intercept"]), np.asarray(p["classes"])
        clf.n_features_in_ = len(p["mean"])
        return Pipeline([("scale", scale), ("logreg", clf)])
    raise ValueError(f"unknown learner {name}")


def load_ensemble(version_dir: Path):
    """(natives, weights, calibrator) of a version, for native predictions outside training."""
    manifest = json.loads((version_dir / "manifest.json").read_text())
    natives = {}
    for m in manifest["members"]:
        member = json.loads((version_dir / m["manifest"]).read_text())
        natives[m["name"]] = load_native(m["name"], version_dir / "members" / m["name"] / member["model"]["native"]["file"])
    return natives, manifest["ensemble"]["weights"], PlattCalibrator.from_json(manifest["calibration"])
