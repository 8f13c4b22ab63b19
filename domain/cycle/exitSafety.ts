/**
 * What keeps a cycle's protective exits independent of everything else it runs (the `exits-always-fire` patch):
 * - a stage that fails (features, model, strategies, LLM, the risk activity) costs that stage's entries, never an
 *   exit: when the risk activity fails, exits and trims are decided here by the same pure rules (domain/risk);
 * - an entry that ended partly filled under the minimum order is completed to it at market, so no entry leaves a
 *   remainder that could never be sold (the way freqtrade keeps such an entry open rather than cancel it: here the
 *   entry's time in force still ends, and the remainder is topped up instead of left resting).
 * Pure, run inside the cycle workflow and the backtester.
 */
import type { RiskLimits } from '../config';
import { clientOrderId } from '../ids';
import { assessRisk, refusal, type AssessContext } from '../risk';
import type { OrderRequest, PortfolioBook, RiskDecision, TradeProposal } from '../types';

export const EXITS_ALWAYS_FIRE_PATCH = 'exits-always-fire';

/** How far above the minimum order a top-up takes the position, so rounding never leaves it a hair under. */
export const TOP_UP_MARGIN = 0.01;

const reducesRisk = (p: TradeProposal) => p.intent === 'protective-exit' || p.intent === 'trim';

/**
 * The decisions when the risk activity could not be had: exits and trims approved by the very rules the activity
 * applies (they are never sized down or blocked by limits), every entry and signal exit refused with the reason.
 */
export function decisionsWithoutRiskActivity(proposals: TradeProposal[], context: AssessContext, why: string): RiskDecision[] {
  const exits = proposals.filter(reducesRisk);
  const decided = assessRisk(exits, {}, context);
  const refused = proposals.filter((p) => !reducesRisk(p)).map((p) => refusal(p.symbol, p.side, p.price, [
    ...(p.reasons ?? []), { rule: 'risk-unavailable', effect: 'block', detail: `the risk assessment failed (${why}): no entry without it; exits and trims went on` },
  ]));
  return [...decided, ...refused];
}

export interface TopUp {
  request: OrderRequest;
  decision: RiskDecision;
}

/**
 * Market buys that complete entries which ended (expired or cancelled) with a position worth less than the
 * minimum order: the smallest buy that takes it to limits.minOrderNotional (plus TOP_UP_MARGIN), so the position
 * can be sold when its stop comes. Only for symbols with nothing resting or exiting, and never while halted.
 */
export function entryTopUps(
  ended: ReadonlySet<string>, book: PortfolioBook, prices: Record<string, number>, limits: RiskLimits,
  ctx: { cycleId: string; portfolioId: string; busy: ReadonlySet<string>; halted: boolean },
): TopUp[] {
  const topUps: TopUp[] = [];
  if (ctx.halted || !(limits.minOrderNotional > 0)) return topUps;
  for (const symbol of ended) {
    const position = book.positions[symbol];
    const price = prices[symbol];
    if (!position || position.dust || ctx.busy.has(symbol) || !(price > 0)) continue;
    const value = position.quantity * price;
    if (value >= limits.minOrderNotional) continue;
    const notional = limits.minOrderNotional * (1 + TOP_UP_MARGIN) - value;
    const quantity = notional / price;
    const detail = `the entry ended partly filled: ${position.quantity} worth ${value.toFixed(2)} is under the minimum order ${limits.minOrderNotional}, ` +
      `so it could never be sold; topped up by ${notional.toFixed(2)} at market`;
    topUps.push({
      request: {
        clientOrderId: clientOrderId(ctx.cycleId, symbol, 'buy-top-up'), portfolioId: ctx.portfolioId, cycleId: ctx.cycleId, symbol,
        side: 'buy', type: 'market', quantity, referencePrice: price,
      },
      decision: { symbol, side: 'buy', approved: true, quantity, price, notional, rules: [{ rule: 'entry-top-up', effect: 'info', detail }] },
    });
  }
  return topUps;
}
