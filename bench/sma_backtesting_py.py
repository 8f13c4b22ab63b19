"""SMA-crossover backtest in backtesting.py (PyPI `backtesting`), the reference our backtester is checked against.

Used by tests/unit/backtest/parity.test.ts (trades and final equity must match ours) and by bench/backtest.ts
(throughput baseline: candles per second of `Backtest.run`, measured on the same candles in the same run).

    bench/.venv/bin/python bench/sma_backtesting_py.py --csv ../shared/data/ohlcv/binance_BTC-USDT_1h.csv \
        --from 2023-01-01 --to 2024-01-01 --fast 10 --slow 30 --commission 0.001 --cash 10000 [--history 100] [--repeat 5]

The strategy is backtesting.py's own textbook SmaCross, long-only: buy everything when the fast SMA crosses above
the slow one, close the position when it crosses below. Orders are market orders filled at the NEXT bar's open
(trade_on_close=False, the default), one position at a time (exclusive_orders=True), commission charged on
entry and on exit as a fraction of the traded value. FractionalBacktest trades in units of 1e-8 of the asset
(one satoshi for BTC), so "all in" buys equity / (open * (1 + commission)) rounded down to 1e-8 units instead of
a whole number of coins. With --history N the N candles before --from are loaded as indicator history and the
strategy only trades from --from on (our backtester likewise reads the candles before its range as history).

Prints one JSON object on stdout: the closed trades, the trade still open at the end (if any), the final
equity (cash plus the open position marked at the last close, no exit commission) and, with --repeat N, the
median seconds of N calls of Backtest.run.
"""
import argparse
import time
import warnings

import numpy as np
import pandas as pd
from backtesting import Strategy
from backtesting.lib import FractionalBacktest, crossover

from reference_result import emit

FRACTIONAL_UNIT = 1e-8


def sma(values, n):
    """backtesting.py's documented SMA helper (backtesting.test.SMA): pandas' rolling mean."""
    return pd.Series(values).rolling(n).mean()


class SmaCross(Strategy):
    fast = 10
    slow = 30
    trade_from = pd.Timestamp(0)

    def init(self):
        self.sma_fast = self.I(sma, self.data.Close, self.fast)
        self.sma_slow = self.I(sma, self.data.Close, self.slow)
        self.first_bar = int(self.data.index.searchsorted(self.trade_from))

    def next(self):
        if len(self.data) <= self.first_bar:
            return
        if crossover(self.sma_fast, self.sma_slow):
            if not self.position:
                self.buy()
        elif crossover(self.sma_slow, self.sma_fast):
            self.position.close()


def load(csv_path, start, end, history):
    df = pd.read_csv(csv_path)
    if start:
        first = int(df.timestamp.searchsorted(int(pd.Timestamp(start, tz='UTC').timestamp() * 1000)))
        df = df.iloc[max(0, first - history):]
    if end:
        df = df[df.timestamp < int(pd.Timestamp(end, tz='UTC').timestamp() * 1000)]
    df = df.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'})
    ms = df.pop('timestamp').to_numpy(dtype=np.int64)
    df.index = pd.to_datetime(ms, unit='ms')
    return df, ms


def to_ms(ts):
    return int(pd.Timestamp(ts).value // 1_000_000)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--csv', required=True)
    p.add_argument('--from', dest='start')
    p.add_argument('--to', dest='end')
    p.add_argument('--fast', type=int, default=10)
    p.add_argument('--slow', type=int, default=30)
    p.add_argument('--commission', type=float, default=0.001)
    p.add_argument('--cash', type=float, default=10_000)
    p.add_argument('--history', type=int, default=0,
                   help='candles before --from loaded as indicator history; the strategy trades from --from on')
    p.add_argument('--repeat', type=int, default=1)
    a = p.parse_args()

    df, ms = load(a.csv, a.start, a.end, a.history)
    trade_from = pd.Timestamp(a.start) if a.start else df.index[0]
    bt = FractionalBacktest(df, SmaCross, cash=a.cash, commission=a.commission, trade_on_close=False,
                            exclusive_orders=True, finalize_trades=False, fractional_unit=FRACTIONAL_UNIT)
    seconds = []
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # "Some trades remain open at the end": reported below instead
        for _ in range(max(1, a.repeat)):
            t0 = time.perf_counter()
            stats = bt.run(fast=a.fast, slow=a.slow, trade_from=trade_from)
            seconds.append(time.perf_counter() - t0)

    trades = [
        {
            'entryTime': to_ms(t.EntryTime),
            'exitTime': to_ms(t.ExitTime),
            'entryPrice': float(t.EntryPrice),
            'exitPrice': float(t.ExitPrice),
            'quantity': float(t.Size),
            'pnl': float(t.PnL),
            'commission': float(t.Commission),
        }
        for t in stats['_trades'].itertuples()
    ]
    open_trades = [
        {
            'entryTime': int(ms[t.entry_bar]),
            'entryPrice': float(t.entry_price) / FRACTIONAL_UNIT,
            'quantity': float(t.size) * FRACTIONAL_UNIT,
        }
        for t in stats['_strategy'].trades
    ]
    emit(
        'backtesting.py', trades, stats['Equity Final [$]'], seconds,
        candles=len(df), tradedCandles=int((df.index >= trade_from).sum()), firstTime=int(ms[0]), lastTime=int(ms[-1]),
        openTrades=open_trades,
    )

if __name__ == '__main__':
    main()
