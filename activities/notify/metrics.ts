/** Notification metrics, on the registry every worker serves at /metrics. */
import { Counter } from 'prom-client';
import { registry } from '../metrics';

export const notifyMetrics = {
  events: new Counter({
    name: 'trader_notification_events_total',
    help: 'Events handed to the notify worker, by portfolio, kind and severity (counted once per batch, whatever the channels)',
    labelNames: ['portfolio', 'kind', 'severity'] as const,
    registers: [registry],
  }),
  sent: new Counter({
    name: 'trader_notifications_sent_total',
    help: 'Batches delivered, by channel',
    labelNames: ['channel'] as const,
    registers: [registry],
  }),
  failed: new Counter({
    name: 'trader_notifications_failed_total',
    help: 'Delivery attempts that failed, by channel and reason (rate_limited, timeout, network, server_error, rejected, malformed)',
    labelNames: ['channel', 'reason'] as const,
    registers: [registry],
  }),
  dropped: new Counter({
    name: 'trader_notifications_dropped_total',
    help: 'Events given up on, by channel (all: dropped by the notifier before any channel) and reason',
    labelNames: ['channel', 'reason'] as const,
    registers: [registry],
  }),
};
