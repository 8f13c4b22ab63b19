/**
 * The cycle's side of the LLM review: what runCycle hands validateTrades (the reviewer's context), and that a failed
 * review (the activity itself failing after its retries) no longer keeps a protective exit from running: the entry
 * gets the fallback policy's verdict, the stop still sells. Histories made before that change keep their behaviour.
 */
import { ApplicationFailure } from '@temporalio/common';
import { fetchMarketData } from '../../activities/market';
import { assessTradeRisk } from '../../activities/risk';
import type { ValidateTradesInput } from '../../activities/llm';
import { defaultConfig } from '../../domain/config';
import { runCycle, type CycleEffects } from '../../domain/cycle';
import { EXITS_ALWAYS_FIRE_PATCH } from '../../domain/cycle/exitSafety';
import type { CycleRecord, OrderResult, PortfolioBook } from '../../domain/types';

const config = defaultConfig({ market: 'sim:7', symbols: ['BTC/USDT', 'ETH/USDT'], risk: { ...defaultConfig().risk, minConfidence: 0 } });

async function cycle(validate: CycleEffects['validateTrades'], patched = (_id: string) => true) {
  const first = await fetchMarketData({ market: config.market, symbols: ['BTC/USDT', 'ETH/USDT'], timeframe: '1h', limit: 400, cursor: { time: null } });
  const btc = first.snapshots.find((s) => s.symbol === 'BTC/USDT')!.candles.at(-1)!;
  // BTC held with a stop far above the market: the next candle hits it.
  const book: PortfolioBook = {
    cash: 5_000, realizedPnlToday: 0, dayStartEquity: 5_000 + 0.01 * btc[4], day: '2020-01-01',
    positions: { 'BTC/USDT': { symbol: 'BTC/USDT', quantity: 0.01, avgPrice: btc[4], protection: { stop: btc[4] * 2, takeProfit: btc[4] * 3, highWater: btc[4], trailDistance: btc[4], checkedThrough: btc[0] } } },
  };
  let record: CycleRecord | undefined;
  const asked: ValidateTradesInput[] = [];
  const placed: OrderResult[] = [];
  const fx: CycleEffects = {
    cycleId: 'portfolio-p-abc-cycle-2', now: () => btc[0] + 7_200_000, patched, warn: () => undefined,
    describeFailure: (err) => (err instanceof ApplicationFailure ? `${err.type}: ${err.message}` : String(err)),
    proposeStrategies: () => {
      throw new Error('no strategies here');
    },
    fetchMarketData,
    reconcileAccount: async (input) => ({ inSync: true, drifts: [], corrected: input.book, snapshot: { venue: 'paper', asOf: 0, balances: {} } }),
    computeFeatures: async (input) => input.snapshots.map((s) => ({
      symbol: s.symbol, asOf: s.candles.at(-1)![0], close: s.candles.at(-1)![4], names: ['rsi_14', 'volume_ratio_20', 'hour_sin'], values: [64.2, 1.3, 0.1],
    })),
    inferSignals: async (input) => input.features.filter((f) => f.symbol === 'ETH/USDT').map((f) => ({
      symbol: f.symbol, asOf: f.asOf, direction: 'up' as const, confidence: 0.7, probabilities: { up: 0.7, down: 0.1, flat: 0.2 }, modelVersion: 'm1',
    })),
    validateTrades: async (input) => {
      asked.push(input);
      return validate(input);
    },
    assessTradeRisk,
    placeOrder: async ({ request }) => {
      const result: OrderResult = {
        clientOrderId: request.clientOrderId, symbol: request.symbol, side: request.side, status: 'filled', requestedQuantity: request.quantity,
        filledQuantity: request.quantity, avgPrice: request.referencePrice, fee: 0, deduplicated: false,
        fills: [{ price: request.referencePrice, quantity: request.quantity, fee: 0, timestamp: btc[0] + 3_600_000 }],
      };
      placed.push(result);
      return result;
    },
    pollOrder: async () => {
      throw new Error('no resting orders');
    },
    cancelOrder: async () => {
      throw new Error('no resting orders');
    },
    placeProtectiveStop: async () => {
      throw new Error('emulated stops');
    },
    recordCycle: async (r) => {
      record = r;
      return { cycleId: r.cycleId };
    },
    scoreMatureSignals: async () => ({ scored: 0, unscorable: 0, unknownVersions: [] }),
  };
  const recentTrades = [{ symbol: 'ETH/USDT', side: 'sell' as const, price: 2_000, quantity: 1, notional: 2_000, realizedPnl: -35, clientOrderId: 'old', time: btc[0] - 86_400_000 }];
  const outcome = await runCycle({ portfolioId: 'p', cycleNo: 2, config, book, cursor: first.nextCursor, recentTrades }, fx);
  return { outcome, record: record!, asked, placed };
}

it('hands the reviewer the proposal with its market readings, the recent trades on the symbol and the limit usage', async () => {
  const { asked } = await cycle(async (input) => input.proposals.map((p) => ({
    symbol: p.symbol, approve: true, confidence: 0.9, reason: 'ok', model: 'm', fallback: false, sizeMultiplier: 1, latencyMs: 1,
  })));

  expect(asked).toHaveLength(1);
  const [{ proposals, context }] = asked;
  expect(proposals.map((p) => [p.symbol, p.side, p.intent])).toEqual([['ETH/USDT', 'buy', 'entry']]);
  expect(Object.keys(context.market!)).toEqual(['ETH/USDT']);
  expect(context.market!['ETH/USDT']).toMatchObject({ indicators: { rsi_14: 64.2, volume_ratio_20: 1.3 }, atrPct: expect.any(Number), change24h: expect.any(Number) });
  expect(context.recentTrades).toEqual([{ symbol: 'ETH/USDT', side: 'sell', quantity: 1, price: 2_000, realizedPnl: -35, time: expect.any(Number) }]);
  expect(context.usage!.map((u) => u.limit)).toEqual(['maxTotalExposure', 'maxAssetWeight', 'maxConcurrentPositions', 'maxDailyNotional', 'dailyLossLimit']);
  expect(context.usage![2]).toEqual({ limit: 'maxConcurrentPositions', used: 1, max: 5 });
});

it('a failed review gives the fallback verdict, and the protective exit still sells', async () => {
  const { outcome, record, placed } = await cycle(async () => {
    throw ApplicationFailure.create({ type: 'InvalidLlmInput', message: 'validateTrades refused its input: policy.model: empty', nonRetryable: true });
  });

  expect(placed.map((o) => [o.symbol, o.side])).toContainEqual(['BTC/USDT', 'sell']);
  expect(outcome.book.positions['BTC/USDT']).toBeUndefined();
  expect(outcome.status).toBe('failed');
  expect(outcome.error).toMatch(/^LLM review \(fallback policy 'approve-reduced' applied\) failed, exits went on: InvalidLlmInput: validateTrades refused/);
  expect(record.verdicts).toEqual([expect.objectContaining({ symbol: 'ETH/USDT', approve: true, fallback: true, sizeMultiplier: 0.5, model: config.llm.model })]);
  expect(record.verdicts[0].fallbackReason).toMatch(/^review failed: InvalidLlmInput/);
});

it('a history made before that change replays as it ran: the failure still fails the cycle before its orders', async () => {
  const { outcome, placed } = await cycle(async () => {
    throw ApplicationFailure.create({ type: 'InvalidLlmInput', message: 'refused', nonRetryable: true });
  }, (id) => id !== EXITS_ALWAYS_FIRE_PATCH);

  expect(placed).toEqual([]);
  expect(outcome.error).toBe('InvalidLlmInput: refused');
});
