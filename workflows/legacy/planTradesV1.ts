/**
 * FROZEN: the trade planning of the first cycle workflow, kept only so that cycle histories recorded before the
 * risk engine (patch 'risk-engine-v2') still replay. Do not change it; delete it with the patch once no such
 * cycle can still be running.
 *
 * Risk rules and sizing. Two passes, both pure:
 * - `planTrades` (before the LLM) turns signals into proposals and refuses at once what no verdict could
 *   rescue (weak signal, cooldown, daily halt, nothing to sell), so the slow LLM is only asked about real trades;
 * - `assessRisk` (after the LLM) sizes each proposal and applies the portfolio limits.
 * Every signal ends with exactly one decision listing the rules that fired, which is what gets persisted.
 */
import type { RiskLimits } from '../../domain/config';
import { equity } from '../../domain/ledger';
import type { PortfolioBook, RiskDecision, RuleFired, Side, Signal, TradeProposal } from '../../domain/types';

export interface PlanContext {
  book: PortfolioBook;
  prices: Record<string, number>;
  limits: RiskLimits;
  /** Symbols with an open cooldown timer: no new entries. */
  coolingSymbols: string[];
  /** Set once the daily loss limit fired today; cleared by the UTC day roll. */
  dailyHalt: boolean;
}

export interface TradePlan {
  proposals: TradeProposal[];
  /** Signals that will not trade, each with the rules that said so. */
  refused: RiskDecision[];
  /** True when this plan found the daily loss limit breached (the workflow then holds the halt for the day). */
  dailyLossLimitHit: boolean;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

function refusal(symbol: string, side: Side, price: number, rules: RuleFired[]): RiskDecision {
  return { symbol, side, approved: false, quantity: 0, price, notional: 0, rules };
}

export function dailyLossBreached(book: PortfolioBook, marked: number, limits: RiskLimits): RuleFired | null {
  const loss = book.dayStartEquity - marked;
  if (book.dayStartEquity <= 0 || loss < limits.dailyLossLimit * book.dayStartEquity) return null;
  return {
    rule: 'daily-loss-limit',
    effect: 'block',
    detail: `equity ${marked.toFixed(2)} is ${pct(loss / book.dayStartEquity)} below the day's start ${book.dayStartEquity.toFixed(2)} (limit ${pct(limits.dailyLossLimit)}): no new entries until the next UTC day`,
  };
}

export function planTrades(signals: Signal[], ctx: PlanContext): TradePlan {
  const marked = equity(ctx.book, ctx.prices);
  const breach = dailyLossBreached(ctx.book, marked, ctx.limits);
  const halt: RuleFired | null =
    breach ?? (ctx.dailyHalt ? { rule: 'daily-loss-limit', effect: 'block', detail: 'daily halt in force until the next UTC day' } : null);
  const proposals: TradeProposal[] = [];
  const refused: RiskDecision[] = [];

  for (const signal of signals) {
    const price = ctx.prices[signal.symbol];
    const held = ctx.book.positions[signal.symbol]?.quantity ?? 0;
    const { up, down } = signal.probabilities;
    const side: Side = held > 0 && down > up ? 'sell' : 'buy';
    const conviction = side === 'buy' ? up : down;

    if (side === 'buy' && up <= down) {
      refused.push(refusal(signal.symbol, side, price, [
        { rule: held > 0 ? 'hold' : 'no-entry-signal', effect: 'block', detail: `P(up) ${up.toFixed(3)} <= P(down) ${down.toFixed(3)}${held > 0 ? '' : ' and no position to sell'}` },
      ]));
      continue;
    }
    if (conviction < ctx.limits.minConfidence) {
      refused.push(refusal(signal.symbol, side, price, [
        { rule: 'confidence-threshold', effect: 'block', detail: `P(${side === 'buy' ? 'up' : 'down'}) ${conviction.toFixed(3)} < ${ctx.limits.minConfidence}` },
      ]));
      continue;
    }
    // Exits reduce risk, so halts and cooldowns only stop entries.
    if (side === 'buy' && halt) {
      refused.push(refusal(signal.symbol, side, price, [halt]));
      continue;
    }
    if (side === 'buy' && ctx.coolingSymbols.includes(signal.symbol)) {
      refused.push(refusal(signal.symbol, side, price, [
        { rule: 'cooldown', effect: 'block', detail: `${signal.symbol} is cooling down after a recent trade` },
      ]));
      continue;
    }
    proposals.push({ symbol: signal.symbol, side, price, signal });
  }
  return { proposals, refused, dailyLossLimitHit: breach !== null };
}
