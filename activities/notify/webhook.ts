/**
 * A generic JSON webhook for machines: POST the whole batch as JSON, signed with HMAC-SHA256 so the receiver can
 * check it came from us and was not replayed.
 *
 *   X-Trader-Timestamp: <unix seconds>
 *   X-Trader-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *   X-Trader-Delivery:  <the same id for every attempt of one batch>
 *   body: {"deliveryId", "notifier", "sentAt", "events": [{"id", "kind", "severity", "portfolioId", "mode", "time", "title", "text", "data"}]}
 *
 * A receiver recomputes the HMAC over the raw body, compares in constant time, refuses a timestamp more than a few
 * minutes old, and deduplicates on each event's `id` (a retried batch carries the same ids). Any 2xx is success.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ChannelDefinition } from './channel';
import { checkStatus, post } from './http';

export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does (and the tests' receiver does): true when the signature is ours and fresh. */
export function verifySignature(secret: string, headers: { timestamp?: string; signature?: string }, body: string, now = Date.now(), toleranceMs = 300_000): boolean {
  if (!headers.timestamp || !headers.signature) return false;
  const age = Math.abs(now - Number(headers.timestamp) * 1000);
  if (!(age <= toleranceMs)) return false;
  const expected = Buffer.from(signature(secret, headers.timestamp, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export const webhook: ChannelDefinition = {
  name: 'webhook',
  variables: {
    URL: 'receiver URL (secret, it may carry a token; or URL_FILE)',
    SECRET: 'HMAC-SHA256 signing key, required (secret; or SECRET_FILE)',
  },
  fromEnv(env, filter) {
    const url = env.secret('URL');
    if (!url) return undefined;
    const key = env.secret('SECRET');
    if (!key) throw new Error(`${env.name('SECRET')} (or ${env.name('SECRET')}_FILE) is required with ${env.name('URL')}: receivers must be able to check the signature`);
    return {
      name: 'webhook', filter, secrets: [url, key],
      async send(events, delivery) {
        const body = JSON.stringify({ deliveryId: delivery.deliveryId, notifier: 'temporal-trader', sentAt: new Date().toISOString(), events });
        const timestamp = String(Math.floor(Date.now() / 1000));
        const reply = await post(url, body, {
          'x-trader-timestamp': timestamp, 'x-trader-signature': signature(key, timestamp, body), 'x-trader-delivery': delivery.deliveryId,
        }, delivery);
        checkStatus(reply, 'webhook receiver');
      },
    };
  },
};
