/**
 * Hearing about it, on the real stack (tests/helpers/testStack.ts: a Temporal dev server, SQLite, the production
 * workers started by the production entry point workers/worker.ts runWorkers, with /metrics and /health):
 * - the "Done when" of issue 16: a drawdown halt forced with `tradectl set-risk maxDrawdown=...` reaches a loopback
 *   webhook receiver (HMAC checked) as exactly one halt and one liquidation notification, none sent again after
 *   every worker is restarted and the workflows replay;
 * - Telegram commands from an allow-listed chat drive the portfolio as tradectl does; another chat is ignored;
 * - a real Prometheus (Debian's package) scrapes the worker while it runs cycles; every dashboard panel query and
 *   every alert expression is evaluated through its HTTP API: each parses, each panel query returns series;
 * - /health/ready turns false, with the reason, when Ollama stops and when the database file is unreadable.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { buildCli } from '../../client/cli';
import { portfolioHandle, portfolioOps, startPortfolio } from '../../client/tradingClient';
import type { NotificationEvent } from '../../domain/notifications/events';
import { ALL_QUEUE_KEYS } from '../../workflows/queues';
import { defaultConfig } from '../../domain/config';
import { runWorkers, type RunningWorkers } from '../../workers/worker';
import { telegramServer, webhookReceiver, type TelegramServer, type WebhookReceiver } from '../helpers/notifyReceivers';
import { APPROVE_ANSWER } from '../helpers/fakeOllama';
import { replayConfig, startTestStack, waitFor, type TestStack } from '../helpers/testStack';
import { freePort } from '../helpers/loopbackServer';

const ROOT = path.resolve(__dirname, '../..');
const SECRET = 'loopback-webhook-signing-key';
const ALLOWED_CHAT = 4242;
const STRANGER_CHAT = 666;

let stack: TestStack;
let receiver: WebhookReceiver;
let telegram: TelegramServer;
let running: RunningWorkers | undefined;
let metricsPort: number;
let temporalMetricsPort: number;
let fetchCalls = 0;
let prometheus: { url: string; process: ChildProcess; dir: string } | undefined;

/** Debian's Prometheus scraping the worker's /metrics and the Temporal SDK's exporter every second, with our alert rules. */
async function startPrometheus(): Promise<{ url: string; process: ChildProcess; dir: string }> {
  if (spawnSync('prometheus', ['--version']).error) throw new Error("prometheus is not installed: .ci/run installs Debian's prometheus package");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prometheus-test-'));
  const port = await freePort();
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    `rule_files: ['${path.join(ROOT, 'deploy/prometheus/alerts.yml')}']`,
    'scrape_configs:',
    `  - { job_name: worker-all, static_configs: [{ targets: ['127.0.0.1:${metricsPort}'] }] }`,
    `  - { job_name: worker-all-temporal, static_configs: [{ targets: ['127.0.0.1:${temporalMetricsPort}'] }] }`,
  ].join('\n'));
  const child = spawn('prometheus', [
    `--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`,
  ], { stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, 'prometheus.log'), 'a')] });
  child.once('error', () => undefined);
  const url = `http://127.0.0.1:${port}`;
  await waitFor('Prometheus to be ready', async () => {
    if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${fs.readFileSync(path.join(dir, 'prometheus.log'), 'utf8').slice(-2000)}`);
    return (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok ? true : undefined;
  }, 30_000);
  return { url, process: child, dir };
}

/** The production worker set on the test server, every queue, with a market-data call that fails once (a network blip). */
async function startWorkers(): Promise<RunningWorkers> {
  const { fetchMarketData } = await import('../../activities/market');
  return runWorkers({
    address: stack.env.address, namespace: 'default', queues: ALL_QUEUE_KEYS, metricsPort, metricsHost: '127.0.0.1',
    connection: stack.env.nativeConnection, workflowBundle: stack.workflowBundle,
    activityOverrides: {
      marketData: {
        fetchMarketData: async (input: Parameters<typeof fetchMarketData>[0]) => {
          if (++fetchCalls === 2) throw new Error('ECONNRESET: injected network blip');
          return fetchMarketData(input);
        },
      },
    },
  });
}

beforeAll(async () => {
  [metricsPort, temporalMetricsPort] = [await freePort(), await freePort()];
  receiver = await webhookReceiver(SECRET);
  telegram = await telegramServer();
  Object.assign(process.env, {
    NOTIFY_WEBHOOK_URL: `${receiver.url}/hooks/trader`,
    NOTIFY_WEBHOOK_SECRET: SECRET,
    NOTIFY_TELEGRAM_BOT_TOKEN: telegram.token,
    NOTIFY_TELEGRAM_API_URL: telegram.url,
    NOTIFY_TELEGRAM_CHAT_ID: String(ALLOWED_CHAT),
    NOTIFY_TELEGRAM_MIN_SEVERITY: 'warning',
    NOTIFY_TELEGRAM_CONTROL: 'true',
    PORTFOLIO_GAUGES_MS: '1000',
  });
  stack = await startTestStack({ temporalMetricsPort });
  // Every other LLM answer is garbage: the fallback policy answers those, as the dashboard's fallback panel shows.
  let calls = 0;
  stack.ollama.behaviour.respond = () => (++calls % 2 === 0 ? 'not the JSON asked for' : APPROVE_ANSWER);
  running = await startWorkers();
  process.env.TEMPORAL_ADDRESS = stack.env.address;
  prometheus = await startPrometheus();
}, 120_000);

afterAll(async () => {
  if (prometheus) {
    prometheus.process.kill('SIGTERM');
    fs.rmSync(prometheus.dir, { recursive: true, force: true });
  }
  // Whatever a failed test left behind, the dev server and the workers must go, or the jest process would stay.
  await Promise.race([running?.shutdown(), new Promise((r) => setTimeout(r, 60_000).unref())]);
  await stack?.teardown();
  await receiver?.close();
  await telegram?.close();
}, 120_000);

const kindsOf = (events: NotificationEvent[]) => events.reduce<Record<string, number>>((n, e) => ({ ...n, [e.kind]: (n[e.kind] ?? 0) + 1 }), {});

describe('notifications', () => {
  it('a drawdown halt forced with `tradectl set-risk maxDrawdown=...` gives exactly one halt and one liquidation notification', async () => {
    const config = replayConfig({}, { liquidateOnDrawdown: true });
    await startPortfolio(stack.env.client, config);
    const h = portfolioHandle(stack.env.client, config.portfolioId);
    await waitFor('a position', async () => ((await portfolioOps.status(h)).positions.length > 0 ? true : undefined), 90_000);

    const printed: string[] = [];
    await buildCli((l) => printed.push(l)).parseAsync(['node', 'tradectl', 'set-risk', '--portfolio', config.portfolioId, 'maxDrawdown=0.0001']);
    expect(JSON.parse(printed.join('\n')).maxDrawdown).toBe(0.0001);

    const mine = () => receiver.events().filter((e) => e.portfolioId === config.portfolioId);
    await waitFor('the liquidation to be notified', async () => (mine().some((e) => e.kind === 'liquidation.finished') ? true : undefined), 90_000);

    // Every worker restarted: portfolio and notifier replay their histories, and must not send anything again.
    await running?.shutdown();
    running = await startWorkers();
    // A limit it can live with before the resume, or the next dip halts it again (a second, genuine, halt).
    await portfolioOps.setRiskLimits(h, { maxDrawdown: 0.5 });
    await portfolioOps.resume(h);
    await waitFor('the end of the halt to be notified', async () => (mine().some((e) => e.kind === 'halt.ended') ? true : undefined), 60_000);


    const events = mine();
    const kinds = kindsOf(events);
    expect({ halt: kinds['halt.drawdown'], liquidationStarted: kinds['liquidation.started'], liquidationFinished: kinds['liquidation.finished'], haltEnded: kinds['halt.ended'] })
      .toEqual({ halt: 1, liquidationStarted: 1, liquidationFinished: 1, haltEnded: 1 });
    expect(new Set(receiver.events().map((e) => e.id)).size).toBe(receiver.events().length);
    expect(receiver.forged()).toBe(0);
    const halt = events.find((e) => e.kind === 'halt.drawdown')!;
    expect(halt).toMatchObject({ severity: 'critical', mode: 'paper', text: expect.stringMatching(/below its peak .* \(limit 0\.01%\)/) });
    const finished = events.find((e) => e.kind === 'liquidation.finished')!;
    expect(finished.title).toMatch(/^Liquidation finished: \d+ sells?, P&L [+-][\d,.]+ USDT$/);
    expect(kinds['order.filled']).toBeGreaterThan(0);
    // The halt is critical: delivered as soon as it was derived, not after the batching window.
    const at = (e: NotificationEvent) => receiver.accepted.find((r) => (r.body as { events: NotificationEvent[] }).events.some((x) => x.id === e.id))!.at;
    expect(at(halt) - Date.parse(halt.time)).toBeLessThan(4_000);
    // Telegram took the warnings and criticals (NOTIFY_TELEGRAM_MIN_SEVERITY=warning), not the fills.
    const toChat = telegram.sent(ALLOWED_CHAT).map((m) => m.text).join('\n');
    expect(toChat).toMatch(/Drawdown halt/);
    expect(toChat).not.toMatch(/Entry filled/);
    await portfolioOps.stop(h);
  }, 240_000);
});

describe('Telegram commands', () => {
  it('from an allow-listed chat act on the portfolio as tradectl does; another chat is ignored; /emergency_stop needs its code', async () => {
    const config = replayConfig({ intervalMs: 2_000 });
    await startPortfolio(stack.env.client, config);
    const h = portfolioHandle(stack.env.client, config.portfolioId);
    /** The bot's answer to one command (notifications to the same chat start with a severity mark and are skipped). */
    const ask = async (text: string) => {
      const before = telegram.sent(ALLOWED_CHAT).length;
      telegram.say(ALLOWED_CHAT, text);
      return waitFor(`the answer to ${text}`, async () => telegram.sent(ALLOWED_CHAT).slice(before).map((m) => m.text).find((t) => !/^(🔴|🟠|🟢|\d+ events)/u.test(t)), 30_000, 100);
    };

    telegram.say(STRANGER_CHAT, `/use ${config.portfolioId}`);
    telegram.say(STRANGER_CHAT, '/pause from a stranger');
    expect(await ask(`/use ${config.portfolioId}`)).toBe(`this chat now acts on portfolio ${config.portfolioId}`);
    const status = await ask('/status');
    expect(status).toMatch(new RegExp(`^portfolio  ${config.portfolioId}  \\(PAPER, market replay:`));
    expect(status).toMatch(/^state      running/m);
    expect(telegram.sent(STRANGER_CHAT)).toEqual([]);

    expect(await ask('/pause checking the logs')).toBe(`pause sent to ${config.portfolioId}`);
    expect(await portfolioOps.status(h)).toMatchObject({ state: 'paused', pauseReason: 'checking the logs' });
    expect(await ask('/resume')).toBe(`resume sent to ${config.portfolioId}`);
    expect((await portfolioOps.status(h)).state).toBe('running');

    const asked = await ask('/emergency_stop operator drill');
    const code = /send \/confirm (\d{6}) within 60 s/.exec(asked)?.[1];
    expect(code).toBeDefined();
    expect(await ask(`/confirm ${code === '123456' ? '654321' : '123456'}`)).toBe('wrong confirmation code: nothing done');
    expect((await portfolioOps.status(h)).halt).toBeUndefined();
    expect(await ask(`/confirm ${code}`)).toMatch(/^emergency stop sent to /);
    expect((await portfolioOps.status(h)).halt).toMatchObject({ kind: 'emergency', reason: 'operator drill' });
    expect(await ask(`/confirm ${code}`)).toMatch(/^no emergency stop is waiting/);
    // Left running, halted: the Prometheus test below reads its gauges.
  }, 120_000);
});

/** Grafana's variables as a dashboard with every portfolio selected would send them. */
function grafanaQuery(expr: string): string {
  return expr.replace(/\$portfolio/g, '.*').replace(/\$__rate_interval/g, '30s').replace(/\$__range/g, '5m').replace(/\$__interval/g, '5s');
}

async function instantQuery(expr: string): Promise<{ status: string; error?: string; data?: { result: unknown[] } }> {
  const r = await fetch(`${prometheus!.url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  return (await r.json()) as { status: string; error?: string; data?: { result: unknown[] } };
}

describe('Prometheus, the dashboard and the alert rules', () => {
  it('every dashboard panel query returns series and every alert expression evaluates, on a real Prometheus scraping the worker', async () => {
    const dashboard = JSON.parse(fs.readFileSync(path.join(ROOT, 'deploy/grafana/dashboards/trader.json'), 'utf8')) as {
      panels: { title: string; type: string; targets?: { expr: string }[] }[];
      templating: { list: { name: string; definition: string }[] };
    };
    const targets = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: grafanaQuery(t.expr) })));
    expect(targets.length).toBeGreaterThan(30);
    // Scrapes land every second; give the portfolio gauges (every second here) and the SDK exporter a few.
    const problems = await waitFor('every panel query to return series', async () => {
      const found: string[] = [];
      for (const t of targets) {
        const answer = await instantQuery(t.expr);
        if (answer.status !== 'success') found.push(`${t.panel}: ${t.expr}: ${answer.error}`);
        else if ((answer.data?.result.length ?? 0) === 0) found.push(`${t.panel}: ${t.expr}: no series`);
      }
      return found.length === 0 ? found : undefined;
    }, 30_000, 1_000).catch(async () => {
      const found: string[] = [];
      for (const t of targets) {
        const answer = await instantQuery(t.expr);
        if (answer.status !== 'success' || (answer.data?.result.length ?? 0) === 0) found.push(`${t.panel}: ${t.expr}: ${answer.error ?? 'no series'}`);
      }
      return found;
    });
    expect(problems).toEqual([]);

    const variable = dashboard.templating.list.find((v) => v.name === 'portfolio')!;
    const metric = /label_values\((\w+), portfolio\)/.exec(variable.definition)![1];
    const values = (await (await fetch(`${prometheus!.url}/api/v1/label/portfolio/values?${new URLSearchParams({ 'match[]': metric })}`)).json()) as { data: string[] };
    expect(values.data.length).toBeGreaterThan(0);

    const rules = loadYaml(fs.readFileSync(path.join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
    const alertProblems: string[] = [];
    for (const rule of rules.groups.flatMap((g) => g.rules)) {
      const answer = await instantQuery(rule.expr);
      if (answer.status !== 'success') alertProblems.push(`${rule.alert}: ${answer.error}`);
    }
    expect(alertProblems).toEqual([]);
    // Loaded by Prometheus itself and evaluated without error; the emergency-stopped portfolio of the test above fires.
    const loaded = (await (await fetch(`${prometheus!.url}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string; state: string; alerts: { labels: Record<string, string> }[] }[] }[] } };
    const evaluated = loaded.data.groups.flatMap((g) => g.rules);
    expect(evaluated.map((r) => r.name).sort()).toEqual(rules.groups.flatMap((g) => g.rules.map((r) => r.alert)).sort());
    expect(evaluated.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
    await waitFor('PortfolioHalted to fire', async () => {
      const r = (await (await fetch(`${prometheus!.url}/api/v1/rules`)).json()) as typeof loaded;
      return r.data.groups.flatMap((g) => g.rules).find((x) => x.name === 'PortfolioHalted' && x.alerts.some((a) => a.labels.kind === 'emergency')) ? true : undefined;
    }, 15_000, 500);
  }, 90_000);
});

describe('health', () => {
  const get = async (route: string) => {
    const r = await fetch(`http://127.0.0.1:${metricsPort}${route}`);
    return { status: r.status, body: (await r.json()) as { ready?: boolean; live?: boolean; reasons?: string[]; dependencies?: Record<string, { ok: boolean; required: boolean; detail?: Record<string, unknown> }> } };
  };

  it('/health/ready tells the truth: dependencies in detail, false with the reason when Ollama stops or the database is unreadable', async () => {
    running!.health.invalidate();
    const ready = await get('/health/ready');
    expect(ready.status).toBe(200);
    const deps = ready.body.dependencies!;
    expect(Object.keys(deps).sort()).toEqual(['database', 'exchange', 'model', 'notify', 'ollama', 'temporal']);
    expect(deps.model.detail).toMatchObject({ version: expect.stringMatching(/^\d{8}-[0-9a-f]{8}$/) });
    expect(deps.database.detail).toMatchObject({ kind: 'sqlite', migrations: expect.any(Number) });
    expect(deps.ollama.detail).toMatchObject({ model: defaultConfig().llm.model });
    expect(deps.notify.detail).toMatchObject({ channels: ['telegram', 'webhook'] });
    expect(Object.values(deps.temporal.detail!.queues as Record<string, { polling: boolean }>).every((q) => q.polling)).toBe(true);
    // The exchange is reported but not required: paper portfolios fall back to sim, and no live trading is allowed here.
    expect(deps.exchange.required).toBe(false);

    await stack.ollama.close();
    running!.health.invalidate();
    const noOllama = await get('/health/ready');
    expect(noOllama.status).toBe(503);
    expect(noOllama.body.reasons).toEqual([expect.stringMatching(/^ollama: unreachable at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/)]);
    expect((await get('/health/live')).status).toBe(200);

    const file = stack.databaseUrl.replace(/^file:/, '');
    if (process.getuid?.() !== 0) {
      // Root reads any file whatever its mode (CI runs as root), so this half only runs for other users.
      fs.chmodSync(file, 0o000);
      running!.health.invalidate();
      expect((await get('/health/ready')).body.reasons).toContainEqual(expect.stringMatching(/^database: .*trader\.db: the file cannot be read or written$/));
      fs.chmodSync(file, 0o644);
    }
    // Unreadable as a database, as root too: the file replaced by bytes SQLite cannot read (a disk or a copy gone wrong).
    fs.renameSync(file, `${file}.kept`);
    fs.writeFileSync(file, Buffer.alloc(8192, 0x5a));
    running!.health.invalidate();
    const noDatabase = await get('/health/ready');
    expect(noDatabase.status).toBe(503);
    expect(noDatabase.body.reasons).toContainEqual(expect.stringMatching(/^database: file:\/\/.*trader\.db: .*(not a database|malformed)/i));
    // The real file back: the database is ready again (Ollama is still down).
    fs.renameSync(`${file}.kept`, file);
    running!.health.invalidate();
    expect((await get('/health/ready')).body.reasons).toEqual([expect.stringMatching(/^ollama: /)]);
    expect((await get('/health/live')).status).toBe(200);
  }, 30_000);
});
