/** Notification metrics, on the registry every worker serves at /metrics. */
import { counter } from '../metrics';

export const notifyMetrics = {
  events: counter('trader_notification_events_total', 'Events handed to the notify worker, by portfolio, kind and severity (counted once per batch, whatever the channels)', ['portfolio', 'kind', 'severity']),
  sent: counter('trader_notifications_sent_total', 'Batches delivered, by channel', ['channel']),
  failed: counter('trader_notifications_failed_total', 'Delivery attempts that failed, by channel and reason (rate_limited, timeout, network, server_error, rejected, malformed)', ['channel', 'reason']),
  dropped: counter('trader_notifications_dropped_total', 'Events given up on, by channel (all: dropped by the notifier before any channel) and reason', ['channel', 'reason']),
};
