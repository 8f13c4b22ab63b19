/**
 * A portfolio's history written the way the workers write it (recordCycle, saveOrder) without running it: one cycle
 * per real Binance 1h candle of BTC, ETH and SOL (a replay market), three signals of 72 features each, and a round
 * trip every 40 cycles (buy, sold 20 cycles later) with its verdict and risk decision. For the cockpit's bench
 * (10,000 cycles) and the records tests; appending continues the same book and clock.
 */
import path from 'node:path';
import { loadReplaySeries } from '../../activities/market/replaySource';
import { saveOrder } from '../../activities/persistence/orderStore';
import { recordCycle } from '../../activities/persistence/recordCycle';
import { applyFill, equity, newBook } from '../../domain/ledger';
import type { Candle, CycleRecord, OrderRequest, OrderResult, PortfolioBook } from '../../domain/types';
import type { Db } from '../../prisma/database';

export const RECORDED_MARKET = 'replay:../shared/data/ohlcv';
export const RECORDED_SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];
const OHLCV = path.resolve(__dirname, '../../../shared/data/ohlcv');
const FEATURES = Array.from({ length: 72 }, (_, i) => `feature_${i}`);
const HOUR = 3_600_000;
export const RECORDED_CASH = 10_000;

function closeAt(series: readonly Candle[], t: number): number {
  let lo = 0;
  let hi = series.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (series[mid][0] <= t) lo = mid;
    else hi = mid - 1;
  }
  return series[lo][4];
}

export interface RecordedPortfolio {
  /** Writes `count` more cycles; returns the orders written. */
  append(count: number): Promise<number>;
  /** Open time of the first cycle's signal candle. */
  start: number;
  cycles: number;
}

export async function recordedPortfolio(db: Db, portfolioId: string): Promise<RecordedPortfolio> {
  const series = await Promise.all(RECORDED_SYMBOLS.map((s) => loadReplaySeries(OHLCV, s, '1h')));
  const start = Math.max(...series.map((s) => s[0][0])) + 400 * HOUR;
  let book: PortfolioBook = newBook(RECORDED_CASH, start);
  const portfolio: RecordedPortfolio = {
    start,
    cycles: 0,
    async append(count) {
      let orders = 0;
      for (let i = 0; i < count; i++) {
        const n = ++portfolio.cycles;
        const asOf = start + (n - 1) * HOUR;
        const cycleId = `portfolio-${portfolioId}-recorded-cycle-${n}`;
        const prices = Object.fromEntries(RECORDED_SYMBOLS.map((s, k) => [s, closeAt(series[k], asOf)]));
        const symbol = RECORDED_SYMBOLS[Math.floor(n / 40) % RECORDED_SYMBOLS.length];
        const side = n % 40 === 0 ? 'buy' : n % 40 === 20 && book.positions[symbol] ? 'sell' : undefined;
        const record: CycleRecord = {
          cycleId, portfolioId, cycleNo: n, mode: 'paper', market: RECORDED_MARKET, status: 'completed', startedAt: Date.now(), finishedAt: Date.now(),
          features: RECORDED_SYMBOLS.map((s) => ({ symbol: s, asOf, close: prices[s], names: FEATURES, values: FEATURES.map((_, j) => Math.sin(n + j)) })),
          signals: RECORDED_SYMBOLS.map((s) => ({ symbol: s, asOf, direction: 'up' as const, confidence: 0.4, probabilities: { up: 0.4, flat: 0.35, down: 0.25 }, modelVersion: 'recorded' })),
          verdicts: [], decisions: [], orders: [], book, prices, equity: 0,
        };
        if (side) {
          const price = prices[symbol];
          const quantity = side === 'buy' ? Math.floor(((book.cash * 0.2) / price) * 1e6) / 1e6 : book.positions[symbol].quantity;
          const clientOrderId = `${portfolioId}-order-${n}`;
          // A market order fills at the next candle's open: the close of the cycle's candle, on the hour after it.
          const fill = { price, quantity, fee: price * quantity * 0.001, timestamp: asOf + HOUR };
          const request: OrderRequest = { clientOrderId, portfolioId, cycleId, symbol, side, type: 'market', quantity, referencePrice: price };
          const result: OrderResult = { clientOrderId, symbol, side, status: 'filled', requestedQuantity: quantity, filledQuantity: quantity, avgPrice: price, fee: fill.fee, fills: [fill], deduplicated: false };
          await saveOrder(request, result, { mode: 'paper', market: RECORDED_MARKET }, db);
          book = applyFill(book, symbol, side, fill);
          record.orders = [result];
          record.verdicts = [{ symbol, approve: true, confidence: 0.8, reason: 'recorded', model: 'recorded', fallback: false, sizeMultiplier: 1, latencyMs: 3 }];
          record.decisions = [{ symbol, side, approved: true, quantity, price, notional: quantity * price, rules: [{ rule: side === 'buy' ? 'position-size' : 'exit-signal', effect: 'info', detail: 'recorded' }] }];
          orders += 1;
        }
        record.book = book;
        record.equity = equity(book, prices);
        await recordCycle(record, db);
      }
      return orders;
    },
  };
  return portfolio;
}
