/**
 * The dependency probes behind /health/ready (./health.ts), and which of them each task queue needs:
 *   every worker  Temporal: the connection answers and the server sees this worker polling each of its queues
 *   execution, persistence, training  the database, by a real query on a fresh connection
 *   inference     the signal model loaded (its version)
 *   llm           Ollama reachable and the model pulled
 *   notify        the channel configuration is valid
 *   marketData, execution  the exchange reachable (cached a minute, so probes never eat the rate limit); required
 *                 only by an execution worker allowed to trade live, since paper portfolios fall back to sim
 */
import fs from 'node:fs';
import { createClient } from '@libsql/client';
import { temporal } from '@temporalio/proto';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { llmHealth } from '../activities/llm/health';
import { displayHost, ollamaClient, ollamaHost, pulledModels, withoutCredentials, withTag } from '../activities/llm/ollamaChat';
import { publicExchange } from '../activities/execution/connector';
import { readExchangeSettings } from '../activities/execution/exchangeSettings';
import { LIVE_OPT_IN_ENV, LIVE_OPT_IN_VALUE } from '../activities/execution/liveBroker';
import { loadModel } from '../activities/inference';
import { loadChannels } from '../activities/notify/registry';
import { defaultConfig } from '../domain/config';
import type { QueueKey } from '../workflows/queues';
import { databaseKind, openDatabase, redactUrl, resolveDatabaseUrl, sqliteFilePath } from '../prisma/database';
import type { DependencyProbe } from './health';

const TaskQueueType = temporal.api.enums.v1.TaskQueueType;

/** A worker not seen polling within this long after it started is reported as not polling. */
const FIRST_POLL_GRACE_MS = 15_000;

export function temporalProbe(connection: NativeConnection, namespace: string, workers: () => Worker[], address: string): DependencyProbe {
  const startedAt = Date.now();
  return {
    name: 'temporal', required: true, ttlMs: 5_000,
    async probe() {
      const queues: Record<string, unknown> = {};
      const problems: string[] = [];
      for (const w of workers()) {
        const name = w.options.taskQueue;
        const state = w.getState();
        const kind = w.options.workflowBundle || w.options.workflowsPath ? TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW : TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY;
        let pollers: { identity?: string | null }[] = [];
        try {
          const described = await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name }, taskQueueType: kind });
          pollers = described.pollers ?? [];
        } catch (err) {
          return { ok: false, reason: `temporal: the server at ${address} does not answer (${(err as Error).message.split('\n')[0]})` };
        }
        const polling = pollers.some((p) => p.identity === w.options.identity);
        queues[name] = { state, polling, pollers: pollers.length };
        if (state !== 'RUNNING') problems.push(`the ${name} worker is ${state}`);
        else if (!polling && Date.now() - startedAt > FIRST_POLL_GRACE_MS) problems.push(`the server sees no poller of this worker on ${name}`);
      }
      return problems.length ? { ok: false, reason: `temporal: ${problems.join('; ')}`, detail: { address, namespace, queues } } : { ok: true, detail: { address, namespace, queues } };
    },
  };
}

/**
 * A real query, on a connection opened for the probe: the workers' pooled connection can keep reading a file that
 * was deleted or replaced under it, a fresh one finds out. PostgreSQL: the pooled client (its pool reconnects).
 */
export function databaseProbe(url: string | undefined = process.env.DATABASE_URL): DependencyProbe {
  return {
    name: 'database', required: true, ttlMs: 5_000,
    async probe() {
      const resolved = resolveDatabaseUrl(url, { createDir: false });
      const where = redactUrl(resolved);
      const kind = databaseKind(resolved);
      try {
        let migrations: number;
        if (kind === 'sqlite') {
          const file = sqliteFilePath(resolved);
          // An absent file would be created empty by the open below: that is a missing database, not a new one.
          fs.accessSync(file, fs.constants.R_OK | fs.constants.W_OK);
          const client = createClient({ url: resolved });
          try {
            const rows = await client.execute('SELECT count(*) AS n FROM "_prisma_migrations"');
            migrations = Number(rows.rows[0]?.n ?? 0);
          } finally {
            client.close();
          }
        } else {
          const rows = await openDatabase(resolved).$queryRawUnsafe<{ n: bigint | number }[]>('SELECT count(*) AS n FROM "_prisma_migrations"');
          migrations = Number(rows[0]?.n ?? 0);
        }
        if (migrations === 0) return { ok: false, reason: `database: ${where} has no migrations applied (npm run db:migrate)`, detail: { kind, url: where } };
        return { ok: true, detail: { kind, url: where, migrations } };
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const why = e.code === 'ENOENT' ? 'the file does not exist' : e.code === 'EACCES' ? 'the file cannot be read or written' : e.message.split('\n')[0];
        return { ok: false, reason: `database: ${where}: ${why}`, detail: { kind, url: where } };
      }
    },
  };
}

export function modelProbe(): DependencyProbe {
  return {
    name: 'model', required: true, ttlMs: 10_000, timeoutMs: 30_000,
    async probe() {
      try {
        const m = await loadModel();
        return { ok: true, detail: { version: m.version, sha256: m.sha256.slice(0, 12), loadedAt: m.loadedAt, dir: m.dir } };
      } catch (err) {
        return { ok: false, reason: `model: ${(err as Error).message}` };
      }
    },
  };
}

export function ollamaProbe(host = ollamaHost(), model = process.env.OLLAMA_MODEL || defaultConfig().llm.model): DependencyProbe {
  // The host as the activity reaches it (user:pass@ as a Basic header) and as it may be shown (without them).
  const shown = displayHost(host);
  return {
    name: 'ollama', required: true, ttlMs: 10_000,
    async probe() {
      let pulled: Set<string>;
      try {
        pulled = await pulledModels(ollamaClient(host, AbortSignal.timeout(2_500)));
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code;
        return { ok: false, reason: `ollama: unreachable at ${shown} (${withoutCredentials(cause ?? (err as Error).message)})`, detail: { host: shown, model } };
      }
      const models = [...pulled];
      if (!pulled.has(withTag(model))) return { ok: false, reason: `ollama: model ${model} is not pulled at ${shown} (ollama pull ${model})`, detail: { host: shown, model, models } };
      // Ready to be asked; how the asking goes (slow answers, fallbacks: degraded) is the LLM's own health.
      return { ok: true, detail: { host: shown, model, models: models.length, llm: llmHealth.snapshot() } };
    },
  };
}

export function notifyProbe(): DependencyProbe {
  return {
    name: 'notify', required: true, ttlMs: 30_000,
    async probe() {
      try {
        const channels = loadChannels().map((c) => c.name);
        return { ok: true, detail: { channels, ...(channels.length === 0 ? { note: 'no channel configured: events are counted, not sent' } : {}) } };
      } catch (err) {
        return { ok: false, reason: (err as Error).message };
      }
    },
  };
}

export function exchangeProbe(required: boolean, env: NodeJS.ProcessEnv = process.env): DependencyProbe {
  const exchangeId = env.EXCHANGE_ID?.trim() || 'binance';
  return {
    name: 'exchange', required, ttlMs: 60_000, timeoutMs: 5_000,
    async probe() {
      try {
        const settings = readExchangeSettings(exchangeId, env);
        const time = await publicExchange(settings).fetchTime();
        return { ok: true, detail: { exchange: exchangeId, sandbox: settings.sandbox, serverTime: time ? new Date(time).toISOString() : undefined } };
      } catch (err) {
        return { ok: false, reason: `exchange: ${exchangeId} is not reachable (${(err as Error).message.split('\n')[0].slice(0, 200)})`, detail: { exchange: exchangeId } };
      }
    },
  };
}

export interface ProbeContext {
  connection: NativeConnection;
  namespace: string;
  address: string;
  workers: () => Worker[];
  env?: NodeJS.ProcessEnv;
}

/** The probes a process serving `queues` needs. */
export function probesFor(queues: readonly QueueKey[], ctx: ProbeContext): DependencyProbe[] {
  const env = ctx.env ?? process.env;
  const has = (...q: QueueKey[]) => q.some((k) => queues.includes(k));
  const probes = [temporalProbe(ctx.connection, ctx.namespace, ctx.workers, ctx.address)];
  if (has('execution', 'persistence', 'training')) probes.push(databaseProbe(env.DATABASE_URL));
  if (has('inference')) probes.push(modelProbe());
  if (has('llm')) probes.push(ollamaProbe(env.OLLAMA_HOST || undefined, env.OLLAMA_MODEL || undefined));
  if (has('notify')) probes.push(notifyProbe());
  if (has('marketData', 'execution')) probes.push(exchangeProbe(has('execution') && env[LIVE_OPT_IN_ENV] === LIVE_OPT_IN_VALUE, env));
  return probes;
}
