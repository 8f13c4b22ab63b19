"""The SMA crossover of bench/sma_backtesting_py.py as a freqtrade strategy (used by bench/sma_freqtrade.py).

Long-only: enter when the fast SMA crosses above the slow one, exit when it crosses below (strict comparisons,
as backtesting.lib.crossover). freqtrade fills both at the next candle's open. ROI and stoploss are disabled
(ROI target 10,000%, stoploss -99%) so that only the crossover exits.
"""
from freqtrade.strategy import IStrategy
from pandas import DataFrame


class SmaCross(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = '1h'
    can_short = False
    minimal_roi = {"0": 100}
    stoploss = -0.99
    trailing_stop = False
    use_exit_signal = True
    exit_profit_only = False
    ignore_roi_if_entry_signal = False
    process_only_new_candles = True
    startup_candle_count = 0
    fast = 10
    slow = 30

    def populate_indicators(self, df: DataFrame, metadata: dict) -> DataFrame:
        df['sma_fast'] = df['close'].rolling(self.fast).mean()
        df['sma_slow'] = df['close'].rolling(self.slow).mean()
        return df

    def populate_entry_trend(self, df: DataFrame, metadata: dict) -> DataFrame:
        f, s = df['sma_fast'], df['sma_slow']
        df.loc[(f.shift(1) < s.shift(1)) & (f > s), 'enter_long'] = 1
        return df

    def populate_exit_trend(self, df: DataFrame, metadata: dict) -> DataFrame:
        f, s = df['sma_fast'], df['sma_slow']
        df.loc[(f.shift(1) > s.shift(1)) & (f < s), 'exit_long'] = 1
        return df
