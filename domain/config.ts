/**
 * Portfolio configuration: one zod schema validates it at start (CLI, `npm start`) and inside the
 * portfolio workflow's `setConfig` validator, so a bad value is refused with the same reason everywhere.
 * zod is pure JavaScript with no I/O, so it is safe inside the workflow sandbox.
 */
import { z } from 'zod';
import { fraction, positiveFraction } from './fractions';
import { strategyConfigSchema, type StrategyConfigInput } from './strategies/config';
import { warmupCandles } from './strategies/market';
import { REFERENCE_SYMBOL } from './referenceMarket';

export const SYMBOL_PATTERN = /^[A-Z0-9]{2,12}\/[A-Z0-9]{2,12}$/;
const MARKET_PATTERN = /^(live:[a-z0-9]+|replay:.+|sim(:\d+)?)$/;
/** Longest name (a model) and market spec (a replay directory) a configuration may carry. */
export const MAX_NAME_CHARS = 200;
export const MAX_MARKET_CHARS = 500;
export const TIMEFRAMES = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;

/**
 * Most candles a cycle may fetch per symbol: enough for the default regime detector and breaker on 1m candles of
 * one symbol; exchanges serve them in several calls (activities/market/ccxtSource.ts pages with `since`).
 */
export const MAX_CANDLE_LIMIT = 20_000;
/**
 * Most candles one market-data result may carry, over every symbol fetched (the traded ones plus BTC/USDT, the
 * model's reference): the result is one Temporal payload, limited to 2 MB by default, and a candle takes 50 to 90
 * bytes of JSON.
 */
export const MAX_CANDLES_PER_CYCLE = 25_000;

/** The symbols a cycle fetches: the traded ones, plus the model's reference market when it is not traded. */
export const fetchedSymbolCount = (symbols: readonly string[]): number => symbols.length + (symbols.includes(REFERENCE_SYMBOL) ? 0 : 1);

const hours = (h: number) => h * 3_600_000;

export const cooldownSchema = z
  .object({
    /** After a buy on a symbol, no new buy on it for this long (a durable timer), ms. */
    buyMs: z.number().int().min(0).max(hours(24 * 30)),
    /** After a sell, no new sell on it for this long, ms (protective exits are never held back). */
    sellMs: z.number().int().min(0).max(hours(24 * 30)),
    /** After an entry, a signal exit waits this long: a minimum holding period, ms. */
    holdMs: z.number().int().min(0).max(hours(24 * 30)),
    /** A move of the price by more than this fraction since the cooldown began lifts it early. */
    overrideMove: z.number().gt(0).max(1),
  })
  .strict();

export const riskLimitsSchema = z
  .object({
    maxAssetWeight: positiveFraction,
    maxTotalExposure: positiveFraction,
    /** Cash that buys never spend, as a fraction of equity. */
    cashBuffer: fraction,
    maxConcurrentPositions: z.number().int().min(1).max(100),
    /** Largest single order, in quote currency. */
    maxTradeNotional: z.number().positive(),
    /** Largest sum of order notionals in one UTC day, in quote currency. */
    maxDailyNotional: z.number().positive(),
    minOrderNotional: z.number().min(0),
    minConfidence: fraction,
    dailyLossLimit: positiveFraction,
    /** Equity this far below its peak halts the portfolio until a human resumes it. */
    maxDrawdown: positiveFraction,
    /** Whether a drawdown halt also sells every position (open orders are always cancelled). */
    liquidateOnDrawdown: z.boolean(),
    /** Correlation of returns with a held position above which a new entry is halved... */
    correlationLimit: fraction,
    /** ...and above which it is refused. */
    correlationRejectAbove: fraction,
    correlationWindowDays: z.number().int().min(2).max(365),
    /** Sum over positions of (price - stop) x quantity, as a fraction of equity. */
    maxPortfolioHeat: positiveFraction,
    /** Equity put at risk to the stop by one entry, for ATR sizing. */
    riskPerTrade: positiveFraction,
    stopAtrMultiple: z.number().gt(0).max(20),
    trailingAtrMultiple: z.number().gt(0).max(20),
    rewardToRisk: z.number().gt(0).max(20),
    /** Share of the Kelly fraction used (0.5 = half-Kelly) and the cap on the result. */
    kellyFraction: positiveFraction,
    kellyCap: positiveFraction,
    /**
     * Whether Kelly sizes entries at all. Off, sizes come from weight and stop distance alone: for a strategy that
     * claims no edge (confidence 0.5 without levels, e.g. an SMA crossover), which Kelly would size to nothing.
     */
    kellySizing: z.boolean(),
    /** Positions above this weight are trimmed back to maxAssetWeight. */
    trimAbove: positiveFraction,
    /** Held positions below target are topped up only while cash stays above this share of equity. */
    deployCashAbove: fraction,
    cooldowns: cooldownSchema,
    /** Start of the trading day relative to 00:00 UTC, ms (0 = UTC midnight): when daily limits reset. */
    tradingDayOffsetMs: z.number().int().min(0).lt(hours(24)),
  })
  .strict()
  .superRefine((r, ctx) => {
    const rule = (ok: boolean, path: string, message: string) => ok || ctx.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });
    rule(r.maxAssetWeight <= r.maxTotalExposure, 'maxAssetWeight', 'cannot exceed maxTotalExposure');
    rule(r.maxTotalExposure + r.cashBuffer <= 1, 'cashBuffer', 'maxTotalExposure + cashBuffer cannot exceed 1');
    rule(r.trimAbove >= r.maxAssetWeight, 'trimAbove', 'must be at least maxAssetWeight');
    rule(r.correlationRejectAbove >= r.correlationLimit, 'correlationRejectAbove', 'must be at least correlationLimit');
    rule(r.maxTradeNotional <= r.maxDailyNotional, 'maxTradeNotional', 'cannot exceed maxDailyNotional');
  });

/** The model `npm ci` installs and `npm start` serves from the embedded Ollama (scripts/install-ollama.sh). */
export const EMBEDDED_LLM_MODEL = 'smollm2:135m';
/** Most models one proposal may be put to: each is asked at once, and a CPU serves them side by side. */
export const MAX_LLM_MODELS = 8;

/** One member of the LLM panel: a model served by Ollama and the weight of its vote under `weighted`. */
export const llmModelSchema = z
  .object({
    /** An ollama model name (name:tag): bounded, as every string the workflow state carries (domain/stateBudget.ts). */
    model: z.string().min(1).max(MAX_NAME_CHARS, `at most ${MAX_NAME_CHARS} characters`),
    weight: z.number().gt(0).max(100).optional(),
  })
  .strict();

/**
 * The sampling options every question is asked with; fixed, so an answer can be reproduced, and recorded with it.
 * numPredict caps the answer's tokens: a verdict is ~40, and a small model can pad forever.
 */
export const llmSamplingSchema = z
  .object({
    temperature: z.number().min(0).max(2).optional(),
    seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
    numPredict: z.number().int().min(16).max(4096).optional(),
  })
  .strict();

export const llmPolicySchema = z
  .object({
    /** The model asked when `models` is absent; bounded like every string of the workflow state. */
    model: z.string().min(1).max(MAX_NAME_CHARS, `at most ${MAX_NAME_CHARS} characters`),
    /** Budget of one question (all models are asked at once, each within it), ms. */
    timeoutMs: z.number().int().min(100).max(600_000),
    /**
     * What happens when the LLM is unreachable, too slow or answers garbage:
     * `reject` skips the trade, `approve-reduced` lets it through at half size, `approve` at full size.
     * With several models, a model that fails votes as its fallback.
     */
    fallback: z.enum(['reject', 'approve-reduced', 'approve']),
    /** A panel of models asked together, in place of `model` (domain/llmConsensus.ts). */
    models: z
      .array(llmModelSchema)
      .min(1)
      .max(MAX_LLM_MODELS, `at most ${MAX_LLM_MODELS} models`)
      .refine((m) => new Set(m.map((e) => e.model)).size === m.length, 'a model must not repeat')
      .optional(),
    /**
     * How the panel's votes combine (default `majority`): `any` approves when one model does, `majority` when more
     * than half do, `unanimous` when all do, `weighted` when the approving weight x confidence outweighs the rejecting.
     */
    consensus: z.enum(['any', 'majority', 'unanimous', 'weighted']).optional(),
    sampling: llmSamplingSchema.optional(),
  })
  .strict();

/** What each `llm.fallback` policy does to a trade the LLM could not review. */
export const FALLBACK_OUTCOME: Record<z.infer<typeof llmPolicySchema>['fallback'], { approve: boolean; sizeMultiplier: number }> = {
  reject: { approve: false, sizeMultiplier: 0 },
  'approve-reduced': { approve: true, sizeMultiplier: 0.5 },
  approve: { approve: true, sizeMultiplier: 1 },
};

export const paperSchema = z
  .object({
    /** Taker fee charged on every paper fill, as a fraction of notional. */
    feeRate: z.number().min(0).max(0.01),
    /** Slippage against the taker, in basis points of the fill price. */
    slippageBps: z.number().min(0).max(500),
    /**
     * The paper venue's minimum order notional, as an exchange has one (absent: 5, Binance's USDT minimum): a sell
     * under it is refused and the position becomes dust (domain/dust.ts), as it would live.
     */
    minNotional: z.number().min(0).optional(),
  })
  .strict();

/** How entries are placed (domain/cycle/restingOrders.ts); exits are always market orders. */
export const entryOrdersSchema = z
  .object({
    type: z.enum(['market', 'limit']),
    /** A limit buy rests this far under the decision price, in basis points. */
    offsetBps: z.number().min(0).max(500),
    /** A limit order still resting after this long is cancelled, ms (at least one minute, at most a week). */
    timeInForceMs: z.number().int().min(60_000).max(hours(24 * 7)),
    /**
     * `native`: every protected position's stop also rests on the exchange (or the paper book) as a stop order,
     * replaced as the trailing stop rises, so it fires even while this system is down; exchanges without stop
     * orders fall back to the emulation. `emulated` (the default): the cycle watches the candles and sells at market.
     */
    stops: z.enum(['emulated', 'native']).optional(),
  })
  .strict();

export const portfolioConfigSchema = z
  .object({
    portfolioId: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'use letters, digits, _ or - (1-64 chars)'),
    mode: z.enum(['paper', 'live']),
    market: z.string().max(MAX_MARKET_CHARS, `at most ${MAX_MARKET_CHARS} characters`).regex(MARKET_PATTERN, 'expected live:<exchange>, replay:<dir> or sim[:<seed>]'),
    symbols: z
      .array(z.string().regex(SYMBOL_PATTERN, 'expected BASE/QUOTE in capitals, e.g. BTC/USDT'))
      .min(1)
      .max(50)
      .refine((s) => new Set(s).size === s.length, 'symbols must not repeat'),
    timeframe: z.enum(TIMEFRAMES),
    /** Time between two cycles (a durable timer), ms. */
    intervalMs: z.number().int().min(1_000).max(7 * 24 * 3_600_000),
    /**
     * Candles fetched per symbol per cycle. On 1h they feed the model's features too, which need 359 (14 closed days
     * plus today); on another timeframe the cycle fetches the model's 1h candles apart.
     */
    candleLimit: z.number().int().min(60).max(MAX_CANDLE_LIMIT, `a cycle may fetch at most ${MAX_CANDLE_LIMIT} candles per symbol`),
    initialCash: z.number().positive(),
    risk: riskLimitsSchema,
    llm: llmPolicySchema,
    paper: paperSchema,
    /** Absent: entries are market orders. */
    orders: entryOrdersSchema.optional(),
    /** Absent: the model's signals drive entries and exits. Present: the strategy engine does (domain/strategies). */
    strategies: strategyConfigSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.mode === 'live' && !c.market.startsWith('live:')) {
      // Real orders are never decided on history: the execution worker refuses them too (and prices far from the exchange's).
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['market'], message: `live mode trades only on live:<exchange> market data, got '${c.market}'` });
    }
    const issue = (message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['candleLimit'], message });
    const fetched = fetchedSymbolCount(c.symbols);
    if (c.candleLimit <= MAX_CANDLE_LIMIT && c.candleLimit * fetched > MAX_CANDLES_PER_CYCLE) {
      issue(
        `${c.candleLimit} candles x ${fetched} symbols${fetched > c.symbols.length ? ` (${REFERENCE_SYMBOL} included for the model)` : ''} = ` +
          `${c.candleLimit * fetched} candles per cycle, more than one market-data result may carry (${MAX_CANDLES_PER_CYCLE}); ` +
          `lower candleLimit to at most ${Math.floor(MAX_CANDLES_PER_CYCLE / fetched)}, trade fewer symbols or use a longer timeframe`,
      );
    }
    if (!c.strategies) return;
    let need: number;
    try {
      need = warmupCandles(c.strategies, c.timeframe);
    } catch (err) {
      // A strategy timeframe the base timeframe cannot be resampled into: named, not thrown out of the validator.
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['strategies'], message: (err as Error).message });
      return;
    }
    if (need > MAX_CANDLE_LIMIT) {
      issue(`the enabled strategies need ${need} ${c.timeframe} candles, more than a cycle may fetch (${MAX_CANDLE_LIMIT}); shorten their windows, use a longer timeframe, or turn the regime and breaker off`);
    } else if (c.candleLimit < need) {
      issue(`the enabled strategies need ${need} ${c.timeframe} candles; raise candleLimit to at least that`);
    }
  });

export type RiskLimits = z.infer<typeof riskLimitsSchema>;
export type CooldownPolicy = z.infer<typeof cooldownSchema>;
export type LlmPolicy = z.infer<typeof llmPolicySchema>;
export type PortfolioConfig = z.infer<typeof portfolioConfigSchema>;
export type EntryOrders = z.infer<typeof entryOrdersSchema>;
export const DEFAULT_ENTRY_ORDERS: EntryOrders = { type: 'market', offsetBps: 10, timeInForceMs: 15 * 60_000 };

export const DEFAULT_RISK_LIMITS: RiskLimits = {
  maxAssetWeight: 0.2,
  maxTotalExposure: 0.8,
  cashBuffer: 0.05,
  maxConcurrentPositions: 5,
  maxTradeNotional: 5_000,
  maxDailyNotional: 25_000,
  minOrderNotional: 10,
  minConfidence: 0.45,
  dailyLossLimit: 0.05,
  maxDrawdown: 0.15,
  liquidateOnDrawdown: false,
  correlationLimit: 0.7,
  correlationRejectAbove: 0.9,
  correlationWindowDays: 30,
  maxPortfolioHeat: 0.15,
  riskPerTrade: 0.01,
  stopAtrMultiple: 2.5,
  trailingAtrMultiple: 2.5,
  rewardToRisk: 2,
  kellyFraction: 0.5,
  kellyCap: 0.25,
  kellySizing: true,
  trimAbove: 0.22,
  deployCashAbove: 0.1,
  cooldowns: { buyMs: hours(2), sellMs: hours(2), holdMs: hours(4), overrideMove: 0.05 },
  tradingDayOffsetMs: 0,
};

export function defaultConfig(overrides: Partial<PortfolioConfig> = {}): PortfolioConfig {
  const mode = overrides.mode ?? 'paper';
  return {
    portfolioId: 'default',
    mode,
    market: 'live:binance',
    symbols: ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'],
    timeframe: '1h',
    intervalMs: 60_000,
    candleLimit: 400,
    initialCash: 10_000,
    risk: DEFAULT_RISK_LIMITS,
    // Live money never trades on a fallback verdict; paper keeps trading at half size so the loop stays observable.
    llm: { model: EMBEDDED_LLM_MODEL, timeoutMs: 60_000, fallback: mode === 'live' ? 'reject' : 'approve-reduced' },
    paper: { feeRate: 0.001, slippageBps: 5 },
    ...overrides,
  };
}

/** Turns zod issues into one line per problem, each naming the field: `risk.maxAssetWeight: ...`. */
export function describeConfigErrors(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ');
}

export type ConfigCheck = { ok: true; config: PortfolioConfig } | { ok: false; reason: string };

export function checkConfig(candidate: unknown): ConfigCheck {
  const parsed = portfolioConfigSchema.safeParse(candidate);
  return parsed.success ? { ok: true, config: parsed.data } : { ok: false, reason: describeConfigErrors(parsed.error) };
}

/** A partial change sent through the `setConfig` update; nested objects merge one level deep. */
export type RiskPatch = Partial<Omit<RiskLimits, 'cooldowns'>> & { cooldowns?: Partial<CooldownPolicy> };

export type ConfigPatch = Partial<Omit<PortfolioConfig, 'portfolioId' | 'mode' | 'risk' | 'llm' | 'paper' | 'orders' | 'strategies'>> & {
  /** Replaces the strategy configuration as a whole (validated with its defaults); null turns the engine off. */
  strategies?: StrategyConfigInput | null;
  orders?: Partial<EntryOrders>;
  risk?: RiskPatch;
  llm?: Partial<LlmPolicy>;
  paper?: Partial<PortfolioConfig['paper']>;
};

const isSection = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A section of a patch that is not an object (`cooldowns=5`) would merge as nothing and change nothing while the
 * update succeeds: refused, naming it.
 */
function sectionShapeRefusal(patch: Record<string, unknown>, sections: readonly string[], prefix = ''): string | undefined {
  for (const key of sections) {
    const value = patch[key];
    if (value !== undefined && !isSection(value)) return `${prefix}${key}: expected an object of settings (e.g. ${prefix}${key}.<name>=<value>), got ${JSON.stringify(value)}`;
  }
  return undefined;
}

/** Identity and mode are fixed for the life of a portfolio: switching paper to live is a new portfolio. */
export function applyConfigPatch(current: PortfolioConfig, patch: ConfigPatch & Record<string, unknown>): ConfigCheck {
  if (!isSection(patch)) return { ok: false, reason: '(config): expected an object of settings' };
  for (const frozen of ['portfolioId', 'mode']) {
    if (frozen in patch) return { ok: false, reason: `${frozen}: cannot be changed on a running portfolio` };
  }
  const shape = sectionShapeRefusal(patch, ['risk', 'llm', 'paper', 'orders'])
    ?? (isSection(patch.risk) ? sectionShapeRefusal(patch.risk, ['cooldowns'], 'risk.') : undefined)
    ?? (patch.strategies !== undefined && patch.strategies !== null && !isSection(patch.strategies) ? `strategies: expected an object or null, got ${JSON.stringify(patch.strategies)}` : undefined);
  if (shape) return { ok: false, reason: shape };
  return checkConfig({
    ...current,
    ...patch,
    risk: mergeRisk(current.risk, patch.risk),
    llm: { ...current.llm, ...patch.llm },
    paper: { ...current.paper, ...patch.paper },
    ...(patch.orders || current.orders ? { orders: { ...DEFAULT_ENTRY_ORDERS, ...current.orders, ...patch.orders } } : {}),
    strategies: patch.strategies === null ? undefined : patch.strategies ?? current.strategies,
  });
}

function mergeRisk(current: RiskLimits, patch: RiskPatch | undefined): RiskLimits {
  return { ...current, ...patch, cooldowns: { ...current.cooldowns, ...patch?.cooldowns } } as RiskLimits;
}

/** The `setRiskLimits` update: a partial change of the risk section only, validated as a whole. */
export function applyRiskPatch(current: PortfolioConfig, patch: RiskPatch): ConfigCheck {
  if (!isSection(patch)) return { ok: false, reason: 'risk: expected an object of limits' };
  const shape = sectionShapeRefusal(patch, ['cooldowns']);
  if (shape) return { ok: false, reason: shape };
  return checkConfig({ ...current, risk: mergeRisk(current.risk, patch) });
}

/**
 * Brings a configuration written by an earlier version up to the current schema, for portfolios that were
 * started (or continued as new) before a field existed: missing risk limits take their defaults, and the
 * single `cooldownMs` of the first version becomes the buy cooldown. Pure and deterministic, so the
 * workflow may call it on its input.
 */
export function upgradeConfig(config: PortfolioConfig & { cooldownMs?: number }): PortfolioConfig {
  const { cooldownMs, ...rest } = config;
  const risk = { ...DEFAULT_RISK_LIMITS, ...rest.risk } as RiskLimits;
  risk.cooldowns = { ...DEFAULT_RISK_LIMITS.cooldowns, ...(rest.risk as Partial<RiskLimits>).cooldowns };
  if (cooldownMs !== undefined && !(rest.risk as Partial<RiskLimits>).cooldowns) {
    risk.cooldowns = { ...risk.cooldowns, buyMs: cooldownMs };
  }
  return { ...rest, risk };
}
