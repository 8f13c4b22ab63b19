/** Test helpers: one strategy alone, with every gate off, over real candles. */
import {
  parseStrategyConfig, prepareMarket, proposeAt, STRATEGY_NAMES, type StrategyConfig, type StrategyName, type StrategyPosition,
  type StrategyProposal,
} from '../../../domain/strategies';
import { binance, utc } from './realCandles';

export function onlyConfig(name: StrategyName, params: Record<string, unknown> = {}): StrategyConfig {
  const input: Record<string, unknown> = {
    allocations: Object.fromEntries(STRATEGY_NAMES.map((s) => [s, s === name ? 1 : 0])),
    regime: { enabled: false },
    breaker: { enabled: false },
    ml: { use: 'off' },
    manager: { minExpectedValue: null },
  };
  for (const s of STRATEGY_NAMES) input[s] = s === name ? { ...params, enabled: true } : { enabled: false };
  return parseStrategyConfig(input);
}

/** Every raw proposal of `name` on Binance <base>/USDT 1h candles in [from, to), with no position held (or `position`). */
export function proposalsBetween(name: StrategyName, base: string, from: string, to: string, position?: StrategyPosition): StrategyProposal[] {
  const config = onlyConfig(name);
  const candles = binance(base, '1h');
  const market = prepareMarket({ [base]: candles }, '1h', config);
  const out: StrategyProposal[] = [];
  for (const c of candles) {
    if (c[0] < utc(from) || c[0] >= utc(to)) continue;
    const positions = position ? { [base]: position } : {};
    out.push(...proposeAt(market, c[0], { positions, equity: 10_000, cash: 10_000 }, config).considered.map((x) => x.proposal));
  }
  return out;
}

/** The one proposal of `name` at the candle opening at `at`, or null. */
export function proposalAt(name: StrategyName, base: string, at: string, position?: StrategyPosition): StrategyProposal | null {
  const next = new Date(utc(at) + 3_600_000).toISOString();
  const found = proposalsBetween(name, base, at, next, position);
  return found[0] ?? null;
}
