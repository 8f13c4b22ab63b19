/**
 * The backtester's programmatic API. `runBacktest` = `loadBacktest` (files, checks, optional model signals) +
 * `runLoadedBacktest` (the engine alone), so a bench can time the engine without the loading.
 */
import { portfolioConfigSchema, type EntryOrders, type PortfolioConfig, type RiskPatch } from '../domain/config';
import { ConfigInputError, portfolioConfigFrom } from '../domain/configInput';
import {
  describeStrategyConfigErrors, strategyConfigSchema, warmupCandles, type StrategyConfig, type StrategyConfigInput, type StrategyName,
} from '../domain/strategies';
import { BacktestInputError, checkRequest, loadBacktestData, parseTime, prepareData, type BacktestData } from './data';
import type { PrecomputedSignals, VerdictPolicy } from './effects';
import { diskAnswerCache, type CountingCache } from './llmCache';
import { engine } from './compiled';
import { precomputeModelSignals } from './signals';
import { readManifest, resolveModelDir } from '../activities/modelRegistry';
import { exchangeFeeSchedule } from '../activities/execution/paperFees';
import { displayHost, ollamaHost } from '../activities/llm/ollamaChat';
import type { EngineSettings } from './engine';
import type { BacktestResult } from './types';

export type { BacktestResult, ClosedTrade, Metrics, EquityPoint } from './types';
export { BacktestInputError } from './data';
export { strategySelection } from '../domain/strategies';

export interface BacktestOptions {
  dataDir: string;
  symbols: string[];
  timeframe: string;
  /** `YYYY-MM-DD` (UTC), an ISO date-time, or ms. A date alone as `to` includes that whole day. */
  from: string | number;
  to: string | number;
  /**
   * The portfolio configuration to backtest, as `tradectl start --config` reads it (any field left out takes its
   * default); its market becomes `replay:<dataDir>` and its mode paper. Absent: the default portfolio.
   */
  config?: Record<string, unknown>;
  /**
   * The strategy engine's configuration (validated with its defaults); see `strategySelection`. Absent: the
   * configuration's own strategies, and without them the portfolio trades the model's signals, as `npm start` does.
   */
  strategies?: StrategyConfigInput;
  cash?: number;
  /** Paper costs: fee per fill (fraction) and half-spread in basis points. */
  feeRate?: number;
  slippageBps?: number;
  /**
   * The signal model's signals for the strategies' ML gate. Off by default. The features are 1h: on another timeframe
   * each decision reads the row of the last hour closed at it (5m: the backtest's candles aggregated into hours).
   */
  ml?: boolean;
  /**
   * The LLM stage: approve everything at full size (the API's default), apply the portfolio's fallback policy
   * (`tradectl backtest`'s default), or ask the model at OLLAMA_HOST with its verdicts cached on disk by prompt hash.
   */
  verdicts?: VerdictPolicy;
  /** `verdicts: 'ollama'`: where its answers are cached (default data/llm-cache). */
  llmCacheDir?: string;
  /** Reviews the proposals in place of `verdicts`, at market time (scripts/llm-report.ts asks the LLM with it). */
  reviewer?: EngineSettings['reviewer'];
  risk?: RiskPatch;
  orders?: EntryOrders;
  /** Candles per cycle; default the portfolio's, raised to what the strategies need. */
  candleLimit?: number;
  /** Keep every cycle's decisions in the result (default true). */
  keepDecisions?: boolean;
}

/**
 * Signals over the served model's own development window (what it was fitted, calibrated and chosen on) are in
 * sample: the report says so, with the date from which they are out of sample.
 */
function inSampleWarning(from: number): string[] {
  const manifest = readManifest(resolveModelDir()) as unknown as { version: string; windows?: { development?: { to: string }; test?: { from: string } } };
  const developedTo = Date.parse(manifest.windows?.development?.to ?? '');
  if (!(from <= developedTo)) return [];
  return [`the model ${manifest.version} was fitted and chosen on data up to ${manifest.windows!.development!.to}: its signals before then are IN SAMPLE; out of sample from ${manifest.windows?.test?.from ?? 'after it'}`];
}

export interface LoadedBacktest {
  data: BacktestData;
  config: PortfolioConfig;
  signals?: PrecomputedSignals;
  verdicts: VerdictPolicy;
  llmCache?: CountingCache;
  reviewer?: EngineSettings['reviewer'];
  keepDecisions: boolean;
  settings: Record<string, unknown>;
  /** Said at the top of the report (in-sample model signals). */
  warnings?: string[];
}

export function parseStrategies(input: StrategyConfigInput): StrategyConfig {
  const parsed = strategyConfigSchema.safeParse(input);
  if (!parsed.success) throw new BacktestInputError(`strategy parameters: ${describeStrategyConfigErrors(parsed.error)}`);
  return parsed.data;
}

/** The strategies a backtest trades: the options', else the configuration's, else none (the model's signals). */
function chosenStrategies(options: BacktestOptions): StrategyConfig | undefined {
  const input = options.strategies ?? (options.config?.strategies as StrategyConfigInput | undefined);
  return input === undefined || input === null ? undefined : parseStrategies(input);
}

/**
 * The portfolio configuration a backtest runs with: the configuration given (or the default portfolio), its market
 * `replay:<dataDir>`, paper, and the options over it.
 */
export function backtestConfig(options: BacktestOptions, strategies: StrategyConfig | undefined): PortfolioConfig {
  let base: PortfolioConfig;
  try {
    const { strategies: _fromFile, ...rest } = options.config ?? {};
    base = portfolioConfigFrom({ ...rest, portfolioId: 'backtest', mode: 'paper', market: `replay:${options.dataDir}` }, {}, 'configuration');
  } catch (err) {
    throw new BacktestInputError(err instanceof ConfigInputError ? err.message : String(err));
  }
  const timeframe = options.timeframe as PortfolioConfig['timeframe'];
  const need = strategies ? warmupCandles(strategies, timeframe) : 0;
  const most = portfolioConfigSchema.innerType().shape.candleLimit.maxValue ?? Infinity;
  if (need > most) {
    // The live cycle could not fetch that much history, so such a portfolio could not run: refuse to backtest it.
    throw new BacktestInputError(
      `strategy parameters: the enabled strategies need ${need} ${options.timeframe} candles of history per cycle, more than a cycle may fetch (${most}); ` +
        'shorten their windows, use a longer timeframe, or turn the regime and breaker off (--params \'{"regime":{"enabled":false},"breaker":{"enabled":false}}\')',
    );
  }
  const candleLimit = options.candleLimit ?? Math.max(base.candleLimit, need);
  try {
    return portfolioConfigFrom(base as unknown as Record<string, unknown>, {
      symbols: options.symbols, timeframe, candleLimit,
      ...(options.cash !== undefined && { initialCash: options.cash }),
      paper: { ...(options.feeRate !== undefined && { feeRate: options.feeRate }), ...(options.slippageBps !== undefined && { slippageBps: options.slippageBps }) },
      ...(options.risk && { risk: options.risk }),
      ...(options.orders && { orders: options.orders }),
      ...(strategies && { strategies }),
    }, 'configuration');
  } catch (err) {
    throw new BacktestInputError(err instanceof ConfigInputError ? err.message : String(err));
  }
}

export async function loadBacktest(options: BacktestOptions): Promise<LoadedBacktest> {
  const from = parseTime(options.from, 'from');
  const to = parseTime(options.to, 'to', true);
  const request = { dataDir: options.dataDir, symbols: options.symbols, timeframe: options.timeframe, from, to };
  checkRequest(request);
  const config = backtestConfig(options, chosenStrategies(options));
  const data = await loadBacktestData(request);
  // A portfolio without strategies trades the model's signals: they are part of the configuration, not an option.
  const signals = options.ml || !config.strategies ? await precomputeModelSignals(data) : undefined;
  const warnings = signals ? inSampleWarning(data.from) : [];
  return withConfig({ data, config, signals, verdicts: 'approve', keepDecisions: true, settings: {}, warnings }, options);
}

/** The same loaded candles (and model signals) under another configuration: a parameter search's next candidate. */
export function withConfig(loaded: LoadedBacktest, options: BacktestOptions): LoadedBacktest {
  const config = backtestConfig(options, chosenStrategies(options));
  const verdicts = options.verdicts ?? 'approve';
  const { data } = loaded;
  const llmCache = verdicts === 'ollama' ? loaded.llmCache ?? diskAnswerCache(options.llmCacheDir ?? 'data/llm-cache') : undefined;
  return {
    ...loaded, config, verdicts, reviewer: options.reviewer, keepDecisions: options.keepDecisions ?? true, ...(llmCache && { llmCache }),
    settings: {
      dataDir: options.dataDir, symbols: options.symbols, timeframe: options.timeframe, from: new Date(data.from).toISOString(), to: new Date(data.to).toISOString(),
      ml: Boolean(loaded.signals), verdicts, config,
      ...(verdicts === 'ollama' && { llm: { host: displayHost(ollamaHost()), model: config.llm.model, cacheDir: options.llmCacheDir ?? 'data/llm-cache' } }),
    },
  };
}

export function runLoadedBacktest(loaded: LoadedBacktest, options: { skipQuietCycles?: boolean } = {}): Promise<BacktestResult> {
  return engine().runEngine(loaded.data, {
    ...options,
    config: loaded.config, verdicts: loaded.verdicts, reviewer: loaded.reviewer, signals: loaded.signals, keepDecisions: loaded.keepDecisions, settings: loaded.settings,
    ...(loaded.llmCache && { llmCache: loaded.llmCache }),
    ...(loaded.verdicts === 'ollama' && {
      // The LLM activity's own function, loaded only when asked for: the engine's bundle holds no LLM client.
      askLlm: async (input) => (await import('../activities/llm')).validateTrades(input, { cache: loaded.llmCache }),
    }),
    exchangeFees: exchangeFeeSchedule,
    ...(loaded.warnings?.length && { warnings: loaded.warnings }),
  });
}

export async function runBacktest(options: BacktestOptions): Promise<BacktestResult> {
  return runLoadedBacktest(await loadBacktest(options));
}

/** Re-slices already loaded data to another range (walk-forward windows) without reading files again. */
export function withRange(loaded: LoadedBacktest, from: number, to: number): LoadedBacktest {
  const data = prepareData({ ...loaded.data, from, to }, loaded.data.series);
  return { ...loaded, data, settings: { ...loaded.settings, from: new Date(from).toISOString(), to: new Date(to).toISOString() } };
}
