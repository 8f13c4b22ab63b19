/**
 * `npm run worker -- --queues marketData,inference`: serves any subset of the task queues, so each kind of
 * work scales by starting more of these processes.
 */
import type { Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { Command } from 'commander';
import { channelEnv } from '../activities/notify/registry';
import { telegramBot } from '../activities/notify/telegram';
import { startTelegramControl } from '../client/telegramControl';
import { connectClient, temporalAddress, temporalNamespace } from '../client/tradingClient';
import { llmHealth } from '../activities/llm/health';
import { ollamaHost } from '../activities/llm/ollamaChat';
import type { QueueKey } from '../workflows/queues';
import { closeDatabases, migrateDatabase } from '../prisma/database';
import { createWorkers, parseQueues, type WorkerSetOptions } from './createWorkers';
import { HealthMonitor } from './health';
import { probesFor } from './healthChecks';
import { startMetricsServer } from './metricsServer';
import { startPortfolioGauges } from './portfolioGauges';
import { envPort, installRuntime, metricsBindAddress } from './runtime';
import { checkEnvironment } from '../domain/environment';

export interface RunningWorkers {
  workers: Worker[];
  metricsUrl: string;
  health: HealthMonitor;
  /** Resolves when every worker has stopped. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export interface RunWorkersOptions {
  address: string;
  namespace: string;
  queues: QueueKey[];
  metricsPort: number;
  metricsHost?: string;
  /** A connection to reuse (tests); otherwise one is opened and closed with the workers. */
  connection?: NativeConnection;
  workflowBundle?: { code: string };
  activityOverrides?: WorkerSetOptions['activityOverrides'];
}

export async function runWorkers(opts: RunWorkersOptions): Promise<RunningWorkers> {
  // Orders, records and retraining decisions need the schema; `migrate deploy` is idempotent, so every such worker may run it.
  if (opts.queues.some((q) => q === 'execution' || q === 'persistence' || q === 'training')) await migrateDatabase();
  const connection = opts.connection ?? (await NativeConnection.connect({ address: opts.address }));
  const workers = await createWorkers({
    connection, namespace: opts.namespace, queues: opts.queues, workflowBundle: opts.workflowBundle, activityOverrides: opts.activityOverrides,
  });
  // The LLM's own health (ready, degraded, down) for /health/ready's detail and the trader_llm_* metrics.
  const servesLlm = opts.queues.includes('llm');
  if (servesLlm) llmHealth.startProbing(ollamaHost);
  const health = new HealthMonitor(
    opts.queues,
    probesFor(opts.queues, { connection, namespace: opts.namespace, address: opts.address, workers: () => workers }),
    () => {
      const failed = workers.filter((w) => w.getState() === 'FAILED').map((w) => w.options.taskQueue);
      return failed.length ? { live: false, reason: `worker failed for good on ${failed.join(', ')}` } : { live: true };
    },
  );
  const server = await startMetricsServer(opts.metricsPort, health, opts.metricsHost);
  const done = Promise.all(workers.map((w) => w.run())).then(() => undefined);
  // The notify worker also talks to operators: portfolio gauges for the alert rules, and Telegram commands.
  const services = opts.queues.includes('notify') ? await startOperatorServices(opts.address, opts.namespace) : [];
  return {
    workers,
    health,
    metricsUrl: `http://${displayHost(opts.metricsHost)}:${server.port}/metrics`,
    done,
    async shutdown() {
      // The operator services and the database clients must not hold a shutdown up (a query or a disconnect that
      // hangs); the workers themselves finish their in-flight tasks, as Temporal's graceful shutdown intends.
      await bounded(Promise.allSettled(services.map((s) => s.stop())), 10_000, 'stopping the portfolio gauges and Telegram commands');
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done.catch(() => undefined);
      server.closeAllConnections();
      server.close();
      llmHealth.stopProbing();
      if (!opts.connection) await connection.close();
      await bounded(closeDatabases(), 10_000, 'closing the database clients');
    },
  };
}

async function bounded(p: Promise<unknown>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      console.warn(`shutdown: ${what} took more than ${ms / 1000} s; going on without it`);
      resolve();
    }, ms);
  });
  await Promise.race([p.then(() => undefined, () => undefined), late]).finally(() => clearTimeout(timer));
}

function displayHost(host = metricsBindAddress()): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/** Services of the notify worker that need a Temporal client: the portfolio gauges and the Telegram command bot. */
async function startOperatorServices(address: string, namespace: string): Promise<{ stop(): Promise<void> }[]> {
  const client = await connectClient(address, namespace);
  const services = [startPortfolioGauges(client)];
  const telegram = telegramControlFromEnv(client);
  if (telegram) services.push(telegram);
  return [...services, { stop: () => client.connection.close() }];
}

function telegramControlFromEnv(client: Client): { stop(): Promise<void> } | undefined {
  const env = channelEnv('telegram', process.env);
  if (!env.flag('CONTROL')) return undefined;
  const bot = telegramBot(env);
  if (!bot) throw new Error(`${env.name('CONTROL')}=true needs ${env.name('BOT_TOKEN')}`);
  const allowedChats = (env.value('ALLOWED_CHATS') ?? env.value('CHAT_ID') ?? '').split(',').map((c) => c.trim()).filter(Boolean);
  if (allowedChats.length === 0) throw new Error(`${env.name('CONTROL')}=true needs ${env.name('ALLOWED_CHATS')} (or ${env.name('CHAT_ID')}): the chats whose commands are obeyed`);
  return startTelegramControl({ bot, allowedChats, defaultPortfolio: env.value('PORTFOLIO') ?? 'default', client });
}

async function main(): Promise<void> {
  checkEnvironment(process.env, 'worker');
  const program = new Command('worker')
    .option('-q, --queues <list>', 'comma-separated queue keys or names, or all', 'all')
    .parse(process.argv);
  const queues = parseQueues(program.opts().queues);
  const metricsPort = envPort('METRICS_PORT', 9464);
  installRuntime(envPort('TEMPORAL_METRICS_PORT', 9465));
  const running = await runWorkers({ address: temporalAddress(), namespace: temporalNamespace(), queues, metricsPort });
  console.log(`worker serving ${queues.join(', ')} on ${temporalAddress()}; metrics ${running.metricsUrl}`);
  const stop = () => void running.shutdown().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await running.done;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
