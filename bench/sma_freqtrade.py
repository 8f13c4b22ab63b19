"""The SMA-crossover backtest in freqtrade (PyPI `freqtrade`), offline: bench/backtest.ts's second baseline.

    bench/.venv/bin/python bench/sma_freqtrade.py --csv ../shared/data/ohlcv/binance_BTC-USDT_1h.csv \
        --from 2023-01-01 --to 2024-01-01 --commission 0.001 --cash 10000 [--repeat 3]

freqtrade needs the exchange's market list before it backtests and asks Binance for it (GET /api/v3/exchangeInfo).
This machine reaches no exchange, so the script replaces that one call with a static market entry for the pair
(spot, amount step 1e-8, price tick 1e-8, no minimum notional): nothing else of freqtrade is changed. Candles are
written once as freqtrade's feather files under bench/.data/freqtrade/ from the same CSV the other engines read.

Timed: `Backtesting.backtest_one_strategy` (indicators, signals, the trade loop and its result frame), the part
that corresponds to our runBacktest and to backtesting.py's Backtest.run. Startup (config, strategy and data
loading) is not timed. Prints JSON on stdout: trades, final wallet, median seconds over --repeat runs.
"""
import argparse
import json
import logging
import os
import time
from pathlib import Path

import pandas as pd

from reference_result import emit

HERE = Path(__file__).resolve().parent
WORK = HERE / '.data' / 'freqtrade'


def static_market(symbol):
    base, quote = symbol.split('/')
    return {
        'id': base + quote, 'symbol': symbol, 'base': base, 'quote': quote, 'baseId': base, 'quoteId': quote,
        'settle': None, 'settleId': None, 'active': True, 'type': 'spot', 'spot': True, 'margin': False,
        'swap': False, 'future': False, 'option': False, 'contract': False, 'linear': None, 'inverse': None,
        'contractSize': None, 'expiry': None, 'expiryDatetime': None, 'strike': None, 'optionType': None,
        'taker': 0.001, 'maker': 0.001, 'percentage': True, 'tierBased': False,
        'precision': {'amount': 1e-8, 'price': 1e-8, 'base': 1e-8, 'quote': 1e-8},
        'limits': {'amount': {'min': 1e-8, 'max': None}, 'price': {'min': None, 'max': None},
                   'cost': {'min': None, 'max': None}, 'leverage': {'min': None, 'max': None}},
        'info': {},
    }


def offline_markets(symbols):
    """Replace freqtrade's only network call of a backtest (loading Binance's markets) with static markets."""
    from freqtrade.exchange.exchange import Exchange

    async def _api_reload_markets(self, reload=False):
        self._api_async.set_markets([static_market(s) for s in symbols])

    Exchange._api_reload_markets = _api_reload_markets


def write_feather(csv_path, pair, timeframe):
    datadir = WORK / 'data' / 'binance'
    datadir.mkdir(parents=True, exist_ok=True)
    target = datadir / f"{pair.replace('/', '_')}-{timeframe}.feather"
    src = Path(csv_path).resolve()
    stamp = target.with_suffix('.source')
    key = f'{src}:{src.stat().st_size}:{src.stat().st_mtime_ns}'
    if not target.exists() or not stamp.exists() or stamp.read_text() != key:
        df = pd.read_csv(src)
        df['date'] = pd.to_datetime(df.pop('timestamp'), unit='ms', utc=True)
        df[['date', 'open', 'high', 'low', 'close', 'volume']].reset_index(drop=True).to_feather(target)
        stamp.write_text(key)
    return datadir


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--csv', required=True)
    p.add_argument('--pair', default='BTC/USDT')
    p.add_argument('--timeframe', default='1h')
    p.add_argument('--from', dest='start', required=True)
    p.add_argument('--to', dest='end', required=True)
    p.add_argument('--fast', type=int, default=10)
    p.add_argument('--slow', type=int, default=30)
    p.add_argument('--commission', type=float, default=0.001)
    p.add_argument('--cash', type=float, default=10_000)
    p.add_argument('--repeat', type=int, default=1)
    a = p.parse_args()

    logging.disable(logging.CRITICAL)
    offline_markets([a.pair])
    from freqtrade.configuration import Configuration
    from freqtrade.enums import RunMode
    from freqtrade.optimize.backtesting import Backtesting

    datadir = write_feather(a.csv, a.pair, a.timeframe)
    userdir = WORK / 'user_data'
    (userdir / 'backtest_results').mkdir(parents=True, exist_ok=True)
    timerange = pd.Timestamp(a.start).strftime('%Y%m%d') + '-' + pd.Timestamp(a.end).strftime('%Y%m%d')
    config_file = WORK / 'config.json'
    config_file.write_text(json.dumps({
        'max_open_trades': 1, 'stake_currency': a.pair.split('/')[1], 'stake_amount': 'unlimited',
        'tradable_balance_ratio': 1.0, 'dry_run': True, 'dry_run_wallet': a.cash, 'trading_mode': 'spot',
        'timeframe': a.timeframe, 'dataformat_ohlcv': 'feather', 'backtest_cache': 'none',
        'entry_pricing': {'price_side': 'same', 'use_order_book': False, 'order_book_top': 1},
        'exit_pricing': {'price_side': 'same', 'use_order_book': False, 'order_book_top': 1},
        'exchange': {'name': 'binance', 'key': '', 'secret': '', 'pair_whitelist': [a.pair], 'pair_blacklist': []},
        'pairlists': [{'method': 'StaticPairList'}],
    }, indent=2))
    config = Configuration({
        'config': [str(config_file)], 'user_data_dir': str(userdir), 'datadir': str(datadir),
        'strategy': 'SmaCross', 'strategy_path': str(HERE / 'freqtrade'), 'timerange': timerange,
        'fee': a.commission, 'export': 'none',
    }, RunMode.BACKTEST).get_config()
    bt = Backtesting(config)
    data, trange = bt.load_bt_data()
    candles = int(sum(len(df) for df in data.values()))
    strat = bt.strategylist[0]
    strat.fast, strat.slow = a.fast, a.slow
    seconds = []
    for _ in range(max(1, a.repeat)):
        t0 = time.perf_counter()
        bt.backtest_one_strategy(strat, data, trange)
        seconds.append(time.perf_counter() - t0)
    res = bt.all_bt_content[strat.get_strategy_name()]
    trades = res['results']
    out = [
        {
            'entryTime': int(pd.Timestamp(t.open_date).value // 1_000_000),
            'exitTime': int(pd.Timestamp(t.close_date).value // 1_000_000),
            'entryPrice': float(t.open_rate),
            'exitPrice': float(t.close_rate),
            'quantity': float(t.amount),
            'pnl': float(t.profit_abs),
            'exitReason': str(t.exit_reason),
        }
        for t in trades.itertuples()
    ]
    emit('freqtrade', out, res['final_balance'], seconds, candles=candles)

if __name__ == '__main__':
    main()
