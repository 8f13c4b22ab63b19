/**
 * One notifier per portfolio (`notifier-<portfolioId>`, and `notifier-system` for model retraining): it takes the
 * events its portfolio derives (domain/notifications/derive.ts) by signal, drops repeated ids, gathers bursts on a
 * durable timer and hands each batch to the `deliverNotifications` activity on the `notify` task queue.
 *
 * Apart on purpose: the portfolio only signals it, which needs nothing but the Temporal server, so a channel that
 * is down, slow or rate-limited, or a notify worker that is not running, never delays, fails or blocks a cycle, a
 * halt or a liquidation. Deliveries wait here instead, in order, and what cannot be kept is dropped and counted.
 */
import {
  allHandlersFinished, condition, continueAsNew, defineSignal, log, proxyActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type * as notifyActivities from '../activities/notify';
import { BATCHING, EMPTY_QUEUE, enqueue, hasUrgent, takeBatch, type NotifierQueue } from '../domain/notifications/batching';
import type { NotificationEvent } from '../domain/notifications/events';
import { TASK_QUEUES } from './queues';
import { retryWith } from './retryPolicies';

export const notifySignal = defineSignal<[NotificationEvent[]]>('notify');

export function notifierWorkflowId(portfolioId: string): string {
  return `notifier-${portfolioId}`;
}

/** Attempts per batch: the activity honours 429 Retry-After and backs off itself (activities/notify/index.ts). */
export const DELIVERY_ATTEMPTS = 12;
/** A notifier with nothing to do for this long ends; the next event starts a new one. */
const IDLE_END_MS = 7 * 86_400_000;
const MAX_HISTORY_EVENTS = 10_000;

const notify = proxyActivities<typeof notifyActivities>({
  taskQueue: TASK_QUEUES.notify,
  startToCloseTimeout: '1m',
  // A notify worker down for longer than this loses the batch (counted as dropped), not the notifier's queue.
  scheduleToCloseTimeout: '30m',
  retry: retryWith({ initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10m', maximumAttempts: DELIVERY_ATTEMPTS }),
});

export interface NotifierInput {
  portfolioId: string;
  /** Carried across continue-as-new. */
  state?: NotifierQueue;
}

export async function notifierWorkflow(input: NotifierInput): Promise<void> {
  let q: NotifierQueue = input.state ?? EMPTY_QUEUE;
  setHandler(notifySignal, (events) => {
    q = enqueue(q, events);
  });

  for (;;) {
    if (!(await condition(() => q.queue.length > 0, IDLE_END_MS))) {
      await condition(allHandlersFinished);
      if (q.queue.length === 0) return;
      continue;
    }
    // Gather the burst: critical events (halts, liquidations, exits that failed) go out at once.
    if (!hasUrgent(q.queue)) await condition(() => hasUrgent(q.queue) || q.queue.length >= BATCHING.maxBatch, BATCHING.windowMs);
    const { batch, dropped, rest } = takeBatch(q);
    q = rest;
    try {
      await notify.deliverNotifications({ notifierId: workflowInfo().workflowId, batch, droppedBefore: dropped, maxAttempts: DELIVERY_ATTEMPTS });
    } catch (err) {
      // Out of attempts or time: reported as dropped with the next batch, whose worker counts it in the metrics.
      q = { ...q, dropped: q.dropped + batch.length };
      log.warn('notification batch not delivered', { events: batch.length, error: err instanceof Error ? err.message : String(err) });
    }
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof notifierWorkflow>({ portfolioId: input.portfolioId, state: q });
    }
  }
}
