/**
 * The cockpit in a real browser: Debian's Chromium driven by playwright-core, on a real stack (Temporal dev server,
 * the production workers, a migrated SQLite database, the loopback Ollama) trading a replay of real Binance 1h candles.
 * Signed in with a token, it checks what a trader relies on: the overview lists the portfolio; the page updates
 * without a reload as cycles complete; pause from the page pauses the workflow (its status query says so); the equity
 * chart has one point per cycle; the candlestick chart carries the fills, and each position's stop and take-profit as
 * recorded cycle by cycle; a real order's trace names its signal, verdict, rules and fills; a refused risk change shows the validator's own reason; the page and `tradectl stats`
 * print the same figures; an emergency stop typed in halts it and the overview says why; no page shows the token. Screenshots of each page go to tests/browser/.artifacts/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { recentCycles, recentOrders, traceOrder } from '../../activities/persistence/queries';
import { buildCli } from '../../client/cli';
import { portfolioHandle, portfolioOps, startPortfolio } from '../../client/tradingClient';
import { metricRows } from '../../backtest/report/format';
import { startCockpit, type RunningCockpit } from '../../dashboard/server';
import { openDatabase } from '../../prisma/database';
import { dashboardSettings } from '../../dashboard/settings';
import { launchChromium } from '../helpers/chromium';
import { replayConfig, startTestStack, waitFor, type TestStack } from '../helpers/testStack';

const ARTIFACTS = path.join(__dirname, '.artifacts');

const TOKEN = 'e2e-token-0123456789abcdef';

/** What public/cockpit.js exposes on the page, as the functions below (run inside the browser) read it. */
interface CockpitGlobal {
  updates: number;
  charts: {
    equity?: { data: number[][] };
    drawdown?: { data: number[][] };
    candles?: {
      symbol: string; payload: unknown; markers: { markers(): Array<{ time: number; text: string }> }; series: { data(): Array<{ time: number }> };
      levels: Record<'stop' | 'takeProfit', { data(): Array<{ time: number; value?: number }> }>;
    };
  };
}
declare const window: { cockpit: CockpitGlobal };
declare const document: { getElementById(id: string): { textContent: string | null } | null };
const config = replayConfig({ symbols: ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'] });
const id = config.portfolioId;

let stack: TestStack;
let cockpit: RunningCockpit;
let browser: Browser;
let page: Page;
let backtestsDir: string;
const problems: string[] = [];
const seenHtml: string[] = [];

const status = () => portfolioOps.status(portfolioHandle(stack.env.client, id));

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  seenHtml.push(await page.content());
}

/** Loads a page and waits for its charts (the live poller keeps the network busy, so no 'networkidle'). */
async function goto(url: string): Promise<void> {
  await page.goto(`${cockpit.url}${url}`);
  if (url.startsWith('/portfolios/')) {
    await page.waitForFunction(() => window.cockpit.charts.equity && window.cockpit.charts.candles?.payload);
  }
}

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  backtestsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cockpit-backtests-'));
  stack = await startTestStack();
  await stack.startWorkers();
  await startPortfolio(stack.env.client, config);
  cockpit = await startCockpit({
    settings: dashboardSettings({ DASHBOARD_PORT: '0', DASHBOARD_TOKEN: TOKEN, BACKTESTS_DIR: backtestsDir, DASHBOARD_REFRESH_MS: '500' }),
    client: stack.env.client,
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
});

afterAll(async () => {
  await browser?.close();
  await cockpit?.close();
  await stack?.teardown();
  if (backtestsDir) fs.rmSync(backtestsDir, { recursive: true, force: true });
});

describe('the cockpit in Chromium on a live replay portfolio', () => {
  it('asks for the token, then lists the portfolio on the overview', async () => {
    await page.goto(`${cockpit.url}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('input[name=token]', 'e2e-token-wrong-wrong-wrong');
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#login-failed');
    await page.fill('input[name=token]', TOKEN);
    await page.click('#login button[type=submit]');
    await page.waitForSelector(`tr[data-portfolio="${id}"]`);
    const row = page.locator(`tr[data-portfolio="${id}"]`);
    expect(await row.locator('.mode').textContent()).toBe('PAPER');
    expect(await row.locator('.state').textContent()).toBe('running');
    await shot('overview');
  });

  it('updates the portfolio page without a reload while cycles complete and trades fill', async () => {
    await waitFor('a filled order', async () => ((await recentOrders(id, 50)).some((o) => o.status === 'filled') ? true : undefined), 90_000);
    // A position protected for three cycles, so the chart has stop and take-profit lines to draw (a few seconds more).
    await waitFor('a position protected for three cycles', async () => {
      const held = await openDatabase(stack.databaseUrl).positionSnapshot.groupBy({ by: ['symbol'], where: { cycle: { portfolioId: id }, stopPrice: { not: null } }, _count: { _all: true } });
      return held.some((h) => h._count._all >= 3) ? true : undefined;
    }, 60_000);
    let navigations = 0;
    page.on('framenavigated', (f) => f === page.mainFrame() && (navigations += 1));
    await goto(`/portfolios/${id}`);
    const before = await page.evaluate(() => window.cockpit.charts.equity!.data[0].length as number);
    navigations = 0;
    await page.waitForFunction((n) => window.cockpit.updates > 0 && window.cockpit.charts.equity!.data[0].length > n, before, { timeout: 30_000 });
    expect(navigations).toBe(0);
    expect(Number(await page.locator('#cycle-count').textContent())).toBeGreaterThan(before);
  });

  it('pauses the workflow from the page (its status query says so)', async () => {
    await page.fill('#pause-form input[name=reason]', 'checked in the browser');
    await page.click('#pause');
    await page.waitForSelector('#notice.ok');
    expect(await page.locator('#notice').textContent()).toContain(`pause sent to portfolio-${id}`);
    const paused = await waitFor('the paused state', async () => {
      const s = await status();
      return s.state === 'paused' ? s : undefined;
    });
    expect(paused.pauseReason).toBe('checked in the browser');
    await page.waitForFunction(() => document.getElementById('portfolio-state')?.textContent === 'paused', undefined, { timeout: 10_000 });
  });

  it('draws one equity point per recorded cycle', async () => {
    // A cycle in flight when the pause arrived still finishes: wait until the database holds every cycle run.
    const cycles = await waitFor('every cycle recorded', async () => {
      const run = (await status()).cyclesRun;
      const rows = await recentCycles(id, 10_000);
      return rows.length === run && run > 0 ? run : undefined;
    });
    await goto(`/portfolios/${id}`);
    const points = await page.evaluate(() => ({ equity: window.cockpit.charts.equity!.data[0].length, drawdown: window.cockpit.charts.drawdown!.data[1].length }));
    expect(points).toEqual({ equity: cycles, drawdown: cycles });
    await shot('portfolio');
  });

  it('shows the fills on the candlestick chart, one marker per filled order', async () => {
    const filled = (await recentOrders(id, 1_000)).filter((o) => o.fills.length > 0);
    const symbol = filled[0].symbol;
    await page.click(`#symbol-tabs button[data-symbol="${symbol}"]`);
    await page.waitForFunction((s) => window.cockpit.charts.candles?.symbol === s && window.cockpit.charts.candles.markers.markers().length > 0, symbol);
    const chart = await page.evaluate(() => {
      const c = window.cockpit.charts.candles!;
      const bars = c.series.data();
      return { bars: bars.length, lastBar: bars[bars.length - 1].time as number, markers: c.markers.markers().map((m) => ({ time: m.time, text: m.text })) };
    });
    const ofSymbol = filled.filter((o) => o.symbol === symbol);
    expect(chart.markers).toHaveLength(ofSymbol.length);
    // On the candle each order first filled in; a fill in the candle still forming at the portfolio's market time
    // sits on the last closed one.
    const tfSeconds = 3600;
    const expectedTimes = ofSymbol
      .map((o) => Math.min(Math.floor(o.fills[0].timestamp.getTime() / 1000 / tfSeconds) * tfSeconds, chart.lastBar))
      .sort((a, b) => a - b);
    expect(chart.markers.map((m) => m.time)).toEqual(expectedTimes);
    expect(chart.markers.filter((m) => m.text === 'buy')).toHaveLength(ofSymbol.filter((o) => o.side === 'buy').length);
    expect(chart.bars).toBeGreaterThanOrEqual(200);
    await page.locator('#candle-chart').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(ARTIFACTS, 'candles.png') });
  });

  it('draws the stop and take-profit each position had, cycle by cycle, as the snapshots recorded them', async () => {
    const protectedRows = await openDatabase(stack.databaseUrl).positionSnapshot.findMany({ where: { cycle: { portfolioId: id }, stopPrice: { not: null } } });
    const count = (s: string) => protectedRows.filter((r) => r.symbol === s).length;
    const symbol = [...new Set(protectedRows.map((r) => r.symbol))].sort((a, b) => count(b) - count(a))[0];
    const snapshots = protectedRows.filter((r) => r.symbol === symbol);
    expect(snapshots.length).toBeGreaterThanOrEqual(3);
    await page.click(`#symbol-tabs button[data-symbol="${symbol}"]`);
    await page.waitForFunction((s) => window.cockpit.charts.candles?.symbol === s, symbol);
    const lines = await page.evaluate(() => {
      const c = window.cockpit.charts.candles!;
      return { stop: c.levels.stop.data(), takeProfit: c.levels.takeProfit.data(), lastBar: c.series.data().at(-1)!.time as number };
    });
    const drawn = (points: Array<{ value?: number }>) => points.filter((p) => p.value !== undefined).map((p) => p.value!);
    // Each level drawn is one a snapshot recorded, and each recorded one is drawn but the newest, which may stand on
    // the last candle in place of the one before; a line needs two points.
    for (const [key, column] of [['stop', 'stopPrice'], ['takeProfit', 'takeProfitPrice']] as const) {
      const recorded = new Set(snapshots.map((r) => r[column]));
      expect(drawn(lines[key]).length).toBeGreaterThanOrEqual(2);
      expect(drawn(lines[key]).filter((v) => !recorded.has(v))).toEqual([]);
      expect([...recorded].filter((v) => !drawn(lines[key]).includes(v!)).length).toBeLessThanOrEqual(1);
    }
    expect(lines.stop.every((p) => p.time <= lines.lastBar)).toBe(true);
  });

  it("opens a real order's trace from the page: its signal, verdict, rules and fills", async () => {
    const buy = (await recentOrders(id, 1_000)).find((o) => o.side === 'buy' && o.status === 'filled')!;
    const trace = (await traceOrder(buy.id))!;
    await page.click(`a.trace[href="/orders/${buy.id}"]`);
    await page.waitForSelector('#trace-signal');
    expect(await page.locator('#signal-direction').textContent()).toBe(trace.signal!.direction);
    expect(await page.locator('#verdict').textContent()).toBe(trace.verdict!.approve ? 'approve' : 'reject');
    const rules = await page.locator('#rules tbody tr td:first-child').allTextContents();
    expect(rules).toEqual(trace.decision!.rules.map((r) => r.rule));
    expect(rules.length).toBeGreaterThan(0);
    expect(await page.locator('#fills tbody tr').count()).toBe(trace.order.fills.length);
    expect(await page.locator('#order-status').textContent()).toBe('filled');
    await shot('trace');
  });

  it("shows the validator's own reason when a risk change is refused, and changes nothing", async () => {
    let reason = '';
    try {
      await portfolioOps.setRiskLimits(portfolioHandle(stack.env.client, id), { maxDrawdown: 7 });
    } catch (err) {
      reason = (err as { cause?: Error }).cause?.message ?? '';
    }
    expect(reason).toMatch(/maxDrawdown/);
    await goto(`/portfolios/${id}`);
    await page.fill('#risk-form textarea', 'maxDrawdown=7');
    await page.click('#set-risk');
    await page.waitForSelector('#notice.error');
    expect(await page.locator('#notice').textContent()).toBe(`risk-limits refused: ${reason}`);
    expect((await portfolioOps.risk(portfolioHandle(stack.env.client, id))).limits.maxDrawdown).toBe(config.risk.maxDrawdown);
  });

  it('prints the same figures as `tradectl stats`', async () => {
    process.env.TEMPORAL_ADDRESS = stack.env.address;
    const lines: string[] = [];
    await buildCli((l) => lines.push(l)).parseAsync(['node', 'tradectl', 'stats', '--portfolio', id, '--json']);
    const stats = JSON.parse(lines.join('\n'));
    await goto(`/portfolios/${id}`);
    const shown = Object.fromEntries(await page.locator('#metrics tr').evaluateAll((rows) => rows.map((r) => [r.querySelector('th')!.textContent, r.querySelector('td')!.textContent])));
    const metrics = { ...stats.metrics, sortino: stats.metrics.sortino ?? Infinity, profitFactor: stats.metrics.profitFactor ?? Infinity };
    expect(shown).toEqual(Object.fromEntries(metricRows(metrics)));
    expect(stats.metrics.trades + stats.openTrades.length).toBeGreaterThan(0);
  });

  it('halts the portfolio on an emergency stop confirmed by typing its id; the overview says halted and why', async () => {
    await goto(`/portfolios/${id}`);
    await page.fill('#emergency-form input[name=confirm]', id);
    await page.click('#emergency-stop');
    await page.waitForSelector('#notice.ok');
    const halted = await waitFor('the halt', async () => {
      const s = await status();
      return s.halt ? s : undefined;
    });
    expect(halted.halt!.kind).toBe('emergency');
    await goto('/');
    const row = page.locator(`tr[data-portfolio="${id}"]`);
    expect(await row.locator('.state').textContent()).toBe('halted');
    expect(await row.locator('.detail').textContent()).toContain(`emergency since ${halted.halt!.since}: emergency stop from the cockpit`);
  });

  it('shows model monitoring and the backtest reports', async () => {
    await buildCli(() => undefined).parseAsync(['node', 'tradectl', 'backtest', '--data', '../shared/data/ohlcv', '--symbols', 'BTC/USDT', '--from', '2023-01-01', '--to', '2023-03-31', '--strategy', 'smaCross', '--out', backtestsDir]);
    await goto('/models');
    expect(await page.locator('#served-version').textContent()).toMatch(/^\d{8}-/);
    await shot('models');
    await goto('/backtests');
    await page.click('#backtests a');
    await page.waitForLoadState('load');
    expect(await page.title()).toContain('Backtest');
    await goto('/backtests');
    await shot('backtests');
  });

  it('rendered no secret and raised no browser error (a Content-Security-Policy refusal would be one)', () => {
    expect(seenHtml.length).toBeGreaterThanOrEqual(5);
    expect(seenHtml.filter((html) => html.includes(TOKEN))).toEqual([]);
    expect(problems).toEqual([]);
  });
});
