/**
 * Issue 11, defect 2, through the real workflows: whatever stage of a cycle fails (features, the model missing or
 * broken, the LLM down or answering garbage, the strategy engine throwing), the protective exit of the same candle
 * is placed, filled and booked in that cycle. One stack for the file; each case is one portfolio running one cycle.
 *
 * The portfolio starts holding BTC with a stop far above any price (../helpers/seededPortfolio.ts): the first candle
 * opens through it. SOL is traded too, on 2022-05-05 at 16:00, where dcaGrid proposes a SOL entry that reaches the LLM.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import * as llm from '../../activities/llm';
import * as risk from '../../activities/risk';
import { recentOrders, traceOrder } from '../../activities/persistence/queries';
import { portfolioHandle, portfolioOps } from '../../client/tradingClient';
import { DEFAULT_REGISTRY_ROOT, readCurrent } from '../../activities/modelRegistry';
import { parseStrategyConfig, strategySelection, warmupCandles } from '../../domain/strategies';
import type { PortfolioConfig } from '../../domain/config';
import { SEEDED_BTC, startSeededPortfolio } from '../helpers/seededPortfolio';
import { replayConfig, startTestStack, waitFor, type TestStack } from '../helpers/testStack';

/** Faults the overridden activities raise while set; the workers run in this process. */
const faults: { llm?: boolean; risk?: boolean } = {};
let stack: TestStack;
const dirs: string[] = [];
beforeAll(async () => {
  stack = await startTestStack();
  await stack.startWorkers(undefined, {
    llm: { validateTrades: (input: llm.ValidateTradesInput) => (faults.llm ? Promise.reject(ApplicationFailure.nonRetryable('the LLM worker is gone', 'LlmUnavailable')) : llm.validateTrades(input)) },
    inference: {
      assessTradeRisk: (input: risk.AssessTradeRiskInput) => (faults.risk ? Promise.reject(ApplicationFailure.nonRetryable('the risk worker is gone', 'RiskUnavailable')) : risk.assessTradeRisk(input)),
    },
  });
});
afterAll(async () => {
  await stack?.teardown();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const DECISION_CURSOR = Date.UTC(2022, 4, 5, 15); // the cycle fetches up to the 16:00 candle

/** Starts a portfolio from a state that holds BTC, runs one cycle, stops it, and returns its orders and last cycle. */
async function oneCycle(configure: (config: PortfolioConfig) => PortfolioConfig = (c) => c, cursor = DECISION_CURSOR) {
  const strategies = parseStrategyConfig(strategySelection(['dcaGrid', 'swing', 'channel']));
  const config = configure(replayConfig({
    symbols: ['BTC/USDT', 'SOL/USDT'], intervalMs: 3_600_000, strategies, candleLimit: Math.max(400, warmupCandles(strategies, '1h')),
  }));
  const { cash } = await startSeededPortfolio(stack, config, cursor);
  const handle = portfolioHandle(stack.env.client, config.portfolioId);
  const status = await waitFor('the first cycle', async () => {
    const s = await portfolioOps.status(handle);
    return s.cyclesRun >= 1 ? s : undefined;
  }, 60_000);
  await portfolioOps.stop(handle);
  const orders = await recentOrders(config.portfolioId, 20);
  const exit = orders.find((o) => o.symbol === 'BTC/USDT' && o.side === 'sell');
  expect(exit).toMatchObject({ status: 'filled' });
  expect(status.positions.find((p) => p.symbol === 'BTC/USDT')).toBeUndefined();
  expect(status.cash).toBeGreaterThan(cash + SEEDED_BTC.quantity * 30_000);
  return { status, orders, error: status.lastCycle?.error ?? '' };
}

/** MODEL_DIR for one case: the inference worker re-reads it on its next call. */
async function withModelDir<T>(dir: string, run: () => Promise<T>): Promise<T> {
  const before = process.env.MODEL_DIR;
  process.env.MODEL_DIR = dir;
  try {
    return await run();
  } finally {
    if (before === undefined) delete process.env.MODEL_DIR;
    else process.env.MODEL_DIR = before;
  }
}

it('features error (too little history for the features)', async () => {
  // 100 hours into the files (they start on 2021-04-04 20:00): the features need 359 candles.
  const { error } = await oneCycle((c) => ({ ...c, strategies: undefined, candleLimit: 400 }), Date.UTC(2021, 3, 9));
  expect(error).toMatch(/signals unavailable, only protective exits ran: InsufficientHistory/);
}, 90_000);

it('model missing: the strategy proposal reaches the LLM without a signal, and the exit is placed', async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'no-model-'));
  dirs.push(empty);
  const { error, orders } = await withModelDir(empty, () => oneCycle());
  expect(error).toMatch(/ModelNotFound|no model/i);
  expect(error).not.toMatch(/InvalidLlmInput/);
  // Explained like any other exit, though the cycle had no model signal to hang its decision from.
  const exit = orders.find((o) => o.symbol === 'BTC/USDT' && o.side === 'sell')!;
  const trace = await waitFor('the exit recorded with its decision', async () => {
    const t = await traceOrder(exit.id);
    return t?.decision ? t : undefined;
  });
  expect(trace.decision!.rules.map((r) => r.rule)).toContain('stop-loss');
  expect(trace.signal).toBeNull();
}, 90_000);

it('model garbage: a model file that is not the one its manifest names', async () => {
  const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'broken-model-'));
  dirs.push(broken);
  const version = path.join(DEFAULT_REGISTRY_ROOT, readCurrent(DEFAULT_REGISTRY_ROOT)!);
  fs.copyFileSync(path.join(version, 'manifest.json'), path.join(broken, 'manifest.json'));
  fs.writeFileSync(path.join(broken, 'model.onnx'), 'not an onnx graph');
  const { error } = await withModelDir(broken, () => oneCycle());
  expect(error).toMatch(/signals unavailable/);
}, 90_000);

it('LLM down: the validation activity fails, the fallback policy answers, the exit is placed', async () => {
  faults.llm = true;
  try {
    // A live portfolio's fallback is reject: no entry without a review. (Paper's approve-reduced would enter at half size.)
    const { error, orders } = await oneCycle((c) => ({ ...c, llm: { ...c.llm, fallback: 'reject' } }));
    expect(error).toMatch(/LLM review \(fallback policy 'reject' applied\) failed, exits went on: LlmUnavailable/);
    expect(orders.some((o) => o.side === 'buy' && !o.id.startsWith('seed-'))).toBe(false);
  } finally {
    faults.llm = false;
  }
}, 90_000);

it('LLM garbage: the model answers prose, the fallback decides', async () => {
  stack.ollama.behaviour.respond = () => 'I would rather not say.';
  try {
    await oneCycle();
  } finally {
    stack.ollama.behaviour.respond = () => JSON.stringify({ approve: true, confidence: 0.8, reason: 'ok' });
  }
}, 90_000);

it('strategy throws: a configuration an earlier version accepted that the strategy engine cannot run', async () => {
  // A consensus timeframe finer than the base one: today's validation refuses it, an old portfolio's state may hold it.
  const { error } = await oneCycle((c) => ({ ...c, strategies: { ...c.strategies!, consensus: { ...c.strategies!.consensus, enabled: true, timeframes: ['5m'] } } }));
  expect(error).toMatch(/strategy engine failed, exits went on: Error: cannot resample 1h candles into 5m bars/);
}, 90_000);

it('risk activity fails: the exit is decided by the same rules in the workflow', async () => {
  faults.risk = true;
  try {
    const { error } = await oneCycle();
    expect(error).toMatch(/risk assessment failed, exits went on: RiskUnavailable/);
  } finally {
    faults.risk = false;
  }
}, 90_000);
