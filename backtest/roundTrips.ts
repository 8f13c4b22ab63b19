/**
 * Turns fills into round trips (flat → long → flat) per symbol: the closed trades a backtest reports.
 * Top-ups and partial sells belong to the round trip that is open; prices are quantity-weighted.
 */
import type { ClosedTrade, ExitReason, OpenTrade } from './types';

const PROTECTIVE_RULES = new Set(['stop-loss', 'trailing-stop', 'take-profit']);

/**
 * Why a sell sold, from the names of the rules its decision fired: the protective rule, a trim, else the signal.
 * One mapping for the backtest engine and the live analytics (analytics/portfolioRecords.ts), so both name exits alike.
 */
export function exitReasonOfRules(rules: readonly string[]): ExitReason {
  return rules.find((r) => PROTECTIVE_RULES.has(r)) ?? (rules.includes('rebalance-trim') ? 'trim' : 'signal-exit');
}

interface OpenRoundTrip {
  symbol: string;
  strategy: string;
  entryTime: number;
  boughtQuantity: number;
  boughtNotional: number;
  /** Quote currency spent on buys, fees included. */
  spent: number;
  soldQuantity: number;
  soldNotional: number;
  fees: number;
  pnl: number;
  lastTime: number;
  lastReason: ExitReason;
}

export class RoundTripBook {
  private readonly open = new Map<string, OpenRoundTrip>();
  readonly closed: ClosedTrade[] = [];

  buy(symbol: string, strategy: string, time: number, price: number, quantity: number, fee: number): void {
    let trip = this.open.get(symbol);
    if (!trip) {
      trip = { symbol, strategy, entryTime: time, boughtQuantity: 0, boughtNotional: 0, spent: 0, soldQuantity: 0, soldNotional: 0, fees: 0, pnl: 0, lastTime: time, lastReason: '' };
      this.open.set(symbol, trip);
    }
    trip.boughtQuantity += quantity;
    trip.boughtNotional += price * quantity;
    trip.spent += price * quantity + fee;
    trip.fees += fee;
  }

  /** `realizedPnl` is the ledger's (net of both legs' fees). The round trip closes when nothing is left of it. */
  sell(symbol: string, time: number, price: number, quantity: number, fee: number, realizedPnl: number, reason: ExitReason): void {
    const trip = this.open.get(symbol);
    if (!trip) return; // a position the backtest did not open (none exist: the book starts flat)
    trip.soldQuantity += quantity;
    trip.soldNotional += price * quantity;
    trip.fees += fee;
    trip.pnl += realizedPnl;
    trip.lastReason = reason;
    trip.lastTime = time;
    // The ledger drops a position below its dust threshold; relative to the size bought, float residue is dust too.
    if (trip.boughtQuantity - trip.soldQuantity <= trip.boughtQuantity * 1e-9) this.close(trip);
  }

  /** Closes a round trip the ledger no longer holds (after its last sell), whatever float residue is left. */
  settle(symbol: string, held: boolean): void {
    const trip = this.open.get(symbol);
    if (trip && !held && trip.soldQuantity > 0) this.close(trip);
  }

  private close(trip: OpenRoundTrip): void {
    const { symbol, lastTime: time, lastReason: reason } = trip;
    this.open.delete(symbol);
    this.closed.push({
      symbol, strategy: trip.strategy, entryTime: trip.entryTime, exitTime: time,
      entryPrice: trip.boughtNotional / trip.boughtQuantity, exitPrice: trip.soldNotional / trip.soldQuantity,
      quantity: trip.boughtQuantity, fees: trip.fees, pnl: trip.pnl, returnPct: trip.spent > 0 ? trip.pnl / trip.spent : 0, exitReason: reason,
    });
  }

  /** The strategy of the symbol's open round trip. */
  strategyOf(symbol: string): string | undefined {
    return this.open.get(symbol)?.strategy;
  }

  /** Round trips still open, marked at `prices`. */
  openTrades(held: Record<string, { quantity: number; avgPrice: number; dust?: { reason: string; since: number } }>, prices: Record<string, number>): OpenTrade[] {
    return [...this.open.values()].map((trip) => {
      const position = held[trip.symbol];
      const quantity = position?.quantity ?? 0;
      const markPrice = prices[trip.symbol] ?? position?.avgPrice ?? 0;
      return {
        symbol: trip.symbol, strategy: trip.strategy, entryTime: trip.entryTime, entryPrice: trip.boughtNotional / trip.boughtQuantity,
        quantity, markPrice, unrealizedPnl: trip.pnl + quantity * (markPrice - (position?.avgPrice ?? 0)),
        ...(position?.dust && { dustSince: position.dust.since }),
      };
    });
  }
}
