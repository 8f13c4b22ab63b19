/**
 * The cockpit's security rules, each refusal proven: loopback by default; any other bind address refused without
 * credentials (by the settings and by the real `npm run dashboard` process); controls need the credentials when they
 * are set, even on loopback; read-only pages public only by explicit opt-in; a CSRF token on every control; no
 * secret in any page; a foreign Host refused while nothing else protects the cockpit.
 *
 * The cockpit runs on a real migrated SQLite database; Temporal is not reachable here, so a control that passes every
 * check reaches its handler and is answered "the Temporal server is not reachable: nothing was sent", while a refused
 * one never gets that far (401 or 403). tests/browser/cockpit.test.ts drives the same controls against a live stack.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildCockpit } from '../../../dashboard/server';
import { dashboardSettings, sessionValue } from '../../../dashboard/settings';
import { TemporalSide } from '../../../dashboard/temporalSide';
import { closeDatabases, migrateDatabase, openDatabase } from '../../../prisma/database';

const ROOT = path.resolve(__dirname, '../../..');
const TOKEN = 'tok-0123456789abcdef-secret';
const PASSWORD = 'pw-correct-horse-battery';
let dir: string;
let databaseUrl: string;
const apps: FastifyInstance[] = [];
/** A Temporal address where nothing listens: controls that get through every check say so. */
const unreachable = new TemporalSide(null, '127.0.0.1:9');

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cockpit-security-'));
  databaseUrl = `file:${path.join(dir, 'trader.db')}`;
  await migrateDatabase(databaseUrl);
});
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await unreachable.close();
  await closeDatabases();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function cockpit(env: Record<string, string> = {}): Promise<FastifyInstance> {
  const app = await buildCockpit({ settings: dashboardSettings({ BACKTESTS_DIR: dir, ...env }), db: openDatabase(databaseUrl), temporal: unreachable });
  apps.push(app);
  return app;
}

const HTML = { accept: 'text/html' };

/** A page's CSRF pair: the secret cookie it set and the token its forms carry. */
async function csrfPair(app: FastifyInstance, headers: Record<string, string> = {}): Promise<{ cookie: string; token: string }> {
  const res = await app.inject({ method: 'GET', url: '/login', headers });
  const secret = res.cookies.find((c) => c.name === '_csrf');
  const token = /name="csrf-token" content="([^"]+)"/.exec(res.body)?.[1];
  if (!secret || !token) throw new Error(`no CSRF pair on /login: ${res.statusCode} ${res.body.slice(0, 200)}`);
  return { cookie: `_csrf=${secret.value}`, token };
}

function post(app: FastifyInstance, url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: new URLSearchParams(form).toString() });
}

function notice(res: LightMyRequestResponse): string {
  const c = res.cookies.find((x) => x.name === 'cockpit_notice');
  return c ? (JSON.parse(decodeURIComponent(c.value)) as { text: string }).text : '';
}

const REACHED = /the Temporal server is not reachable: nothing was sent/;

describe('binding and credentials', () => {
  it('binds to 127.0.0.1:8080 by default, open to this machine only', () => {
    const s = dashboardSettings({});
    expect([s.host, s.port, s.token, s.basic, s.publicRead]).toEqual(['127.0.0.1', 8080, undefined, undefined, false]);
  });

  it('refuses any other bind address without a token or basic-auth credentials', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'cockpit.example.org']) {
      expect(() => dashboardSettings({ DASHBOARD_HOST: host })).toThrow(`DASHBOARD_HOST=${host} is not a loopback address: set DASHBOARD_TOKEN`);
    }
    expect(() => dashboardSettings({ DASHBOARD_HOST: '0.0.0.0', DASHBOARD_PUBLIC_READ: 'true' })).toThrow(/not a loopback address/);
    expect(dashboardSettings({ DASHBOARD_HOST: '0.0.0.0', DASHBOARD_TOKEN: TOKEN }).token).toBe(TOKEN);
    expect(dashboardSettings({ DASHBOARD_HOST: '0.0.0.0', DASHBOARD_USER: 'trader', DASHBOARD_PASSWORD: PASSWORD }).basic?.user).toBe('trader');
  });

  it('reads the token from a secret file, and refuses a bad one by name without echoing it', () => {
    const file = path.join(dir, 'token');
    fs.writeFileSync(file, `${TOKEN}\n`);
    expect(dashboardSettings({ DASHBOARD_HOST: '0.0.0.0', DASHBOARD_TOKEN_FILE: file }).token).toBe(TOKEN);
    expect(() => dashboardSettings({ DASHBOARD_TOKEN: TOKEN, DASHBOARD_TOKEN_FILE: file })).toThrow('DASHBOARD_TOKEN and DASHBOARD_TOKEN_FILE are both set');
    fs.writeFileSync(path.join(dir, 'empty'), '\n');
    expect(() => dashboardSettings({ DASHBOARD_TOKEN_FILE: path.join(dir, 'empty') })).toThrow(/DASHBOARD_TOKEN_FILE=.* is empty/);
    expect(() => dashboardSettings({ DASHBOARD_TOKEN_FILE: path.join(dir, 'missing') })).toThrow(/cannot be read \(ENOENT\)/);
    const short = () => dashboardSettings({ DASHBOARD_TOKEN: 'short-token' });
    expect(short).toThrow('DASHBOARD_TOKEN must be at least 16 characters');
    try {
      short();
    } catch (err) {
      expect((err as Error).message).not.toContain('short-token');
    }
    expect(() => dashboardSettings({ DASHBOARD_USER: 'trader' })).toThrow('basic auth needs both DASHBOARD_USER and DASHBOARD_PASSWORD');
    expect(() => dashboardSettings({ DASHBOARD_PUBLIC_READ: 'maybe' })).toThrow("DASHBOARD_PUBLIC_READ must be true or false, got 'maybe'");
  });

  it('npm run dashboard exits with the reason, and listens nowhere, when bound to 0.0.0.0 without credentials', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'dashboard/main.ts'], {
      cwd: ROOT, env: { PATH: process.env.PATH, DASHBOARD_HOST: '0.0.0.0', DASHBOARD_PORT: String(port), DATABASE_URL: databaseUrl }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('cockpit refused to start: DASHBOARD_HOST=0.0.0.0 is not a loopback address');
    const listening = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(true)).on('error', () => resolve(false));
      socket.unref();
    });
    expect(listening).toBe(false);
  });
});

describe('without credentials (loopback)', () => {
  it('serves the pages, and every asset from this server under a self-only Content-Security-Policy', async () => {
    const app = await cockpit();
    const res = await app.inject({ method: 'GET', url: '/', headers: HTML });
    expect(res.statusCode).toBe(200);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    const sources = [...res.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((u) => /\.(js|css)$/.test(u));
    expect(sources.length).toBeGreaterThanOrEqual(4);
    for (const src of sources) {
      expect(src.startsWith('/')).toBe(true);
      expect((await app.inject({ method: 'GET', url: src })).statusCode).toBe(200);
    }
    // Only the two built files of each chart library are served out of node_modules.
    expect((await app.inject({ method: 'GET', url: '/vendor/uplot/package.json' })).statusCode).toBe(404);
  });

  it('refuses a control without the page CSRF token, or with another browser token', async () => {
    const app = await cockpit();
    const none = await post(app, '/portfolios/p1/pause', { reason: 'x' });
    expect(none.statusCode).toBe(403);
    expect(none.body).toContain('CSRF token is missing or wrong');
    const mine = await csrfPair(app);
    const theirs = await csrfPair(app);
    const crossed = await post(app, '/portfolios/p1/pause', { _csrf: theirs.token }, { cookie: mine.cookie });
    expect(crossed.statusCode).toBe(403);
    const ok = await post(app, '/portfolios/p1/pause', { _csrf: mine.token }, { cookie: mine.cookie });
    expect(ok.statusCode).toBe(303);
    expect(notice(ok)).toMatch(REACHED);
  });

  it('refuses a Host header that is not loopback (DNS rebinding), and an emergency stop without the typed id', async () => {
    const app = await cockpit();
    const rebound = await app.inject({ method: 'GET', url: '/', headers: { host: 'attacker.example:8080' } });
    expect(rebound.statusCode).toBe(421);
    expect((await app.inject({ method: 'GET', url: '/', headers: { host: 'localhost:8080' } })).statusCode).toBe(200);
    const { cookie, token } = await csrfPair(app);
    const unconfirmed = await post(app, '/portfolios/p1/emergency-stop', { _csrf: token, confirm: 'yes' }, { cookie });
    expect(notice(unconfirmed)).toBe("emergency-stop refused: type the portfolio id 'p1' to confirm: an emergency stop sells every position; nothing was sent");
  });

  it('serves only backtest reports listed in its directory', async () => {
    fs.writeFileSync(path.join(dir, 'smaCross_BTC_1h.html'), '<html><body>report</body></html>');
    const app = await cockpit();
    const report = await app.inject({ method: 'GET', url: '/backtests/smaCross_BTC_1h.html' });
    expect(report.statusCode).toBe(200);
    expect(String(report.headers['content-security-policy'])).toContain('sandbox');
    expect((await app.inject({ method: 'GET', url: '/backtests/..%2F..%2Fpackage.json' })).statusCode).toBe(404);
    const badPeriod = await app.inject({ method: 'GET', url: '/portfolios/p1?period=2w' });
    expect([badPeriod.statusCode, badPeriod.body]).toEqual([400, 'querystring/period must be equal to one of the allowed values']);
  });
});

describe('with a token', () => {
  it('needs it for pages (sign-in redirect), for data and for controls, even on loopback', async () => {
    const app = await cockpit({ DASHBOARD_TOKEN: TOKEN });
    const page = await app.inject({ method: 'GET', url: '/portfolios/p1', headers: HTML });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/login?next=%2Fportfolios%2Fp1');
    expect((await app.inject({ method: 'GET', url: '/api/version' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/', headers: { authorization: 'Bearer not-the-token-at-all' } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(200);
    // The sign-in page's stylesheet and scripts are public; nothing else is.
    expect((await app.inject({ method: 'GET', url: '/assets/cockpit.css' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/vendor/uplot/uPlot.min.css' })).statusCode).toBe(200);

    const { cookie, token } = await csrfPair(app);
    const anonymous = await post(app, '/portfolios/p1/resume', { _csrf: token }, { cookie });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.body).toContain("controls need the cockpit's credentials");
    const noCsrf = await post(app, '/portfolios/p1/resume', {}, { authorization: `Bearer ${TOKEN}` });
    expect(noCsrf.statusCode).toBe(403);
    const both = await post(app, '/portfolios/p1/resume', { _csrf: token }, { cookie, authorization: `Bearer ${TOKEN}` });
    expect(notice(both)).toMatch(REACHED);
  });

  it('signs a browser in with a session cookie that is not the token; a wrong token signs nobody in', async () => {
    const app = await cockpit({ DASHBOARD_TOKEN: TOKEN });
    const { cookie, token } = await csrfPair(app);
    const wrong = await post(app, '/login', { _csrf: token, token: 'tok-0123456789abcdef-wrong', next: '/' }, { cookie });
    expect(wrong.headers.location).toBe('/login?failed=1&next=%2F');
    expect(wrong.cookies.find((c) => c.name === 'cockpit_session')).toBeUndefined();
    expect((await post(app, '/login', { token: TOKEN }, {})).statusCode).toBe(403); // the sign-in form needs its CSRF token too

    const right = await post(app, '/login', { _csrf: token, token: TOKEN, next: '//attacker.example/' }, { cookie });
    expect(right.headers.location).toBe('/');
    const session = right.cookies.find((c) => c.name === 'cockpit_session')!;
    expect(session.value).toBe(sessionValue(TOKEN));
    expect(session.value).not.toContain(TOKEN);
    expect(session.httpOnly).toBe(true);
    expect(session.sameSite).toBe('Strict');
    const signedIn = `${cookie}; cockpit_session=${session.value}`;
    expect((await app.inject({ method: 'GET', url: '/', headers: { cookie: signedIn } })).statusCode).toBe(200);
    expect(notice(await post(app, '/portfolios/p1/stop', { _csrf: token }, { cookie: signedIn }))).toMatch(REACHED);
  });

  it('opens the read-only pages only with DASHBOARD_PUBLIC_READ=true, never the controls', async () => {
    const app = await cockpit({ DASHBOARD_TOKEN: TOKEN, DASHBOARD_PUBLIC_READ: 'true' });
    const overview = await app.inject({ method: 'GET', url: '/', headers: HTML });
    expect(overview.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/version' })).statusCode).toBe(200);
    const { cookie, token } = await csrfPair(app);
    expect((await post(app, '/portfolios/p1/pause', { _csrf: token }, { cookie })).statusCode).toBe(401);
    const page = await app.inject({ method: 'GET', url: '/models', headers: HTML });
    expect(page.body).not.toContain('id="pause-form"');
  });
});

describe('with basic-auth credentials', () => {
  it('asks the browser for them, and refuses a wrong password', async () => {
    const app = await cockpit({ DASHBOARD_HOST: '0.0.0.0', DASHBOARD_USER: 'trader', DASHBOARD_PASSWORD: PASSWORD });
    const anonymous = await app.inject({ method: 'GET', url: '/', headers: HTML });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic realm=/);
    const basic = (user: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` });
    expect((await app.inject({ method: 'GET', url: '/', headers: basic('trader', 'pw-wrong-horse-battery') })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/', headers: basic('admin', PASSWORD) })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/', headers: basic('trader', PASSWORD) })).statusCode).toBe(200);
  });
});

describe('no secret is rendered', () => {
  it('in any page, header or cookie, signed in with both kinds of credentials', async () => {
    const app = await cockpit({ DASHBOARD_HOST: '0.0.0.0', DASHBOARD_TOKEN: TOKEN, DASHBOARD_USER: 'trader', DASHBOARD_PASSWORD: PASSWORD });
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const url of ['/', '/login', '/models', '/backtests', '/portfolios/none', '/orders/none', '/api/version', '/api/portfolios/none/analytics']) {
      const res = await app.inject({ method: 'GET', url, headers: { ...HTML, ...auth } });
      expect({ url, status: res.statusCode < 500 }).toEqual({ url, status: true });
      const everything = `${res.body}\n${JSON.stringify(res.headers)}`;
      for (const secret of [TOKEN, PASSWORD]) expect({ url, leaks: everything.includes(secret) }).toEqual({ url, leaks: false });
    }
  });
});
