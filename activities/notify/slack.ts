/**
 * Slack incoming webhook (https://api.slack.com/messaging/webhooks): POST {"text": ...} to the webhook URL, which
 * is itself the secret. Slack answers 200 with the body `ok`; refusals are 4xx with a plain-text code
 * (`invalid_payload`, `invalid_token`, `no_service`, `channel_is_archived`), rate limits 429 with Retry-After.
 */
import { DeliveryError, type ChannelDefinition } from './channel';
import { checkStatus, post } from './http';
import { renderText } from './render';

/** Slack truncates a message's text past 40,000 characters and advises far less; this keeps a burst readable. */
const MAX_TEXT = 3_900;

export const slack: ChannelDefinition = {
  name: 'slack',
  variables: { WEBHOOK_URL: 'incoming webhook URL (secret; or WEBHOOK_URL_FILE)' },
  fromEnv(env, filter) {
    const url = env.secret('WEBHOOK_URL');
    if (!url) return undefined;
    return {
      name: 'slack', filter, secrets: [url],
      async send(events, delivery) {
        const reply = await post(url, JSON.stringify({ text: renderText(events, MAX_TEXT) }), {}, delivery);
        checkStatus(reply, 'Slack');
        if (reply.text.trim() !== 'ok') throw new DeliveryError(`Slack answered HTTP ${reply.status} without "ok": ${reply.text.slice(0, 100)}`, 'malformed', true);
      },
    };
  },
};
