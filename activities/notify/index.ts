/**
 * The delivery activity (task queue `notify`): one batch from a notifier workflow to every configured channel
 * whose filter takes any of its events, the channels in parallel, each within its own timeout.
 *
 * Retries are Temporal's, steered from here: a channel that delivered (or refused for good) is remembered in the
 * heartbeat, so the next attempt only retries the others; a 429's Retry-After sets the next attempt's delay
 * (nextRetryDelay), otherwise it backs off exponentially. On the last attempt, or when the next one would start
 * after the schedule-to-close deadline, the channels still failing are given up: counted as dropped and logged.
 * Only activities are exported here: workflows proxy this module as a whole.
 */
import { createHash } from 'node:crypto';
import { Context, log } from '@temporalio/activity';
import { redactValues } from '../execution/redaction';
import { EVENT_CATALOGUE, type NotificationEvent } from '../../domain/notifications/events';
import { DeliveryError, type NotificationChannel } from './channel';
import { notifyMetrics } from './metrics';
import { loadChannels, matches } from './registry';
import { failure } from '../../domain/failures';
import { envValue } from '../../domain/environment';

export interface DeliveryInput {
  notifierId: string;
  batch: NotificationEvent[];
  /** Events the notifier dropped since its last delivery (queue overflow, batches that ran out of attempts). */
  droppedBefore: number;
  /** The workflow's maximumAttempts: on that attempt, what still fails is given up instead of retried. */
  maxAttempts: number;
}

export interface DeliveryReport {
  events: number;
  delivered: string[];
  refused: { channel: string; error: string }[];
  dropped: { channel: string; error: string }[];
  /** Channels whose filter took none of the batch's events. */
  skipped: string[];
}

/** Per channel and attempt (NOTIFY_SEND_TIMEOUT_MS). */
function sendTimeoutMs(): number {
  return envValue('NOTIFY_SEND_TIMEOUT_MS', process.env) ?? 15_000;
}
const BACKOFF = { initialMs: 2_000, maxMs: 600_000 };
const MAX_RETRY_AFTER_MS = 3_600_000;

type Done = Record<string, 'delivered' | 'refused' | 'skipped'>;

function checkInput(input: DeliveryInput): void {
  const ok = input && typeof input.notifierId === 'string' && Array.isArray(input.batch) && input.batch.every((e) => e && typeof e.id === 'string' && e.kind in EVENT_CATALOGUE);
  if (!ok) throw failure('InvalidInput', 'deliverNotifications expects { notifierId, batch: NotificationEvent[] } with catalogued kinds');
}

/** The same for every attempt of one batch, so a receiver can key on it. */
export function deliveryId(notifierId: string, batch: readonly NotificationEvent[]): string {
  return `${notifierId}:${createHash('sha256').update(batch.map((e) => e.id).join('\n')).digest('hex').slice(0, 24)}`;
}

export async function deliverNotifications(input: DeliveryInput): Promise<DeliveryReport> {
  checkInput(input);
  const ctx = Context.current();
  const { attempt, heartbeatDetails, scheduledTimestampMs, scheduleToCloseTimeoutMs } = ctx.info;
  if (attempt === 1) {
    for (const e of input.batch) notifyMetrics.events.inc({ portfolio: e.portfolioId, kind: e.kind, severity: e.severity });
    if (input.droppedBefore > 0) notifyMetrics.dropped.inc({ channel: 'all', reason: 'notifier' }, input.droppedBefore);
  }
  const channels = loadChannels();
  const secrets = channels.flatMap((c) => c.secrets);
  const redact = (text: string) => redactValues(text, secrets);
  const done: Done = { ...((heartbeatDetails as { done?: Done } | undefined)?.done ?? {}) };
  const id = deliveryId(input.notifierId, input.batch);
  const report: DeliveryReport = { events: input.batch.length, delivered: [], refused: [], dropped: [], skipped: [] };

  const timeoutMs = sendTimeoutMs();
  const failures: { channel: NotificationChannel; error: DeliveryError }[] = [];
  await Promise.all(channels.filter((c) => !done[c.name]).map(async (channel) => {
    const events = input.batch.filter((e) => matches(channel.filter, e));
    if (events.length === 0) {
      done[channel.name] = 'skipped';
      return;
    }
    try {
      await channel.send(events, { signal: AbortSignal.timeout(timeoutMs), timeoutMs, deliveryId: id });
      done[channel.name] = 'delivered';
      notifyMetrics.sent.inc({ channel: channel.name });
    } catch (err) {
      const error = err instanceof DeliveryError ? err : new DeliveryError((err as Error).message ?? String(err), 'malformed', true);
      notifyMetrics.failed.inc({ channel: channel.name, reason: error.reason });
      if (error.retryable) {
        failures.push({ channel, error });
      } else {
        done[channel.name] = 'refused';
        report.refused.push({ channel: channel.name, error: redact(error.message) });
        notifyMetrics.dropped.inc({ channel: channel.name, reason: error.reason }, events.length);
        log.error('notification refused by channel', { channel: channel.name, error: redact(error.message) });
      }
    }
  }));
  for (const [name, outcome] of Object.entries(done)) {
    if (outcome === 'delivered') report.delivered.push(name);
    if (outcome === 'skipped') report.skipped.push(name);
  }
  ctx.heartbeat({ done });
  if (failures.length === 0) return report;

  const rateLimit = Math.max(...failures.map((f) => f.error.retryAfterMs ?? 0));
  const backoff = Math.min(BACKOFF.initialMs * 2 ** (attempt - 1), BACKOFF.maxMs);
  const delay = Math.min(rateLimit > 0 ? rateLimit : backoff, MAX_RETRY_AFTER_MS);
  const deadline = scheduleToCloseTimeoutMs ? scheduledTimestampMs + scheduleToCloseTimeoutMs : Infinity;
  const summary = failures.map((f) => `${f.channel.name}: ${redact(f.error.message)}`).join('; ');
  if (attempt >= input.maxAttempts || Date.now() + delay + timeoutMs > deadline) {
    for (const f of failures) {
      const events = input.batch.filter((e) => matches(f.channel.filter, e)).length;
      notifyMetrics.dropped.inc({ channel: f.channel.name, reason: f.error.reason }, events);
      report.dropped.push({ channel: f.channel.name, error: redact(f.error.message) });
    }
    log.error('notifications given up after their last attempt', { attempt, failures: summary });
    return report;
  }
  throw failure('NotificationDeliveryFailed', `delivery failed, retrying in ${delay} ms: ${summary}`, { nextRetryDelay: delay });
}
