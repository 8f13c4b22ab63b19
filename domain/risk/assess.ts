/**
 * Assessment, after the LLM: sizes entries (the smallest of weight, ATR and Kelly sizes) and applies every
 * portfolio limit, each proposal against the book as the earlier ones in the same cycle would leave it, so that
 * several trades together cannot break a limit that each alone respects. Exits and trims are never sized down
 * or blocked by limits: they only reduce risk.
 *
 * A new sizing or approval rule goes here. It runs in the risk activity, whose answer is in history, so changing it
 * needs no patch; but when that activity fails the cycle runs it in the workflow (../cycle/exitSafety.ts), so a rule
 * that can change what an exit or a trim does needs a patched() id there (workflows/patches.ts).
 */
import type { RiskLimits } from '../config';
import { equity, exposure, positionValue } from '../ledger';
import { correlation, type MarketStats } from '../marketStats';
import type { LlmVerdict, PortfolioBook, RiskDecision, RuleFired, TradeProposal, TradeStats } from '../types';
import { pricesOf, refusal } from './plan';
import { effectiveStop } from './exits';
import { portfolioHeat } from './report';
import { atrNotional, kellyFraction, stopNotional } from './sizing';
import { positionCount, tradableQuantity } from '../dust';

export interface AssessContext {
  book: PortfolioBook;
  stats: Record<string, MarketStats>;
  limits: RiskLimits;
  /** Fee plus slippage as a fraction, reserved from cash so a buy can always be paid for. */
  costRate: number;
  tradeStats: TradeStats;
  /** Notional of orders already placed in the current trading day. */
  dailyNotional: number;
}

const money = (x: number) => x.toFixed(2);

export function assessRisk(proposals: TradeProposal[], verdicts: Record<string, LlmVerdict>, ctx: AssessContext): RiskDecision[] {
  const { limits, book, stats } = ctx;
  const prices = pricesOf(stats);
  const marked = equity(book, prices);
  let cash = book.cash;
  let totalExposure = exposure(book, prices);
  let heat = portfolioHeat(book, prices);
  let dailyNotional = ctx.dailyNotional;
  let positions = positionCount(book);
  const bought = new Map<string, number>();
  /** Notional approved per strategy in this assessment, against its allocation. */
  const committed = new Map<string, number>();

  // Sells are assessed first, as they are executed first: their proceeds and notional count before any buy is sized.
  const order = proposals.map((_, i) => i).sort((a, b) => Number(proposals[a].side === 'buy') - Number(proposals[b].side === 'buy'));
  const decisions: RiskDecision[] = new Array(proposals.length);
  for (const i of order) decisions[i] = decide(proposals[i]);
  return decisions;

  function decide(p: TradeProposal): RiskDecision {
    const rules: RuleFired[] = [...(p.reasons ?? [])];
    const held = book.positions[p.symbol]?.quantity ?? 0;

    // A sell is never refused for the project's minOrderNotional: only the venue's own minimum can stop an exit, and
    // it says so on the order, which marks the position as dust once (domain/dust.ts). Dust is not proposed again.
    const dust = book.positions[p.symbol]?.dust;
    if (p.side === 'sell' && dust) {
      return refusal(p.symbol, p.side, p.price, [...rules, { rule: 'dust-position', effect: 'block', detail: `position of ${held} (${money(held * p.price)}) is dust: ${dust.reason}` }]);
    }
    if (p.intent === 'protective-exit' || p.intent === 'trim') {
      const quantity = Math.min(held, p.quantity ?? held);
      const notional = quantity * p.price;
      if (!(quantity > 0)) return refusal(p.symbol, p.side, p.price, [...rules, { rule: 'no-position', effect: 'block', detail: 'nothing held to sell' }]);
      if (p.intent === 'trim' && notional < limits.minOrderNotional) {
        return refusal(p.symbol, p.side, p.price, [...rules, { rule: 'min-order-size', effect: 'block', detail: `trim of ${money(notional)} < minimum ${limits.minOrderNotional}` }]);
      }
      cash += notional * (1 - ctx.costRate);
      totalExposure -= notional;
      dailyNotional += notional;
      return { symbol: p.symbol, side: 'sell', approved: true, quantity, price: p.price, notional, rules };
    }

    const verdict = verdicts[p.symbol];
    if (!verdict) return refusal(p.symbol, p.side, p.price, [...rules, { rule: 'llm-verdict', effect: 'block', detail: 'no LLM verdict for this proposal' }]);
    const verdictNote = verdict.fallback ? `fallback (${verdict.fallbackReason})` : `${verdict.model} (confidence ${verdict.confidence.toFixed(2)})`;
    if (!verdict.approve) {
      return refusal(p.symbol, p.side, p.price, [...rules, { rule: 'llm-verdict', effect: 'block', detail: `rejected by ${verdictNote}: ${verdict.reason}` }]);
    }
    const resized = p.side === 'buy' && verdict.sizeMultiplier < 1;
    rules.push({ rule: 'llm-verdict', effect: resized ? 'resize' : 'info', detail: `approved by ${verdictNote}${resized ? `; size x${verdict.sizeMultiplier}` : ''}` });

    if (p.side === 'sell') {
      // An approved exit closes the whole position: a fallback's size cut exists to limit new risk, and
      // halving exits would leave a shrinking remainder open cycle after cycle.
      if (!(held > 0)) return refusal(p.symbol, p.side, p.price, [...rules, { rule: 'no-position', effect: 'block', detail: 'no position to sell' }]);
      rules.push({ rule: 'exit-signal', effect: 'info', detail: `sell the whole position of ${held}` });
      const notional = held * p.price;
      cash += notional * (1 - ctx.costRate);
      totalExposure -= notional;
      dailyNotional += notional;
      return { symbol: p.symbol, side: 'sell', approved: true, quantity: held, price: p.price, notional, rules };
    }

    const s = stats[p.symbol];
    const setup = p.strategy;
    // Kelly's p is the chance the bet wins. With a down/flat/up model, flat outcomes barely move the position, so
    // the bet is decided between up and down: p = P(up) / (P(up) + P(down)). A strategy states its own chance of
    // reaching the target before the stop, and its levels give the payoff b of this very setup.
    const up = p.signal?.probabilities.up ?? 0;
    const down = p.signal?.probabilities.down ?? 0;
    const conviction = setup ? setup.confidence : up + down > 0 ? up / (up + down) : 0;
    const setupPayoff = setup?.stop !== undefined && setup.takeProfit !== undefined && p.price > setup.stop
      ? (setup.takeProfit - p.price) / (p.price - setup.stop)
      : undefined;
    const kelly = kellyFraction(conviction, ctx.tradeStats, limits, setupPayoff);
    const sizes: [string, number][] = [
      ['weight', limits.maxAssetWeight * marked - positionValue(book, p.symbol, prices) - (bought.get(p.symbol) ?? 0)],
      setup?.stop !== undefined
        ? ['stop', stopNotional(marked, p.price, setup.stop, limits)]
        : ['atr', s ? atrNotional(marked, p.price, s.atr, limits) : NaN],
      ['kelly', limits.kellySizing === false ? NaN : kelly.fraction * marked],
    ];
    const applicable = sizes.filter(([, v]) => Number.isFinite(v));
    const [sizeRule, base] = applicable.reduce((min, x) => (x[1] < min[1] ? x : min));
    rules.push({
      rule: 'sizing', effect: 'info',
      detail: `${sizeRule} size wins: ${applicable.map(([k, v]) => `${k} ${money(v)}`).join(', ')} (Kelly p ${conviction.toFixed(3)}, b ${kelly.b.toFixed(2)}${kelly.observed ? ' observed' : ' prior'})`,
    });
    let notional = Math.max(0, base) * verdict.sizeMultiplier;

    const cut = (rule: string, room: number, why: string) => {
      if (room >= notional) return;
      const value = Math.max(0, room);
      rules.push({ rule, effect: value <= 0 ? 'block' : 'resize', detail: `${why}: size cut from ${money(notional)} to ${money(value)}` });
      notional = value;
    };

    let worst = { symbol: '', c: -1 };
    for (const other of Object.keys(book.positions)) {
      if (other === p.symbol || !stats[other] || !s || book.positions[other].dust) continue;
      const c = correlation(s.returns, stats[other].returns);
      if (Number.isFinite(c) && c > worst.c) worst = { symbol: other, c };
    }
    if (worst.c > limits.correlationRejectAbove) {
      rules.push({ rule: 'correlation', effect: 'block', detail: `correlation ${worst.c.toFixed(2)} with held ${worst.symbol} > ${limits.correlationRejectAbove}` });
      notional = 0;
    } else if (worst.c > limits.correlationLimit) {
      rules.push({ rule: 'correlation', effect: 'resize', detail: `correlation ${worst.c.toFixed(2)} with held ${worst.symbol} > ${limits.correlationLimit}: size halved` });
      notional /= 2;
    }

    cut('max-total-exposure', limits.maxTotalExposure * marked - totalExposure, `exposure ${money(totalExposure)} of at most ${money(limits.maxTotalExposure * marked)}`);
    cut('cash-buffer', (cash - limits.cashBuffer * marked) / (1 + ctx.costRate), `cash ${money(cash)} must keep ${money(limits.cashBuffer * marked)} in reserve`);
    // A top-up shares the position's existing stop, which may sit further away than a fresh one would; an entry
    // that absorbs dust arms fresh levels for the whole.
    const existing = book.positions[p.symbol]?.dust ? undefined : book.positions[p.symbol]?.protection;
    const stopDistance = existing
      ? p.price - effectiveStop(existing).level
      : setup?.stop !== undefined ? p.price - setup.stop : s && s.atr > 0 ? limits.stopAtrMultiple * s.atr : NaN;
    if (stopDistance > 0) {
      cut('max-portfolio-heat', ((limits.maxPortfolioHeat * marked - heat) * p.price) / stopDistance, `open risk to stops ${money(heat)} of at most ${money(limits.maxPortfolioHeat * marked)}`);
    }
    cut('max-trade-notional', limits.maxTradeNotional, `per-trade cap ${money(limits.maxTradeNotional)}`);
    if (setup?.allocationCap !== undefined) {
      // The cap is what the strategy had left before this cycle: buys of the same strategy earlier in it count.
      const left = setup.allocationCap - (committed.get(setup.strategy) ?? 0);
      cut('strategy-allocation', left, `${setup.strategy}'s capital allocation has ${money(left)} left`);
    }
    // Fills may come in up to costRate above the decision price: the caps on traded notional allow for that.
    cut('max-daily-notional', (limits.maxDailyNotional - dailyNotional) / (1 + ctx.costRate), `daily cap ${money(limits.maxDailyNotional)}, ${money(dailyNotional)} used`);

    if (tradableQuantity(book, p.symbol) === 0 && positions >= limits.maxConcurrentPositions) {
      rules.push({ rule: 'max-concurrent-positions', effect: 'block', detail: `${positions} positions open (limit ${limits.maxConcurrentPositions})` });
      notional = 0;
    }
    if (notional < limits.minOrderNotional || !(notional > 0)) {
      rules.push({ rule: 'min-order-size', effect: 'block', detail: `notional ${money(notional)} < minimum ${limits.minOrderNotional}` });
      return refusal(p.symbol, p.side, p.price, rules);
    }
    const quantity = notional / p.price;
    cash -= notional * (1 + ctx.costRate);
    totalExposure += notional;
    dailyNotional += notional * (1 + ctx.costRate);
    if (stopDistance > 0) heat += quantity * stopDistance;
    if (tradableQuantity(book, p.symbol) === 0 && !bought.has(p.symbol)) positions += 1;
    bought.set(p.symbol, (bought.get(p.symbol) ?? 0) + notional);
    if (setup) committed.set(setup.strategy, (committed.get(setup.strategy) ?? 0) + notional);
    const levels = setup ? { strategy: setup.strategy, stop: setup.stop, takeProfit: setup.takeProfit, trailingPct: setup.trailingPct } : undefined;
    return {
      symbol: p.symbol, side: 'buy', approved: true, quantity, price: p.price, notional, rules,
      ...(levels ? { levels } : {}), ...(setup?.ladder ? { ladder: setup.ladder } : {}),
    };
  }
}
