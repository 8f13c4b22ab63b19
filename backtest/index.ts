/**
 * The backtester's programmatic API. `runBacktest` = `loadBacktest` (files, checks, optional model signals) +
 * `runLoadedBacktest` (the engine alone), so a bench can time the engine without the loading.
 */
import { checkConfig, defaultConfig, portfolioConfigSchema, type EntryOrders, type PortfolioConfig, type RiskPatch } from '../domain/config';
import {
  describeStrategyConfigErrors, strategyConfigSchema, warmupCandles, type StrategyConfig, type StrategyConfigInput, type StrategyName,
} from '../domain/strategies';
import { BacktestInputError, checkRequest, loadBacktestData, parseTime, prepareData, type BacktestData } from './data';
import type { PrecomputedSignals, VerdictPolicy } from './effects';
import { engine } from './compiled';
import { precomputeModelSignals } from './signals';
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
  /** The strategy engine's configuration (validated with its defaults); see `strategySelection`. */
  strategies: StrategyConfigInput;
  cash?: number;
  /** Paper costs: fee per fill (fraction) and half-spread in basis points. */
  feeRate?: number;
  slippageBps?: number;
  /**
   * The signal model's signals for the strategies' ML gate. Off by default. The features are 1h: on another timeframe
   * each decision reads the row of the last hour closed at it (5m: the backtest's candles aggregated into hours).
   */
  ml?: boolean;
  /** In place of the LLM: approve everything at full size (default), or apply the portfolio's fallback policy. */
  verdicts?: VerdictPolicy;
  /** Reviews the proposals in place of `verdicts`, at market time (scripts/llm-report.ts asks the LLM with it). */
  reviewer?: EngineSettings['reviewer'];
  risk?: RiskPatch;
  orders?: EntryOrders;
  /** Candles per cycle; default the portfolio's, raised to what the strategies need. */
  candleLimit?: number;
  /** Keep every cycle's decisions in the result (default true). */
  keepDecisions?: boolean;
}

export interface LoadedBacktest {
  data: BacktestData;
  config: PortfolioConfig;
  signals?: PrecomputedSignals;
  verdicts: VerdictPolicy;
  reviewer?: EngineSettings['reviewer'];
  keepDecisions: boolean;
  settings: Record<string, unknown>;
}

export function parseStrategies(input: StrategyConfigInput): StrategyConfig {
  const parsed = strategyConfigSchema.safeParse(input);
  if (!parsed.success) throw new BacktestInputError(`strategy parameters: ${describeStrategyConfigErrors(parsed.error)}`);
  return parsed.data;
}

/** The portfolio configuration a backtest runs with: the defaults, the market `replay:<dataDir>`, the options. */
export function backtestConfig(options: BacktestOptions, strategies: StrategyConfig): PortfolioConfig {
  const base = defaultConfig({ portfolioId: 'backtest', market: `replay:${options.dataDir}` });
  const need = warmupCandles(strategies, options.timeframe);
  const most = portfolioConfigSchema.innerType().shape.candleLimit.maxValue ?? Infinity;
  if (need > most) {
    // The live cycle could not fetch that much history, so such a portfolio could not run: refuse to backtest it.
    throw new BacktestInputError(
      `strategy parameters: the enabled strategies need ${need} ${options.timeframe} candles of history per cycle, more than a cycle may fetch (${most}); ` +
        'shorten their windows, use a longer timeframe, or turn the regime and breaker off (--params \'{"regime":{"enabled":false},"breaker":{"enabled":false}}\')',
    );
  }
  const candleLimit = options.candleLimit ?? Math.max(base.candleLimit, need);
  const candidate: PortfolioConfig = {
    ...base,
    symbols: options.symbols,
    timeframe: options.timeframe as PortfolioConfig['timeframe'],
    candleLimit,
    initialCash: options.cash ?? base.initialCash,
    paper: { feeRate: options.feeRate ?? base.paper.feeRate, slippageBps: options.slippageBps ?? base.paper.slippageBps },
    risk: { ...base.risk, ...options.risk, cooldowns: { ...base.risk.cooldowns, ...options.risk?.cooldowns } } as PortfolioConfig['risk'],
    ...(options.orders && { orders: options.orders }),
    strategies,
  };
  const checked = checkConfig(candidate);
  if (!checked.ok) throw new BacktestInputError(`configuration: ${checked.reason}`);
  return checked.config;
}

export async function loadBacktest(options: BacktestOptions): Promise<LoadedBacktest> {
  const from = parseTime(options.from, 'from');
  const to = parseTime(options.to, 'to', true);
  const request = { dataDir: options.dataDir, symbols: options.symbols, timeframe: options.timeframe, from, to };
  checkRequest(request);
  const config = backtestConfig(options, parseStrategies(options.strategies));
  const data = await loadBacktestData(request);
  const signals = options.ml ? await precomputeModelSignals(data) : undefined;
  return withConfig({ data, config, signals, verdicts: 'approve', keepDecisions: true, settings: {} }, options);
}

/** The same loaded candles (and model signals) under another configuration: a parameter search's next candidate. */
export function withConfig(loaded: LoadedBacktest, options: BacktestOptions): LoadedBacktest {
  const config = backtestConfig(options, parseStrategies(options.strategies));
  const verdicts = options.verdicts ?? 'approve';
  const { data } = loaded;
  return {
    ...loaded, config, verdicts, reviewer: options.reviewer, keepDecisions: options.keepDecisions ?? true,
    settings: {
      dataDir: options.dataDir, symbols: options.symbols, timeframe: options.timeframe, from: new Date(data.from).toISOString(), to: new Date(data.to).toISOString(),
      ml: Boolean(options.ml), verdicts, config,
    },
  };
}

export function runLoadedBacktest(loaded: LoadedBacktest, options: { skipQuietCycles?: boolean } = {}): Promise<BacktestResult> {
  return engine().runEngine(loaded.data, {
    ...options,
    config: loaded.config, verdicts: loaded.verdicts, reviewer: loaded.reviewer, signals: loaded.signals, keepDecisions: loaded.keepDecisions, settings: loaded.settings,
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
