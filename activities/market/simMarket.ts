/**
 * `sim[:<seed>]`: the project's seeded synthetic market, for demos and tests that need endless, reproducible candles.
 *
 * Log returns follow a GARCH(1,1) variance (calm and stormy stretches cluster, as in real crypto) driven by
 * unit-variance Student-t shocks (fat tails), plus rare Poisson jumps (news), with a weak pull towards the
 * symbol's base price so long runs stay in a plausible range. Candle i of (seed, symbol, timeframe) depends on
 * nothing else, so every process and every rerun sees the same market.
 */
import { createHash } from 'node:crypto';
import { xoroshiro128plus, type RandomGenerator } from 'pure-rand';
import { aggregateCandles, aggregates, lastClosedOpen, MODEL_CANDLES, MODEL_TIMEFRAME_MS } from '../../domain/modelMarket';
import type { Candle, MarketCursor, MarketDataResult } from '../../domain/types';
import { windowEndingAt } from '../../domain/seriesWindow';

/** Open time of candle 0 of every sim series; candle i opens at SIM_EPOCH_MS + i * timeframe. */
export const SIM_EPOCH_MS = Date.UTC(2024, 0, 1);

const YEAR_MS = 365 * 86_400_000;
const DAY_MS = 86_400_000;

interface SymbolProfile {
  price: number;
  annualVol: number;
  /** Typical traded base-asset volume per hour. */
  volumePerHour: number;
}

const PROFILES: Record<string, SymbolProfile> = {
  BTC: { price: 60_000, annualVol: 0.6, volumePerHour: 1_200 },
  ETH: { price: 3_000, annualVol: 0.75, volumePerHour: 15_000 },
  SOL: { price: 150, annualVol: 1.0, volumePerHour: 150_000 },
};
const DEFAULT_PROFILE: SymbolProfile = { price: 100, annualVol: 0.9, volumePerHour: 50_000 };

const GARCH_ALPHA = 0.15;
const GARCH_BETA = 0.83;
const STUDENT_DF = 5;
/** Chance of a jump per candle: about one in a hundred candles, whatever the timeframe. */
const JUMP_RATE = 0.01;
/** Standard deviation of a jump, in long-run candle volatilities. */
const JUMP_SIZE_IN_VOLS = 3;
const REVERSION_HALF_LIFE_MS = 180 * DAY_MS;

export function simProfile(symbol: string): SymbolProfile {
  return PROFILES[symbol.split('/')[0]] ?? DEFAULT_PROFILE;
}

interface SimPath {
  candles: Candle[];
  rng: RandomGenerator;
  logPrice: number;
  variance: number;
}

// Each path is extended, never regenerated, so a long run costs O(n) in total rather than O(n^2).
const paths = new Map<string, SimPath>();

function seedFor(key: string): number {
  return createHash('sha256').update(key).digest().readInt32LE(0);
}

/** Uniform in the open interval (0, 1) with 53 random bits. */
function uniform(rng: RandomGenerator): number {
  const hi = rng.unsafeNext() >>> 5;
  const lo = rng.unsafeNext() >>> 6;
  return (hi * 67_108_864 + lo + 0.5) / 9_007_199_254_740_992;
}

function normal(rng: RandomGenerator): number {
  return Math.sqrt(-2 * Math.log(uniform(rng))) * Math.cos(2 * Math.PI * uniform(rng));
}

/** Student-t scaled to unit variance, so GARCH's variance means what it says. */
function unitStudentT(rng: RandomGenerator, df: number): number {
  let chiSquare = 0;
  for (let i = 0; i < df; i++) chiSquare += normal(rng) ** 2;
  return (normal(rng) / Math.sqrt(chiSquare / df)) * Math.sqrt((df - 2) / df);
}

function poisson(rng: RandomGenerator, lambda: number): number {
  const threshold = Math.exp(-lambda);
  let count = 0;
  for (let p = uniform(rng); p > threshold; p *= uniform(rng)) count++;
  return count;
}

function decimalsFor(price: number): number {
  return Math.max(0, 6 - Math.floor(Math.log10(price)));
}

function round(value: number, decimals: number): number {
  return Number(value.toFixed(decimals));
}

function pathFor(seed: number, symbol: string, timeframe: string, timeframeMs: number): SimPath {
  const key = `${seed}|${symbol}|${timeframe}`;
  let path = paths.get(key);
  if (!path) {
    const profile = simProfile(symbol);
    const candleVol = profile.annualVol * Math.sqrt(timeframeMs / YEAR_MS);
    path = { candles: [], rng: xoroshiro128plus(seedFor(key)), logPrice: Math.log(profile.price), variance: candleVol ** 2 };
    paths.set(key, path);
  }
  return path;
}

function extend(path: SimPath, symbol: string, timeframeMs: number, count: number): void {
  const profile = simProfile(symbol);
  const candleVol = profile.annualVol * Math.sqrt(timeframeMs / YEAR_MS);
  const omega = candleVol ** 2 * (1 - GARCH_ALPHA - GARCH_BETA);
  const jumpSize = JUMP_SIZE_IN_VOLS * candleVol;
  const reversion = 1 - 0.5 ** (timeframeMs / REVERSION_HALF_LIFE_MS);
  const logBase = Math.log(profile.price);
  const decimals = decimalsFor(profile.price);
  const volumeScale = profile.volumePerHour * (timeframeMs / 3_600_000);
  const { rng } = path;

  while (path.candles.length < count) {
    const index = path.candles.length;
    const sigma = Math.sqrt(path.variance);
    const shock = unitStudentT(rng, STUDENT_DF);
    let jump = 0;
    for (let j = poisson(rng, JUMP_RATE); j > 0; j--) jump += jumpSize * normal(rng);
    const logReturn = -reversion * (path.logPrice - logBase) + sigma * shock + jump;

    const open = index === 0 ? round(profile.price, decimals) : path.candles[index - 1][4];
    const close = round(Math.exp(path.logPrice + logReturn), decimals);
    // Wicks scale with the candle's volatility, so stormy stretches also show long shadows.
    const high = round(Math.max(open, close) * Math.exp(0.5 * sigma * Math.abs(normal(rng))), decimals);
    const low = round(Math.min(open, close) * Math.exp(-0.5 * sigma * Math.abs(normal(rng))), decimals);
    // Volume rises with volatility and with the size of the move, as on real exchanges.
    const activity = (sigma / candleVol) * (0.6 + 0.4 * Math.abs(logReturn) / sigma);
    const volume = round(volumeScale * activity * Math.exp(0.35 * normal(rng) - 0.06), 6);

    path.candles.push([
      SIM_EPOCH_MS + index * timeframeMs,
      open,
      Math.max(high, open, close),
      Math.min(low, open, close),
      close,
      volume,
    ]);
    path.logPrice = Math.log(close);
    // Jumps feed the variance too: turbulence follows news. Capped so one jump cannot blow volatility up for days.
    const innovation = Math.min(Math.abs(sigma * shock + jump), 6 * sigma);
    path.variance = omega + GARCH_ALPHA * innovation ** 2 + GARCH_BETA * path.variance;
  }
}

/** The first `count` candles of a sim series (shared cache: do not mutate). */
export function simSeries(seed: number, symbol: string, timeframe: string, timeframeMs: number, count: number): readonly Candle[] {
  const path = pathFor(seed, symbol, timeframe, timeframeMs);
  extend(path, symbol, timeframeMs, count);
  return path.candles;
}

/** Index of the first sim candle opening after `time`. */
function indexAfterTime(time: number, timeframeMs: number): number {
  return Math.max(0, Math.floor((time - SIM_EPOCH_MS) / timeframeMs) + 1);
}

export function simMarketData(
  seed: number,
  symbols: string[],
  timeframe: string,
  timeframeMs: number,
  limit: number,
  cursor: MarketCursor,
): Omit<MarketDataResult, 'snapshots'> & { windows: Candle[][] } {
  // Every sim series starts at the epoch, so all symbols have `limit` candles from candle limit-1 on; on a timeframe
  // that aggregates into the model's, a fresh start waits until the model's candles are full too (first signals at once).
  const modelReady = aggregates(timeframeMs, MODEL_TIMEFRAME_MS) ? (MODEL_CANDLES * MODEL_TIMEFRAME_MS) / timeframeMs - 1 : 0;
  const index = cursor.time === null ? Math.max(limit - 1, modelReady) : indexAfterTime(cursor.time, timeframeMs);
  const time = SIM_EPOCH_MS + index * timeframeMs;
  const windows = symbols.map((s) => windowEndingAt(simSeries(seed, s, timeframe, timeframeMs, index + 1), time, limit));
  return { windows, nextCursor: { time }, exhausted: false };
}

/**
 * The `limit` newest `timeframe` candles of each symbol closed at `closedBy`, without moving the cursor: the walked
 * `baseTimeframe` path aggregated when it is shorter and divides `timeframe` (one price path), else the sim's own
 * `timeframe` path.
 */
export function simClosedCandles(seed: number, symbols: string[], timeframe: string, timeframeMs: number, limit: number, closedBy: number, baseTimeframe?: string, baseMs?: number): Candle[][] {
  const newest = lastClosedOpen(closedBy, timeframeMs);
  if (newest < SIM_EPOCH_MS) return symbols.map(() => []);
  if (baseTimeframe && baseMs && aggregates(baseMs, timeframeMs)) {
    // A sim path starts at its epoch (on the hour) and has no gaps: the bars from `first` on need the base candles from `first` on.
    const first = Math.max(SIM_EPOCH_MS, newest - (limit - 1) * timeframeMs);
    const from = (first - SIM_EPOCH_MS) / baseMs;
    const to = (newest + timeframeMs - SIM_EPOCH_MS) / baseMs;
    return symbols.map((s) => aggregateCandles(simSeries(seed, s, baseTimeframe, baseMs, to).slice(from, to), baseMs, timeframeMs));
  }
  const count = (newest - SIM_EPOCH_MS) / timeframeMs + 1;
  return symbols.map((s) => windowEndingAt(simSeries(seed, s, timeframe, timeframeMs, count), newest, limit));
}

/** Open of the first sim candle after the cursor. */
export function simNextPrice(
  seed: number,
  symbol: string,
  timeframe: string,
  timeframeMs: number,
  cursorTime: number,
): { price: number; timestamp: number; volume: number } {
  const index = indexAfterTime(cursorTime, timeframeMs);
  const candle = simSeries(seed, symbol, timeframe, timeframeMs, index + 1)[index];
  return { price: candle[1], timestamp: candle[0], volume: candle[5] };
}
