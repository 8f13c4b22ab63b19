/**
 * The failure catalogue (domain/failures.ts) is the only place failure types are made: every thrown type is in it
 * with its retryability and category, and the retry policies are derived from it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { EXECUTION_FAILURES } from '../../activities/execution/exchangeErrors';
import { describeFailure, failure, FAILURES, NON_RETRYABLE_TYPES, type FailureType } from '../../domain/failures';
import { NON_RETRYABLE, retry } from '../../workflows/retryPolicies';

const ROOT = path.resolve(__dirname, '../..');
const PRODUCT = ['activities', 'backtest', 'bin', 'client', 'dashboard', 'analytics', 'domain', 'prisma', 'scripts', 'workers', 'workflows'];

const sources = (dir: string): string[] =>
  !fs.existsSync(dir) ? [] : fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'generated' || e.name === 'node_modules' ? [] : sources(full);
    return /\.(ts|js)$/.test(e.name) ? [full] : [];
  });

/** Failures made around the catalogue, and types thrown through it that it does not have, in one file. */
export function failureProblems(file: string, source: string): string[] {
  const problems: string[] = [];
  const where = path.relative(ROOT, file);
  if (where !== path.join('domain', 'failures.ts')) {
    for (const m of source.matchAll(/ApplicationFailure\s*\.\s*(create|nonRetryable|retryable|fromError)\s*\(|new\s+ApplicationFailure\s*\(/g)) {
      problems.push(`${where}: ${m[0].replace(/\s+/g, '')} makes a failure around the catalogue (use failure() from domain/failures.ts)`);
    }
  }
  for (const m of source.matchAll(/\bfailure\(\s*['"`]([^'"`]+)['"`]/g)) {
    if (!Object.hasOwn(FAILURES, m[1])) problems.push(`${where}: failure type '${m[1]}' is not in the catalogue`);
  }
  return problems;
}

describe('the failure catalogue', () => {
  it('makes every failure of the product code, and has every type it throws', () => {
    const files = PRODUCT.flatMap((d) => sources(path.join(ROOT, d)));
    expect(files.length).toBeGreaterThan(200);
    const problems = files.flatMap((f) => failureProblems(f, fs.readFileSync(f, 'utf8')));
    expect(problems).toEqual([]);
    const thrown = new Set(files.flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(/\bfailure\(\s*'([A-Za-z]+)'/g)].map((m) => m[1])));
    // The catalogue is read by what it holds: most of it is thrown by name, the execution types through their table.
    expect(thrown.size).toBeGreaterThan(30);
    for (const type of Object.values(EXECUTION_FAILURES)) expect(FAILURES).toHaveProperty(type);
  });

  it('the check fails on a failure made around it and on a type it lacks', () => {
    const file = path.join(ROOT, 'activities', 'example.ts');
    expect(failureProblems(file, "throw ApplicationFailure.nonRetryable('x', 'InvalidConfig');\nthrow failure('NoSuchType', 'x');\nthrow failure('InvalidConfig', 'x');")).toEqual([
      'activities/example.ts: ApplicationFailure.nonRetryable( makes a failure around the catalogue (use failure() from domain/failures.ts)',
      "activities/example.ts: failure type 'NoSuchType' is not in the catalogue",
    ]);
    expect(() => failure('NoSuchType' as FailureType, 'x')).toThrow("failure type 'NoSuchType' is not in domain/failures.ts");
  });

  it('gives each type its retryability and category, and keeps the names histories and the README use', () => {
    for (const [type, spec] of Object.entries(FAILURES)) {
      const made = failure(type as FailureType, 'why');
      expect({ type: made.type, nonRetryable: made.nonRetryable, message: made.message }).toEqual({ type, nonRetryable: !spec.retryable, message: 'why' });
      expect(spec.category).toBe(spec.retryable ? 'dependency-down' : 'operator-action');
    }
    expect(failure('ExchangeRateLimited', 'slow down', { nextRetryDelay: 2_000 }).nextRetryDelay).toBe(2_000);
    for (const type of ['InvalidConfig', 'InvalidRiskLimits', 'InvalidCandles', 'InsufficientFunds', 'UnknownSymbol', 'AuthenticationFailed', 'ExchangeRateLimited', 'ExchangeUnavailable', 'LiveTradingDisabled']) {
      expect(FAILURES).toHaveProperty(type);
    }
  });

  it('is where every retry policy takes its final types from (the lists that drifted included)', () => {
    expect(NON_RETRYABLE).toEqual([...NON_RETRYABLE_TYPES]);
    expect(retry(3).nonRetryableErrorTypes).toBe(NON_RETRYABLE);
    expect(NON_RETRYABLE).toEqual(expect.arrayContaining(['InvalidTimeframe', 'InvalidOrderState', 'InvalidMatrix', 'TrainingFailed', 'InvalidRiskLimits']));
    for (const type of NON_RETRYABLE) expect(FAILURES[type as FailureType].retryable).toBe(false);
    const workflowsDir = path.join(ROOT, 'workflows');
    for (const file of sources(workflowsDir)) {
      // A hand-kept list is what drifted: policies take NON_RETRYABLE (./retryPolicies.ts) and nothing else.
      expect(`${path.relative(ROOT, file)}: ${/nonRetryableErrorTypes:\s*\[/.test(fs.readFileSync(file, 'utf8'))}`).toBe(`${path.relative(ROOT, file)}: false`);
    }
  });
});

describe('describeFailure', () => {
  it('says Type: message for an activity failure, an application failure and any other error', () => {
    const app = failure('InvalidCandles', 'BTC/USDT row 3: high below low');
    expect(describeFailure(app)).toBe('InvalidCandles: BTC/USDT row 3: high below low');
    const activity = new ActivityFailure('activity failed', 'fetchMarketData', '1', RetryState.NON_RETRYABLE_FAILURE, undefined, app);
    expect(describeFailure(activity)).toBe('InvalidCandles: BTC/USDT row 3: high below low');
    expect(describeFailure(new TypeError('x is undefined'))).toBe('TypeError: x is undefined');
    // An error of another realm (ccxt under Jest) carries its type as a plain property.
    expect(describeFailure(Object.assign(new Error('lost'), { type: 'ExchangeUnavailable' }))).toBe('ExchangeUnavailable: lost');
    expect(describeFailure(ApplicationFailure.create({ message: 'untyped' }))).toBe('Error: untyped');
    expect(describeFailure('plain')).toBe('plain');
  });
});
