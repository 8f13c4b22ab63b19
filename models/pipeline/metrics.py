"""Out-of-time figures: classification quality, calibration, and the signal traded alone with fees.

BUY is the model's `up` call (argmax = up): the portfolio buys on it. Trading is long-only spot, like the
paper broker: a position is opened on a BUY, held while BUY repeats, closed otherwise.
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import log_loss, roc_auc_score

UP, FLAT, DOWN = 2, 1, 0
# Paper broker defaults (domain/config.ts): 0.1% fee and 5 bps slippage on each side of a trade.
FEE_RATE = 0.001
SLIPPAGE = 0.0005
COST_PER_SIDE = FEE_RATE + SLIPPAGE
RELIABILITY_BINS = [0.0, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 1.0]


def classification(P: np.ndarray | None, pred: np.ndarray, y: np.ndarray) -> dict:
    """Figures for one set of predictions. P may be None for a hard-label baseline (no probabilities)."""
    buy = pred == UP
    out = {
        "rows": int(len(y)),
        "accuracy": float((pred == y).mean()),
        "buyCount": int(buy.sum()),
        "buyPrecision": float((y[buy] == UP).mean()) if buy.any() else None,
    }
    if P is None:
        out.update({"rocAucUp": None, "rocAucMacro": None, "brier": brier(one_hot(pred), y), "logLoss": None, "ece": None})
        return out
    out.update({
        "rocAucUp": auc(y == UP, P[:, UP]),
        "rocAucMacro": macro_auc(P, y),
        "brier": brier(P, y),
        "logLoss": float(log_loss(y, P, labels=[0, 1, 2])),
        "ece": expected_calibration_error(P, y),
    })
    return out


def one_hot(pred: np.ndarray) -> np.ndarray:
    P = np.zeros((len(pred), 3))
    P[np.arange(len(pred)), pred] = 1.0
    return P


def brier(P: np.ndarray, y: np.ndarray) -> float:
    """Multi-class Brier score: mean over rows of the squared distance to the one-hot truth (0 best, 2 worst)."""
    return float(((P - one_hot(y)) ** 2).sum(axis=1).mean())


def auc(positive: np.ndarray, score: np.ndarray):
    if positive.all() or not positive.any():
        return None
    return float(roc_auc_score(positive, score))


def macro_auc(P: np.ndarray, y: np.ndarray):
    values = [auc(y == k, P[:, k]) for k in range(3)]
    return None if any(v is None for v in values) else float(np.mean(values))


def reliability(P: np.ndarray, y: np.ndarray) -> list[dict]:
    """Confidence (probability of the chosen class) against how often that class was right, by band."""
    conf = P.max(axis=1)
    hit = P.argmax(axis=1) == y
    rows = []
    for lo, hi in zip(RELIABILITY_BINS[:-1], RELIABILITY_BINS[1:]):
        band = (conf >= lo) & ((conf < hi) if hi < 1.0 else (conf <= hi))
        rows.append({
            "from": lo, "to": hi, "count": int(band.sum()),
            "meanConfidence": float(conf[band].mean()) if band.any() else None,
            "hitRate": float(hit[band].mean()) if band.any() else None,
        })
    return rows


def expected_calibration_error(P: np.ndarray, y: np.ndarray) -> float:
    """Row-weighted mean |hit rate - mean confidence| over the reliability bands."""
    total = len(y)
    return float(sum(r["count"] / total * abs(r["hitRate"] - r["meanConfidence"])
                     for r in reliability(P, y) if r["count"] > 0))


def traded_alone(symbols, timestamps, fwd, buy, horizon: int, candle_ms: int = 3_600_000) -> dict:
    """The BUY calls traded alone, per symbol, with costs.

    Decisions every `horizon` hours (rows whose open time is a multiple of horizon hours, UTC), so holding
    periods do not overlap: on BUY, hold for the next `horizon` candles (the label's forward return); a position
    still called BUY stays open without new costs; any other call closes it. Each entry and exit pays
    COST_PER_SIDE. A missing decision row (a data gap) closes the position. Equity compounds.
    """
    step = horizon * candle_ms
    out = {}
    for symbol in sorted(set(symbols.tolist())):
        idx = np.where((symbols == symbol) & (timestamps % step == 0))[0]
        idx = idx[np.argsort(timestamps[idx], kind="stable")]
        equity, in_pos, trades, held, prev_t = 1.0, False, 0, 0, None
        for i in idx:
            t = int(timestamps[i])
            if in_pos and prev_t is not None and t - prev_t != step:
                equity *= 1 - COST_PER_SIDE
                in_pos = False
            if buy[i]:
                if not in_pos:
                    equity *= 1 - COST_PER_SIDE
                    in_pos = True
                    trades += 1
                equity *= 1 + fwd[i]
                held += 1
            elif in_pos:
                equity *= 1 - COST_PER_SIDE
                in_pos = False
            prev_t = t
        if in_pos:
            equity *= 1 - COST_PER_SIDE
        out[symbol] = {"return": float(equity - 1), "trades": trades,
                       "exposure": float(held / len(idx)) if len(idx) else 0.0, "decisions": int(len(idx))}
    return out


def mean_return(per_symbol: dict) -> float:
    """Equal-weight mean over symbols: one equal slice of capital per symbol."""
    return float(np.mean([v["return"] for v in per_symbol.values()]))


def buy_and_hold(symbols, timestamps, close, fwd) -> dict:
    """Buy at the first row's close, sell at the close `horizon` candles after the last row, one round trip
    of costs: what holding the coin through the whole window returned."""
    out = {}
    for symbol in sorted(set(symbols.tolist())):
        idx = np.where(symbols == symbol)[0]
        first = idx[np.argmin(timestamps[idx])]
        last = idx[np.argmax(timestamps[idx])]
        gross = close[last] * (1 + fwd[last]) / close[first]
        out[symbol] = {"return": float(gross * (1 - COST_PER_SIDE) ** 2 - 1), "trades": 1}
    return out
