/**
 * Loopback servers that speak the notification APIs the way the real services do, with faults to inject:
 * Slack incoming webhooks (`ok`, plain-text error codes, 429 with Retry-After), the Telegram Bot API (sendMessage
 * and getUpdates, `{ok, result}` / `{ok: false, error_code, description, parameters.retry_after}`), Discord
 * webhooks (`?wait=true` message JSON, 429 with a `retry_after` body) and a signed-webhook receiver that checks the
 * HMAC. Each records what it accepted; `faults` is a queue of answers to give instead, one per request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { verifySignature } from '../../activities/notify/webhook';
import type { NotificationEvent } from '../../domain/notifications/events';
import { jsonOrText, listenOnLoopback, readBody } from './loopbackServer';

/** What to do with one request instead of answering normally. */
export type Fault =
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'garbage'; status?: number };

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  raw: string;
  body: unknown;
  at: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Requests answered normally (what the service would have delivered). */
  accepted: Received[];
  faults: Fault[];
  close(): Promise<void>;
}

type Handler = (req: Received, res: ServerResponse) => void;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function serve(answer: Handler): Promise<Receiver & { server: Server }> {
  const hanging = new Set<ServerResponse>();
  const receiver = {
    url: '', received: [] as Received[], accepted: [] as Received[], faults: [] as Fault[],
  } as Receiver & { server: Server };
  const server = createServer(async (req, res) => {
    res.on('error', () => undefined);
    const raw = await readBody(req).catch(() => '');
    const r: Received = { path: req.url ?? '/', headers: req.headers, raw, body: jsonOrText(raw), at: Date.now() };
    receiver.received.push(r);
    const fault = receiver.faults.shift();
    if (fault?.kind === 'hang') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (fault?.kind === 'garbage') {
      res.writeHead(fault.status ?? 200, { 'content-type': 'text/html' });
      res.end('<html><body>502 Bad Gateway</body></html>');
      return;
    }
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'text/plain', ...fault.headers });
      res.end(fault.body ?? '');
      return;
    }
    receiver.accepted.push(r);
    answer(r, res);
  });
  const loopback = await listenOnLoopback(server);
  receiver.server = server;
  receiver.url = loopback.url;
  receiver.close = () => {
    for (const res of hanging) res.destroy();
    return loopback.close();
  };
  return receiver;
}

/** Slack's incoming webhook: 200 `ok`. */
export function slackReceiver(): Promise<Receiver> {
  return serve((_r, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('ok');
  });
}

/** Discord's webhook with `?wait=true`: 200 and the created message. */
export function discordReceiver(): Promise<Receiver> {
  let id = 1_000;
  return serve((r, res) => {
    const body = r.body as { content?: string };
    sendJson(res, 200, { id: String(id++), type: 0, content: body.content, channel_id: '42', author: { bot: true, id: '7', username: 'trader' } });
  });
}

export interface TelegramUpdate {
  update_id: number;
  message: { message_id: number; date: number; text: string; chat: { id: number; type: string }; from: { id: number; is_bot: boolean; first_name: string } };
}

export interface TelegramServer extends Receiver {
  token: string;
  /** Messages sent by the bot, per chat id. */
  sent(chatId?: number | string): { chat_id: string | number; text: string }[];
  /** Queues a user's message for getUpdates. */
  say(chatId: number, text: string): void;
}

/** The Bot API for one token: sendMessage records, getUpdates serves queued messages (long poll up to `timeout` s). */
export async function telegramServer(token = '123456:TEST-token-not-real'): Promise<TelegramServer> {
  const updates: TelegramUpdate[] = [];
  const waiting = new Set<() => void>();
  let nextUpdate = 1;
  let messageId = 1;
  const receiver = await serve((r, res) => {
    const match = /^\/bot([^/]+)\/(\w+)/.exec(r.path);
    if (!match || match[1] !== token) return sendJson(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const params = (r.body ?? {}) as Record<string, unknown>;
    if (match[2] === 'sendMessage') {
      if (!params.chat_id || typeof params.text !== 'string' || params.text.length === 0) {
        return sendJson(res, 400, { ok: false, error_code: 400, description: 'Bad Request: message text is empty' });
      }
      if (params.text.length > 4096) return sendJson(res, 400, { ok: false, error_code: 400, description: 'Bad Request: message is too long' });
      return sendJson(res, 200, { ok: true, result: { message_id: messageId++, date: Math.floor(Date.now() / 1000), chat: { id: Number(params.chat_id), type: 'private' }, text: params.text } });
    }
    if (match[2] === 'getUpdates') {
      const offset = Number(params.offset ?? 0);
      const answer = () => sendJson(res, 200, { ok: true, result: updates.filter((u) => u.update_id >= offset) });
      if (updates.some((u) => u.update_id >= offset) || !params.timeout) return answer();
      // Long polling: answer when a message arrives or the timeout passes.
      const timer = setTimeout(() => { waiting.delete(wake); answer(); }, Math.min(Number(params.timeout), 5) * 1000);
      const wake = () => { clearTimeout(timer); waiting.delete(wake); answer(); };
      waiting.add(wake);
      res.on('close', () => { clearTimeout(timer); waiting.delete(wake); });
      return;
    }
    return sendJson(res, 404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
  });
  return Object.assign(receiver, {
    token,
    sent: (chatId?: number | string) => receiver.accepted
      .filter((r) => r.path.endsWith('/sendMessage'))
      .map((r) => r.body as { chat_id: string | number; text: string })
      .filter((b) => chatId === undefined || String(b.chat_id) === String(chatId)),
    say(chatId: number, text: string) {
      updates.push({ update_id: nextUpdate++, message: { message_id: messageId++, date: Math.floor(Date.now() / 1000), text, chat: { id: chatId, type: 'private' }, from: { id: chatId, is_bot: false, first_name: 'Op' } } });
      for (const wake of [...waiting]) wake();
    },
  });
}

export interface WebhookReceiver extends Receiver {
  /** Events from deliveries whose signature checked out, in arrival order (repeats included). */
  events(): NotificationEvent[];
  /** Deliveries refused for a bad signature. */
  forged(): number;
}

/** A receiver as the README tells users to write one: checks the HMAC and the timestamp, 401 otherwise. */
export async function webhookReceiver(secret: string): Promise<WebhookReceiver> {
  let forged = 0;
  const receiver = await serve((r, res) => {
    const ok = verifySignature(secret, { timestamp: r.headers['x-trader-timestamp'] as string, signature: r.headers['x-trader-signature'] as string }, r.raw);
    if (!ok) {
      forged++;
      receiver.accepted.pop();
      return sendJson(res, 401, { error: 'bad signature' });
    }
    sendJson(res, 202, { received: (r.body as { events: unknown[] }).events.length });
  });
  return Object.assign(receiver, {
    events: () => receiver.accepted.flatMap((r) => (r.body as { events: NotificationEvent[] }).events),
    forged: () => forged,
  });
}
