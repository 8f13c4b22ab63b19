/**
 * Live monitoring of the signal model: scoreMatureSignals scores recorded signals once their label horizon has
 * passed, against the closes the portfolio recorded later, with the model's own label definition; the hit rate
 * against confidence per version is in the database and in Prometheus. Runs on SQLite and on PostgreSQL
 * (TEST_POSTGRES_URL; required in CI, skipped locally without it).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registry } from '../../activities/metrics';
import { readCurrent, readManifest, DEFAULT_REGISTRY_ROOT } from '../../activities/modelRegistry';
import { recordCycle } from '../../activities/persistence/recordCycle';
import { modelPerformance, scoreMatureSignals } from '../../activities/persistence/scoreSignals';
import type { CycleRecord, Direction } from '../../domain/types';
import { closeDatabases, migrateDatabase, openDatabase, type Db } from '../../prisma/database';
import { createPostgresDatabase, describeOnPostgres, dropPostgresDatabases } from '../helpers/postgres';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 8, 0);
const VERSION = readCurrent(DEFAULT_REGISTRY_ROOT)!;
const LABEL = readManifest(path.join(DEFAULT_REGISTRY_ROOT, VERSION)).label;

afterAll(() => closeDatabases());

/** BTC closes by hour; no cycle is recorded at hour 6 (the portfolio was paused). */
const PRICES: Record<number, number> = { 0: 100, 1: 100, 2: 100, 3: 100, 4: 100.5, 5: 99, 7: 100, 8: 101, 9: 100, 10: 100, 11: 99 };
/** The model's call at each hour: direction and confidence. */
const CALLS: Record<number, [Direction, number]> = {
  0: ['up', 0.55], // 100 -> 100.5 (+0.5%): up, hit
  1: ['up', 0.45], // 100 -> 99: down, miss
  2: ['up', 0.6], // hour 6 never recorded: unscorable
  3: ['flat', 0.62], // 100 -> 100: flat, hit
  4: ['down', 0.41], // 100.5 -> 101 (+0.4975%): up, miss
  5: ['up', 0.75], // 99 -> 100 (+1.01%): up, hit
  7: ['down', 0.52], // 100 -> 99: down, hit
  8: ['flat', 0.5],
  9: ['flat', 0.5],
  10: ['flat', 0.5],
  11: ['flat', 0.5],
};

function cycle(portfolioId: string, hour: number, extra: CycleRecord['signals'] = []): CycleRecord {
  const [direction, confidence] = CALLS[hour];
  const rest = (1 - confidence) / 2;
  const probabilities = { up: rest, down: rest, flat: rest, [direction]: confidence } as Record<Direction, number>;
  return {
    cycleId: `${portfolioId}-cycle-${hour}`, portfolioId, cycleNo: hour + 1, mode: 'paper', market: 'replay:test', status: 'completed',
    startedAt: T0 + (hour + 1) * H, finishedAt: T0 + (hour + 1) * H + 1000,
    features: [],
    signals: [{ symbol: 'BTC/USDT', asOf: T0 + hour * H, direction, confidence, probabilities, modelVersion: VERSION }, ...extra],
    verdicts: [], decisions: [], orders: [],
    book: { cash: 1000, positions: {}, realizedPnlToday: 0, dayStartEquity: 1000, day: '2024-01-08' },
    prices: { 'BTC/USDT': PRICES[hour], 'ETH/USDT': 2000 },
    equity: 1000,
  };
}

async function gauge(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const v = metric?.values.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l));
  return v === undefined ? undefined : Number(v.value);
}

function monitoringSuite(kind: string, makeUrl: () => Promise<{ url: string; cleanup(): Promise<void> }>) {
  let db: Db;
  let cleanup: () => Promise<void>;
  const portfolioId = `${kind}-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const target = await makeUrl();
    cleanup = target.cleanup;
    await migrateDatabase(target.url);
    db = openDatabase(target.url);
    for (const hour of [0, 1, 2, 3, 4, 5, 7]) {
      // An ETH signal of a version this registry does not have: it must stay pending, not be guessed.
      const extra = hour === 0 ? [{ symbol: 'ETH/USDT', asOf: T0, direction: 'up' as const, confidence: 0.5, probabilities: { up: 0.5, down: 0.25, flat: 0.25 }, modelVersion: 'no-such-version' }] : [];
      await recordCycle(cycle(portfolioId, hour, extra), db);
    }
    for (const hour of [8, 9, 10, 11]) await recordCycle(cycle(portfolioId, hour), db);
  });
  afterAll(async () => {
    await closeDatabases();
    await cleanup?.();
  });

  it(`scores the signals whose ${LABEL.horizonCandles}-candle horizon has passed, with the model's threshold`, async () => {
    expect(LABEL).toMatchObject({ horizonCandles: 4, threshold: 0.004 });
    const result = await scoreMatureSignals({ portfolioId }, db);
    expect(result).toEqual({ scored: 6, unscorable: 1, unknownVersions: ['no-such-version'] });

    const rows = await db.signalOutcome.findMany({ where: { portfolioId }, orderBy: { asOf: 'asc' } });
    const byHour = Object.fromEntries(rows.map((r) => [(r.asOf.getTime() - T0) / H, r]));
    expect(Object.keys(byHour).map(Number).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 7]);
    expect(byHour[0]).toMatchObject({ status: 'scored', predicted: 'up', realised: 'up', hit: true, modelVersion: VERSION, horizonCandles: 4 });
    expect(byHour[0].realisedReturn).toBeCloseTo(0.005, 12);
    expect(byHour[1]).toMatchObject({ realised: 'down', hit: false });
    expect(byHour[2]).toMatchObject({ status: 'unscorable', hit: null, detail: expect.stringContaining('no signal recorded for BTC/USDT at 2024-01-08T06:00:00.000Z') });
    expect(byHour[3]).toMatchObject({ realised: 'flat', hit: true });
    expect(byHour[4]).toMatchObject({ realised: 'up', hit: false });
    expect(byHour[4].realisedReturn).toBeCloseTo(101 / 100.5 - 1, 12);
    expect(byHour[5]).toMatchObject({ realised: 'up', hit: true });
    expect(byHour[7]).toMatchObject({ realised: 'down', hit: true });
  });

  it('reports hit rate against confidence per version, in the database and as Prometheus gauges', async () => {
    const perf = await modelPerformance(VERSION, db);
    expect(perf.scored).toBe(6);
    expect(perf.unscorable).toBe(1);
    expect(perf.hitRate).toBeCloseTo(4 / 6, 12);
    expect(perf.meanConfidence).toBeCloseTo((0.55 + 0.45 + 0.62 + 0.41 + 0.75 + 0.52) / 6, 12);
    const band = (name: string) => perf.bands.find((b) => b.band === name)!;
    expect(band('0.5-0.6')).toMatchObject({ scored: 2, hitRate: 1 });
    expect(band('0.4-0.5')).toMatchObject({ scored: 2, hitRate: 0 });
    expect(band('0.7-0.8')).toMatchObject({ scored: 1, hitRate: 1, meanConfidence: 0.75 });
    expect(band('0.8-1.0')).toMatchObject({ scored: 0, hitRate: null });

    expect(await gauge('trader_signal_hit_rate', { model_version: VERSION, band: 'all' })).toBeCloseTo(4 / 6, 12);
    expect(await gauge('trader_signal_scored', { model_version: VERSION, band: '0.4-0.5' })).toBe(2);
    expect(await gauge('trader_signal_mean_confidence', { model_version: VERSION, band: '0.7-0.8' })).toBeCloseTo(0.75, 12);
  });

  it('scores each signal once, and the next ones when their horizon has passed', async () => {
    expect(await scoreMatureSignals({ portfolioId }, db)).toEqual({ scored: 0, unscorable: 0, unknownVersions: ['no-such-version'] });
    for (const hour of [12, 13, 14, 15]) {
      CALLS[hour] = ['flat', 0.5];
      PRICES[hour] = 99;
      await recordCycle(cycle(portfolioId, hour), db);
    }
    expect(await scoreMatureSignals({ portfolioId }, db)).toEqual({ scored: 4, unscorable: 0, unknownVersions: ['no-such-version'] });
    expect(await db.signalOutcome.count({ where: { portfolioId } })).toBe(11);
  });

  it('refuses a call without a portfolio id', async () => {
    await expect(scoreMatureSignals({} as never, db)).rejects.toMatchObject({ type: 'InvalidInput', nonRetryable: true });
  });
}

describe('signal monitoring on sqlite', () => {
  monitoringSuite('sqlite', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-monitoring-'));
    return { url: `file:${path.join(dir, 'trader.db')}`, cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  });
});

describeOnPostgres('signal monitoring on postgres', (serverUrl) => {
  monitoringSuite('postgres', async () => {
    const { name, url } = await createPostgresDatabase(serverUrl, 'trader_monitoring');
    return { url, cleanup: () => dropPostgresDatabases(serverUrl, [name]) };
  });
});
