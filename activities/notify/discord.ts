/**
 * Discord webhook (https://discord.com/developers/docs/resources/webhook#execute-webhook): POST {"content": ...}
 * with `?wait=true`, so Discord answers 200 with the created message instead of 204. Rate limits are 429 with a
 * JSON body `{"message", "retry_after" (seconds, fractional), "global"}` and a Retry-After header. Mentions are
 * disabled: an event's text never pings anyone. A 2xx means Discord took the message; an unreadable body after it
 * must not post it twice, so nothing in the body is checked.
 */
import { chatWebhookChannel } from './chatWebhook';
import { parseJson, retryAfterMs } from './http';

export const discord = chatWebhookChannel({
  name: 'discord',
  label: 'Discord',
  urlDescription: 'webhook URL',
  // Discord's limit on a message's content.
  maxText: 2_000,
  target(webhookUrl) {
    const target = new URL(webhookUrl);
    target.searchParams.set('wait', 'true');
    return target.toString();
  },
  body: (content) => ({ content, allowed_mentions: { parse: [] } }),
  retryAfter(reply) {
    const body = parseJson(reply.text) as { retry_after?: unknown } | undefined;
    if (typeof body?.retry_after === 'number' && body.retry_after >= 0) return Math.round(body.retry_after * 1000);
    return retryAfterMs(reply.headers.get('retry-after'));
  },
});
