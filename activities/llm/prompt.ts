/**
 * The question put to the LLM reviewer, versioned: what a human reviewer would read (the proposal with its strategy
 * and reason, the model's probabilities, trend, RSI, volatility and volume, regime and breaker, recent trades on the
 * symbol, exposure and limit usage) as short plain lines, which a small model reads faster and better than JSON.
 *
 * PROMPT_VERSION names the template: change it with any change of wording or of what the prompt carries. Each verdict
 * stores the version, the user message and a hash of everything sent but the model's name (system and user messages,
 * answer schema, sampling options), so the very question can be asked again and a cached answer found by its hash.
 */
import { createHash } from 'node:crypto';
import type { Message } from 'ollama';
import type { RecentTrade, ReviewContext, SymbolReview } from '../../domain/cycle/llmContext';
import type { Position, TradeProposal } from '../../domain/types';
import { VERDICT_JSON_SCHEMA, type Sampling } from './ollamaChat';

export const PROMPT_VERSION = 'review-v2';

export const SYSTEM_PROMPT = [
  'You are the risk reviewer of an automated crypto trading system.',
  'You receive one proposed trade with its market readings and the portfolio.',
  'Approve it only if the evidence supports it. Reject weak or conflicting signals, buys against the trend or into an',
  'overbought market (RSI above 70), trades after repeated losses on the symbol, trades the cash cannot pay for,',
  'and trades that bring exposure close to its limit.',
  'Answer with only a JSON object: {"approve": boolean, "confidence": number from 0 to 1, "reason": one short sentence}.',
].join(' ');

/** The portfolio as the activity receives it; the review context is absent in inputs recorded before it existed. */
export interface PromptContext extends Partial<ReviewContext> {
  cash: number;
  equity: number;
  positions: Record<string, Position>;
}

export interface Prompt {
  messages: Message[];
  /** The user message. */
  text: string;
  hash: string;
}

export function buildPrompt(proposal: TradeProposal, context: PromptContext, sampling: Sampling): Prompt {
  const text = userMessage(proposal, context);
  const messages: Message[] = [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: text },
  ];
  const hash = createHash('sha256')
    .update(JSON.stringify({ version: PROMPT_VERSION, messages, format: VERDICT_JSON_SCHEMA, sampling }))
    .digest('hex');
  return { messages, text, hash };
}

function userMessage(p: TradeProposal, ctx: PromptContext): string {
  const lines: string[] = [];
  const intent = p.intent ?? (p.side === 'buy' ? 'entry' : 'signal-exit');
  lines.push(`Trade: ${p.side.toUpperCase()} ${p.symbol} at ${price(p.price)} (${intent})`);
  if (p.strategy) {
    lines.push(`Strategy ${p.strategy.strategy}: ${p.strategy.reason} (confidence ${num(p.strategy.confidence, 2)}, expected value ${pct(p.strategy.expectedValue)})`);
  }
  const notes = (p.reasons ?? []).map((r) => r.detail).filter(Boolean).slice(0, 3);
  if (notes.length) lines.push(`Why: ${notes.join('; ')}`);
  const s = p.signal;
  lines.push(
    s
      ? `Model signal: ${s.direction}, P(up) ${num(s.probabilities.up, 2)}, P(flat) ${num(s.probabilities.flat, 2)}, P(down) ${num(s.probabilities.down, 2)}`
      : 'Model signal: none',
  );
  const market = ctx.market?.[p.symbol];
  if (market) lines.push(...marketLines(market));
  if (ctx.marketBreaker && ctx.marketBreaker !== 'normal') lines.push(`Market-wide breaker: ${ctx.marketBreaker}`);
  const trades = (ctx.recentTrades ?? []).filter((t) => t.symbol === p.symbol);
  lines.push(`Recent trades on ${p.symbol}: ${trades.length ? trades.map(tradeText).join('; ') : 'none'}`);
  lines.push(portfolioLine(p, ctx));
  if (ctx.usage?.length) lines.push(`Limits used: ${ctx.usage.map((u) => `${u.limit} ${usageText(u.limit, u.used)} of ${usageText(u.limit, u.max)}`).join(', ')}`);
  return lines.join('\n');
}

function marketLines(m: SymbolReview): string[] {
  const parts: string[] = [];
  if (m.change24h !== undefined) parts.push(`24h change ${pct(m.change24h)}`);
  if (m.atrPct !== undefined) parts.push(`ATR ${pct(m.atrPct)} of price`);
  if (m.regime !== undefined) parts.push(`regime ${m.regime ?? 'unknown'}`);
  if (m.breaker !== undefined) parts.push(`breaker ${m.breaker}`);
  const lines = parts.length ? [`Market: ${parts.join(', ')}`] : [];
  if (m.indicators) lines.push(`Indicators: ${Object.entries(m.indicators).map(([k, v]) => `${k} ${num(v, 3)}`).join(', ')}`);
  return lines;
}

function tradeText(t: RecentTrade): string {
  const pnl = t.side === 'sell' ? ` pnl ${t.realizedPnl >= 0 ? '+' : ''}${num(t.realizedPnl, 2)}` : '';
  return `${t.side} ${num(t.quantity)} at ${price(t.price)}${pnl}`;
}

function portfolioLine(p: TradeProposal, ctx: PromptContext): string {
  const share = (value: number) => (ctx.equity > 0 ? ` (${pct(value / ctx.equity)})` : '');
  const held = ctx.positions[p.symbol];
  const others = Object.values(ctx.positions).filter((q) => q.symbol !== p.symbol && q.quantity > 0);
  const parts = [`equity ${num(ctx.equity, 2)}`, `cash ${num(ctx.cash, 2)}${share(ctx.cash)}`];
  parts.push(held && held.quantity > 0 ? `holds ${num(held.quantity)} ${p.symbol} bought at ${price(held.avgPrice)}${share(held.quantity * p.price)}` : `no ${p.symbol} held`);
  if (others.length) parts.push(`also holds ${others.map((q) => `${q.symbol} ${num(q.quantity)}`).join(', ')}`);
  return `Portfolio: ${parts.join(', ')}`;
}

function usageText(limit: string, value: number): string {
  if (limit === 'maxConcurrentPositions') return String(value);
  if (limit === 'maxDailyNotional') return num(value, 0);
  return pct(value);
}

/** Four significant digits at most: more only costs tokens. */
function num(value: number, decimals?: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (decimals !== undefined) return String(Math.round(value * 10 ** decimals) / 10 ** decimals);
  return String(Number(value.toPrecision(4)));
}

/** Six significant digits: enough to tell a price from its neighbours. */
function price(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(6))) : 'n/a';
}

function pct(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)}%` : 'n/a';
}
