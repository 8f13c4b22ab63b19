/**
 * Risk rules and sizing. Two passes, both pure:
 * - `planTrades` (before the LLM) turns signals into proposals and refuses at once what no verdict could
 *   rescue (weak signal, cooldown, daily halt, nothing to sell), so the slow LLM is only asked about real trades;
 * - `assessRisk` (after the LLM) sizes each proposal and applies the portfolio limits.
 * Every signal ends with exactly one decision listing the rules that fired, which is what gets persisted.
 */
import type { RiskLimits } from './config';
import { equity, exposure, positionValue } from './ledger';
import type { LlmVerdict, PortfolioBook, RiskDecision, RuleFired, Side, Signal, TradeProposal } from './types';

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

export interface SizingContext {
  book: PortfolioBook;
  prices: Record<string, number>;
  limits: RiskLimits;
  /** Fee plus slippage as a fraction, reserved from cash so a buy can always be paid for. */
  costRate: number;
}

/**
 * Sizes approved proposals in order, each against the book as the earlier ones would leave it, so that
 * several buys in one cycle cannot jointly break the exposure or cash limits.
 */
export function assessRisk(proposals: TradeProposal[], verdicts: LlmVerdict[], ctx: SizingContext): RiskDecision[] {
  const marked = equity(ctx.book, ctx.prices);
  let cash = ctx.book.cash;
  let totalExposure = exposure(ctx.book, ctx.prices);
  // Sells first: they free cash and exposure for the buys.
  const order = proposals.map((p, i) => i).sort((a, b) => Number(proposals[a].side === 'buy') - Number(proposals[b].side === 'buy'));
  const decisions: RiskDecision[] = new Array(proposals.length);

  for (const i of order) {
    const p = proposals[i];
    const verdict = verdicts[i];
    const rules: RuleFired[] = [];
    if (!verdict || verdict.symbol !== p.symbol) {
      decisions[i] = refusal(p.symbol, p.side, p.price, [{ rule: 'llm-verdict', effect: 'block', detail: 'no LLM verdict for this proposal' }]);
      continue;
    }
    const verdictNote = verdict.fallback ? `fallback (${verdict.fallbackReason})` : `${verdict.model} (confidence ${verdict.confidence.toFixed(2)})`;
    if (!verdict.approve) {
      decisions[i] = refusal(p.symbol, p.side, p.price, [{ rule: 'llm-verdict', effect: 'block', detail: `rejected by ${verdictNote}: ${verdict.reason}` }]);
      continue;
    }
    const resized = p.side === 'buy' && verdict.sizeMultiplier < 1;
    rules.push({ rule: 'llm-verdict', effect: resized ? 'resize' : 'info', detail: `approved by ${verdictNote}${resized ? `; size x${verdict.sizeMultiplier}` : ''}` });

    let quantity: number;
    if (p.side === 'sell') {
      // An approved exit closes the whole position: a fallback's size cut exists to limit new risk, and
      // halving exits would leave a shrinking remainder open cycle after cycle.
      quantity = ctx.book.positions[p.symbol]?.quantity ?? 0;
      rules.push({ rule: 'exit-signal', effect: 'info', detail: `sell the whole position of ${quantity}` });
    } else {
      const room = (label: string, limit: number, used: number) => ({ label, value: Math.max(0, limit - used) });
      const wanted = ctx.limits.maxAssetWeight * marked * verdict.sizeMultiplier;
      const caps = [
        room('max-asset-weight', ctx.limits.maxAssetWeight * marked, positionValue(ctx.book, p.symbol, ctx.prices)),
        room('max-total-exposure', ctx.limits.maxTotalExposure * marked, totalExposure),
        { label: 'cash-available', value: Math.max(0, cash / (1 + ctx.costRate)) },
      ];
      let notional = wanted;
      for (const cap of caps) {
        if (cap.value < notional) {
          rules.push({ rule: cap.label, effect: cap.value <= 0 ? 'block' : 'resize', detail: `size cut from ${notional.toFixed(2)} to ${cap.value.toFixed(2)}` });
          notional = cap.value;
        }
      }
      quantity = notional / p.price;
    }

    const notional = quantity * p.price;
    if (notional < ctx.limits.minOrderNotional || !(quantity > 0)) {
      rules.push({ rule: 'min-order-size', effect: 'block', detail: `notional ${notional.toFixed(2)} < minimum ${ctx.limits.minOrderNotional}` });
      decisions[i] = { ...refusal(p.symbol, p.side, p.price, rules) };
      continue;
    }
    if (p.side === 'buy') {
      cash -= notional * (1 + ctx.costRate);
      totalExposure += notional;
    } else {
      cash += notional * (1 - ctx.costRate);
      totalExposure -= notional;
    }
    decisions[i] = { symbol: p.symbol, side: p.side, approved: true, quantity, price: p.price, notional, rules };
  }
  return decisions;
}
