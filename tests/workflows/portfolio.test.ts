/**
 * The portfolio and its cycles on a real Temporal dev server, real candles, a real database and the
 * production workers; only the LLM is a loopback server speaking Ollama's API.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { placeOrder, type PlaceOrderInput } from '../../activities/execution';
import { recentCycles, recentOrders, traceOrder } from '../../activities/persistence/queries';
import { startPortfolio, portfolioHandle, portfolioOps } from '../../client/tradingClient';
import { applyFill, newBook } from '../../domain/ledger';
import type { OrderResult, PortfolioBook } from '../../domain/types';
import { MODEL_CANDLES_PATCH } from '../../domain/cycle';
import { openDatabase } from '../../prisma/database';
import type { PortfolioStatus } from '../../workflows/messages';
import { replayConfig, startTestStack, waitFor, type TestStack } from '../helpers/testStack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.teardown();
});

const status = (portfolioId: string) => portfolioOps.status(portfolioHandle(stack.env.client, portfolioId));

async function stopAndWait(portfolioId: string) {
  const handle = portfolioHandle(stack.env.client, portfolioId);
  await portfolioOps.stop(handle);
  return handle.result();
}

/** Rebuilds the book from the fills in the database, to check it against the workflow's durable state. */
async function bookFromDatabase(portfolioId: string, initialCash: number): Promise<PortfolioBook> {
  const orders = await recentOrders(portfolioId, 10_000);
  let book = newBook(initialCash, 0);
  for (const o of [...orders].reverse()) {
    for (const f of o.fills) book = applyFill(book, o.symbol, o.side as 'buy' | 'sell', { price: f.price, quantity: f.quantity, fee: f.fee, timestamp: 0 });
  }
  return book;
}

function expectSameHoldings(actual: PortfolioBook, expected: PortfolioBook) {
  expect(actual.cash).toBeCloseTo(expected.cash, 6);
  expect(Object.keys(actual.positions).sort()).toEqual(Object.keys(expected.positions).sort());
  for (const [symbol, p] of Object.entries(expected.positions)) expect(actual.positions[symbol].quantity).toBeCloseTo(p.quantity, 10);
}

describe('portfolio on replayed Binance candles', () => {
  it('runs full cycles that persist orders traceable to their signal, verdict and risk decision', async () => {
    const workers = await stack.startWorkers();
    const config = replayConfig();
    await startPortfolio(stack.env.client, config);

    const orders = await waitFor('a filled paper order', async () => {
      const rows = await recentOrders(config.portfolioId, 50);
      return rows.some((o) => o.status === 'filled') ? rows : undefined;
    }, 90_000);
    const finalState = await stopAndWait(config.portfolioId);
    await workers.stop();

    const filled = orders.find((o) => o.status === 'filled')!;
    const trace = await traceOrder(filled.id);
    expect(trace).not.toBeNull();
    expect(trace!.order.marketSource).toBe(config.market);
    expect(trace!.decision?.approved).toBe(true);
    expect(trace!.signal?.symbol).toBe(filled.symbol);
    expect(trace!.signal?.modelVersion).toBeTruthy();
    expect(trace!.verdict?.approve).toBe(true);
    expect(trace!.cycle?.status).toBe('completed');
    expect(trace!.order.fills.length).toBe(1);

    const cycles = await recentCycles(config.portfolioId, 100);
    expect(cycles.length).toBe(finalState.cycleNo);
    expect(cycles.every((c) => c.marketSource === config.market)).toBe(true);
    expectSameHoldings(finalState.book, await bookFromDatabase(config.portfolioId, config.initialCash));
  });

  it('pause stops new cycles and resume restarts them', async () => {
    const workers = await stack.startWorkers();
    const config = replayConfig();
    await startPortfolio(stack.env.client, config);
    const handle = portfolioHandle(stack.env.client, config.portfolioId);
    await waitFor('two cycles', async () => ((await status(config.portfolioId)).cyclesRun >= 2 ? true : undefined));

    await portfolioOps.pause(handle, 'test pause');
    const paused = await waitFor('paused state', async () => {
      const s = await status(config.portfolioId);
      return s.state === 'paused' ? s : undefined;
    });
    expect(paused.pauseReason).toBe('test pause');
    // A cycle already running may finish; after that nothing new starts.
    await new Promise((r) => setTimeout(r, 1_500));
    const settled = (await status(config.portfolioId)).cyclesRun;
    await new Promise((r) => setTimeout(r, 3_500));
    expect((await status(config.portfolioId)).cyclesRun).toBe(settled);

    await portfolioOps.resume(handle);
    await waitFor('cycles after resume', async () => ((await status(config.portfolioId)).cyclesRun >= settled + 2 ? true : undefined));
    await stopAndWait(config.portfolioId);
    await workers.stop();
  });

  it('a trade opens a cooldown that blocks re-entry on that symbol until its timer fires, across a worker restart', async () => {
    let workers = await stack.startWorkers();
    const cooldownMs = 6_000;
    const config = replayConfig({ symbols: ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT', 'ADA/USDT'] }, { cooldowns: { buyMs: cooldownMs } });
    await startPortfolio(stack.env.client, config);
    const handle = portfolioHandle(stack.env.client, config.portfolioId);

    const withCooldown = await waitFor('a cooldown', async () => {
      const s = await status(config.portfolioId);
      return s.cooldowns.length > 0 ? s : undefined;
    }, 90_000);
    const { symbol, until } = withCooldown.cooldowns[0];
    // Cycles keep running through part of the cooldown, then stop, so nothing but the timer can clear it.
    await new Promise((r) => setTimeout(r, cooldownMs / 2));
    await portfolioOps.pause(handle, 'let the timer fire alone');
    const pausedAt = Date.now();
    // Every worker goes away and comes back while the timer runs: it lives in the server, not in a worker.
    await workers.stop();
    workers = await stack.startWorkers();
    const latest = await waitFor('the paused state', async () => {
      const s = await status(config.portfolioId);
      return s.state === 'paused' ? s : undefined;
    });
    const untilMs = Date.parse(latest.cooldowns.find((c) => c.symbol === symbol)?.until ?? until);
    const clearedAt = await waitFor('the cooldown timer', async () => {
      const s = await status(config.portfolioId);
      return s.cooldowns.some((c) => c.symbol === symbol) ? undefined : Date.now();
    }, cooldownMs + 15_000, 100);
    expect(clearedAt).toBeGreaterThanOrEqual(untilMs - 50);
    await stopAndWait(config.portfolioId);
    await workers.stop();

    // While it was open, no buy on that symbol went out.
    const orders = await recentOrders(config.portfolioId, 1_000);
    const entries = orders.filter((o) => o.symbol === symbol && o.side === 'buy' && o.status === 'filled');
    const opened = entries.reduce((min, o) => Math.min(min, new Date(o.createdAt).getTime()), Infinity);
    const during = entries.filter((o) => {
      const t = new Date(o.createdAt).getTime();
      return t > opened + 500 && t < Math.min(untilMs, pausedAt);
    });
    expect(entries.length).toBeGreaterThan(0);
    expect(during).toEqual([]);
  });

  it('setConfig rejects a bad value with its reason and changes nothing', async () => {
    const workers = await stack.startWorkers();
    const config = replayConfig({ intervalMs: 60_000 });
    await startPortfolio(stack.env.client, config);
    const handle = portfolioHandle(stack.env.client, config.portfolioId);

    const failure = await portfolioOps.setConfig(handle, { risk: { maxAssetWeight: 1.5 } }).catch((e) => e);
    expect(failure).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((failure as WorkflowUpdateFailedError).cause?.message).toMatch(/risk\.maxAssetWeight: Number must be less than or equal to 1/);
    expect((await status(config.portfolioId)).config.risk.maxAssetWeight).toBe(config.risk.maxAssetWeight);

    const updated = await portfolioOps.setConfig(handle, { risk: { maxAssetWeight: 0.1 }, intervalMs: 30_000 });
    expect(updated.risk.maxAssetWeight).toBe(0.1);
    expect((await status(config.portfolioId)).config.intervalMs).toBe(30_000);
    await stopAndWait(config.portfolioId);
    await workers.stop();
  });

  it('an update that would bloat the state (a 1.9 MB llm.model, cooldowns=5) is refused; status and stop keep working', async () => {
    const workers = await stack.startWorkers();
    const config = replayConfig({ intervalMs: 60_000 });
    await startPortfolio(stack.env.client, config);
    const handle = portfolioHandle(stack.env.client, config.portfolioId);
    const huge = await portfolioOps.setConfig(handle, { llm: { model: 'm'.repeat(1_900_000) } }).catch((e) => e);
    expect((huge as WorkflowUpdateFailedError).cause?.message).toBe('llm.model: at most 200 characters');
    const shapeless = await portfolioOps.setRiskLimits(handle, { cooldowns: 5 } as never).catch((e) => e);
    expect((shapeless as WorkflowUpdateFailedError).cause?.message).toBe('cooldowns: expected an object of settings (e.g. cooldowns.<name>=<value>), got 5');
    expect((await status(config.portfolioId)).config.llm.model).toBe(config.llm.model);
    await stopAndWait(config.portfolioId);
    await workers.stop();
  });

  it('a 5m portfolio gets the model\'s signals in every cycle, from the last hour closed at its decision', async () => {
    const workers = await stack.startWorkers();
    // Real Binance 5m candles (2025-08-19..09-18); the model's hours are those candles aggregated.
    const config = replayConfig({ timeframe: '5m', symbols: ['ETH/USDT', 'SOL/USDT'] });
    await startPortfolio(stack.env.client, config);
    await waitFor('three cycles', async () => ((await status(config.portfolioId)).cyclesRun >= 3 ? true : undefined));
    await stopAndWait(config.portfolioId);
    await workers.stop();

    const cycles = (await recentCycles(config.portfolioId, 100)).sort((a, b) => a.cycleNo - b.cycleNo);
    expect(cycles.length).toBeGreaterThanOrEqual(3);
    for (const c of cycles) expect({ cycleNo: c.cycleNo, status: c.status, error: c.error, signals: c.signalCount }).toEqual({ cycleNo: c.cycleNo, status: 'completed', error: null, signals: 2 });
    // A fresh 5m replay starts where the model's hours are full: its first cycle decides at 2025-09-03 15:00, each next
    // one 5 minutes later, and each reads the hour closed by then.
    const signals = await openDatabase().signal.findMany({ where: { cycle: { portfolioId: config.portfolioId } }, include: { cycle: true } });
    for (const sig of signals) {
      const decision = Date.UTC(2025, 8, 3, 15) + (sig.cycle.cycleNo - 1) * 300_000;
      expect({ cycleNo: sig.cycle.cycleNo, asOf: sig.asOf.toISOString() }).toEqual({ cycleNo: sig.cycle.cycleNo, asOf: new Date(Math.floor(decision / 3_600_000) * 3_600_000 - 3_600_000).toISOString() });
      expect(sig.modelVersion).toBeTruthy();
    }
    // The cycle's history: the cycle's own fetch, then the model's 1h candles behind the patch marker.
    const history = await stack.env.client.workflow.getHandle(cycles[0].id).fetchHistory();
    const events = history.events ?? [];
    const fetches = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'fetchMarketData');
    expect(fetches).toHaveLength(2);
    const markers = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
    const patches = markers.flatMap((m) => Object.values(m.markerRecordedEventAttributes?.details ?? {}).flatMap((d) => (d?.payloads ?? []).map((p) => Buffer.from(p.data ?? []).toString())));
    expect(patches.some((p) => p.includes(MODEL_CANDLES_PATCH))).toBe(true);
  });
});

describe('exactly once across a worker crash', () => {
  it('a worker that dies after placing an order, before reporting it, leaves one order and one fill', async () => {
    const config = replayConfig();
    let crashed: PlaceOrderInput | undefined;
    const results: OrderResult[] = [];
    // The first order is placed and saved for real, then the worker "dies" before the result reaches Temporal.
    const crashingWorkers = await stack.startWorkers(['execution'], {
      execution: {
        placeOrder: async (input: PlaceOrderInput) => {
          const result = await placeOrder(input);
          if (crashed) results.push(result);
          if (!crashed) {
            crashed = input;
            throw ApplicationFailure.retryable('simulated crash: connection lost after the order was placed', 'WorkerCrashed');
          }
          return result;
        },
      },
    });
    const others = await stack.startWorkers(['workflows', 'marketData', 'inference', 'llm', 'persistence']);
    await startPortfolio(stack.env.client, config);
    await waitFor('the simulated crash', async () => crashed);
    await crashingWorkers.stop();

    // A fresh execution worker picks up the retry.
    const recovered = await stack.startWorkers(['execution'], {
      execution: { placeOrder: async (input: PlaceOrderInput) => { const r = await placeOrder(input); results.push(r); return r; } },
    });
    const id = crashed!.request.clientOrderId;
    const retried = await waitFor('the retried order', async () => results.find((r) => r.clientOrderId === id));
    expect(retried.deduplicated).toBe(true);

    const cycleNo = Number(/-cycle-(\d+)$/.exec(crashed!.request.cycleId)![1]);
    await waitFor('the cycle to finish', async () => {
      const s: PortfolioStatus = await status(config.portfolioId);
      return s.lastCycle && s.lastCycle.cycleNo >= cycleNo ? s : undefined;
    });
    const finalState = await stopAndWait(config.portfolioId);
    await recovered.stop();
    await others.stop();

    const trace = await traceOrder(id);
    expect(trace!.order.fills.length).toBe(retried.fills.length);
    const sameIntent = (await recentOrders(config.portfolioId, 1_000)).filter((o) => o.cycleId === crashed!.request.cycleId && o.symbol === crashed!.request.symbol);
    expect(sameIntent.length).toBe(1);
    // The workflow applied the fill once: its book equals the one rebuilt from the database.
    expectSameHoldings(finalState.book, await bookFromDatabase(config.portfolioId, config.initialCash));
  });
});
