"""The three learners: XGBoost (primary), LightGBM, and a logistic-regression baseline.

Each learner is fitted once per walk-forward fold; the one setting it chooses (boosting rounds, or the
regularisation C of the logistic regression) is the one with the lowest mean validation log-loss over the
folds. Then it is refitted on the whole development window with that setting. Everything single-threaded
with fixed seeds: the same matrix gives the same trees, byte for byte.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import xgboost as xgb
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

SEED = 42


@dataclass
class Profile:
    """How much work training does. `full` is what `npm run train` runs; `quick` is for smoke tests."""
    name: str
    max_rounds: int
    round_step: int
    logreg_c: list[float]
    blocks: int
    folds: int


PROFILES = {
    "full": Profile("full", max_rounds=400, round_step=10, logreg_c=[0.001, 0.01, 0.1], blocks=6, folds=4),
    "quick": Profile("quick", max_rounds=40, round_step=5, logreg_c=[0.1], blocks=4, folds=2),
}

# Small trees on purpose: the ONNX graphs stay small and a worker loads them in milliseconds.
XGB_PARAMS = dict(
    max_depth=4,
    learning_rate=0.05,
    subsample=0.8,
    colsample_bytree=0.8,
    min_child_weight=20,
    reg_lambda=1.0,
    max_bin=256,
    objective="multi:softprob",
    eval_metric="mlogloss",
    tree_method="hist",
    random_state=SEED,
    # One thread makes every run bit-identical.
    n_jobs=1,
)

LGBM_PARAMS = dict(
    objective="multiclass",
    learning_rate=0.05,
    num_leaves=15,
    min_child_samples=200,
    colsample_bytree=0.8,
    subsample=0.8,
    subsample_freq=1,
    reg_lambda=1.0,
    max_bin=255,
    random_state=SEED,
    n_jobs=1,
    deterministic=True,
    force_col_wise=True,
    verbose=-1,
)


@dataclass
class Selection:
    """What the walk-forward folds chose for one learner, with the evidence."""
    learner: str
    setting: dict
    candidates: list[dict] = field(default_factory=list)  # [{setting, meanLogLoss, perFold: [...]}]


def proba(model, X, **kwargs) -> np.ndarray:
    """predict_proba as float64 rows summing to 1: XGBoost answers float32, whose rows sum to 1 only within
    1e-7, which scikit-learn's log-loss refuses as "not probabilities"."""
    P = np.asarray(model.predict_proba(X, **kwargs), dtype=np.float64)
    return P / P.sum(axis=1, keepdims=True)


class Learner:
    name: str
    label: str

    def fold_curves(self, X_tr, y_tr, X_val, y_val, profile: Profile) -> dict:
        """Validation log-loss per candidate setting for one fold, plus a predictor for any setting."""
        raise NotImplementedError

    def fit_final(self, X, y, setting: dict):
        raise NotImplementedError


class XGBoostLearner(Learner):
    name = "xgboost"
    label = "XGBoost"

    def fold_curves(self, X_tr, y_tr, X_val, y_val, profile):
        model = xgb.XGBClassifier(**XGB_PARAMS, n_estimators=profile.max_rounds)
        model.fit(X_tr, y_tr, eval_set=[(X_val, y_val)], verbose=False)
        curve = model.evals_result()["validation_0"]["mlogloss"]
        settings = list(range(profile.round_step, profile.max_rounds + 1, profile.round_step))
        losses = {r: float(curve[r - 1]) for r in settings}
        return {"losses": losses, "predict": lambda r: proba(model, X_val, iteration_range=(0, r))}

    def fit_final(self, X, y, setting):
        model = xgb.XGBClassifier(**XGB_PARAMS, n_estimators=setting["rounds"])
        model.fit(X, y, verbose=False)
        return model

    @staticmethod
    def setting(key):
        return {"rounds": int(key)}


class LightGBMLearner(Learner):
    name = "lightgbm"
    label = "LightGBM"

    def fold_curves(self, X_tr, y_tr, X_val, y_val, profile):
        model = lgb.LGBMClassifier(**LGBM_PARAMS, n_estimators=profile.max_rounds)
        model.fit(X_tr, y_tr, eval_X=(X_val,), eval_y=(y_val,), eval_metric="multi_logloss")
        curve = model.evals_result_["valid_0"]["multi_logloss"]
        settings = list(range(profile.round_step, profile.max_rounds + 1, profile.round_step))
        losses = {r: float(curve[r - 1]) for r in settings}
        return {"losses": losses, "predict": lambda r: proba(model, X_val, num_iteration=r)}

    def fit_final(self, X, y, setting):
        model = lgb.LGBMClassifier(**LGBM_PARAMS, n_estimators=setting["rounds"])
        model.fit(X, y)
        return model

    @staticmethod
    def setting(key):
        return {"rounds": int(key)}


def logreg_pipeline(c: float) -> Pipeline:
    # Standardised inputs: the features range from fractions of a percent to RSI's 0..100.
    return Pipeline([
        ("scale", StandardScaler()),
        ("logreg", LogisticRegression(C=c, max_iter=1000)),
    ])


class LogisticLearner(Learner):
    name = "logreg"
    label = "Logistic regression"

    def fold_curves(self, X_tr, y_tr, X_val, y_val, profile):
        fitted = {c: logreg_pipeline(c).fit(X_tr, y_tr) for c in profile.logreg_c}
        losses = {c: float(log_loss(y_val, proba(m, X_val), labels=[0, 1, 2])) for c, m in fitted.items()}
        return {"losses": losses, "predict": lambda c: proba(fitted[c], X_val)}

    def fit_final(self, X, y, setting):
        return logreg_pipeline(setting["C"]).fit(X, y)

    @staticmethod
    def setting(key):
        return {"C": float(key)}


LEARNERS: list[Learner] = [XGBoostLearner(), LightGBMLearner(), LogisticLearner()]


def walk_forward(learner: Learner, X, y, folds, profile: Profile, on_fold=None):
    """Fits the learner on every fold; returns the chosen setting and its out-of-fold predictions."""
    per_fold = []
    for i, fold in enumerate(folds):
        curves = learner.fold_curves(X[fold.train], y[fold.train], X[fold.validation], y[fold.validation], profile)
        per_fold.append(curves)
        if on_fold:
            on_fold(i, fold)
    keys = list(per_fold[0]["losses"].keys())
    candidates = []
    for key in keys:
        losses = [f["losses"][key] for f in per_fold]
        candidates.append({"setting": learner.setting(key), "meanLogLoss": float(np.mean(losses)),
                           "perFold": [float(v) for v in losses]})
    # Lowest mean validation log-loss; ties go to the simpler setting (fewer rounds, smaller C), listed first.
    best = min(range(len(keys)), key=lambda k: (round(candidates[k]["meanLogLoss"], 12), k))
    oof = [f["predict"](keys[best]) for f in per_fold]
    selection = Selection(learner=learner.name, setting=candidates[best]["setting"], candidates=candidates)
    return selection, oof
