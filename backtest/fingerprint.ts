/**
 * A fingerprint of a backtest's closed trades: one canonical line per trade (prices, quantities, fees and PnL
 * rounded to 1e-8, so only float noise below that is ignored) and the sha256 of all lines. Two runs trade alike
 * exactly when their fingerprints match; the regression test and any comparison with a replay use it.
 */
import { createHash } from 'node:crypto';
import type { BacktestResult, ClosedTrade } from './types';

const fixed = (x: number) => (Object.is(x, -0) ? 0 : x).toFixed(8);

export function tradeLine(t: ClosedTrade): string {
  return [
    t.symbol, t.strategy, new Date(t.entryTime).toISOString(), new Date(t.exitTime).toISOString(),
    fixed(t.entryPrice), fixed(t.exitPrice), fixed(t.quantity), fixed(t.fees), fixed(t.pnl), t.exitReason,
  ].join('|');
}

export interface Fingerprint {
  trades: number;
  fills: number;
  openTrades: number;
  finalEquity: string;
  sha256: string;
  lines: string[];
}

export function fingerprint(result: BacktestResult): Fingerprint {
  const lines = result.trades.map(tradeLine);
  return {
    trades: result.trades.length,
    fills: result.fills.length,
    openTrades: result.openTrades.length,
    finalEquity: fixed(result.finalEquity),
    sha256: createHash('sha256').update(lines.join('\n')).digest('hex'),
    lines,
  };
}
