"""REPORT.md: every figure of a training run, the models beside the baselines, on the out-of-time window.

Generated, never edited by hand: `npm run train` writes it (models/REPORT.md for the committed version,
<version>/REPORT.md for every version). The sentences under "Reading the figures" are computed from the
figures too, so they cannot go stale when a retrain changes them.
"""
from __future__ import annotations

from . import metrics as M

MODELS = [("ensemble", "Ensemble (served)"), ("xgboost", "XGBoost"), ("lightgbm", "LightGBM"),
          ("logreg", "Logistic regression")]
BASELINES = [("majorityClass", "Majority class"), ("hindsightMajority", "Most common class, in hindsight"),
             ("alwaysLong", "Always long"), ("buyAndHold", "Buy and hold")]


def pct(v, digits=1):
    return "–" if v is None else f"{100 * v:.{digits}f}%"


def num(v, digits=3):
    return "–" if v is None else f"{v:.{digits}f}"


def signed_pct(v, digits=1):
    return "–" if v is None else f"{100 * v:+.{digits}f}%"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def render_report(ctx: dict, version: str) -> str:
    data, w, t = ctx["data"], ctx["windows_info"], ctx["test_figures"]
    meta = data.meta
    label = meta["label"]
    sel = ctx["selections"]
    weights = ctx["weights"]
    out = []
    out.append(f"# Signal model report: version `{version}`\n")
    out.append(
        "Written by `npm run train` (models/train.py); do not edit. Unless a heading says otherwise, every figure is "
        f"measured on the **out-of-time test window {w['test']['from'][:10]} → {w['test']['to'][:10]}** "
        f"({w['test']['rows']:,} rows), which no model, setting, weight or calibration was fitted or chosen on. "
        f"Training profile: `{ctx['profile'].name}`.\n")

    out.append("## Data and protocol\n")
    syms = ", ".join(s["symbol"] for s in meta["sources"])
    out.append(f"- **Data**: Binance spot {meta['timeframe']} candles of {syms}, read from `../shared/data/ohlcv`; "
               f"{meta['rows']:,} rows with every feature and a label.")
    out.append(f"- **Features**: {len(meta['featureNames'])} per row, computed by the TypeScript code the worker "
               f"serves (`{meta['featureDefinition']}`, code sha256 `{meta['featureCodeSha256'][:12]}…`); each row "
               f"needs the last {meta['minCandles']} candles, and for other coins {meta['referenceSymbol']}'s.")
    out.append(f"- **Label**: {label['definition']} Threshold: {label['thresholdRationale']}.")
    out.append(f"- **Windows**: development {w['development']['from'][:10]} → {w['development']['to'][:10]} "
               f"({w['development']['rows']:,} rows); a gap of {w['purgeCandles']} candles (purge: a label looks "
               f"{w['purgeCandles']} candles ahead) + {w['embargoCandles']} candles (embargo); test "
               f"{w['test']['from'][:10]} → {w['test']['to'][:10]} ({w['test']['rows']:,} rows), the last "
               f"{int(100 * ctx['test_fraction'])}% of time.")
    out.append(f"- **Walk-forward**: {len(w['folds'])} folds; each trains on everything before its validation block "
               "minus the same gap (expanding window) and never on anything after it.\n")
    out.append(table(["fold", "train", "validation"], [
        [f["name"], f"{f['train']['from'][:10]} → {f['train']['to'][:10]} ({f['train']['rows']:,})",
         f"{f['validation']['from'][:10]} → {f['validation']['to'][:10]} ({f['validation']['rows']:,})"]
        for f in w["folds"]]) + "\n")
    out.append("- **Chosen on validation** (lowest mean out-of-fold log-loss): "
               f"XGBoost {sel['xgboost'].setting['rounds']} rounds, LightGBM {sel['lightgbm'].setting['rounds']} rounds, "
               f"logistic regression C = {sel['logreg'].setting['C']}; ensemble weights "
               + ", ".join(f"{n} {weights[n]:.2f}" for n in weights)
               + ".")
    out.append(f"- **Served models**: the last fold's, trained on {w['training']['from'][:10]} → {w['training']['to'][:10]} "
               f"({w['training']['rows']:,} rows) with those settings; the last validation block "
               f"({w['calibration']['from'][:10]} → {w['calibration']['to'][:10]}), which they never saw, fits their "
               "multinomial Platt calibration (per model and for the ensemble). What the worker serves is the ensemble: "
               "one ONNX graph, members, weights and calibration together.\n")

    out.append("## Walk-forward validation\n")
    out.append("Log-loss / accuracy of each model on each validation block, uncalibrated, at the chosen setting. "
               "These blocks chose the settings, so they flatter the models a little; the test window below does not.\n")
    names = ["xgboost", "lightgbm", "logreg", "ensemble", "majorityClass"]
    out.append(table(["fold", "XGBoost", "LightGBM", "Logistic", "Ensemble", "Majority class"], [
        [f["name"]] + [f"{num(f['models'][n]['logLoss'])} / {pct(f['models'][n]['accuracy'])}" for n in names]
        for f in ctx["fold_figures"]]) + "\n")

    out.append("## Out-of-time test, all symbols\n")
    o = t["overall"]
    out.append(
        f"BUY = the model's `up` call. *Traded alone*: each symbol on its own, a decision every {data.horizon} hours, "
        f"long while the call is BUY, costs {100 * M.COST_PER_SIDE:.2f}% per side ({100 * M.FEE_RATE:.1f}% fee + "
        f"{100 * M.SLIPPAGE:.2f}% slippage, the paper broker's defaults); mean of the symbols' returns over the window. "
        f"Majority class predicts the most common class of the served models' training window (`{o['majorityClass']['class']}`) "
        "with that window's class frequencies as probabilities. *Most common class, in hindsight* predicts the test "
        f"window's own most common class (`{o['hindsightMajority']['class']}`; per symbol, that symbol's) with the test "
        "window's frequencies: nobody could know them in advance, and no constant forecast does better, so it is the "
        "stricter bar. Always long calls `up` on every row; buy and hold buys each symbol at the start and sells at the end.\n")
    rows = []
    for key, title in MODELS + BASELINES:
        f = o[key]
        if key == "buyAndHold":
            rows.append([title, "–", "–", "–", "–", "–", "–", signed_pct(f["tradedAlone"]), str(f["trades"]), pct(f["exposure"], 0)])
            continue
        rows.append([title, pct(f["accuracy"]), f"{pct(f['buyPrecision'])} ({f['buyCount']:,})", num(f["rocAucUp"]),
                     num(f["brier"]), num(f["logLoss"]), num(f["ece"]), signed_pct(f["tradedAlone"]), f"{f['trades']:,}",
                     pct(f["exposure"], 0)])
    out.append(table(["model", "accuracy", "BUY precision (calls)", "ROC AUC up", "Brier", "log-loss", "calibration error",
                      "traded alone", "trades", "time in market"], rows) + "\n")
    shares = t["classShares"]
    out.append(f"Test window class shares: " + ", ".join(f"{c} {pct(v)}" for c, v in shares.items())
               + "; the served model calls " + ", ".join(f"{c} {pct(v)}" for c, v in t["predictedShares"].items()) + ".\n")

    out.append("## Calibration on the test window\n")
    out.append("Confidence = the calibrated probability of the class the model chose (what `Signal.confidence` carries); "
               "hit rate = how often that class was the label. Calibrated means the two columns agree.\n")
    cal, raw = t["reliability"]["ensemble"], t["reliabilityUncalibrated"]["ensemble"]
    out.append(table(["confidence", "rows", "mean confidence", "hit rate", "uncalibrated: rows", "mean confidence", "hit rate"], [
        [f"{a['from']:.2f}–{a['to']:.2f}", f"{a['count']:,}", pct(a["meanConfidence"]), pct(a["hitRate"]),
         f"{b['count']:,}", pct(b["meanConfidence"]), pct(b["hitRate"])] for a, b in zip(cal, raw)]) + "\n")
    out.append(table(["model", "calibration error, calibrated", "uncalibrated"], [
        [title, num(o[key]["ece"]), num(t["eceUncalibrated"][key])] for key, title in MODELS]) + "\n")
    g = t["atMinConfidence"]
    out.append(f"At confidence ≥ {g['minConfidence']} (the risk configuration's default minimum when this ran): "
               f"{pct(g['coverage'])} of rows, {pct(g['accuracy'])} right, {g['buyCalls']:,} BUY calls.\n")

    out.append("## Per symbol\n")
    for symbol, figs in t["bySymbol"].items():
        out.append(f"### {symbol}\n")
        rows = []
        for key, title in MODELS + BASELINES:
            f = figs[key]
            if key == "buyAndHold":
                rows.append([title, "–", "–", "–", "–", signed_pct(f["tradedAlone"]), str(f["trades"])])
                continue
            rows.append([title, pct(f["accuracy"]), f"{pct(f['buyPrecision'])} ({f['buyCount']:,})", num(f["rocAucUp"]),
                         num(f["brier"]), signed_pct(f["tradedAlone"]), f"{f['trades']:,}"])
        out.append(table(["model", "accuracy", "BUY precision (calls)", "ROC AUC up", "Brier", "traded alone", "trades"], rows) + "\n")

    out.append("## Reading the figures\n")
    out += [f"- {s}" for s in findings(t)]
    out.append("- Rows overlap (hourly rows, multi-hour labels) and the coins move together, so the effective number of "
               "independent observations is far smaller than the row count; differences of a point or two are within noise.")
    out.append("- Nothing here is a full backtest: no position sizing, no risk rules, no LLM check; *traded alone* only "
               "says whether the calls beat their own costs.\n")
    out.append(f"ONNX against the native libraries on the test window, largest probability difference: ensemble "
               f"{ctx['parity']['ensemble']:.1e} (serving requires < {ctx['parity']['tolerance']:.0e} on the parity fixture).\n")
    return "\n".join(out)


def findings(t: dict) -> list[str]:
    """Plain statements computed from the figures, each a comparison against a baseline."""
    o = t["overall"]
    e, maj, hind, longs, hold = (o[k] for k in ("ensemble", "majorityClass", "hindsightMajority", "alwaysLong", "buyAndHold"))
    out = []
    out.append(f"Accuracy: the served ensemble is right {pct(e['accuracy'])} of the time, against {pct(maj['accuracy'])} for the "
               f"training window's most common class and {pct(hind['accuracy'])} for the test window's own most common class "
               f"(`{hind['class']}`, hindsight): {'above' if e['accuracy'] > hind['accuracy'] else 'not above'} even the latter.")
    out.append(f"Log-loss: {num(e['logLoss'])}, against {num(maj['logLoss'])} and {num(hind['logLoss'])} for the two class-frequency "
               f"forecasts: {'lower (better) than both' if e['logLoss'] < min(maj['logLoss'], hind['logLoss']) else 'not lower than both'}.")
    if e["buyPrecision"] is not None:
        verdict = "above" if e["buyPrecision"] > longs["buyPrecision"] else "not above"
        out.append(f"BUY precision {pct(e['buyPrecision'])} on {e['buyCount']:,} calls is {verdict} the {pct(longs['buyPrecision'])} "
                   "of calling up on every row.")
    verdict = "more" if e["tradedAlone"] > hold["tradedAlone"] else "less"
    out.append(f"Traded alone with costs the BUY calls returned {signed_pct(e['tradedAlone'])} on average per symbol, "
               f"{verdict} than buy and hold's {signed_pct(hold['tradedAlone'])} over the same window, with "
               f"{pct(e['exposure'], 0)} time in the market.")
    edge = {sym: f["ensemble"]["accuracy"] - f["hindsightMajority"]["accuracy"] for sym, f in t["bySymbol"].items()}
    ordered = sorted(edge.items(), key=lambda kv: kv[1])
    out.append("Per symbol, accuracy minus the symbol's own most common class (hindsight): "
               + ", ".join(f"{sym} {signed_pct(v)}" for sym, v in ordered)
               + ". Where that is near zero the model mostly tells quiet hours (`flat`) from moving ones, not direction.")
    return out
