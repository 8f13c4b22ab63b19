/**
 * JSON the pages read after loading: a cheap version to poll (a page refetches itself only when it changed), a
 * symbol's candles with the portfolio's fills and protective levels, and the live analytics (what `tradectl stats
 * --json` prints).
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { parsePeriod } from '../../analytics/performance';
import { loadPortfolioActivity, portfolioStats } from '../../analytics/portfolioRecords';
import { candleChart, recordedLevels } from '../queries/candles';
import { positionRows, recordedSymbols } from '../queries/portfolio';
import { stateOf } from '../queries/overview';
import type { CockpitDeps } from '../server';
import { PERIOD_QUERY } from './pages';

export function registerApi(app: FastifyInstance, { db, records, temporal }: CockpitDeps): void {
  app.get<{ Querystring: { portfolio?: string } }>('/api/version', async (request) => {
    const portfolioId = request.query.portfolio;
    const where = portfolioId ? { portfolioId } : {};
    const [cycles, orders, workflows] = await Promise.all([
      db.cycle.aggregate({ where, _count: { _all: true }, _max: { recordedAt: true } }),
      db.order.aggregate({ where, _count: { _all: true }, _max: { updatedAt: true } }),
      portfolioId ? [{ portfolioId, status: 'RUNNING' }] : temporal.portfolioWorkflows().then((w) => (Array.isArray(w) ? w : [])),
    ]);
    // What the workflows say changes without a cycle too (paused, halted): their state is part of the version.
    const states = await Promise.all(workflows.filter((w) => w.status === 'RUNNING').map(async (w) => {
      const view = await temporal.liveView(w.portfolioId, false);
      const s = stateOf(view);
      return `${w.portfolioId}:${s.state}:${s.detail ?? ''}:${view.status?.openOrders?.length ?? 0}:${view.status?.cooldowns.length ?? 0}`;
    }));
    const parts = [cycles._count._all, cycles._max.recordedAt?.getTime(), orders._count._all, orders._max.updatedAt?.getTime(), ...workflows.map((w) => `${w.portfolioId}=${w.status}`), ...states];
    return { version: createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 16) };
  });

  app.get<{ Params: { id: string }; Querystring: { symbol?: string } }>('/api/portfolios/:id/candles', async (request, reply) => {
    const { id } = request.params;
    const view = await temporal.liveView(id, false);
    const config = view.status?.config ?? view.config;
    const [activity, last] = await Promise.all([
      loadPortfolioActivity(id, { initialCash: config?.initialCash, timeframe: config?.timeframe }, db, records),
      db.cycle.findFirst({ where: { portfolioId: id }, orderBy: [{ cycleNo: 'desc' }], select: { marketSource: true } }),
    ]);
    const market = last?.marketSource ?? config?.market;
    if (!market) return reply.code(404).send({ error: `portfolio '${id}' has no market yet` });
    const symbols = config?.symbols ?? (await recordedSymbols(db, id, activity));
    const symbol = request.query.symbol ?? symbols[0];
    if (!symbol || !symbols.includes(symbol)) return reply.code(400).send({ error: `'${symbol}' is not a symbol of portfolio ${id}: ${symbols.join(', ')}` });
    const position = positionRows(view, activity, []).find((p) => p.symbol === symbol);
    return candleChart(activity, market, symbol, config?.timeframe ?? '1h', position, await recordedLevels(db, id, symbol));
  });

  app.get<{ Params: { id: string }; Querystring: { period?: string } }>('/api/portfolios/:id/analytics', { schema: PERIOD_QUERY }, async (request, reply) => {
    const { id } = request.params;
    const period = parsePeriod(request.query.period);
    const view = await temporal.liveView(id, false);
    const config = view.status?.config ?? view.config;
    const stats = await portfolioStats(id, period, { initialCash: config?.initialCash, timeframe: config?.timeframe }, db, records);
    return stats ?? reply.code(404).send({ error: `portfolio '${id}' has recorded no cycle` });
  });
}
