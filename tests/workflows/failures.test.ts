/**
 * Failure paths through the real workflows: the error says what is wrong, the failed cycle is recorded
 * rather than lost, and the portfolio carries on.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { recentCycles, recentOrders, traceOrder } from '../../activities/persistence/queries';
import { portfolioHandle, portfolioOps, startPortfolio } from '../../client/tradingClient';
import { OHLCV_DIR, replayConfig, startTestStack, waitFor, type TestStack } from '../helpers/testStack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
  await stack.startWorkers();
});
afterAll(async () => {
  await stack?.teardown();
});

const status = (id: string) => portfolioOps.status(portfolioHandle(stack.env.client, id));

it('bad candles fail the cycle non-retryably, naming symbol, row and rule; the failure is recorded and the portfolio carries on', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-candles-'));
  const lines = fs.readFileSync(path.join(OHLCV_DIR, 'binance_BTC-USDT_1h.csv'), 'utf8').split('\n').slice(0, 301);
  // Row 41 of the data (line 42 of the file): high below low.
  const [ts, open, , , close, volume] = lines[42].split(',');
  lines[42] = [ts, open, String(Number(close) - 500), String(Number(close) + 500), close, volume].join(',');
  fs.writeFileSync(path.join(dir, 'binance_BTC-USDT_1h.csv'), lines.join('\n'));

  const config = replayConfig({ market: `replay:${dir}`, symbols: ['BTC/USDT'] });
  await startPortfolio(stack.env.client, config);
  const failed = await waitFor('two recorded cycles', async () => {
    const s = await status(config.portfolioId);
    return s.cyclesRun >= 2 && s.lastCycle ? s : undefined;
  });
  expect(failed.state).toBe('running');
  expect(failed.lastCycle!.status).toBe('failed');
  expect(failed.lastCycle!.error).toMatch(/^InvalidCandles: BTC\/USDT row \d+ \(2021-04-\d\dT\d\d:00:00\.000Z\): .*\[rule /);
  expect(failed.cash).toBe(config.initialCash);

  const cycles = await recentCycles(config.portfolioId, 10);
  expect(cycles.length).toBeGreaterThanOrEqual(2);
  expect(cycles.every((c) => c.status === 'failed' && /InvalidCandles: BTC\/USDT row/.test(c.error ?? ''))).toBe(true);
  await portfolioOps.stop(portfolioHandle(stack.env.client, config.portfolioId));
  fs.rmSync(dir, { recursive: true, force: true });
});

it('an LLM answering garbage leads to a recorded fallback verdict, and the paper policy trades at half size', async () => {
  stack.ollama.behaviour.respond = () => 'Sure! I think this trade looks great.';
  try {
    const config = replayConfig();
    await startPortfolio(stack.env.client, config);
    const order = await waitFor('a filled buy', async () =>
      (await recentOrders(config.portfolioId, 20)).find((o) => o.status === 'filled' && o.side === 'buy'),
    90_000);
    await portfolioOps.stop(portfolioHandle(stack.env.client, config.portfolioId));

    // The execution activity saves the order before the cycle's record links it to its verdict: wait for the record.
    const trace = await waitFor('the cycle record of the order', async () => {
      const t = await traceOrder(order.id);
      return t?.decision ? t : undefined;
    });
    expect(trace!.verdict).toMatchObject({ approve: true, fallback: true, sizeMultiplier: 0.5 });
    expect(trace!.verdict!.fallbackReason).toMatch(/^garbage: not JSON: "Sure! I think/);
    const rule = trace!.decision!.rules.find((r) => r.rule === 'llm-verdict');
    expect(rule).toMatchObject({ effect: 'resize' });
    // Half of the 20% per-asset allowance of the equity at that time, before any cap.
    expect(trace!.decision!.notional).toBeLessThanOrEqual(0.1 * config.initialCash * 1.05);
  } finally {
    stack.ollama.behaviour.respond = () => JSON.stringify({ approve: true, confidence: 0.8, reason: 'ok' });
  }
});
