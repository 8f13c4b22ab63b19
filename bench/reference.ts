/**
 * The Python reference backtesters (backtesting.py, freqtrade) as seen from TypeScript: their environment
 * (bench/venv.sh), how to run them on the same candles, and what they print. Used by the trust test
 * (tests/unit/backtest/parity.test.ts) and the speed bench (bench/backtest.ts).
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..');
/** The real candles (../shared/data/ohlcv next to the project), read in place. */
export const OHLCV_DIR = process.env.OHLCV_DIR ?? path.resolve(ROOT, '..', 'shared', 'data', 'ohlcv');

export interface ReferenceTrade {
  entryTime: number;
  exitTime: number;
  entryPrice: number;
  exitPrice: number;
  quantity: number;
  pnl: number;
}

export interface ReferenceResult {
  library: string;
  /** Candles the library iterated over (history included). */
  candles: number;
  trades: ReferenceTrade[];
  openTrades?: { entryTime: number; entryPrice: number; quantity: number }[];
  finalEquity: number;
  /** Median seconds of one run (Backtest.run / backtest_one_strategy), over `runs`. */
  seconds: number;
  runs: number;
  maxRssKb: number;
}

/** The bench venv's python, created or refreshed by bench/venv.sh (with freqtrade when asked). */
export function benchPython(withFreqtrade = false): string {
  const out = execFileSync('bash', [path.join(ROOT, 'bench', 'venv.sh'), ...(withFreqtrade ? ['--freqtrade'] : [])], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').pop()!;
}

export interface SmaCase {
  /** Base of binance_<BASE>-USDT_<tf>.csv in OHLCV_DIR. */
  base: string;
  timeframe: string;
  /** ISO dates, UTC; `to` exclusive. */
  from: string;
  to: string;
  fast: number;
  slow: number;
  /** Fee per fill, fraction of notional (backtesting.py's `commission`, applied on entry and on exit). */
  commission: number;
  cash: number;
  /** Candles before `from` given to the reference as indicator history (ours reads the whole file). */
  history: number;
}

export const csvOf = (c: Pick<SmaCase, 'base' | 'timeframe'>) => path.join(OHLCV_DIR, `binance_${c.base}-USDT_${c.timeframe}.csv`);

export function runReference(python: string, library: 'backtesting.py' | 'freqtrade', c: SmaCase, repeat = 1): ReferenceResult {
  const script = path.join(ROOT, 'bench', library === 'freqtrade' ? 'sma_freqtrade.py' : 'sma_backtesting_py.py');
  const args = [
    script, '--csv', csvOf(c), '--from', c.from, '--to', c.to, '--commission', String(c.commission), '--cash', String(c.cash),
    '--repeat', String(repeat), '--fast', String(c.fast), '--slow', String(c.slow),
    ...(library === 'freqtrade' ? ['--pair', `${c.base}/USDT`, '--timeframe', c.timeframe] : ['--history', String(c.history)]),
  ];
  const out = execFileSync(python, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out) as ReferenceResult;
}
