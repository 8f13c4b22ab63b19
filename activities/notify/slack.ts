/**
 * Slack incoming webhook (https://api.slack.com/messaging/webhooks): POST {"text": ...} to the webhook URL, which
 * is itself the secret. Slack answers 200 with the body `ok`; refusals are 4xx with a plain-text code
 * (`invalid_payload`, `invalid_token`, `no_service`, `channel_is_archived`), rate limits 429 with Retry-After.
 */
import { DeliveryError } from './channel';
import { chatWebhookChannel } from './chatWebhook';

export const slack = chatWebhookChannel({
  name: 'slack',
  label: 'Slack',
  urlDescription: 'incoming webhook URL',
  // Slack truncates a message's text past 40,000 characters and advises far less; this keeps a burst readable.
  maxText: 3_900,
  body: (text) => ({ text }),
  confirm(reply) {
    if (reply.text.trim() !== 'ok') throw new DeliveryError(`Slack answered HTTP ${reply.status} without "ok": ${reply.text.slice(0, 100)}`, 'malformed', true);
  },
});
