import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { metrics } from '../../activities/metrics';
import { recordCycle } from '../../activities/persistence/recordCycle';
import { newBook } from '../../domain/ledger';
import { closeDatabases, migrateDatabase, openDatabase } from '../../prisma/database';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'risk-metrics-'));
const url = `file:${path.join(dir, 'db.sqlite')}`;
afterAll(async () => {
  await closeDatabases();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('exports the risk score, VaR and the usage of each limit recorded with a cycle', async () => {
  await migrateDatabase(url);
  const t = Date.UTC(2024, 0, 1);
  await recordCycle({
    cycleId: 'c-metrics', portfolioId: 'pm', cycleNo: 1, mode: 'paper', market: 'sim:1', status: 'completed', startedAt: t, finishedAt: t + 1000,
    features: [], signals: [], verdicts: [], decisions: [], orders: [], book: newBook(1_000, t), prices: {}, equity: 1_000,
    risk: {
      asOf: t, equity: 1_000, riskScore: 42.5, riskScoreParts: { volatility: 0.5, concentration: 0.5, correlation: 0.2, confidence: 0.5 },
      valueAtRisk: 37.2, valueAtRiskMethod: 'historical, 30 daily returns',
      usage: [{ limit: 'maxTotalExposure', used: 0.4, max: 0.8, unit: 'fraction' }, { limit: 'cashBuffer', used: 0.6, max: 0.05, unit: 'fraction' }],
    },
  }, openDatabase(url));
  const value = async (g: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> }, labels: Record<string, string>) =>
    (await g.get()).values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;
  expect(await value(metrics.riskScore, { portfolio: 'pm' })).toBe(42.5);
  expect(await value(metrics.valueAtRisk, { portfolio: 'pm' })).toBe(37.2);
  expect(await value(metrics.riskLimitUsage, { portfolio: 'pm', limit: 'maxTotalExposure' })).toBeCloseTo(0.5, 10);
  expect(await value(metrics.riskLimitUsage, { portfolio: 'pm', limit: 'cashBuffer' })).toBeCloseTo(0.05 / 0.6, 10);
});
