/**
 * The delivery activity and every channel against loopback servers speaking each API's real request and answer
 * formats (tests/helpers/notifyReceivers.ts; e-mail: a real SMTP server from the smtp-server package), with the
 * faults they really give: timeouts, 429 with Retry-After or the API's own retry field, 5xx, refusals, malformed
 * answers. The activity runs in Temporal's MockActivityEnvironment, attempt by attempt, as the worker would run it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { SMTPServer } from 'smtp-server';
import { deliverNotifications, type DeliveryInput, type DeliveryReport } from '../../../activities/notify';
import { registry } from '../../../activities/metrics';
import { verifySignature } from '../../../activities/notify/webhook';
import { startTelegramControl } from '../../../client/telegramControl';
import type { Client } from '@temporalio/client';
import { event, type NotificationEvent } from '../../../domain/notifications/events';
import { discordReceiver, slackReceiver, telegramServer, webhookReceiver, type Receiver } from '../../helpers/notifyReceivers';

const BASE_ENV = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (k.startsWith('NOTIFY_')) delete process.env[k];
  Object.assign(process.env, { NOTIFY_SEND_TIMEOUT_MS: '400' });
});
beforeAll(() => Object.assign(process.env, { NOTIFY_SEND_TIMEOUT_MS: '400' }));
afterAll(() => {
  process.env = BASE_ENV;
});

/** The activity logs every refusal and give-up; the assertions read them from its report instead. */
const QUIET = new DefaultLogger('WARN', () => undefined);
const at = '2026-12-01T10:00:00.000Z';
const halt = event('halt.drawdown', { id: 'halt:portfolio-p-i:drawdown:1', portfolioId: 'p', mode: 'paper', time: at, title: 'Drawdown halt: no new entries until an operator resumes', text: 'equity 9,400 is 6% below its peak 10,000 (limit 5%)' });
const fill = (n: number) => event('order.filled', { id: `fill:c${n}:o${n}`, portfolioId: 'p', mode: 'paper', time: at, title: `Entry filled: buy 0.01 BTC/USDT at 4${n}`, data: { n } });

interface Attempt {
  result?: DeliveryReport;
  error?: ApplicationFailure;
  heartbeat?: unknown;
}

/** One attempt of the activity, as the worker runs it (attempt number and the previous attempt's heartbeat). */
async function attempt(batch: NotificationEvent[], n = 1, heartbeatDetails?: unknown, maxAttempts = 5): Promise<Attempt> {
  const env = new MockActivityEnvironment({ attempt: n, heartbeatDetails, scheduledTimestampMs: Date.now(), scheduleToCloseTimeoutMs: 1_800_000 }, { logger: QUIET });
  const out: Attempt = {};
  env.on('heartbeat', (d: unknown) => { out.heartbeat = d; });
  const input: DeliveryInput = { notifierId: 'notifier-p', batch, droppedBefore: 0, maxAttempts };
  try {
    out.result = await env.run(deliverNotifications, input);
  } catch (err) {
    out.error = err as ApplicationFailure;
  }
  return out;
}

async function counter(name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = (metric?.values ?? []).find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return Number(value?.value ?? 0);
}

describe('Slack incoming webhook', () => {
  let slack: Receiver;
  beforeEach(async () => {
    slack = await slackReceiver();
    process.env.NOTIFY_SLACK_WEBHOOK_URL = `${slack.url}/services/T000/B000/not-a-real-secret`;
  });
  afterEach(() => slack.close());

  it('posts {"text"} and takes the body `ok` as delivered', async () => {
    const sentBefore = await counter('trader_notifications_sent_total', { channel: 'slack' });
    const a = await attempt([halt]);
    expect(a.result).toMatchObject({ delivered: ['slack'], dropped: [], refused: [] });
    expect(slack.accepted).toHaveLength(1);
    expect(slack.accepted[0].body).toEqual({ text: expect.stringMatching(/^🔴 \[PAPER p\] Drawdown halt: no new entries until an operator resumes\n {4}equity 9,400/) });
    expect(await counter('trader_notifications_sent_total', { channel: 'slack' })).toBe(sentBefore + 1);
  });

  it('a 429 sets the next attempt after its Retry-After; a 5xx backs off; a refusal is dropped, not retried', async () => {
    slack.faults.push({ kind: 'status', status: 429, body: 'rate_limited', headers: { 'retry-after': '7' } });
    const limited = await attempt([halt]);
    expect(limited.error).toBeInstanceOf(ApplicationFailure);
    expect(limited.error).toMatchObject({ type: 'NotificationDeliveryFailed', nextRetryDelay: 7_000 });
    expect(limited.error!.message).toMatch(/slack: Slack answered HTTP 429: rate_limited/);

    slack.faults.push({ kind: 'status', status: 503, body: 'service unavailable' });
    expect((await attempt([halt], 3)).error).toMatchObject({ nextRetryDelay: 8_000 });

    const dropped = await counter('trader_notifications_dropped_total', { channel: 'slack', reason: 'rejected' });
    slack.faults.push({ kind: 'status', status: 404, body: 'no_service' });
    const refused = await attempt([halt, fill(1)]);
    expect(refused.result?.refused).toEqual([{ channel: 'slack', error: 'Slack answered HTTP 404: no_service' }]);
    expect(await counter('trader_notifications_dropped_total', { channel: 'slack', reason: 'rejected' })).toBe(dropped + 2);
  });

  it('a reply that is not `ok` and a server that never answers are retried; the webhook URL never shows in an error', async () => {
    slack.faults.push({ kind: 'garbage' });
    expect((await attempt([halt])).error?.message).toMatch(/Slack answered HTTP 200 without "ok"/);
    slack.faults.push({ kind: 'hang' });
    const hung = await attempt([halt]);
    expect(hung.error?.message).toMatch(/slack: no answer within 400 ms/);
    slack.faults.push({ kind: 'status', status: 400, body: `invalid_payload for ${process.env.NOTIFY_SLACK_WEBHOOK_URL}` });
    const echoed = await attempt([halt]);
    expect(echoed.result?.refused[0].error).toBe('Slack answered HTTP 400: invalid_payload for [REDACTED]');
  });

  it('a burst of 200 fills is one message, filters and the minimum severity choose what a channel gets', async () => {
    const burst = Array.from({ length: 200 }, (_, i) => fill(i));
    await attempt(burst);
    expect(slack.accepted).toHaveLength(1);
    const text = (slack.accepted[0].body as { text: string }).text;
    expect(text).toMatch(/^200 events\n/);
    expect(text).toMatch(/… and 185 more$/);

    process.env.NOTIFY_SLACK_EVENTS = 'halt.*,liquidation.*';
    expect((await attempt([fill(1)])).result?.skipped).toEqual(['slack']);
    await attempt([fill(2), halt]);
    expect((slack.accepted[1].body as { text: string }).text).not.toMatch(/Entry filled/);
    process.env.NOTIFY_SLACK_EVENTS = '*,!order.filled';
    process.env.NOTIFY_SLACK_MIN_SEVERITY = 'critical';
    expect((await attempt([fill(3)])).result?.skipped).toEqual(['slack']);
    process.env.NOTIFY_SLACK_MIN_SEVERITY = 'loud';
    await expect(attempt([halt]).then((a) => a.error)).resolves.toMatchObject({
      type: 'InvalidConfig', nonRetryable: true, message: "notification channel slack: NOTIFY_SLACK_MIN_SEVERITY must be one of info, warning, critical, got 'loud'",
    });
  });
});

describe('Telegram Bot API', () => {
  it('sendMessage to each chat; 429 retry_after, malformed answers and refusals; the token is redacted', async () => {
    const tg = await telegramServer('987654:SECRET-bot-token');
    try {
      Object.assign(process.env, { NOTIFY_TELEGRAM_BOT_TOKEN: tg.token, NOTIFY_TELEGRAM_API_URL: tg.url, NOTIFY_TELEGRAM_CHAT_ID: '11, 22' });
      expect((await attempt([halt])).result?.delivered).toEqual(['telegram']);
      expect(tg.sent().map((m) => m.chat_id)).toEqual(['11', '22']);
      expect(tg.sent(11)[0].text).toMatch(/^🔴 \[PAPER p\] Drawdown halt/);

      tg.faults.push({ kind: 'status', status: 429, body: JSON.stringify({ ok: false, error_code: 429, description: 'Too Many Requests: retry after 3', parameters: { retry_after: 3 } }) });
      expect((await attempt([halt])).error).toMatchObject({ nextRetryDelay: 3_000 });
      tg.faults.push({ kind: 'garbage', status: 200 });
      expect((await attempt([halt])).error?.message).toMatch(/answered HTTP 200 with something that is not the Bot API's JSON/);
      tg.faults.push({ kind: 'status', status: 403, body: JSON.stringify({ ok: false, error_code: 403, description: `Forbidden: bot${tg.token} was blocked by the user` }) });
      const refused = await attempt([halt]);
      expect(refused.result?.refused).toEqual([{ channel: 'telegram', error: 'Telegram sendMessage answered HTTP 403: {"ok":false,"error_code":403,"description":"Forbidden: bot[REDACTED] was blocked by the user"}' }]);
      // A 4,096-character limit: a long burst is cut, never refused.
      await attempt(Array.from({ length: 300 }, (_, i) => fill(i)).map((e) => ({ ...e, text: 'x'.repeat(300) })));
      expect(tg.sent(11).at(-1)!.text.length).toBeLessThanOrEqual(4096);

      delete process.env.NOTIFY_TELEGRAM_CHAT_ID;
      expect((await attempt([halt])).error?.message).toMatch(/NOTIFY_TELEGRAM_CHAT_ID is required with NOTIFY_TELEGRAM_BOT_TOKEN/);
    } finally {
      await tg.close();
    }
  });
});

describe('Telegram commands (getUpdates)', () => {
  it('a 429 on getUpdates waits its retry_after, then commands are answered; other chats get nothing', async () => {
    const tg = await telegramServer();
    const lines: string[] = [];
    // /help and a stranger's message never reach Temporal: no client is needed for them.
    const control = startTelegramControl({ bot: { token: tg.token, apiUrl: tg.url }, allowedChats: ['7'], defaultPortfolio: 'default', client: {} as Client, log: (l) => lines.push(l), pollTimeoutS: 1 });
    try {
      tg.faults.push({ kind: 'status', status: 429, body: JSON.stringify({ ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } }) });
      tg.say(8, '/help');
      tg.say(7, '/help');
      const started = Date.now();
      while (tg.sent(7).length === 0 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 50));
      expect(tg.sent(7)[0].text).toMatch(/^Commands for portfolio default:\n\/status/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(tg.sent(8)).toEqual([]);
      expect(lines).toEqual(expect.arrayContaining([
        expect.stringMatching(/getUpdates failed \(Telegram getUpdates answered HTTP 429.*\); again in 1 s/),
        'telegram control: ignored a message from chat 8, which is not allowed (NOTIFY_TELEGRAM_ALLOWED_CHATS)',
      ]));
      expect(lines.join('\n')).not.toContain(tg.token);
    } finally {
      await control.stop();
      await tg.close();
    }
  });
});

describe('Discord webhook', () => {
  it('posts {"content"} with ?wait=true and no mentions; 429 retry_after in seconds; a 2xx with a bad body is delivered', async () => {
    const discord = await discordReceiver();
    try {
      process.env.NOTIFY_DISCORD_WEBHOOK_URL = `${discord.url}/api/webhooks/1/not-a-real-token`;
      expect((await attempt([halt])).result?.delivered).toEqual(['discord']);
      expect(discord.accepted[0].path).toBe('/api/webhooks/1/not-a-real-token?wait=true');
      expect(discord.accepted[0].body).toEqual({ content: expect.stringMatching(/Drawdown halt/), allowed_mentions: { parse: [] } });
      discord.faults.push({ kind: 'status', status: 429, body: JSON.stringify({ message: 'You are being rate limited.', retry_after: 1.5, global: false }), headers: { 'retry-after': '2' } });
      expect((await attempt([halt])).error).toMatchObject({ nextRetryDelay: 1_500 });
      discord.faults.push({ kind: 'garbage', status: 200 });
      expect((await attempt([halt])).result?.delivered).toEqual(['discord']);
      const long = await attempt(Array.from({ length: 50 }, (_, i) => fill(i)));
      expect(long.result?.delivered).toEqual(['discord']);
      expect((discord.received.at(-1)!.body as { content: string }).content.length).toBeLessThanOrEqual(2000);
    } finally {
      await discord.close();
    }
  });
});

describe('signed JSON webhook', () => {
  it('carries every event with its id, signed with HMAC-SHA256 over timestamp and body; the same delivery id on a retry', async () => {
    const hook = await webhookReceiver('the-shared-signing-key');
    try {
      Object.assign(process.env, { NOTIFY_WEBHOOK_URL: `${hook.url}/hook`, NOTIFY_WEBHOOK_SECRET: 'the-shared-signing-key' });
      hook.faults.push({ kind: 'status', status: 502 });
      const first = await attempt([halt, fill(1)]);
      expect(first.error).toMatchObject({ nextRetryDelay: 2_000 });
      const second = await attempt([halt, fill(1)], 2, first.heartbeat);
      expect(second.result?.delivered).toEqual(['webhook']);
      expect(hook.received.map((r) => r.headers['x-trader-delivery'])).toEqual([hook.received[0].headers['x-trader-delivery'], hook.received[0].headers['x-trader-delivery']]);
      expect(hook.events().map((e) => e.id)).toEqual([halt.id, 'fill:c1:o1']);
      const r = hook.accepted[0];
      expect(verifySignature('the-shared-signing-key', { timestamp: r.headers['x-trader-timestamp'] as string, signature: r.headers['x-trader-signature'] as string }, r.raw)).toBe(true);
      expect(verifySignature('another-key', { timestamp: r.headers['x-trader-timestamp'] as string, signature: r.headers['x-trader-signature'] as string }, r.raw)).toBe(false);

      // A receiver holding another key refuses (401): refused for good, and the signing key never shows.
      process.env.NOTIFY_WEBHOOK_SECRET = 'a-key-the-receiver-does-not-know';
      expect((await attempt([halt])).result?.refused).toEqual([{ channel: 'webhook', error: 'webhook receiver answered HTTP 401: {"error":"bad signature"}' }]);
      expect(hook.forged()).toBe(1);

      delete process.env.NOTIFY_WEBHOOK_SECRET;
      expect((await attempt([halt])).error).toMatchObject({ type: 'InvalidConfig', message: expect.stringMatching(/NOTIFY_WEBHOOK_SECRET \(or NOTIFY_WEBHOOK_SECRET_FILE\) is required/) });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notify-secret-'));
      fs.writeFileSync(path.join(dir, 'key'), 'the-shared-signing-key\n');
      process.env.NOTIFY_WEBHOOK_SECRET_FILE = path.join(dir, 'key');
      expect((await attempt([fill(9)])).result?.delivered).toEqual(['webhook']);
      process.env.NOTIFY_WEBHOOK_SECRET = 'both';
      expect((await attempt([fill(9)])).error?.message).toBe('NOTIFY_WEBHOOK_SECRET and NOTIFY_WEBHOOK_SECRET_FILE are both set: set only one of them');
      fs.rmSync(dir, { recursive: true, force: true });
    } finally {
      await hook.close();
    }
  });
});

describe('retries across channels', () => {
  it('a channel that delivered is not sent again on the next attempt; on the last attempt the rest is given up and counted', async () => {
    const slack = await slackReceiver();
    const hook = await webhookReceiver('k-123456');
    try {
      Object.assign(process.env, { NOTIFY_SLACK_WEBHOOK_URL: `${slack.url}/s`, NOTIFY_WEBHOOK_URL: `${hook.url}/h`, NOTIFY_WEBHOOK_SECRET: 'k-123456' });
      hook.faults.push({ kind: 'status', status: 500 }, { kind: 'hang' }, { kind: 'status', status: 503 });
      const a1 = await attempt([halt], 1, undefined, 3);
      expect(a1.error).toBeDefined();
      expect(a1.heartbeat).toEqual({ done: { slack: 'delivered' } });
      const a2 = await attempt([halt], 2, a1.heartbeat, 3);
      expect(a2.error?.message).toMatch(/webhook: no answer within 400 ms/);
      const dropped = await counter('trader_notifications_dropped_total', { channel: 'webhook', reason: 'server_error' });
      const a3 = await attempt([halt], 3, a2.heartbeat, 3);
      expect(a3.result).toMatchObject({ delivered: ['slack'], dropped: [{ channel: 'webhook', error: 'webhook receiver answered HTTP 503' }] });
      expect(slack.accepted).toHaveLength(1);
      expect(hook.received).toHaveLength(3);
      expect(await counter('trader_notifications_dropped_total', { channel: 'webhook', reason: 'server_error' })).toBe(dropped + 1);
    } finally {
      await slack.close();
      await hook.close();
    }
  });
});

describe('e-mail over SMTP', () => {
  let server: SMTPServer;
  let port: number;
  const mails: { from: string; to: string[]; data: string; user?: string }[] = [];
  let answer: undefined | { code: number; message: string };

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: false,
      disabledCommands: ['STARTTLS'],
      onAuth(auth, _session, cb) {
        if (auth.username === 'trader' && auth.password === 'smtp-password-1') return cb(null, { user: 'trader' });
        return cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onData(stream, session, cb) {
        let data = '';
        stream.on('data', (c: Buffer) => { data += c.toString('utf8'); });
        stream.on('end', () => {
          if (answer) return cb(Object.assign(new Error(answer.message), { responseCode: answer.code }));
          mails.push({ from: String(session.envelope.mailFrom && session.envelope.mailFrom.address), to: session.envelope.rcptTo.map((r) => r.address), data, user: session.user as string });
          return cb();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    answer = undefined;
    Object.assign(process.env, {
      NOTIFY_EMAIL_HOST: '127.0.0.1', NOTIFY_EMAIL_PORT: String(port), NOTIFY_EMAIL_USER: 'trader', NOTIFY_EMAIL_PASSWORD: 'smtp-password-1',
      NOTIFY_EMAIL_FROM: 'trader@example.test', NOTIFY_EMAIL_TO: 'ops@example.test,owner@example.test',
    });
  });

  it('sends one message per batch, the most severe event as subject, through authentication', async () => {
    expect((await attempt([fill(1), halt])).result?.delivered).toEqual(['email']);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ from: 'trader@example.test', to: ['ops@example.test', 'owner@example.test'], user: 'trader' });
    expect(mails[0].data).toMatch(/^Subject: \[PAPER p\] Drawdown halt: no new entries until an operator resumes(\r?\n)? \(\+1 more\)/m);
    expect(mails[0].data).toMatch(/X-Trader-Delivery: notifier-p:[0-9a-f]{24}/);
  });

  it('4xx is temporary and retried, 5xx and a refused login are final; the password never shows', async () => {
    answer = { code: 451, message: 'Requested action aborted: local error in processing' };
    expect((await attempt([halt])).error?.message).toMatch(/email: SMTP: .*451/);
    answer = { code: 550, message: 'Mailbox unavailable' };
    expect((await attempt([halt])).result?.refused[0]).toMatchObject({ channel: 'email', error: expect.stringMatching(/550/) });
    answer = undefined;
    process.env.NOTIFY_EMAIL_PASSWORD = 'wrong-password-99';
    const login = await attempt([halt]);
    expect(login.result?.refused[0].error).toMatch(/Invalid login|535/);
    expect(login.result?.refused[0].error).not.toContain('wrong-password-99');
    process.env.NOTIFY_EMAIL_PORT = '1';
    expect((await attempt([halt])).error?.message).toMatch(/email: SMTP: .*(ECONNREFUSED|connect)/);
  });

  it('a flag that is neither true nor false is a configuration error naming it, before anything is sent', async () => {
    process.env.NOTIFY_EMAIL_REQUIRE_TLS = 'maybe';
    const before = mails.length;
    expect((await attempt([halt])).error).toMatchObject({
      type: 'InvalidConfig', nonRetryable: true, message: "notification channel email: NOTIFY_EMAIL_REQUIRE_TLS must be true or false, got 'maybe'",
    });
    expect(mails).toHaveLength(before);
  });
});
