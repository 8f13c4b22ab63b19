/**
 * The foundation of "backtest equals live": proposals at a candle from columns prepared over years of history
 * equal, exactly, those prepared over only the last warmupCandles candles (what the live cycle holds).
 */
import {
  parseStrategyConfig, prepareMarket, proposeAt, STRATEGY_NAMES, warmupCandles, type PortfolioView, type StrategyOutcome,
} from '../../../domain/strategies';
import type { Candle } from '../../../domain/types';
import { binance, iso } from './realCandles';

const SYMBOLS = ['BTC', 'ETH', 'SOL', 'DOGE'];

// Everything on, consensus included, so that every column kind (base, resampled, regime) is exercised.
const config = parseStrategyConfig({
  smaCross: { enabled: true },
  momentum: { enabled: true },
  meanReversion: { enabled: true },
  breakout: { enabled: true },
  allocations: { smaCross: 0.1, momentum: 0.1, meanReversion: 0.1, breakout: 0.1, dcaGrid: 0.2, swing: 0.2, channel: 0.2 },
  consensus: { enabled: true, timeframes: ['4h', '1d'] },
  manager: { minExpectedValue: null },
});

const candles: Record<string, Candle[]> = Object.fromEntries(SYMBOLS.map((s) => [s, binance(s, '1h')]));
const indexByTime: Record<string, Map<number, number>> = Object.fromEntries(
  SYMBOLS.map((s) => [s, new Map(candles[s].map((c, i) => [c[0], i]))]),
);

/** Positions that vary with the decision time, so that exits of every strategy are exercised too. */
function portfolioAt(time: number, k: number): PortfolioView {
  const positions: PortfolioView['positions'] = {};
  SYMBOLS.forEach((symbol, j) => {
    const pick = (k + j) % (STRATEGY_NAMES.length + 2);
    if (pick >= STRATEGY_NAMES.length + 1) return; // not held
    const series = candles[symbol];
    const i = indexByTime[symbol].get(time) ?? 0;
    const opened = series[Math.max(0, i - 20 - 7 * j)];
    positions[symbol] = {
      quantity: 1, avgPrice: opened[4], openedAt: opened[0],
      strategy: pick < STRATEGY_NAMES.length ? STRATEGY_NAMES[pick] : undefined,
    };
  });
  return { positions, equity: 100_000, cash: 50_000 };
}

describe('finite memory', () => {
  const warmup = warmupCandles(config, '1h');
  const full = prepareMarket(candles, '1h', config);

  it('needs a bounded warmup (the 1d consensus SMA 20 dominates: 22 days of 1h candles)', () => {
    expect(warmup).toBe(22 * 24);
  });

  it('gives identical outcomes from the full history and from only the last warmup candles, at 120 times across symbols', () => {
    const btc = candles.BTC;
    const times: number[] = [];
    // Times where something is proposed, spread over the history, plus plain evenly spaced times.
    const busy: number[] = [];
    for (let i = warmup + 40; i < btc.length; i += 7) {
      const outcome = proposeAt(full, btc[i][0], portfolioAt(btc[i][0], i), config);
      if (outcome.considered.length > 0) busy.push(btc[i][0]);
    }
    for (let k = 0; k < 80; k++) times.push(busy[Math.floor((k * busy.length) / 80)]);
    for (let k = 0; k < 40; k++) times.push(btc[warmup + 40 + Math.floor((k * (btc.length - warmup - 41)) / 40)][0]);

    let proposals = 0;
    let exits = 0;
    times.forEach((time, k) => {
      const extra = k % 30; // 0..29 candles beyond the warmup: every alignment of the 1d and 4h bars
      const recent: Record<string, Candle[]> = {};
      for (const s of SYMBOLS) {
        const i = indexByTime[s].get(time) ?? -1;
        if (i >= 0) recent[s] = candles[s].slice(Math.max(0, i - warmup - extra + 1), i + 1);
      }
      const portfolio = portfolioAt(time, k);
      const live: StrategyOutcome = proposeAt(prepareMarket(recent, '1h', config), time, portfolio, config);
      const backtest = proposeAt(full, time, portfolio, config);
      expect({ at: iso(time), ...live }).toEqual({ at: iso(time), ...backtest });
      proposals += backtest.considered.length;
      exits += backtest.considered.filter((c) => c.proposal.side === 'sell').length;
    });
    // Not vacuous: many proposals, entries and exits, were compared.
    expect(proposals).toBeGreaterThan(150);
    expect(exits).toBeGreaterThan(30);
  });

  it('gives no proposal with fewer candles than the warmup (the live cycle must fetch enough)', () => {
    const i = candles.BTC.length - 100;
    const time = candles.BTC[i][0];
    const short = prepareMarket({ BTC: candles.BTC.slice(i - warmup + 2, i + 1) }, '1h', config);
    expect(proposeAt(short, time, portfolioAt(time, 0), config).regime).toEqual({});
  });
});
