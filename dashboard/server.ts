/**
 * The trader's cockpit: a Fastify server rendering pages from the app database and the portfolio workflows'
 * queries, with charts drawn in the browser by lightweight-charts (candles) and uPlot (curves), both served from
 * node_modules (no CDN: the Content-Security-Policy allows nothing but this server). Controls go through
 * client/tradingClient.ts portfolioOps, the CLI's own signals and updates; nothing else writes.
 */
import path from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import { RecordsCache } from '../analytics/portfolioRecords';
import { openDatabase, type Db } from '../prisma/database';
import { installAccess } from './access';
import { registerApi } from './routes/api';
import { registerControls } from './routes/controls';
import { registerPages } from './routes/pages';
import { registerSignIn } from './routes/signIn';
import { dashboardSettings, type DashboardSettings } from './settings';
import { TemporalSide } from './temporalSide';

export interface CockpitDeps {
  db: Db;
  /** Every portfolio's records as last read (analytics/portfolioRecords.ts): a page reads only what changed. */
  records: RecordsCache;
  temporal: TemporalSide;
  settings: DashboardSettings;
}

export interface CockpitOptions {
  settings?: DashboardSettings;
  db?: Db;
  /** A connected client (npm start passes its own); without one the cockpit connects to TEMPORAL_ADDRESS lazily. */
  client?: Client | null;
  temporalAddress?: string;
  /** Shared by several cockpits of one process (tests); else one is made from client and temporalAddress. */
  temporal?: TemporalSide;
  logger?: boolean;
}

const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));

const CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  // Served over plain HTTP on loopback or behind a TLS proxy: upgrading would break the former.
  upgradeInsecureRequests: null,
};

export async function buildCockpit(options: CockpitOptions = {}): Promise<FastifyInstance> {
  const settings = options.settings ?? dashboardSettings();
  const deps: CockpitDeps = {
    settings,
    db: options.db ?? openDatabase(),
    records: new RecordsCache(),
    temporal: options.temporal ?? new TemporalSide(options.client ?? null, options.temporalAddress),
  };
  const app = Fastify({ logger: options.logger ?? false, trustProxy: false });
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody);
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieOpts: { path: '/', sameSite: 'strict', httpOnly: true, signed: false },
  });
  await app.register(fastifyHelmet, { contentSecurityPolicy: { directives: CSP }, hsts: false });
  installAccess(app, settings);

  // Public: routes under /assets/ and /vendor/ (access.ts).
  await app.register(fastifyStatic, { root: path.join(__dirname, 'public'), prefix: '/assets/', maxAge: '1h' });
  await app.register(fastifyStatic, {
    root: path.join(packageDir('lightweight-charts'), 'dist'), prefix: '/vendor/lightweight-charts/', decorateReply: false, maxAge: '1d',
    allowedPath: (p) => p === '/lightweight-charts.standalone.production.js',
  });
  await app.register(fastifyStatic, {
    root: path.join(packageDir('uplot'), 'dist'), prefix: '/vendor/uplot/', decorateReply: false, maxAge: '1d',
    allowedPath: (p) => p === '/uPlot.iife.min.js' || p === '/uPlot.min.css',
  });

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, _request, reply) => {
    if (error.code?.startsWith('FST_CSRF_')) {
      return reply.code(403).type('text/plain').send('refused: the form\'s CSRF token is missing or wrong (reload the page and try again); nothing was sent');
    }
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    return reply.code(status).type('text/plain').send(status === 500 ? `cockpit error: ${error.message}` : error.message);
  });

  // A cockpit that made its own Temporal side closes it with the server.
  if (!options.temporal) app.addHook('onClose', () => deps.temporal.close());
  registerSignIn(app, deps);
  registerPages(app, deps);
  registerApi(app, deps);
  registerControls(app, deps);
  app.get('/healthz', { config: { access: 'public' } }, async () => 'ok');
  app.get('/favicon.ico', { config: { access: 'public' } }, async (_request, reply) => reply.code(204).send());
  return app;
}

export interface RunningCockpit {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Builds and listens; the settings were checked before (a refusal throws DashboardSettingsError). */
export async function startCockpit(options: CockpitOptions = {}): Promise<RunningCockpit> {
  const settings = options.settings ?? dashboardSettings();
  const app = await buildCockpit({ ...options, settings });
  await app.listen({ host: settings.host, port: settings.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const shownHost = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return { url: `http://${shownHost}:${port}`, app, close: () => app.close() };
}

/**
 * For `npm start`: the cockpit beside the workers, in the same process. A port already taken is a warning (trading
 * goes on without the cockpit); a refused security setting was thrown before, by dashboardSettings().
 */
export async function startCockpitBeside(options: CockpitOptions & { settings: DashboardSettings }, warn: (line: string) => void): Promise<RunningCockpit | undefined> {
  try {
    return await startCockpit(options);
  } catch (err) {
    warn(`The cockpit could not listen on ${options.settings.host}:${options.settings.port} (${(err as Error).message}); trading goes on without it. Set DASHBOARD_PORT to another port.`);
    return undefined;
  }
}
