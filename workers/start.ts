/**
 * `npm start`: everything on one machine with embedded defaults. Uses the Temporal server at TEMPORAL_ADDRESS
 * if one answers, else starts the dev server (SQLite history under data/, Web UI on :8233); migrates the
 * database; serves every task queue; starts or resumes the default paper portfolio. Ctrl-C stops cleanly and
 * the next `npm start` resumes the same portfolio from Temporal's durable state.
 */
import path from 'node:path';
import { chooseMarket } from '../client/marketChoice';
import { connectClient, ensureSearchAttributes, startPortfolio, temporalAddress, temporalNamespace } from '../client/tradingClient';
import { startCockpitBeside } from '../dashboard/server';
import { dashboardSettings } from '../dashboard/settings';
import { checkConfig, defaultConfig } from '../domain/config';
import { ALL_QUEUE_KEYS } from '../workflows/queues';
import { migrateDatabase } from '../prisma/database';
import { envPort, installRuntime } from './runtime';
import { isListening, PROJECT_ROOT, startDevServer, type DevServer } from './temporalServer';
import { runWorkers } from './worker';
import { ensureOllama } from './ollamaServer';
import { panelOf } from '../activities/llm';
import { llmHealth } from '../activities/llm/health';
import { ollamaHost } from '../activities/llm/ollamaChat';
import { checkEnvironment, envValue } from '../domain/environment';

/** The default portfolio, adjustable by environment so `npm start` stays a single command. */
function defaultPortfolio() {
  const env = process.env;
  const [market, symbols, timeframe, intervalMs, model] = [
    envValue('MARKET', env), envValue('SYMBOLS', env), envValue('TIMEFRAME', env), envValue('INTERVAL_MS', env), envValue('LLM_MODEL', env),
  ] as const;
  const candidate = defaultConfig({
    portfolioId: envValue('PORTFOLIO_ID', env) ?? 'default',
    ...(market && { market }),
    ...(symbols && { symbols }),
    ...(timeframe && { timeframe }),
    ...(intervalMs && { intervalMs }),
    // Your own Ollama's model in place of the embedded one, e.g. LLM_MODEL=llama3.1:8b.
    ...(model && { llm: { ...defaultConfig().llm, model } }),
  });
  const checked = checkConfig(candidate);
  if (!checked.ok) throw new Error(`invalid default portfolio from the environment: ${checked.reason}`);
  return checked.config;
}

async function main(): Promise<void> {
  checkEnvironment(process.env, 'start');
  const address = temporalAddress();
  const metricsPort = envPort('METRICS_PORT', 9464);
  installRuntime(envPort('TEMPORAL_METRICS_PORT', 9465));
  // Checked first: a cockpit bound beyond loopback without credentials refuses to start, and so does npm start.
  const cockpitSettings = envValue('DASHBOARD', process.env) === 'off' ? undefined : dashboardSettings();

  let devServer: DevServer | undefined;
  let uiUrl = process.env.TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233';
  if (await isListening(address)) {
    console.log(`Using the Temporal server already at ${address}`);
  } else {
    const dataDir = path.join(PROJECT_ROOT, 'data');
    console.log(`Starting the Temporal dev server on ${address} (history in data/temporal.db)...`);
    devServer = await startDevServer({
      address, uiPort: envPort('TEMPORAL_UI_PORT', 8233), dbFile: path.join(dataDir, 'temporal.db'), logFile: path.join(dataDir, 'temporal.log'),
    });
    uiUrl = devServer.uiUrl;
  }

  await migrateDatabase();
  // ---- embedded Ollama (issue 15): the one at OLLAMA_HOST, else ours from .tools/ollama ----
  const ollama = await ensureOllama((line) => console.log(line));
  const running = await runWorkers({ address, namespace: temporalNamespace(), queues: ALL_QUEUE_KEYS, metricsPort });

  let cockpit: Awaited<ReturnType<typeof startCockpitBeside>>;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping workers (a cycle in flight resumes on the next start)...`);
    await cockpit?.close();
    await running.shutdown();
    await devServer?.stop();
    await ollama?.stop();
    console.log('Stopped. `npm start` resumes the same portfolio.');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  const client = await connectClient(address);
  await ensureSearchAttributes(client);
  const outcome = await startPortfolio(client, defaultPortfolio(), (config) => chooseMarket(config, (line) => console.warn(line)));
  if (cockpitSettings) cockpit = await startCockpitBeside({ settings: { ...cockpitSettings, temporalUiUrl: uiUrl }, client }, (line) => console.warn(line));

  console.log('');
  console.log(`Portfolio ${outcome.workflowId}: ${outcome.kind} (${outcome.config.mode.toUpperCase()}, ${outcome.config.market})`);
  if (cockpit) console.log(`  Dashboard         ${cockpit.url}/portfolios/${outcome.config.portfolioId}`);
  console.log(`  Temporal Web UI   ${uiUrl}/namespaces/${temporalNamespace()}/workflows`);
  console.log(`  App metrics       ${running.metricsUrl}   (health: ${running.metricsUrl.replace('/metrics', '/health/ready')})`);
  console.log(`  Temporal metrics  http://127.0.0.1:${envPort('TEMPORAL_METRICS_PORT', 9465)}/metrics`);
  const models = panelOf(outcome.config.llm).map((m) => m.model);
  llmHealth.expect(models);
  console.log(`  LLM               ${models.join(', ')} at ${ollamaHost()}${ollama ? ' (embedded)' : ''}`);
  console.log(`  CLI               npx tradectl status | cycles | orders | pause | resume | stop`);
  console.log('Ctrl-C to stop.');
  await running.done;
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
