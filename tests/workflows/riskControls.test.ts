/**
 * Durable risk controls on a real Temporal dev server, each surviving a restart of every worker in the middle:
 * the trading-day reset on its timer, cooldown overrides, the drawdown halt that only a human resume ends,
 * emergency stops (idempotent), and `tradectl risk` on a running paper portfolio.
 */
import { recentCycles, recentOrders, traceOrder } from '../../activities/persistence/queries';
import { buildCli } from '../../client/cli';
import { portfolioHandle, portfolioOps, startPortfolio } from '../../client/tradingClient';
import { replayConfig, startTestStack, waitFor, type RunningSet, type TestStack } from '../helpers/testStack';

let stack: TestStack;
let workers: RunningSet | undefined;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.teardown();
});
beforeEach(async () => {
  workers = await stack.startWorkers();
});
afterEach(async () => {
  await workers?.stop();
});

/** Stops every worker and starts new ones: what a crash and a redeploy look like to the workflows. */
async function restartWorkers() {
  await workers?.stop();
  workers = await stack.startWorkers();
}

const handleOf = (id: string) => portfolioHandle(stack.env.client, id);

it('rolls the trading day on its durable timer and lifts the daily loss halt, across a worker restart', async () => {
  const boundary = Date.now() + 12_000;
  // A trading day that starts 12 s from now, so the test sees a day boundary; 0 means 00:00 UTC.
  const config = replayConfig({}, { dailyLossLimit: 0.0001, tradingDayOffsetMs: boundary % 86_400_000 });
  await startPortfolio(stack.env.client, config);
  const h = handleOf(config.portfolioId);
  const halted = await waitFor('the daily loss halt', async () => {
    const r = await portfolioOps.risk(h);
    return r.halts.some((x) => x.kind === 'daily-loss') ? r : undefined;
  }, 60_000);
  expect(halted.halts[0].reason).toMatch(/daily loss limit hit on \d{4}-\d\d-\d\d/);
  // No cycles from here on: only the timer can roll the day.
  await portfolioOps.pause(h, 'waiting for the day to roll');
  await restartWorkers();
  expect(Date.now()).toBeLessThan(boundary);

  const rolled = await waitFor('the day to roll', async () => {
    const [status, risk] = await Promise.all([portfolioOps.status(h), portfolioOps.risk(h)]);
    return risk.halts.length === 0 && status.realizedPnlToday === 0 ? { status, at: Date.now() } : undefined;
  }, 40_000, 200);
  expect(rolled.at).toBeGreaterThanOrEqual(boundary - 100);
  expect(rolled.status.dailyHalt).toBe(false);
  await portfolioOps.stop(h);
});

it('a price move beyond the override lifts a buy cooldown, recorded on the decision, across a worker restart', async () => {
  const config = replayConfig({ symbols: ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT', 'ADA/USDT'] }, {
    cooldowns: { buyMs: 3_600_000, sellMs: 0, holdMs: 0, overrideMove: 0.002 },
  });
  await startPortfolio(stack.env.client, config);
  const h = handleOf(config.portfolioId);
  await waitFor('a buy cooldown', async () => ((await portfolioOps.status(h)).cooldowns.some((c) => c.kind === 'buy') ? true : undefined), 60_000);
  await restartWorkers();
  const overridden = await waitFor('a buy that overrode its cooldown', async () => {
    for (const o of (await recentOrders(config.portfolioId, 200)).filter((x) => x.side === 'buy')) {
      const trace = await traceOrder(o.id);
      const rule = trace?.decision?.rules.find((r) => r.rule === 'cooldown-override');
      if (rule) return rule;
    }
    return undefined;
  }, 90_000, 500);
  expect(overridden.detail).toMatch(/^buy cooldown on \w+\/USDT lifted: price moved \d+\.\d\d% \(> 0\.20%\)/);
  await portfolioOps.stop(h);
});

it('a drawdown past the limit halts and liquidates; the halt survives a restart and only resume ends it', async () => {
  const config = replayConfig({}, { maxDrawdown: 0.001, liquidateOnDrawdown: true });
  await startPortfolio(stack.env.client, config);
  const h = handleOf(config.portfolioId);
  const halted = await waitFor('the drawdown halt', async () => {
    const s = await portfolioOps.status(h);
    return s.halt ? s : undefined;
  }, 90_000);
  expect(halted.halt).toMatchObject({ kind: 'drawdown', reason: expect.stringMatching(/% below its peak .* \(limit 0\.10%\)/) });
  await restartWorkers();

  // Generous: the workers were just restarted, and on a loaded 2-core CI machine that alone can take most of a minute.
  const flat = await waitFor('the liquidation', async () => {
    const s = await portfolioOps.status(h);
    return s.positions.length === 0 && s.halt ? s : undefined;
  }, 150_000);
  expect(flat.halt?.kind).toBe('drawdown');
  const liquidations = (await recentCycles(config.portfolioId, 500)).filter((c) => c.id.includes('-liquidation-'));
  expect(liquidations).toHaveLength(1);
  expect(liquidations[0].error).toMatch(/^liquidation: equity/);

  // Halted cycles go on (exits still run) but refuse every entry, with the reason.
  const before = (await portfolioOps.status(h)).cyclesRun;
  await waitFor('two halted cycles', async () => ((await portfolioOps.status(h)).cyclesRun >= before + 2 ? true : undefined));
  expect((await portfolioOps.status(h)).halt?.kind).toBe('drawdown');
  const buysWhileHalted = (await recentOrders(config.portfolioId, 500)).filter((o) => o.side === 'buy' && o.createdAt.getTime() > Date.parse(halted.halt!.since) + 500);
  expect(buysWhileHalted).toEqual([]);

  await portfolioOps.resume(h);
  const resumed = await waitFor('the halt to end', async () => {
    const r = await portfolioOps.risk(h);
    return r.halts.every((x) => x.kind !== 'drawdown') ? r : undefined;
  });
  expect(resumed.drawdown).toBeLessThan(0.001 + 1e-9);
  await portfolioOps.stop(h);
});

it('emergencyStop halts and sells everything once, however often it is sent, and `tradectl risk` shows why', async () => {
  const config = replayConfig();
  await startPortfolio(stack.env.client, config);
  const h = handleOf(config.portfolioId);
  await waitFor('a position', async () => ((await portfolioOps.status(h)).positions.length > 0 ? true : undefined), 60_000);
  await portfolioOps.emergencyStop(h, 'operator test');
  await portfolioOps.emergencyStop(h, 'operator test, again');
  const flat = await waitFor('the liquidation', async () => {
    const s = await portfolioOps.status(h);
    return s.positions.length === 0 ? s : undefined;
  }, 60_000);
  expect(flat.halt).toMatchObject({ kind: 'emergency', reason: 'operator test' });
  await portfolioOps.emergencyStop(h, 'and once more');
  await new Promise((r) => setTimeout(r, 2_000));
  expect((await recentCycles(config.portfolioId, 500)).filter((c) => c.id.includes('-liquidation-'))).toHaveLength(1);

  const lines: string[] = [];
  process.env.TEMPORAL_ADDRESS = stack.env.address;
  await buildCli((l) => lines.push(l)).parseAsync(['node', 'tradectl', 'risk', '--portfolio', config.portfolioId]);
  const printed = lines.join('\n');
  expect(printed).toMatch(/^HALT emergency since .*: operator test/m);
  expect(printed).toMatch(/^risk score \d+(\.\d)?\/100/m);
  expect(printed).toMatch(/^maxTotalExposure\s+\d+\.\d\d%\s+80\.00%$/m);
  expect(printed).toMatch(/^maxPortfolioHeat\s+/m);
  await portfolioOps.stop(h);
});

it('setRiskLimits refuses a bad value with its reason and changes nothing', async () => {
  const config = replayConfig({ intervalMs: 60_000 });
  await startPortfolio(stack.env.client, config);
  const h = handleOf(config.portfolioId);
  await expect(portfolioOps.setRiskLimits(h, { maxTotalExposure: 0.97, cashBuffer: 0.05 })).rejects.toMatchObject({
    cause: expect.objectContaining({ message: 'risk.cashBuffer: maxTotalExposure + cashBuffer cannot exceed 1' }),
  });
  expect((await portfolioOps.risk(h)).limits.maxTotalExposure).toBe(config.risk.maxTotalExposure);
  const updated = await portfolioOps.setRiskLimits(h, { maxDrawdown: 0.1, cooldowns: { holdMs: 60_000 } });
  expect(updated).toMatchObject({ maxDrawdown: 0.1, cooldowns: expect.objectContaining({ holdMs: 60_000, buyMs: 0 }) });
  await portfolioOps.stop(h);
});
