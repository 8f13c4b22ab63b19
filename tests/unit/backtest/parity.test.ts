/**
 * Trust: the plain SMA crossover gives the same trades and final equity in our backtester as in backtesting.py
 * (PyPI `backtesting`, pinned in bench/requirements.txt) on the same real candles: Binance BTC/USDT 1h 2023-01-01 to
 * 2023-12-01 and ETH/USDT 1h over 2022, SMA 10/30, long only, all in, 0.1% fee per fill, fills at the next open.
 *
 * Stated tolerances (bench/parity.ts explains each):
 *  - trades: the same number, every entry and exit at the same candle, exactly; the same position open at the end;
 *  - fill prices: ours equal backtesting.py's (the next open) up to the paper broker's market impact, which only
 *    ever costs us: 0 <= ours/reference - 1 <= 3e-5 on buys, the mirror on sells;
 *  - final equity: within 0.5% and not above backtesting.py's; and the gap is the impact: ours / reference equals
 *    the product of the per-fill price ratios within 5e-4;
 *  - quantities: within 0.53% (all in: they follow equity, less the 0.03% cash buffer).
 * Needs bench/.venv (bash bench/venv.sh; CI creates it in .ci/run).
 */
import { benchPython } from '../../../bench/reference';
import {
  CASH_BUFFER, compare, EQUITY_TOLERANCE, IMPACT, PARITY_CASES, QUANTITY_TOLERANCE, RESIDUAL_TOLERANCE, runParity, type ParityReport,
} from '../../../bench/parity';
import type { SmaCase } from '../../../bench/reference';

const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : 'open');

describe.each(PARITY_CASES.map((c) => [`${c.base}/USDT ${c.timeframe} ${c.from}..${c.to}`, c] as [string, SmaCase]))(
  'SMA crossover, our backtester against backtesting.py: %s',
  (_name, c) => {
    let report: ParityReport;

    beforeAll(async () => {
      report = await runParity(benchPython(), c);
    });

    it('makes the same trades at the same candles', () => {
      const { ours, reference, timingMismatches } = report;
      // A real test of the crossover needs many trades: each case has about 160.
      expect(reference.trades.length).toBeGreaterThan(100);
      // Every crossover gets through our risk engine: a refusal names the rule that stopped it.
      expect(report.refusals).toEqual({});
      expect(ours.trades.length).toBe(reference.trades.length);
      expect(ours.openTrades.length).toBe(reference.openTrades?.length ?? 0);
      expect(timingMismatches.map((m) => ({ trade: m.trade, ours: m.ours?.map(iso), reference: m.reference?.map(iso) }))).toEqual([]);
      // Only the crossover exits: no stop, target, trim or halt took part.
      expect(report.exitReasons).toEqual({ 'signal-exit': ours.trades.length });
      expect(report.fillsAfterEnd).toBe(0);
    });

    it('fills at the same prices up to the market impact, which only costs us', () => {
      const { reference } = report;
      expect(report.fills.length).toBe(2 * reference.trades.length + (reference.openTrades?.length ?? 0));
      const outside = report.fills.filter((f) => !(f.cost >= 0 && f.cost <= IMPACT));
      expect(outside).toEqual([]);
    });

    it('ends with the same equity within the stated tolerance, the gap being the impact', () => {
      const { ours, reference, equityDiff, residual, maxQuantityDiff } = report;
      expect(Math.abs(equityDiff)).toBeLessThanOrEqual(EQUITY_TOLERANCE);
      expect(ours.finalEquity).toBeLessThanOrEqual(reference.finalEquity);
      expect(Math.abs(residual)).toBeLessThanOrEqual(RESIDUAL_TOLERANCE);
      expect(maxQuantityDiff).toBeLessThanOrEqual(QUANTITY_TOLERANCE);
      // Not a flat run: the strategy moved equity far beyond the tolerances, so matching it means something.
      expect(Math.abs(reference.finalEquity / c.cash - 1)).toBeGreaterThan(20 * EQUITY_TOLERANCE);
      expect(CASH_BUFFER).toBeLessThan(RESIDUAL_TOLERANCE);
    });

    it('would notice a trade one candle off, or a reference fill 1 bp cheaper', () => {
      const shifted = structuredClone(report.reference);
      shifted.trades[7].exitTime += 3_600_000;
      expect(compare(report.ours, shifted, Date.parse(`${c.to}T00:00:00Z`)).timingMismatches.map((m) => m.trade)).toEqual([7]);
      const cheaper = structuredClone(report.reference);
      cheaper.trades[3].entryPrice *= 1 - 1e-4;
      const diff = compare(report.ours, cheaper, Date.parse(`${c.to}T00:00:00Z`));
      expect(diff.fills.filter((f) => !(f.cost >= 0 && f.cost <= IMPACT)).map((f) => f.trade)).toEqual([3]);
    });
  },
);
