/**
 * One HTTP POST for the HTTP channels (Node's fetch), classified the way every one of those APIs means it:
 * 2xx accepted, 429 rate-limited (Retry-After in seconds or as a date, or the API's own field), 408 and 5xx
 * worth retrying, any other 4xx refused for good; a connection error or a timeout is worth retrying too.
 */
import { DeliveryError, type DeliveryOptions } from './channel';

export interface HttpReply {
  status: number;
  headers: Headers;
  text: string;
}

/** Retry-After: delay-seconds or an HTTP-date (RFC 9110 10.2.3), in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

export async function post(url: string, body: string, headers: Record<string, string>, delivery: DeliveryOptions): Promise<HttpReply> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, signal: delivery.signal, redirect: 'error' });
  } catch (err) {
    if (delivery.signal.aborted) throw new DeliveryError(`no answer within ${delivery.timeoutMs} ms`, 'timeout', true);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new DeliveryError(`request failed: ${cause?.code ?? cause?.message ?? (err as Error).message}`, 'network', true);
  }
  let text: string;
  try {
    text = await response.text();
  } catch {
    if (delivery.signal.aborted) throw new DeliveryError(`reply not finished within ${delivery.timeoutMs} ms`, 'timeout', true);
    throw new DeliveryError(`reply cut off (HTTP ${response.status})`, 'network', true);
  }
  return { status: response.status, headers: response.headers, text };
}

/** Throws the DeliveryError an unsuccessful status means; `retryAfter` may read the API's own field from the body. */
export function checkStatus(reply: HttpReply, what: string, retryAfter: (reply: HttpReply) => number | undefined = (r) => retryAfterMs(r.headers.get('retry-after'))): void {
  const { status } = reply;
  if (status >= 200 && status < 300) return;
  const excerpt = reply.text.replace(/\s+/g, ' ').trim().slice(0, 200);
  const message = `${what} answered HTTP ${status}${excerpt ? `: ${excerpt}` : ''}`;
  if (status === 429) throw new DeliveryError(message, 'rate_limited', true, retryAfter(reply));
  if (status === 408 || status >= 500) throw new DeliveryError(message, 'server_error', true);
  throw new DeliveryError(message, 'rejected', false);
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
