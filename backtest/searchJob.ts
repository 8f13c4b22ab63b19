/**
 * One unit of a parameter search: a backtest of one parameter set over one window, reduced to its metrics. A pure
 * function of JSON in, JSON out, so it runs the same on a worker thread (./searchPool.ts) or, to scale across
 * machines, as a Temporal activity on a `backtest` task queue: a search workflow would fan out one activity per
 * job (executeActivity in Promise.all over the jobs of a phase) and any number of workers, on any machine with the
 * data directory, would take them; results come back by job index, so the outcome does not depend on who ran what.
 */
import { loadBacktest, runLoadedBacktest, withConfig, withRange, type BacktestOptions, type LoadedBacktest } from './index';
import type { Metrics } from './types';

export interface SearchJob {
  /** Position in the phase's job list: results are put back in this order. */
  index: number;
  /** The whole search's options with this job's parameters; from/to span every window (loaded once per thread). */
  options: BacktestOptions;
  /** The job's window, ms UTC: [from, to). */
  from: number;
  to: number;
}

export interface SearchJobResult {
  index: number;
  metrics: Metrics;
  finalEquity: number;
  initialCash: number;
}

/** Candles (and model signals) per data set, loaded once per thread over the whole search range. */
const loadedData = new Map<string, Promise<LoadedBacktest>>();

export async function runSearchJob(job: SearchJob): Promise<SearchJobResult> {
  const { options } = job;
  const key = JSON.stringify([options.dataDir, options.symbols, options.timeframe, options.from, options.to, Boolean(options.ml)]);
  let base = loadedData.get(key);
  if (!base) {
    base = loadBacktest({ ...options, keepDecisions: false });
    loadedData.set(key, base);
    base.catch(() => loadedData.delete(key));
  }
  const loaded = withRange(withConfig(await base, { ...options, keepDecisions: false }), job.from, job.to);
  const result = await runLoadedBacktest(loaded);
  return { index: job.index, metrics: result.metrics, finalEquity: result.finalEquity, initialCash: result.initialCash };
}
