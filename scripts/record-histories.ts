/**
 * Records the workflow histories that the replay tests replay: a portfolio that runs cycles with orders, is
 * paused, resumed, reconfigured (config and risk limits), emergency-stopped, resumed and stopped, plus one of its
 * cycles that placed an order, its liquidation and its notifier; and a cycle of a 5m portfolio, which reads the model's 1h candles
 * with a second market-data fetch; and a cycle whose model is missing while a position's stop is hit: its strategy
 * proposal reaches the LLM without a signal and the exit is placed (exits-always-fire). Run it after an intended workflow change
 * (`npm run record-histories -- <version label>`), keep the old files, and commit the new ones.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { recentCycles, recentOrders } from '../activities/persistence/queries';
import { parseStrategyConfig, strategySelection, warmupCandles } from '../domain/strategies';
import { portfolioHandle, portfolioOps, startPortfolio } from '../client/tradingClient';
import { replayConfig, startTestStack, waitFor } from '../tests/helpers/testStack';
import { startSeededPortfolio } from '../tests/helpers/seededPortfolio';
import { temporalCliPath } from '../workers/temporalServer';

const OUT_DIR = path.resolve(__dirname, '../tests/replay/histories');
/** Names the workflow version the histories belong to, e.g. `v2-risk-engine`: `npm run record-histories -- <label>`. */
const LABEL = process.argv[2];

async function main() {
  if (!LABEL || !/^[a-z0-9-]+$/.test(LABEL)) throw new Error('give a label for this workflow version, e.g. `npm run record-histories -- v2-risk-engine`');
  const stack = await startTestStack();
  try {
    await stack.startWorkers();
    // Strategies, limit entries resting across cycles and native stops: every command the cycle can issue.
    const strategies = parseStrategyConfig(strategySelection(['smaCross', 'momentum', 'meanReversion'], { smaCross: { fast: 5, slow: 15 } }));
    const config = replayConfig(
      { portfolioId: 'replay-fixture', strategies, orders: { type: 'limit', offsetBps: 15, timeInForceMs: 7_200_000, stops: 'native' } },
      { cooldowns: { buyMs: 3_000, sellMs: 3_000, holdMs: 3_000 } },
    );
    await startPortfolio(stack.env.client, config);
    const handle = portfolioHandle(stack.env.client, config.portfolioId);
    const order = await waitFor('a filled order', async () => (await recentOrders(config.portfolioId, 10)).find((o) => o.status === 'filled'), 120_000);
    await portfolioOps.pause(handle, 'recording');
    await new Promise((r) => setTimeout(r, 1_500));
    await portfolioOps.resume(handle);
    await portfolioOps.setConfig(handle, { risk: { maxAssetWeight: 0.15 } }).catch(() => undefined);
    await portfolioOps.setConfig(handle, { risk: { maxAssetWeight: 0.1 } });
    await portfolioOps.setRiskLimits(handle, { maxDrawdown: 0.12 });
    await waitFor('two more cycles', async () => ((await portfolioOps.status(handle)).cyclesRun >= 4 ? true : undefined));
    await waitFor('a position to liquidate', async () => ((await portfolioOps.status(handle)).positions.length > 0 ? true : undefined), 120_000);
    await portfolioOps.emergencyStop(handle, 'recording an emergency stop');
    await waitFor('the liquidation', async () => ((await portfolioOps.status(handle)).positions.length === 0 ? true : undefined));
    await portfolioOps.resume(handle);
    await waitFor('a cycle after the resume', async () => {
      const s = await portfolioOps.status(handle);
      return !s.halt && s.cyclesRun >= 5 ? true : undefined;
    });
    await portfolioOps.stop(handle);
    await handle.result();

    // A 5m portfolio: its cycles fetch the model's 1h candles apart (domain/cycle/modelCandles.ts).
    const fiveMinutes = replayConfig({ portfolioId: 'replay-fixture-5m', timeframe: '5m', symbols: ['ETH/USDT', 'SOL/USDT'] });
    await startPortfolio(stack.env.client, fiveMinutes);
    const fiveHandle = portfolioHandle(stack.env.client, fiveMinutes.portfolioId);
    await waitFor('two 5m cycles', async () => ((await portfolioOps.status(fiveHandle)).cyclesRun >= 2 ? true : undefined));
    await portfolioOps.stop(fiveHandle);
    await fiveHandle.result();

    // A failed stage and a hit stop in the same cycle: the model is missing (an empty MODEL_DIR), the strategy
    // engine's proposal is weighed without a signal, and the exit of the held BTC is placed and booked.
    const modelDir = process.env.MODEL_DIR;
    process.env.MODEL_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'no-model-'));
    const grid = parseStrategyConfig(strategySelection(['dcaGrid', 'swing', 'channel']));
    const failing = replayConfig({
      portfolioId: 'replay-fixture-stage-failure', symbols: ['BTC/USDT', 'SOL/USDT'], intervalMs: 3_600_000, strategies: grid,
      candleLimit: Math.max(400, warmupCandles(grid, '1h')),
    });
    await startSeededPortfolio(stack, failing, Date.UTC(2022, 4, 5, 15));
    const failingHandle = portfolioHandle(stack.env.client, failing.portfolioId);
    await waitFor('the cycle with the failed stage', async () => ((await portfolioOps.status(failingHandle)).cyclesRun >= 1 ? true : undefined));
    await portfolioOps.stop(failingHandle);
    await failingHandle.result();
    if (modelDir === undefined) delete process.env.MODEL_DIR;
    else process.env.MODEL_DIR = modelDir;

    fs.mkdirSync(OUT_DIR, { recursive: true });
    const stamp = new Date().toISOString().slice(0, 10);
    const save = async (name: string, workflowId: string) => {
      // The Temporal CLI writes the canonical history JSON, the same as the Web UI's download.
      const json = execFileSync(temporalCliPath(), ['workflow', 'show', '--workflow-id', workflowId, '--address', stack.env.address, '--output', 'json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
      const history = JSON.parse(json);
      const file = path.join(OUT_DIR, `${stamp}-${LABEL}-${name}.json`);
      // Histories of earlier versions are the point of the replay test: never replace one.
      if (fs.existsSync(file)) throw new Error(`${path.relative(process.cwd(), file)} exists already: pick another label`);
      fs.writeFileSync(file, JSON.stringify({ workflowId, history }, null, 1));
      console.log(`wrote ${path.relative(process.cwd(), file)} (${history.events?.length} events)`);
    };
    await save('portfolio', handle.workflowId);
    // Its notifier (workflows/notifier.ts): the signals it got, the batching timers and the deliveries.
    await save('notifier', `notifier-${config.portfolioId}`);
    await save('cycle-with-order', order.cycleId);
    // The next cycle polls what the first one left resting (and replaces or places stops).
    await save('cycle-after-order', order.cycleId.replace(/-cycle-(\d+)$/, (_, n: string) => `-cycle-${Number(n) + 1}`));
    const liquidation = (await recentCycles(config.portfolioId, 100)).find((c) => c.id.includes('-liquidation-'));
    if (!liquidation) throw new Error('no liquidation was recorded');
    await save('liquidation', liquidation.id);
    const fiveMinuteCycle = (await recentCycles(fiveMinutes.portfolioId, 10)).find((c) => c.cycleNo === 1 && c.status === 'completed' && c.signalCount > 0);
    if (!fiveMinuteCycle) throw new Error('the 5m portfolio recorded no completed first cycle with signals');
    await save('cycle-5m-model-candles', fiveMinuteCycle.id);
    const failedStage = (await recentCycles(failing.portfolioId, 10)).find((c) => c.cycleNo === 1);
    if (!failedStage || !/ModelNotFound|no model/i.test(failedStage.error ?? '')) throw new Error(`the stage-failure portfolio recorded no cycle with the model missing: ${failedStage?.error}`);
    const exit = (await recentOrders(failing.portfolioId, 10)).find((o) => o.symbol === 'BTC/USDT' && o.side === 'sell' && o.status === 'filled');
    if (!exit) throw new Error('the stage-failure cycle placed no exit');
    await save('cycle-stage-failure-exit', failedStage.id);
  } finally {
    await stack.teardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
