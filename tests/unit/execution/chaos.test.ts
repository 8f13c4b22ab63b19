/**
 * The fault suite's property test (tests/chaos/schedules.ts): 200 seeded fault schedules per run, in combination
 * (several faults, two exchange families, worker kills at any request), with every invariant checked after each.
 * The soak runs thousands: `npm run chaos -- --schedules 2000`.
 */
import { closeDatabases } from '../../../prisma/database';
import { emptyCounts, runSchedules, summaryLine } from '../../chaos/schedules';
import { useTestDatabase } from '../../helpers/executionEnv';

const SCHEDULES = Number(process.env.CHAOS_SCHEDULES ?? 200);
const SEED = Number(process.env.CHAOS_SEED ?? 20261201);

beforeAll(async () => {
  await useTestDatabase('chaos');
});
afterAll(async () => {
  await closeDatabases();
});

it(`${SCHEDULES} fault schedules: no duplicate, every exchange order booked as it is, the book equal to the account`, async () => {
  const counts = emptyCounts();
  const started = Date.now();
  const failing = await runSchedules(SCHEDULES, SEED, counts);
  console.log(summaryLine('chaos', SEED, counts, Date.now() - started));
  expect(failing.map((f) => ({ schedule: f.schedule, breaks: f.report.breaks })).slice(0, 3)).toEqual([]);
  expect(counts).toMatchObject({ schedules: SCHEDULES, duplicates: 0, invariantBreaks: 0 });
  expect(counts.kills).toBeGreaterThan(SCHEDULES / 4);
  expect(counts.faultsInjected).toBeGreaterThan(SCHEDULES);
}, 300_000);
