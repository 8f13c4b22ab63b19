/**
 * Records the workflow histories that the replay tests replay: a portfolio that runs cycles with orders, is
 * paused, resumed, reconfigured and stopped, plus one of its cycles that placed an order. Run it after an
 * intended workflow change (`npm run record-histories`), keep the old files, and commit the new ones.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { recentOrders } from '../activities/persistence/queries';
import { portfolioHandle, portfolioOps, startPortfolio } from '../client/tradingClient';
import { replayConfig, startTestStack, waitFor } from '../tests/helpers/testStack';
import { temporalCliPath } from '../workers/temporalServer';

const OUT_DIR = path.resolve(__dirname, '../tests/replay/histories');

async function main() {
  const stack = await startTestStack();
  try {
    await stack.startWorkers();
    const config = replayConfig({ portfolioId: 'replay-fixture' }, { cooldowns: { buyMs: 3_000, sellMs: 3_000, holdMs: 3_000 } });
    await startPortfolio(stack.env.client, config);
    const handle = portfolioHandle(stack.env.client, config.portfolioId);
    const order = await waitFor('a filled order', async () => (await recentOrders(config.portfolioId, 10)).find((o) => o.status === 'filled'), 120_000);
    await portfolioOps.pause(handle, 'recording');
    await new Promise((r) => setTimeout(r, 1_500));
    await portfolioOps.resume(handle);
    await portfolioOps.setConfig(handle, { risk: { maxAssetWeight: 0.15 } }).catch(() => undefined);
    await portfolioOps.setConfig(handle, { risk: { maxAssetWeight: 0.1 } });
    await waitFor('two more cycles', async () => ((await portfolioOps.status(handle)).cyclesRun >= 4 ? true : undefined));
    await portfolioOps.stop(handle);
    await handle.result();

    fs.mkdirSync(OUT_DIR, { recursive: true });
    const stamp = new Date().toISOString().slice(0, 10);
    const save = async (name: string, workflowId: string) => {
      // The Temporal CLI writes the canonical history JSON, the same as the Web UI's download.
      const json = execFileSync(temporalCliPath(), ['workflow', 'show', '--workflow-id', workflowId, '--address', stack.env.address, '--output', 'json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
      const history = JSON.parse(json);
      const file = path.join(OUT_DIR, `${stamp}-${name}.json`);
      fs.writeFileSync(file, JSON.stringify({ workflowId, history }, null, 1));
      console.log(`wrote ${path.relative(process.cwd(), file)} (${history.events?.length} events)`);
    };
    await save('portfolio', handle.workflowId);
    await save('cycle-with-order', order.cycleId);
  } finally {
    await stack.teardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
