/** The cockpit's pages: overview, a portfolio, a trade's trace, model monitoring, backtest reports. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { traceOrder } from '../../activities/persistence/queries';
import { PERIODS, parsePeriod } from '../../analytics/performance';
import { metricRows } from '../../backtest/report/format';
import { modelsReport } from '../../client/modelCommands';
import { credentialsConfigured } from '../access';
import { overview } from '../queries/overview';
import { portfolioPage } from '../queries/portfolio';
import type { CockpitDeps } from '../server';
import type { DashboardSettings } from '../settings';
import { render, type Chrome } from '../views';

export const NOTICE_COOKIE = 'cockpit_notice';

/** `?period=` of the pages and data that show analytics; Fastify refuses any other value with a 400 naming them. */
export const PERIOD_QUERY = { querystring: { type: 'object', properties: { period: { type: 'string', enum: Object.keys(PERIODS) } } } };

/** What every page carries: its CSRF token, the notice a control left, whether controls are offered. */
export function chrome(request: FastifyRequest, reply: FastifyReply, s: DashboardSettings, title: string, nav: string, versionUrl?: string): Chrome {
  let notice: Chrome['notice'];
  const raw = request.cookies?.[NOTICE_COOKIE];
  if (raw) {
    try {
      const parsed = JSON.parse(raw) as Chrome['notice'];
      if (parsed && (parsed.level === 'ok' || parsed.level === 'error') && typeof parsed.text === 'string') notice = parsed;
    } catch {
      /* a cookie we did not write: ignored */
    }
    reply.clearCookie(NOTICE_COOKIE, { path: '/' });
  }
  return {
    title,
    csrf: reply.generateCsrf(),
    signedIn: request.signedIn,
    canControl: !credentialsConfigured(s) || request.signedIn,
    ...(notice && { notice }),
    nav,
    refreshMs: s.refreshMs,
    ...(versionUrl && { versionUrl }),
  };
}

export function webUiLink(s: DashboardSettings, workflowId: string): string {
  return `${s.temporalUiUrl}/namespaces/${encodeURIComponent(s.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

const html = (reply: FastifyReply, body: string) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);

export function registerPages(app: FastifyInstance, deps: CockpitDeps): void {
  const { db, records, temporal, settings } = deps;

  app.get('/', async (request, reply) => {
    const data = await overview(db, temporal);
    return html(reply, render('overview', chrome(request, reply, settings, 'Portfolios', 'overview', '/api/version'), { ...data, now: Date.now() }));
  });

  app.get<{ Params: { id: string }; Querystring: { period?: string } }>('/portfolios/:id', { schema: PERIOD_QUERY }, async (request, reply) => {
    const { id } = request.params;
    const period = parsePeriod(request.query.period);
    const page = await portfolioPage(db, records, temporal, id, period);
    if (!page) return reply.code(404).type('text/plain').send(`no portfolio '${id}' in the database or in Temporal`);
    const c = chrome(request, reply, settings, `Portfolio ${id}`, 'portfolio', `/api/version?portfolio=${encodeURIComponent(id)}`);
    return html(reply, render('portfolio', c, {
      id, page, period, periods: Object.keys(PERIODS), metricRows, webUiLink: (w: string) => webUiLink(settings, w), now: Date.now(),
    }));
  });

  app.get<{ Params: { id: string } }>('/orders/:id', async (request, reply) => {
    const trace = await traceOrder(request.params.id, db);
    if (!trace) return reply.code(404).type('text/plain').send(`no order with client order id '${request.params.id}'`);
    const c = chrome(request, reply, settings, `Order ${trace.order.id}`, 'trace');
    return html(reply, render('trace', c, { trace, webUiLink: (w: string) => webUiLink(settings, w) }));
  });

  app.get('/models', async (request, reply) => {
    const report = await modelsReport(db);
    return html(reply, render('models', chrome(request, reply, settings, 'Model monitoring', 'models'), { report }));
  });

  app.get('/backtests', async (request, reply) => {
    const reports = await listBacktests(settings.backtestsDir);
    return html(reply, render('backtests', chrome(request, reply, settings, 'Backtests', 'backtests'), { reports, dir: settings.backtestsDir }));
  });

  app.get<{ Params: { name: string } }>('/backtests/:name', async (request, reply) => {
    const reports = await listBacktests(settings.backtestsDir);
    const report = reports.find((r) => r.name === request.params.name);
    if (!report) return reply.code(404).type('text/plain').send(`no backtest report '${request.params.name}' in ${settings.backtestsDir}`);
    const body = await fs.readFile(path.join(settings.backtestsDir, report.name), 'utf8');
    // The report is a self-contained page of its own: sandboxed, it runs nothing and reaches nothing of the cockpit.
    reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox");
    return html(reply, body);
  });
}

export interface BacktestReport {
  name: string;
  title: string;
  modifiedAt: number;
  bytes: number;
  hasJson: boolean;
}

/** The HTML reports `tradectl backtest` wrote, newest first (names only from the directory listing, never from the URL). */
export async function listBacktests(dir: string): Promise<BacktestReport[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const reports = await Promise.all(names.filter((n) => n.endsWith('.html')).map(async (name) => {
    const stat = await fs.stat(path.join(dir, name));
    return { name, title: name.replace(/\.html$/, '').replace(/_/g, ' '), modifiedAt: stat.mtimeMs, bytes: stat.size, hasJson: names.includes(name.replace(/\.html$/, '.json')) };
  }));
  return reports.sort((a, b) => b.modifiedAt - a.modifiedAt);
}
