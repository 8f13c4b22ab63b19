/** Builds one Temporal Worker per requested task queue, sharing one connection. */
import { ApplicationFailure } from '@temporalio/common';
import {
  NativeConnection, Worker, type ActivityExecuteInput, type ActivityInboundCallsInterceptor, type Next,
} from '@temporalio/worker';
import type { Context } from '@temporalio/activity';
import { metrics } from '../activities/metrics';
import { TASK_QUEUES, type QueueKey } from '../workflows/queues';
import { ACTIVITIES_BY_QUEUE, CONCURRENCY } from './activitiesByQueue';

/** Counts every failed activity attempt by type, so retries that later succeed still show up. */
class FailureCounter implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: Context) {}
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    try {
      return await next(input);
    } catch (err) {
      const type = err instanceof ApplicationFailure ? err.type ?? 'ApplicationFailure' : err instanceof Error ? err.name : 'unknown';
      metrics.activityFailures.inc({ activity: this.ctx.info.activityType, type });
      throw err;
    }
  }
}

export interface WorkerSetOptions {
  connection: NativeConnection;
  namespace?: string;
  queues: QueueKey[];
  /** A pre-built bundle (tests build once); otherwise the worker bundles workflows/ at start. */
  workflowBundle?: { code: string };
  /** Replaces or wraps activities of a queue, e.g. to drop a response in a fault-injection test. */
  activityOverrides?: Partial<Record<QueueKey, object>>;
}

export async function createWorkers(opts: WorkerSetOptions): Promise<Worker[]> {
  const common = { connection: opts.connection, namespace: opts.namespace ?? 'default' };
  return Promise.all(
    opts.queues.map((queue) => {
      if (queue === 'workflows') {
        return Worker.create({
          ...common,
          taskQueue: TASK_QUEUES.workflows,
          ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
          maxConcurrentWorkflowTaskExecutions: CONCURRENCY.workflows,
        });
      }
      return Worker.create({
        ...common,
        taskQueue: TASK_QUEUES[queue],
        activities: { ...ACTIVITIES_BY_QUEUE[queue], ...opts.activityOverrides?.[queue] },
        maxConcurrentActivityTaskExecutions: CONCURRENCY[queue],
        interceptors: { activity: [(ctx: Context) => ({ inbound: new FailureCounter(ctx) })] },
      });
    }),
  );
}

export function parseQueues(list: string | undefined): QueueKey[] {
  if (!list || list === 'all') return Object.keys(TASK_QUEUES) as QueueKey[];
  const byName = new Map<string, QueueKey>();
  for (const [key, name] of Object.entries(TASK_QUEUES)) {
    byName.set(key, key as QueueKey);
    byName.set(name, key as QueueKey);
  }
  const keys = list.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const key = byName.get(s);
    if (!key) throw new Error(`unknown queue '${s}': use all or any of ${[...byName.keys()].join(', ')}`);
    return key;
  });
  return [...new Set(keys)];
}
