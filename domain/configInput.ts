/**
 * A portfolio configuration from partial input (a --config file, the command line's flags): any field may be left
 * out and takes the default of ./config.ts, nested sections (risk, llm, paper, orders) merge field by field, the
 * strategies section takes the strategy engine's defaults, and the whole is validated by the one schema. Pure: the
 * CLI's `start` and `backtest` and the backtester build their configuration with it alike.
 */
import { checkConfig, DEFAULT_ENTRY_ORDERS, defaultConfig, TIMEFRAMES, type PortfolioConfig } from './config';
import { describeStrategyConfigErrors, strategyConfigSchema, warmupCandles } from './strategies';

/** Bad configuration input: the message names the source and the field. */
export class ConfigInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigInputError';
  }
}

type Section = Record<string, unknown>;
const isSection = (v: unknown): v is Section => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A configuration from partial input: the defaults of a `mode` portfolio with `input` merged over them, then any
 * `overrides` (the command line's flags) over that. Throws ConfigInputError naming `source` and the field.
 */
export function portfolioConfigFrom(input: Section, overrides: Section = {}, source = 'configuration'): PortfolioConfig {
  const merged = mergeSections(mergeSections({}, input), overrides);
  const mode = merged.mode === 'live' ? 'live' : 'paper';
  const base = defaultConfig({ mode, ...(typeof merged.portfolioId === 'string' && { portfolioId: merged.portfolioId }) }) as unknown as Section;
  const candidate = mergeSections(base, merged);
  if (isSection(candidate.orders)) candidate.orders = { ...DEFAULT_ENTRY_ORDERS, ...candidate.orders };
  if (candidate.strategies !== undefined && candidate.strategies !== null) {
    const strategies = strategyConfigSchema.safeParse(candidate.strategies);
    if (!strategies.success) throw new ConfigInputError(`${source}: strategies: ${describeStrategyConfigErrors(strategies.error)}`);
    candidate.strategies = strategies.data;
    // As many candles per cycle as the strategies read, unless the input says how many (then it is checked).
    const timeframe = String(candidate.timeframe);
    if (merged.candleLimit === undefined && (TIMEFRAMES as readonly string[]).includes(timeframe)) {
      try {
        candidate.candleLimit = Math.max(Number(candidate.candleLimit), warmupCandles(strategies.data, timeframe));
      } catch {
        // A timeframe the strategies cannot resample: the schema below names it.
      }
    }
  } else {
    delete candidate.strategies;
  }
  const checked = checkConfig(candidate);
  if (!checked.ok) throw new ConfigInputError(`${source}: ${checked.reason}`);
  return checked.config;
}

/** `over` merged into `base`: objects (risk, risk.cooldowns, strategies.swing, ...) field by field, the rest replaced. */
export function mergeSections(base: Section, over: Section): Section {
  const out: Section = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    out[key] = isSection(value) && isSection(out[key]) ? mergeSections(out[key] as Section, value) : value;
  }
  return out;
}
