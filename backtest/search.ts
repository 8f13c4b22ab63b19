/**
 * Parameter search with walk-forward validation. The range is cut into rolling windows: each trains on
 * `trainDays` and is tested on the `testDays` after it, the next window starting one test period later. On each
 * training window every candidate (grid: all combinations; random: `samples` distinct combinations drawn with a
 * seeded generator) is backtested and the best by the objective is chosen; that choice is then backtested on the
 * test window it has never seen. The out-of-sample figures are the only honest ones; in-sample ones are shown
 * beside them to make overfitting visible.
 *
 * Jobs run on worker threads (./searchPool.ts); see ./searchJob.ts for fanning them out as Temporal activities.
 */
import { uniformIntDistribution, xoroshiro128plus } from 'pure-rand';
import { BacktestInputError, parseTime } from './data';
import { parseStrategies, type BacktestOptions } from './index';
import { pct, num, isoMinute } from './report/format';
import type { SearchJob, SearchJobResult } from './searchJob';
import { runJobs } from './searchPool';
import type { Metrics } from './types';

export type SearchKind = 'grid' | 'random';
/** Dotted strategy-parameter paths ("momentum.fast") to the values to try. */
export type ParameterSpace = Record<string, Array<number | string | boolean>>;
export type Parameters = Record<string, number | string | boolean>;

const OBJECTIVES = ['sharpe', 'sortino', 'totalReturn', 'cagr', 'profitFactor'] as const;
export type Objective = (typeof OBJECTIVES)[number];

export interface SearchOptions {
  /** The backtest every candidate starts from; candidates' parameters are merged into its strategies. */
  backtest: BacktestOptions;
  space: ParameterSpace;
  kind: SearchKind;
  samples?: number;
  seed?: number;
  trainDays: number;
  testDays: number;
  objective?: string;
  workers?: number;
}

export interface WindowResult {
  trainFrom: number;
  trainTo: number;
  testFrom: number;
  testTo: number;
  chosen: Parameters;
  inSample: Metrics;
  outOfSample: Metrics;
}

export interface SearchResult {
  kind: SearchKind;
  objective: Objective;
  candidates: Parameters[];
  windows: WindowResult[];
  /** Test windows chained: the compounded return and the mean of their objective. */
  outOfSample: { totalReturn: number; meanObjective: number; trades: number };
  inSample: { meanObjective: number };
}

const DAY = 86_400_000;

export function parseSpace(raw: Record<string, unknown>): ParameterSpace {
  const space: ParameterSpace = {};
  const keys = Object.keys(raw);
  if (keys.length === 0) throw new BacktestInputError('space: name at least one parameter, e.g. {"momentum.fast":[10,20]}');
  for (const key of keys) {
    const values = raw[key];
    if (!/^[A-Za-z]\w*(\.\w+)+$/.test(key)) throw new BacktestInputError(`space: '${key}' is not a dotted parameter path like momentum.fast`);
    if (!Array.isArray(values) || values.length === 0 || !values.every((v) => ['number', 'string', 'boolean'].includes(typeof v))) {
      throw new BacktestInputError(`space: ${key} must be a non-empty list of numbers, strings or booleans`);
    }
    space[key] = values as ParameterSpace[string];
  }
  return space;
}

/** Every combination, keys in sorted order, the last key varying fastest. */
export function gridCandidates(space: ParameterSpace): Parameters[] {
  const keys = Object.keys(space).sort();
  let combos: Parameters[] = [{}];
  for (const key of keys) combos = combos.flatMap((c) => space[key].map((v) => ({ ...c, [key]: v })));
  return combos;
}

/** `samples` distinct combinations drawn uniformly with a seeded generator (fewer when the space is smaller). */
export function randomCandidates(space: ParameterSpace, samples: number, seed: number): Parameters[] {
  const keys = Object.keys(space).sort();
  const size = keys.reduce((n, k) => n * space[k].length, 1);
  const wanted = Math.min(samples, size);
  let rng = xoroshiro128plus(seed);
  const seen = new Set<string>();
  const out: Parameters[] = [];
  while (out.length < wanted) {
    const combo: Parameters = {};
    for (const key of keys) {
      const [i, next] = uniformIntDistribution(0, space[key].length - 1, rng);
      rng = next;
      combo[key] = space[key][i];
    }
    const id = JSON.stringify(combo);
    if (!seen.has(id)) {
      seen.add(id);
      out.push(combo);
    }
  }
  return out;
}

/** Rolling [train | test] windows over [from, to): the next window starts one test period later. */
export function walkForwardWindows(from: number, to: number, trainDays: number, testDays: number) {
  const windows: Array<{ trainFrom: number; trainTo: number; testFrom: number; testTo: number }> = [];
  for (let start = from; start + (trainDays + testDays) * DAY <= to; start += testDays * DAY) {
    const trainTo = start + trainDays * DAY;
    windows.push({ trainFrom: start, trainTo, testFrom: trainTo, testTo: trainTo + testDays * DAY });
  }
  return windows;
}

/** Dotted parameters as nested strategy parameters: {"momentum.fast": 10} → {momentum: {fast: 10}}. */
export function nestParameters(params: Parameters): Record<string, unknown> {
  const nested: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(params)) {
    const keys = path.split('.');
    let target = nested;
    for (const k of keys.slice(0, -1)) target = (target[k] ??= {}) as Record<string, unknown>;
    target[keys[keys.length - 1]] = value;
  }
  return nested;
}

function merge(base: unknown, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(extra)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) ? merge(out[k] ?? {}, v as Record<string, unknown>) : v;
  }
  return out;
}

const score = (m: Metrics, objective: Objective) => (Number.isNaN(m[objective]) ? -Infinity : m[objective]);

export async function runSearch(options: SearchOptions): Promise<SearchResult> {
  const objective = (options.objective ?? 'sharpe') as Objective;
  if (!OBJECTIVES.includes(objective)) throw new BacktestInputError(`objective: '${options.objective}' is not one of ${OBJECTIVES.join(', ')}`);
  const from = parseTime(options.backtest.from, 'from');
  const to = parseTime(options.backtest.to, 'to', true);
  const windows = walkForwardWindows(from, to, options.trainDays, options.testDays);
  if (windows.length === 0) {
    throw new BacktestInputError(`walk-forward: ${options.trainDays} training + ${options.testDays} test days do not fit between ${isoMinute(from)} and ${isoMinute(to)}`);
  }
  const candidates = options.kind === 'grid' ? gridCandidates(options.space) : randomCandidates(options.space, options.samples ?? 20, options.seed ?? 1);
  // Every candidate must be a valid configuration before any thread starts.
  const strategies = (options.backtest.strategies ?? options.backtest.config?.strategies) as BacktestOptions['strategies'];
  if (!strategies) throw new BacktestInputError('backtest-search searches strategy parameters: name the strategies (--strategy, or a --config with a strategies section)');
  const backtest = { ...options.backtest, from, to, strategies };
  const optionsFor = (params: Parameters): BacktestOptions => ({ ...backtest, strategies: merge(strategies, nestParameters(params)) as BacktestOptions['strategies'] });
  for (const c of candidates) {
    try {
      parseStrategies(optionsFor(c).strategies!);
    } catch (err) {
      throw new BacktestInputError(`candidate ${JSON.stringify(c)}: ${(err as Error).message}`);
    }
  }
  const workers = options.workers ?? 1;

  const trainJobs: SearchJob[] = [];
  windows.forEach((w) => candidates.forEach((c) => trainJobs.push({ index: trainJobs.length, options: optionsFor(c), from: w.trainFrom, to: w.trainTo })));
  const trained = await runJobs(trainJobs, workers);
  const chosen = windows.map((_, wi) => {
    const scores = candidates.map((_, ci) => trained[wi * candidates.length + ci]);
    // Ties go to the earlier candidate, so the choice is deterministic.
    let best = 0;
    for (let ci = 1; ci < scores.length; ci++) if (score(scores[ci].metrics, objective) > score(scores[best].metrics, objective)) best = ci;
    return { index: best, inSample: scores[best].metrics };
  });
  const testJobs: SearchJob[] = windows.map((w, wi) => ({ index: wi, options: optionsFor(candidates[chosen[wi].index]), from: w.testFrom, to: w.testTo }));
  const tested: SearchJobResult[] = await runJobs(testJobs, workers);

  const results: WindowResult[] = windows.map((w, wi) => ({ ...w, chosen: candidates[chosen[wi].index], inSample: chosen[wi].inSample, outOfSample: tested[wi].metrics }));
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return {
    kind: options.kind,
    objective,
    candidates,
    windows: results,
    outOfSample: {
      totalReturn: results.reduce((g, r) => g * (1 + r.outOfSample.totalReturn), 1) - 1,
      meanObjective: mean(results.map((r) => r.outOfSample[objective])),
      trades: results.reduce((n, r) => n + r.outOfSample.trades, 0),
    },
    inSample: { meanObjective: mean(results.map((r) => r.inSample[objective])) },
  };
}

export function formatSearch(result: SearchResult): string {
  const lines = [
    `${result.kind} search, ${result.candidates.length} candidates, ${result.windows.length} walk-forward windows, objective ${result.objective}`,
    '',
    'train window             test window              chosen                                   in-sample  out-of-sample  OOS return  OOS trades',
    ...result.windows.map((w) => {
      const day = (ms: number) => isoMinute(ms).slice(0, 10);
      return `${day(w.trainFrom)}..${day(w.trainTo)}   ${day(w.testFrom)}..${day(w.testTo)}   ${JSON.stringify(w.chosen).padEnd(40)} ${num(w.inSample[result.objective]).padStart(9)}  ${num(w.outOfSample[result.objective]).padStart(13)}  ${pct(w.outOfSample.totalReturn).padStart(10)}  ${String(w.outOfSample.trades).padStart(10)}`;
    }),
    '',
    `out of sample: compounded return ${pct(result.outOfSample.totalReturn)}, mean ${result.objective} ${num(result.outOfSample.meanObjective)}, ${result.outOfSample.trades} trades`,
    `in sample:     mean ${result.objective} ${num(result.inSample.meanObjective)}`,
  ];
  return lines.join('\n');
}
