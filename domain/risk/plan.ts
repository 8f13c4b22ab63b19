/**
 * Planning, before the LLM is asked anything:
 * - `protectiveExits` checks every held position's stop, trailing stop and take-profit against the newest candle;
 *   it runs right after the market data, so exits fire even when the model pipeline fails;
 * - `planTrades` adds rebalancing trims and turns signals into entries and signal exits, refusing at once what
 *   no verdict could rescue (halts, cooldowns, weak signals, full positions), with one intent per symbol.
 *
 * A rule decided before the LLM goes here. This code runs in the cycle workflow itself: a change to what it decides
 * changes the commands a cycle issues, so it sits behind a patched() id registered in workflows/patches.ts.
 */
import type { RiskLimits } from '../config';
import { equity, isFlat, positionValue, withPositions, withProtection } from '../ledger';
import type { MarketStats } from '../marketStats';
import type { StrategyProposal } from '../strategies/types';
import type { PortfolioBook, RiskDecision, RuleFired, Side, Signal, TradeProposal } from '../types';
import { cooldownCheck, type CooldownBook } from './cooldowns';
import { armProtection, checkCandle, exitRule, pendingRule, withPending } from './exits';
import { positionCount, tradableQuantity } from '../dust';

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

export function refusal(symbol: string, side: Side, price: number, rules: RuleFired[]): RiskDecision {
  return { symbol, side, approved: false, quantity: 0, price, notional: 0, rules };
}

export function pricesOf(stats: Record<string, MarketStats>): Record<string, number> {
  // A loop, not Object.fromEntries over a mapped array: it runs several times in every cycle of every backtest, and
  // the array form was 6% of a backtest's time.
  const prices: Record<string, number> = {};
  for (const key in stats) prices[stats[key].symbol] = stats[key].price;
  return prices;
}

/**
 * Checks every held position's protective levels against the newest candle. A position without levels (opened
 * before they existed, or when ATR was unknown) is armed now from the current price, so none stays unguarded.
 *
 * `keepPending`: a touched level stays pending (Protection.pending) and is proposed again on every later cycle
 * until the position is sold, whatever those candles do: a failed or unexecuted exit is retried, never forgotten
 * because its candle counts as checked. Dust (domain/dust.ts) cannot be sold: its levels are still checked (a
 * touched stop stays pending), but no exit is proposed for it.
 */
export function protectiveExits(
  book: PortfolioBook, stats: Record<string, MarketStats>, limits: RiskLimits, options: { keepPending?: boolean } = {},
): { exits: TradeProposal[]; book: PortfolioBook } {
  const exits: TradeProposal[] = [];
  // Nothing held, nothing to guard: the book as it is (most of a backtest's cycles are flat).
  if (isFlat(book)) return { exits, book };
  const positions = { ...book.positions };
  for (const p of Object.values(book.positions)) {
    const s = stats[p.symbol];
    if (!s) continue;
    if (!p.protection) {
      const armed = armProtection(s.price, s.atr, s.time, limits);
      if (armed) positions[p.symbol] = withProtection(p, armed);
      continue;
    }
    const { hit, next } = checkCandle(p.protection, { time: s.time, open: s.open, high: s.high, low: s.low });
    positions[p.symbol] = withProtection(p, hit && options.keepPending ? withPending(next, hit, s.time) : next);
    if (p.dust) continue;
    const pending = options.keepPending ? p.protection.pending : undefined;
    const reason = hit ? exitRule(hit) : pending ? pendingRule(pending) : null;
    if (reason) exits.push({ symbol: p.symbol, side: 'sell', price: s.price, intent: 'protective-exit', quantity: p.quantity, reasons: [reason] });
  }
  return { exits, book: withPositions(book, positions) };
}

export interface PlanContext {
  book: PortfolioBook;
  stats: Record<string, MarketStats>;
  limits: RiskLimits;
  cooldowns: CooldownBook;
  now: number;
  /** Set once the daily loss limit fired in the current trading day. */
  dailyHalt: boolean;
  /** Why the portfolio is halted (drawdown or emergency stop), if it is: entries stop until a human resumes. */
  halt?: string;
  /** Protective exits already decided this cycle. */
  exits: TradeProposal[];
  /**
   * The strategy manager's proposals (at most one per symbol). When given, they are the cycle's entries and signal
   * exits, and the model's signals only inform them (the manager used them as a filter or confidence input).
   */
  strategyProposals?: StrategyProposal[];
  /** Symbols with orders still resting on the book: one active intent per symbol, so nothing new is proposed. */
  restingSymbols?: string[];
  /** Why no entry may be made this cycle (the account could not be reconciled), when that is so; exits go on. */
  entriesBlocked?: RuleFired;
}

/** One entry-or-exit intent, from a model signal or a strategy, checked against the same rules. */
interface Intent {
  symbol: string;
  side: Side;
  conviction: number;
  /** What the conviction is, for the refusal message. */
  convictionLabel: string;
  signal?: Signal;
  strategy?: StrategyProposal;
  /** A model signal that calls for no trade at all (hold, or no entry): refused as it is. */
  noTrade?: RuleFired;
}

export interface TradePlan {
  /** Risk-reducing trades first (protective exits, trims, signal exits), then entries. */
  proposals: TradeProposal[];
  refused: RiskDecision[];
  dailyLossLimitHit: boolean;
}

export function dailyLossBreached(book: PortfolioBook, marked: number, limits: RiskLimits): RuleFired | null {
  const loss = book.dayStartEquity - marked;
  if (book.dayStartEquity <= 0 || loss < limits.dailyLossLimit * book.dayStartEquity) return null;
  return {
    rule: 'daily-loss-limit',
    effect: 'block',
    detail: `equity ${marked.toFixed(2)} is ${pct(loss / book.dayStartEquity)} below the day's start ${book.dayStartEquity.toFixed(2)} (limit ${pct(limits.dailyLossLimit)}): no new entries until the next trading day`,
  };
}

export function planTrades(signals: Signal[], ctx: PlanContext): TradePlan {
  const { book, limits, stats } = ctx;
  const prices = pricesOf(stats);
  const marked = equity(book, prices);
  const breach = dailyLossBreached(book, marked, limits);
  const dailyHalt: RuleFired | null = breach ?? (ctx.dailyHalt ? { rule: 'daily-loss-limit', effect: 'block', detail: 'daily loss limit hit earlier today: no new entries until the next trading day' } : null);
  const signalBySymbol = new Map<string, Signal>();
  for (const s of signals) signalBySymbol.set(s.symbol, s);
  const busy = new Set<string>(ctx.restingSymbols);
  for (const e of ctx.exits) busy.add(e.symbol);
  const proposals: TradeProposal[] = ctx.exits.map((e) => ({ ...e, signal: signalBySymbol.get(e.symbol) }));
  const refused: RiskDecision[] = [];
  // Dust is no position: it takes no slot and blocks no entry (domain/dust.ts).
  const positionsHeld = positionCount(book);

  // A strategy's exit sells the whole position: it goes before a trim of the same symbol.
  const exitsProposed = new Set<string>();
  for (const sp of ctx.strategyProposals ?? []) if (sp.side === 'sell') exitsProposed.add(sp.symbol);
  // Rebalancing: overweight positions are trimmed back to the target weight.
  for (const p of Object.values(book.positions)) {
    if (p.dust || busy.has(p.symbol) || exitsProposed.has(p.symbol) || !(marked > 0)) continue;
    const price = prices[p.symbol] ?? p.avgPrice;
    const weight = positionValue(book, p.symbol, prices) / marked;
    // A relative tolerance: an all-in position marked at its own fill price can come out a hair above 100%.
    if (weight <= limits.trimAbove * (1 + 1e-9)) continue;
    const sellCooldown = cooldownCheck(ctx.cooldowns, p.symbol, 'sell', ctx.now, price, limits.cooldowns.overrideMove);
    if (sellCooldown.blocked) continue;
    const quantity = Math.min(p.quantity, ((weight - limits.maxAssetWeight) * marked) / price);
    busy.add(p.symbol);
    proposals.push({
      symbol: p.symbol, side: 'sell', price, intent: 'trim', quantity, signal: signalBySymbol.get(p.symbol),
      reasons: [{ rule: 'rebalance-trim', effect: 'info', detail: `weight ${pct(weight)} > ${pct(limits.trimAbove)}: trim to ${pct(limits.maxAssetWeight)}` }, ...(sellCooldown.rule ? [sellCooldown.rule] : [])],
    });
  }

  const intents: Intent[] = [];
  if (ctx.strategyProposals) {
    for (const sp of ctx.strategyProposals) {
      intents.push({ symbol: sp.symbol, side: sp.side, conviction: sp.confidence, convictionLabel: `${sp.strategy} confidence`, signal: signalBySymbol.get(sp.symbol), strategy: sp });
    }
  } else {
    for (const signal of signals) {
      const held = tradableQuantity(book, signal.symbol);
      const { up, down } = signal.probabilities;
      const side: Side = held > 0 && down > up ? 'sell' : 'buy';
      const noTrade: RuleFired | undefined = side === 'buy' && up <= down
        ? { rule: held > 0 ? 'hold' : 'no-entry-signal', effect: 'block', detail: `P(up) ${up.toFixed(3)} <= P(down) ${down.toFixed(3)}${held > 0 ? '' : ' and no position to sell'}` }
        : undefined;
      intents.push({ symbol: signal.symbol, side, conviction: side === 'buy' ? up : down, convictionLabel: `P(${side === 'buy' ? 'up' : 'down'})`, signal, noTrade });
    }
  }

  for (const intent of intents) {
    const { symbol, side, signal, strategy } = intent;
    if (busy.has(symbol)) continue; // one active intent per symbol
    busy.add(symbol);
    const price = prices[symbol];
    if (price === undefined) continue;
    const held = tradableQuantity(book, symbol);
    const refuse = (...rules: RuleFired[]) => refused.push(refusal(symbol, side, price, rules));
    const because: RuleFired[] = strategy ? [{ rule: `strategy:${strategy.strategy}`, effect: 'info', detail: strategy.reason }] : [];
    if (intent.noTrade) { refuse(intent.noTrade); continue; }

    if (side === 'sell' && !(held > 0)) { refuse(...because, { rule: 'no-position', effect: 'block', detail: 'no position to sell' }); continue; }
    // A strategy's confidence is its chance of reaching the target before the stop, which a 3:1 setup rightly puts
    // under one half; its gate is the manager's expected value (strategies.manager.minExpectedValue) instead.
    if (!strategy && intent.conviction < limits.minConfidence) {
      refuse(...because, { rule: 'confidence-threshold', effect: 'block', detail: `${intent.convictionLabel} ${intent.conviction.toFixed(3)} < ${limits.minConfidence}` });
      continue;
    }
    const infos: RuleFired[] = [...because];
    if (side === 'sell') {
      const hold = cooldownCheck(ctx.cooldowns, symbol, 'hold', ctx.now, price, limits.cooldowns.overrideMove);
      const sell = cooldownCheck(ctx.cooldowns, symbol, 'sell', ctx.now, price, limits.cooldowns.overrideMove);
      const blocked = [hold, sell].find((c) => c.blocked);
      if (blocked) { refuse(...because, blocked.rule!); continue; }
      infos.push(...[hold.rule, sell.rule].filter((r): r is RuleFired => Boolean(r)));
      proposals.push({ symbol, side, price, signal, intent: 'signal-exit', quantity: held, reasons: infos, ...(strategy ? { strategy } : {}) });
      continue;
    }
    if (ctx.halt) { refuse(...because, { rule: 'halted', effect: 'block', detail: `${ctx.halt}; no new entries until a human resumes the portfolio` }); continue; }
    if (dailyHalt) { refuse(...because, dailyHalt); continue; }
    if (ctx.entriesBlocked) { refuse(...because, ctx.entriesBlocked); continue; }
    const buy = cooldownCheck(ctx.cooldowns, symbol, 'buy', ctx.now, price, limits.cooldowns.overrideMove);
    if (buy.blocked) { refuse(...because, buy.rule!); continue; }
    if (buy.rule) infos.push(buy.rule);
    const weight = marked > 0 ? positionValue(book, symbol, prices) / marked : 0;
    if (weight >= limits.maxAssetWeight) {
      refuse(...because, { rule: 'max-asset-weight', effect: 'block', detail: `already ${pct(weight)} of equity (limit ${pct(limits.maxAssetWeight)})` });
      continue;
    }
    if (held === 0 && positionsHeld >= limits.maxConcurrentPositions) {
      refuse(...because, { rule: 'max-concurrent-positions', effect: 'block', detail: `${positionsHeld} positions open (limit ${limits.maxConcurrentPositions})` });
      continue;
    }
    if (held > 0 && book.cash <= limits.deployCashAbove * marked) {
      refuse(...because, { rule: 'deploy-cash', effect: 'block', detail: `topping up a held position only spends cash above ${pct(limits.deployCashAbove)} of equity; cash is ${pct(book.cash / marked)}` });
      continue;
    }
    proposals.push({ symbol, side, price, signal, intent: 'entry', reasons: infos, ...(strategy ? { strategy } : {}) });
  }
  return { proposals, refused, dailyLossLimitHit: breach !== null };
}

/** Entries and signal exits wait for the LLM; protective exits and trims reduce risk and never do. */
export function needsLlm(p: TradeProposal): boolean {
  return p.intent === undefined || p.intent === 'entry' || p.intent === 'signal-exit';
}
