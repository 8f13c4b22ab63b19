/**
 * Why a backtest traded little: every rule that blocked a proposal (risk decisions) and every reason the strategy
 * manager dropped one, counted, with the setting that would change it. The summary prints the top ones when a run
 * makes no trade or refuses most of what it weighed, so a silent run says why it was silent.
 */
import type { ConsideredProposal } from '../domain/strategies';
import type { LlmVerdict, RiskDecision } from '../domain/types';

export interface RefusalCount {
  /** A risk rule (`min-order-size`), or the strategy manager's reason (its first occurrence: they differ by numbers). */
  rule: string;
  count: number;
  /** Where it comes from and what setting would change it. */
  hint: string;
}

export interface RefusalSummary {
  /** Proposals the risk engine approved and refused, and those the strategy manager dropped before it. */
  approved: number;
  refused: number;
  dropped: number;
  top: RefusalCount[];
}

const HINTS: Record<string, string> = {
  'min-order-size': 'risk.minOrderNotional is the smallest order; more cash (--cash) or a larger size helps. A 0.5-confidence setup gets no Kelly size: --risk \'{"kellySizing":false}\'',
  'confidence-threshold': 'risk.minConfidence (the model\'s probability an entry needs)',
  'no-entry-signal': 'the model saw no up move: nothing to change but the model',
  hold: 'the model saw no down move for a held position',
  'llm-verdict': "the LLM's verdict: --llm approve, or the portfolio's llm.fallback policy",
  'max-asset-weight': 'risk.maxAssetWeight',
  'max-total-exposure': 'risk.maxTotalExposure',
  'cash-buffer': 'risk.cashBuffer',
  'max-concurrent-positions': 'risk.maxConcurrentPositions',
  correlation: 'risk.correlationLimit and risk.correlationRejectAbove',
  'max-portfolio-heat': 'risk.maxPortfolioHeat',
  'max-trade-notional': 'risk.maxTradeNotional',
  'max-daily-notional': 'risk.maxDailyNotional',
  'daily-loss-limit': 'risk.dailyLossLimit',
  halted: 'risk.maxDrawdown (the drawdown halt)',
  'deploy-cash': 'risk.deployCashAbove (top-ups of held positions)',
  'buy-cooldown': 'risk.cooldowns.buyMs',
  'sell-cooldown': 'risk.cooldowns.sellMs',
  'hold-cooldown': 'risk.cooldowns.holdMs',
  'strategy-allocation': 'strategies.allocations',
  'dust-position': 'the venue minimum (paper.minNotional): dust is absorbed by the next entry',
  'no-position': 'a sell with nothing held',
};

const STRATEGY_HINTS: Array<[RegExp, string]> = [
  [/^expected value/, 'strategies.manager.minExpectedValue (--params \'{"manager":{"minExpectedValue":...}}\'), or lower costs (--fee, --slippage-bps)'],
  [/disabled in a/, 'strategies.regime weights (--params \'{"regime":{"enabled":false}}\' turns the regime filter off)'],
  [/^regime not known/, 'the regime detector\'s warm-up'],
  [/^circuit breaker/, 'strategies.breaker (--params \'{"breaker":{"enabled":false}}\')'],
  [/^no multi-timeframe consensus/, 'strategies.consensus'],
  [/has used its allocation/, 'strategies.allocations'],
  [/^lost to /, 'another strategy won the symbol'],
];

const stable = (why: string) => why.replace(/-?\d+(\.\d+)?%?/g, '#');

export class RefusalTally {
  /** By rule (the manager's reasons with their numbers as `#`): the count, the hint, the first reason as said. */
  private readonly counts = new Map<string, { count: number; hint: string; example: string }>();
  private approved = 0;
  private refused = 0;
  private dropped = 0;

  private bump(rule: string, hint: string, example = rule): void {
    const entry = this.counts.get(rule);
    if (entry) entry.count++;
    else this.counts.set(rule, { count: 1, hint, example });
  }

  add(decisions: readonly RiskDecision[], considered: readonly ConsideredProposal[] | undefined): void {
    for (const d of decisions) {
      if (d.approved) {
        this.approved++;
        continue;
      }
      this.refused++;
      for (const r of d.rules) if (r.effect === 'block') this.bump(r.rule, HINTS[r.rule] ?? (r.rule.startsWith('strategy:') ? 'the strategy' : 'see the decision log'));
    }
    for (const c of considered ?? []) {
      if (c.chosen || c.why.startsWith('a position is already held') || c.why.startsWith('no position to sell')) continue;
      this.dropped++;
      const rule = `${c.proposal.strategy}: ${stable(c.why)}`;
      this.bump(rule, STRATEGY_HINTS.find(([re]) => re.test(c.why))?.[1] ?? 'strategies (the manager)', `${c.proposal.strategy}: ${c.why}`);
    }
  }

  summary(limit = 5): RefusalSummary {
    const top = [...this.counts.values()].map((v) => ({ rule: v.example, count: v.count, hint: v.hint })).sort((a, b) => b.count - a.count || a.rule.localeCompare(b.rule));
    return { approved: this.approved, refused: this.refused, dropped: this.dropped, top: top.slice(0, limit) };
  }
}

/** The LLM stage's verdicts over a run: how many, how many were the fallback policy's and why. */
export class VerdictTally {
  private verdicts = 0;
  private approved = 0;
  private readonly fallbacks = new Map<string, number>();

  count(v: LlmVerdict): void {
    this.verdicts++;
    if (v.approve) this.approved++;
    if (v.fallback) {
      const why = (v.fallbackReason ?? 'fallback').split(':')[0];
      this.fallbacks.set(why, (this.fallbacks.get(why) ?? 0) + 1);
    }
  }

  summary(): { verdicts: number; approved: number; fallbacks: Record<string, number> } {
    return { verdicts: this.verdicts, approved: this.approved, fallbacks: Object.fromEntries(this.fallbacks) };
  }
}
