/**
 * The dataset of the full-pipeline bench: one year of 5m candles for 7 pairs, built from the only real 5m candles
 * there are (../shared/data/ohlcv: Binance BTC ETH SOL BNB XRP /USDT, 2025-08-19 15:10 to 2025-09-18 11:55 UTC,
 * 8,602 candles each, no gaps) and written under bench/.data/ (gitignored), never into the project.
 *
 * How (printed by describeYear so the bench output says it too):
 *  - A pair's year is its real month repeated back to back: 105,120 candles (365 days) on one gap-free 5m grid
 *    that ENDS at the real month's last candle, so the last 8,602 candles are the real ones, unchanged.
 *  - Price continuity: going backwards from the real month, each earlier copy is multiplied by one factor so its
 *    last close equals the next copy's first open. Inside every copy the candles are the real ones up to that one
 *    factor (the same returns, ranges and volatility); volumes are the real base volumes, unchanged.
 *  - The 6th and 7th pairs (ADA/USDT, DOGE/USDT, no real 5m candles) are phase-shifted copies: SOL's and XRP's
 *    months started 1/3 and 2/3 of the way through (the rest wraps around, stitched the same way), then scaled
 *    to the real pairs' price level at the end of the 1h data (ADA 0.59, DOGE 0.09), so no two pairs move together.
 * It is not a year of market history: one month's dynamics, 12.2 times over. It has the size and the candle
 * statistics of a real year, which is what a throughput bench needs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCandleCsv, validateCandles } from '../domain/candles';
import type { Candle } from '../domain/types';

export const YEAR_CANDLES = 365 * 288;
const STEP = 300_000;
const VERSION = 'year5m-v1';

interface PairRecipe {
  symbol: string;
  source: string;
  /** Fraction of the month the copy starts at (0 = the real month as it is). */
  phase: number;
  /** Price of the last close; undefined keeps the real prices of the last copy. */
  lastClose?: number;
}

export const YEAR_PAIRS: PairRecipe[] = [
  { symbol: 'BTC/USDT', source: 'BTC', phase: 0 },
  { symbol: 'ETH/USDT', source: 'ETH', phase: 0 },
  { symbol: 'SOL/USDT', source: 'SOL', phase: 0 },
  { symbol: 'BNB/USDT', source: 'BNB', phase: 0 },
  { symbol: 'XRP/USDT', source: 'XRP', phase: 0 },
  { symbol: 'ADA/USDT', source: 'SOL', phase: 1 / 3, lastClose: 0.59 },
  { symbol: 'DOGE/USDT', source: 'XRP', phase: 2 / 3, lastClose: 0.09 },
];

/** 12 significant digits: exact for the real copy's prices, and scaling by one positive factor keeps OHLC order. */
const num = (x: number) => String(Number(x.toPrecision(12)));

export function stitchYear(month: Candle[], phase: number, length: number, lastClose?: number): Candle[] {
  const n = month.length;
  const shift = Math.round(phase * n) % n;
  // Segments from the newest backwards: the newest ends at the month's last candle when phase is 0.
  // With a phase the newest segment is month[0, shift) preceded by month[shift, n), and so on.
  const out: Candle[] = new Array(length);
  let pos = length; // next index to fill, going backwards (exclusive)
  let factor = 1;
  let nextOpen = NaN; // scaled open of the candle after the segment being written
  let seg = 0;
  const endTime = month[n - 1][0];
  while (pos > 0) {
    // Which slice of the month this segment is: alternating [0, shift) and [shift, n) when shifted.
    const [a, b] = shift === 0 ? [0, n] : seg % 2 === 0 ? [0, shift] : [shift, n];
    if (!Number.isNaN(nextOpen)) factor = nextOpen / month[b - 1][4];
    for (let k = b - 1; k >= a && pos > 0; k--) {
      const c = month[k];
      pos--;
      out[pos] = [endTime - (length - 1 - pos) * STEP, c[1] * factor, c[2] * factor, c[3] * factor, c[4] * factor, c[5]];
    }
    nextOpen = month[a][1] * factor;
    seg++;
  }
  if (lastClose !== undefined) {
    const s = lastClose / out[length - 1][4];
    for (const c of out) for (let j = 1; j <= 4; j++) c[j] *= s;
  }
  for (const c of out) for (let j = 1; j <= 4; j++) c[j] = Number(num(c[j]));
  return out;
}

export function describeYear(): string[] {
  return [
    `${YEAR_PAIRS.length} pairs x ${YEAR_CANDLES.toLocaleString('en-US')} candles (365 days of 5m) = ${(YEAR_PAIRS.length * YEAR_CANDLES).toLocaleString('en-US')} candles, built from the real Binance 5m month 2025-08-19..2025-09-18 (8,602 candles/pair):`,
    '  each pair = its real month repeated back to back on one 5m grid ending 2025-09-18 11:55 UTC; the last 8,602 candles are the real ones,',
    '  each earlier copy scaled by one factor so its last close = the next copy\'s first open (real returns and ranges, real volumes);',
    '  ADA/USDT = SOL\'s month phase-shifted by 1/3 and scaled to end at 0.59, DOGE/USDT = XRP\'s shifted by 2/3 and scaled to end at 0.09.',
  ];
}

/** Writes the 7 files (binance_<BASE>-USDT_5m.csv) under `dir` unless they are there from the same recipe. */
export function buildYear(ohlcvDir: string, dir: string): { dir: string; symbols: string[]; from: number; to: number } {
  fs.mkdirSync(dir, { recursive: true });
  const stampFile = path.join(dir, 'RECIPE');
  const sources = [...new Set(YEAR_PAIRS.map((p) => p.source))].map((s) => path.join(ohlcvDir, `binance_${s}-USDT_5m.csv`));
  const stamp = [VERSION, YEAR_CANDLES, ...sources.map((f) => `${path.basename(f)}:${fs.statSync(f).size}`)].join('\n');
  const fresh = fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp;
  let first = 0;
  let last = 0;
  const months = new Map<string, Candle[]>();
  for (const p of YEAR_PAIRS) {
    let month = months.get(p.source);
    if (!month) {
      month = parseCandleCsv(fs.readFileSync(path.join(ohlcvDir, `binance_${p.source}-USDT_5m.csv`), 'utf8'), p.source);
      months.set(p.source, month);
    }
    last = month[month.length - 1][0];
    first = last - (YEAR_CANDLES - 1) * STEP;
    const file = path.join(dir, `binance_${p.symbol.replace('/', '-')}_5m.csv`);
    if (fresh && fs.existsSync(file)) continue;
    const year = stitchYear(month, p.phase, YEAR_CANDLES, p.lastClose);
    validateCandles(p.symbol, year);
    const lines = ['timestamp,open,high,low,close,volume'];
    for (const c of year) lines.push(`${c[0]},${num(c[1])},${num(c[2])},${num(c[3])},${num(c[4])},${c[5]}`);
    fs.writeFileSync(file, lines.join('\n') + '\n');
  }
  fs.writeFileSync(stampFile, stamp);
  return { dir, symbols: YEAR_PAIRS.map((p) => p.symbol), from: first, to: last + STEP };
}
