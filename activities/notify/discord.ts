/**
 * Discord webhook (https://discord.com/developers/docs/resources/webhook#execute-webhook): POST {"content": ...}
 * with `?wait=true`, so Discord answers 200 with the created message instead of 204. Rate limits are 429 with a
 * JSON body `{"message", "retry_after" (seconds, fractional), "global"}` and a Retry-After header. Mentions are
 * disabled: an event's text never pings anyone.
 */
import type { ChannelDefinition } from './channel';
import { checkStatus, parseJson, post, retryAfterMs, type HttpReply } from './http';
import { renderText } from './render';

/** Discord's limit on a message's content. */
const MAX_CONTENT = 2_000;

function discordRetryAfter(reply: HttpReply): number | undefined {
  const body = parseJson(reply.text) as { retry_after?: unknown } | undefined;
  if (typeof body?.retry_after === 'number' && body.retry_after >= 0) return Math.round(body.retry_after * 1000);
  return retryAfterMs(reply.headers.get('retry-after'));
}

export const discord: ChannelDefinition = {
  name: 'discord',
  variables: { WEBHOOK_URL: 'webhook URL (secret; or WEBHOOK_URL_FILE)' },
  fromEnv(env, filter) {
    const url = env.secret('WEBHOOK_URL');
    if (!url) return undefined;
    const target = new URL(url);
    target.searchParams.set('wait', 'true');
    return {
      name: 'discord', filter, secrets: [url, target.toString()],
      async send(events, delivery) {
        const body = JSON.stringify({ content: renderText(events, MAX_CONTENT), allowed_mentions: { parse: [] } });
        const reply = await post(target.toString(), body, {}, delivery);
        // A 2xx means Discord took the message; an unreadable body after it must not post it twice.
        checkStatus(reply, 'Discord', discordRetryAfter);
      },
    };
  },
};
