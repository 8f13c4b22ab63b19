/**
 * `npm run worker -- --queues marketData,inference`: serves any subset of the task queues, so each kind of
 * work scales by starting more of these processes.
 */
import { NativeConnection, type Worker } from '@temporalio/worker';
import { Command } from 'commander';
import { temporalAddress, temporalNamespace } from '../client/tradingClient';
import { llmHealth } from '../activities/llm/health';
import { ollamaHost } from '../activities/llm/ollamaChat';
import type { QueueKey } from '../domain/queues';
import { closeDatabases, migrateDatabase } from '../prisma/database';
import { createWorkers, parseQueues } from './createWorkers';
import { startMetricsServer } from './metricsServer';
import { envPort, installRuntime } from './runtime';

export interface RunningWorkers {
  workers: Worker[];
  metricsUrl: string;
  /** Resolves when every worker has stopped. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export async function runWorkers(opts: { address: string; namespace: string; queues: QueueKey[]; metricsPort: number }): Promise<RunningWorkers> {
  // Orders, records and retraining decisions need the schema; `migrate deploy` is idempotent, so every such worker may run it.
  if (opts.queues.some((q) => q === 'execution' || q === 'persistence' || q === 'training')) await migrateDatabase();
  const connection = await NativeConnection.connect({ address: opts.address });
  const workers = await createWorkers({ connection, namespace: opts.namespace, queues: opts.queues });
  // The LLM's health (ready, degraded, down) is reported, but an advisor that is down does not make the worker unhealthy.
  const servesLlm = opts.queues.includes('llm');
  if (servesLlm) llmHealth.startProbing(ollamaHost);
  const server = await startMetricsServer(opts.metricsPort, () => {
    const states = Object.fromEntries(workers.map((w) => [w.options.taskQueue, w.getState()]));
    return { ok: Object.values(states).every((s) => s === 'RUNNING' || s === 'INITIALIZED'), queues: states, ...(servesLlm ? { llm: llmHealth.snapshot() } : {}) };
  });
  const done = Promise.all(workers.map((w) => w.run())).then(() => undefined);
  return {
    workers,
    metricsUrl: `http://127.0.0.1:${server.port}/metrics`,
    done,
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done.catch(() => undefined);
      server.close();
      llmHealth.stopProbing();
      await connection.close();
      await closeDatabases();
    },
  };
}

async function main(): Promise<void> {
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
