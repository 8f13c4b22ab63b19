/**
 * The notifier workflow's queue rules, pure: repeated ids are dropped (a replayed or resent event is delivered
 * once), a burst is gathered into one batch (200 fills in a minute make a handful of messages, not 200), critical
 * events go out at once, and a queue that grows past its bound while deliveries fail drops its oldest non-critical
 * events, counted, rather than growing the workflow's state without limit.
 */
import type { NotificationEvent } from './events';

export interface BatchLimits {
  windowMs: number;
  maxBatch: number;
  maxQueue: number;
  seenKept: number;
}

export const BATCHING: BatchLimits = {
  /** How long a burst is gathered before it is delivered, unless something critical is queued. */
  windowMs: 5_000,
  /** Events per delivery; more wait for the next one. */
  maxBatch: 100,
  /** Events queued at most (deliveries failing or slow); past it the oldest non-critical ones are dropped. */
  maxQueue: 1_000,
  /** Ids remembered to drop repeats (carried across continue-as-new). */
  seenKept: 1_000,
};

export interface NotifierQueue {
  queue: NotificationEvent[];
  seen: string[];
  /** Events dropped since the last delivery (queue overflow, failed deliveries): reported with the next one. */
  dropped: number;
}

export const EMPTY_QUEUE: NotifierQueue = { queue: [], seen: [], dropped: 0 };

export function enqueue(q: NotifierQueue, events: readonly NotificationEvent[], limits: BatchLimits = BATCHING): NotifierQueue {
  const known = new Set([...q.seen, ...q.queue.map((e) => e.id)]);
  const fresh: NotificationEvent[] = [];
  for (const e of events) {
    if (known.has(e.id)) continue;
    known.add(e.id);
    fresh.push(e);
  }
  let queue = [...q.queue, ...fresh];
  let dropped = q.dropped;
  if (queue.length > limits.maxQueue) {
    let excess = queue.length - limits.maxQueue;
    queue = queue.filter((e) => {
      if (excess > 0 && e.severity !== 'critical') {
        excess--;
        dropped++;
        return false;
      }
      return true;
    });
  }
  // Ids are remembered when queued, so a repeat arriving while its first copy waits is dropped too.
  const seen = [...q.seen, ...fresh.map((e) => e.id)].slice(-limits.seenKept);
  return { queue, seen, dropped };
}

export function hasUrgent(queue: readonly NotificationEvent[]): boolean {
  return queue.some((e) => e.severity === 'critical');
}

/** The next batch to deliver (oldest first) and what stays queued. */
export function takeBatch(q: NotifierQueue, limits: BatchLimits = BATCHING): { batch: NotificationEvent[]; dropped: number; rest: NotifierQueue } {
  return { batch: q.queue.slice(0, limits.maxBatch), dropped: q.dropped, rest: { ...q, queue: q.queue.slice(limits.maxBatch), dropped: 0 } };
}
