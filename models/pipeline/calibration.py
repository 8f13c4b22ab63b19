"""Multinomial Platt scaling (a.k.a. matrix scaling): calibrated = softmax(log(p) @ A.T + b).

Fitted on out-of-fold validation predictions, never on the test window. Chosen over isotonic regression
because it keeps the three probabilities a proper distribution without renormalising, and it is four ONNX
operators (Log, MatMul, Add, Softmax), so serving applies it inside the same session call.
"""
from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

# Probabilities are clipped before the log so a tree's hard 0 cannot become -inf (same in ONNX: Clip).
EPS = 1e-6


class PlattCalibrator:
    def __init__(self, coef: np.ndarray | None = None, intercept: np.ndarray | None = None):
        self.coef = coef
        self.intercept = intercept

    def fit(self, P: np.ndarray, y: np.ndarray) -> "PlattCalibrator":
        # Large C: nearly unregularised, 12 parameters fitted on tens of thousands of rows.
        lr = LogisticRegression(C=100.0, max_iter=5000, tol=1e-10)
        lr.fit(np.log(np.clip(P, EPS, 1.0)), y)
        self.coef = lr.coef_.astype(np.float64)
        self.intercept = lr.intercept_.astype(np.float64)
        return self

    def transform(self, P: np.ndarray) -> np.ndarray:
        z = np.log(np.clip(P, EPS, 1.0)) @ self.coef.T + self.intercept
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def to_json(self) -> dict:
        return {
            "method": "multinomial Platt scaling (matrix scaling): softmax(log(clip(p, eps, 1)) @ coef.T + intercept)",
            "eps": EPS,
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
        }

    @classmethod
    def from_json(cls, data: dict) -> "PlattCalibrator":
        return cls(np.asarray(data["coef"], dtype=np.float64), np.asarray(data["intercept"], dtype=np.float64))


def ensemble_weights(oof: dict[str, np.ndarray], y: np.ndarray, step: float = 0.05) -> tuple[dict[str, float], float]:
    """Non-negative weights summing to 1 that minimise the log-loss of the weighted mean of the members'
    out-of-fold probabilities: an exhaustive grid over the simplex, so the result is exact and repeatable."""
    from sklearn.metrics import log_loss
    names = list(oof.keys())
    n = round(1 / step)
    best = None
    for i in range(n + 1):
        for j in range(n + 1 - i):
            w = [i / n, j / n, (n - i - j) / n] if len(names) == 3 else None
            if w is None:
                raise ValueError("ensemble_weights expects three members")
            P = sum(wk * oof[name] for wk, name in zip(w, names))
            loss = float(log_loss(y, P, labels=[0, 1, 2]))
            if best is None or loss < best[1] - 1e-12:
                best = (w, loss)
    return {name: float(wk) for name, wk in zip(names, best[0])}, best[1]
