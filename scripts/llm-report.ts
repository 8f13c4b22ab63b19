/**
 * `npm run llm:report -- [--model smollm2:135m] [--from 2023-07-01] [--to 2023-10-31] [--symbols ...] [--strategy ...]`:
 * what the LLM review adds, written to models/LLM_REPORT.md (as models/REPORT.md is for the signal model). Over a
 * replayed period, out of sample for the signal model (its test window), the backtester runs one portfolio three ways:
 *   - without the LLM: every reviewed trade approved (the baseline);
 *   - in shadow: the very same trades, each reviewed proposal also put to the LLM and its verdict recorded but not
 *     applied, so the baseline's trades split into those the LLM approved and those it rejected;
 *   - gated: the LLM's verdicts applied as the live cycle applies them (a rejection skips the trade).
 * Answers are cached on disk by model and prompt hash (data/llm-cache, as `--llm ollama` backtests cache them): a rerun,
 * or the gated run after the shadow one, asks only questions never asked before. One command reruns it with a bigger model:
 *   OLLAMA_HOST=http://127.0.0.1:11434 npm run llm:report -- --model llama3.1:8b
 * Without OLLAMA_HOST it starts the embedded Ollama (workers/ollamaServer.ts) as `npm start` does.
 *
 * INTERFACE with the backtester: `reviewer` in the backtest options (BacktestOptions & ReviewHook below): the
 * backtester's validateTrades effect calls it with the cycle's input and market time and applies what it returns.
 * The script checks that the hook was called and stops with a clear error if the backtester in use ignores it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { panelOf, validateTrades, type AnswerCache, type CachedAnswer, type ValidateTradesInput } from '../activities/llm';
import { runBacktest, strategySelection, type BacktestOptions, type BacktestResult, type ClosedTrade } from '../backtest';
import { diskAnswerCache } from '../backtest/llmCache';
import { EMBEDDED_LLM_MODEL, defaultConfig, type LlmPolicy } from '../domain/config';
import type { LlmVerdict } from '../domain/types';
import { BUNDLED_MODELFILE, ensureOllama, importModel, ollamaUrl } from '../workers/ollamaServer';
import { PROJECT_ROOT } from '../workers/temporalServer';

export type Reviewer = (input: ValidateTradesInput, now: number) => Promise<LlmVerdict[]>;
export interface ReviewHook {
  reviewer?: Reviewer;
}

interface Recorded {
  symbol: string;
  time: number;
  verdict: LlmVerdict;
}

/**
 * The backtester's answer cache on disk (backtest/llmCache.ts: one file per answer, written atomically), in the
 * directory `--llm ollama` uses, so the report and a backtest share what the model answered. It remembers which
 * answers this run used, new or cached: their latencies (as first asked) are the report's.
 */
export function reportAnswerCache(dir: string): AnswerCache & { size(): number; used(): CachedAnswer[]; asked(): number } {
  const disk = diskAnswerCache(dir);
  const used = new Map<string, CachedAnswer>();
  return {
    async get(key) {
      const answer = await disk.get(key);
      if (answer) used.set(key, answer);
      return answer;
    },
    async set(key, answer) {
      await disk.set(key, answer);
      used.set(key, answer);
    },
    size: () => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.json')).length : 0),
    used: () => [...used.values()],
    asked: () => disk.stored,
  };
}

/** Two-sided Fisher exact test of a 2x2 table (wins and losses of two groups): could chance alone split them so? */
export function fisherExact(aWins: number, aLosses: number, bWins: number, bLosses: number): number {
  const logFactorial = (n: number) => { let s = 0; for (let i = 2; i <= n; i++) s += Math.log(i); return s; };
  const rows = [aWins + aLosses, bWins + bLosses];
  const wins = aWins + bWins;
  const n = rows[0] + rows[1];
  const p = (x: number) => Math.exp(
    logFactorial(rows[0]) + logFactorial(rows[1]) + logFactorial(wins) + logFactorial(n - wins)
    - logFactorial(x) - logFactorial(rows[0] - x) - logFactorial(wins - x) - logFactorial(rows[1] - wins + x) - logFactorial(n),
  );
  const observed = p(aWins);
  let total = 0;
  for (let x = Math.max(0, wins - rows[1]); x <= Math.min(wins, rows[0]); x++) if (p(x) <= observed * (1 + 1e-9)) total += p(x);
  return Math.min(1, total);
}

function reviewer(policy: LlmPolicy, cache: AnswerCache, record: Recorded[], apply: boolean): Reviewer {
  return async (input, now) => {
    const verdicts = await validateTrades({ ...input, policy }, { cache });
    for (const verdict of verdicts) record.push({ symbol: verdict.symbol, time: now, verdict });
    if (apply) return verdicts;
    // Shadow: recorded, not applied. The trade goes ahead as without an LLM.
    return input.proposals.map((p) => ({ symbol: p.symbol, approve: true, confidence: 1, reason: 'shadow: not applied', model: 'none', fallback: false, sizeMultiplier: 1, latencyMs: 0 }));
  };
}

async function backtest(options: BacktestOptions, review?: Reviewer): Promise<BacktestResult> {
  let called = 0;
  const hook: ReviewHook = review ? { reviewer: (input, now) => ((called += 1), review(input, now)) } : {};
  const result = await runBacktest({ ...options, ...hook } as BacktestOptions);
  const reviewed = result.decisions.some((d) => d.decisions.some((x) => x.rules.some((r) => r.rule === 'llm-verdict')));
  if (review && reviewed && called === 0) {
    throw new Error('the backtester ignored the `reviewer` hook (backtest/effects.ts validateTrades): no LLM verdict was asked');
  }
  return result;
}

/** The verdict on the proposal that opened a trade: the latest one on its symbol at or before the entry fill. */
function verdictOf(trade: ClosedTrade, recorded: Recorded[]): LlmVerdict | undefined {
  let found: Recorded | undefined;
  for (const r of recorded) if (r.symbol === trade.symbol && r.time <= trade.entryTime && (!found || r.time >= found.time)) found = r;
  return found?.verdict;
}

interface Group {
  trades: number;
  hitRate: number;
  meanReturn: number;
  pnl: number;
}

function group(trades: ClosedTrade[]): Group {
  const n = trades.length;
  return {
    trades: n,
    hitRate: n ? trades.filter((t) => t.pnl > 0).length / n : NaN,
    meanReturn: n ? trades.reduce((s, t) => s + t.returnPct, 0) / n : NaN,
    pnl: trades.reduce((s, t) => s + t.pnl, 0),
  };
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** The figures in one sentence, so the report says plainly whether the review helped. */
function reading(approved: Group, rejected: Group, baseline: BacktestResult, gated: BacktestResult): string {
  const wins = (g: Group) => Math.round(g.hitRate * g.trades);
  const p = approved.trades > 0 && rejected.trades > 0
    ? fisherExact(wins(approved), approved.trades - wins(approved), wins(rejected), rejected.trades - wins(rejected))
    : NaN;
  const chance = p < 0.05
    ? `a split chance alone would give in ${pct(p)} of cases (Fisher exact test)`
    : `but chance alone would split ${approved.trades + rejected.trades} trades this much in ${pct(p)} of cases (Fisher exact test): not evidence of skill at this sample size`;
  const separates = approved.trades > 0 && rejected.trades > 0
    ? `The trades it approved hit ${pct(approved.hitRate)} and returned ${pct(approved.meanReturn)} each on average, those it rejected ${pct(rejected.hitRate)} and ${pct(rejected.meanReturn)}, ${chance}`
    : `It ${rejected.trades === 0 ? 'rejected none' : 'approved none'} of the ${approved.trades + rejected.trades} reviewed trades, so it cannot separate good trades from bad ones here`;
  const delta = gated.metrics.totalReturn - baseline.metrics.totalReturn;
  const verdict = Math.abs(delta) < 0.005 && Math.abs(gated.metrics.maxDrawdown - baseline.metrics.maxDrawdown) < 0.005
    ? 'applying it changed neither return nor drawdown: over this period the LLM adds nothing'
    : `applying it ${delta >= 0 ? 'raised' : 'lowered'} the total return by ${pct(Math.abs(delta))} (${pct(baseline.metrics.totalReturn)} → ${pct(gated.metrics.totalReturn)}) and moved the max drawdown from ${pct(baseline.metrics.maxDrawdown)} to ${pct(gated.metrics.maxDrawdown)}`;
  const fewer = baseline.metrics.totalReturn < 0 && gated.trades.length < baseline.trades.length
    ? ` The strategies lost money over this period, so any filter that trades less (here ${gated.trades.length} trades instead of ${baseline.trades.length}) loses less: the split above, not this, is the test of the review.`
    : '';
  return `**Reading.** ${separates}; ${verdict}.${fewer}`;
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '–');
const money = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');

async function main(): Promise<void> {
  const opts = new Command('llm-report')
    .option('--model <name>', 'the model to review with', EMBEDDED_LLM_MODEL)
    .option('--from <date>', 'first day (UTC); default: the start of the signal model\'s test window', '2023-07-01')
    .option('--to <date>', 'last day (UTC); four months keep a rerun with the 135M model near half an hour', '2023-10-31')
    .option('--symbols <list>', 'symbols', 'BTC/USDT,ETH/USDT,SOL/USDT')
    .option('--strategy <list>', 'strategies whose proposals the LLM reviews (ML-gated)', 'momentum,breakout,swing')
    .option('--timeout-ms <ms>', 'budget of one question', '60000')
    .option('--out <file>', 'where the report goes', path.join(PROJECT_ROOT, 'models/LLM_REPORT.md'))
    .parse(process.argv)
    .opts();

  const embedded = process.env.OLLAMA_HOST ? undefined : await ensureOllama((line) => console.log(line));
  try {
    if (embedded && opts.model === EMBEDDED_LLM_MODEL) await importModel(embedded.url, EMBEDDED_LLM_MODEL, BUNDLED_MODELFILE);
    const policy: LlmPolicy = { ...defaultConfig().llm, model: opts.model, timeoutMs: Number(opts.timeoutMs), fallback: 'reject' };
    const cache = reportAnswerCache(path.join(PROJECT_ROOT, 'data/llm-cache'));
    const options: BacktestOptions = {
      dataDir: path.resolve(PROJECT_ROOT, '../shared/data/ohlcv'), symbols: String(opts.symbols).split(','), timeframe: '1h',
      from: opts.from, to: opts.to, strategies: strategySelection(String(opts.strategy).split(',')), ml: true, verdicts: 'approve',
    };

    const startedAt = Date.now();
    const baseline = await backtest(options);
    const shadowed: Recorded[] = [];
    const shadow = await backtest(options, reviewer(policy, cache, shadowed, false));
    const gatedVerdicts: Recorded[] = [];
    const gated = await backtest(options, reviewer(policy, cache, gatedVerdicts, true));
    const seconds = (Date.now() - startedAt) / 1000;

    const approved = shadow.trades.filter((t) => verdictOf(t, shadowed)?.approve === true);
    const rejected = shadow.trades.filter((t) => verdictOf(t, shadowed)?.approve === false);
    const unreviewed = shadow.trades.length - approved.length - rejected.length;
    const votes = [...shadowed, ...gatedVerdicts].flatMap((r) => r.verdict.models ?? []);
    const answered = votes.filter((v) => !v.fallback);
    const latencies = cache.used().map((a) => a.latencyMs);

    const rows = [
      ['no LLM (every trade approved)', group(baseline.trades), baseline],
      ['  of which the LLM approved (shadow)', group(approved)],
      ['  of which the LLM rejected (shadow)', group(rejected)],
      ['LLM applied (rejections skipped)', group(gated.trades), gated],
    ] as const;
    const lines = [
      `# LLM review report: \`${opts.model}\``,
      '',
      `Written by \`npm run llm:report\` (scripts/llm-report.ts); do not edit. Period ${opts.from} → ${opts.to}, ${options.symbols.join(', ')}, 1h, strategies ${opts.strategy} with the signal model's gate: out of sample for the signal model (its test window, models/REPORT.md); the LLM was never fitted to anything. Prompt \`${shadowed[0]?.verdict.prompt?.version ?? '–'}\`, temperature ${shadowed[0]?.verdict.prompt?.temperature ?? '–'}, seed ${shadowed[0]?.verdict.prompt?.seed ?? '–'}, at most ${shadowed[0]?.verdict.prompt?.numPredict ?? '–'} tokens; ${panelOf(policy).map((m) => m.model).join(', ')} at ${ollamaUrl().origin}.`,
      '',
      '| run | trades | hit rate | mean return per trade | net PnL | total return | max drawdown |',
      '|---|---|---|---|---|---|---|',
      ...rows.map(([label, g, run]) => `| ${label} | ${g.trades} | ${pct(g.hitRate)} | ${pct(g.meanReturn)} | ${money(g.pnl)} | ${run ? pct(run.metrics.totalReturn) : ''} | ${run ? pct(run.metrics.maxDrawdown) : ''} |`),
      '',
      `Trades whose entry had no verdict (none asked: e.g. a top-up): ${unreviewed}.`,
      '',
      reading(group(approved), group(rejected), baseline, gated),
      '',
      '## The verdicts',
      '',
      `- questions answered: ${answered.length} of ${votes.length} (**parse rate ${pct(votes.length ? answered.length / votes.length : NaN)}**; the rest fell back: ${[...new Set(votes.filter((v) => v.fallback).map((v) => v.fallbackReason?.split(':')[0]))].join(', ') || 'none'})`,
      `- approvals: ${pct(answered.length ? answered.filter((v) => v.approve).length / answered.length : NaN)} of the answers; distinct reasons: ${new Set(answered.map((v) => v.reason)).size}`,
      `- latency per answer, as first asked: median ${Math.round(quantile(latencies, 0.5))} ms, 90th percentile ${Math.round(quantile(latencies, 0.9))} ms over the ${latencies.length} distinct questions of these runs (${cache.asked()} asked by this run, the rest read from the cache); measured on the shared two-core development machine, busy with other work, one thread for the model`,
      `- this run took ${seconds.toFixed(0)} s; answers in the cache: ${cache.size()}`,
      '',
    ];
    fs.writeFileSync(opts.out, lines.join('\n'));
    console.log(lines.join('\n'));
  } finally {
    await embedded?.stop();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
