/**
 * Portfolio configuration: one zod schema validates it at start (CLI, `npm start`) and inside the
 * portfolio workflow's `setConfig` validator, so a bad value is refused with the same reason everywhere.
 * zod is pure JavaScript with no I/O, so it is safe inside the workflow sandbox.
 */
import { z } from 'zod';

export const SYMBOL_PATTERN = /^[A-Z0-9]{2,12}\/[A-Z0-9]{2,12}$/;
const MARKET_PATTERN = /^(live:[a-z0-9]+|replay:.+|sim(:\d+)?)$/;
export const TIMEFRAMES = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;

export const riskLimitsSchema = z
  .object({
    maxAssetWeight: z.number().gt(0).max(1),
    maxTotalExposure: z.number().gt(0).max(1),
    dailyLossLimit: z.number().gt(0).max(1),
    minOrderNotional: z.number().min(0),
    minConfidence: z.number().min(0).max(1),
  })
  .strict()
  .refine((r) => r.maxAssetWeight <= r.maxTotalExposure, {
    message: 'maxAssetWeight cannot exceed maxTotalExposure',
    path: ['maxAssetWeight'],
  });

export const llmPolicySchema = z
  .object({
    model: z.string().min(1),
    timeoutMs: z.number().int().min(100).max(600_000),
    /**
     * What happens when the LLM is unreachable, too slow or answers garbage:
     * `reject` skips the trade, `approve-reduced` lets it through at half size, `approve` at full size.
     */
    fallback: z.enum(['reject', 'approve-reduced', 'approve']),
  })
  .strict();

export const paperSchema = z
  .object({
    /** Taker fee charged on every paper fill, as a fraction of notional. */
    feeRate: z.number().min(0).max(0.01),
    /** Slippage against the taker, in basis points of the fill price. */
    slippageBps: z.number().min(0).max(500),
  })
  .strict();

export const portfolioConfigSchema = z
  .object({
    portfolioId: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'use letters, digits, _ or - (1-64 chars)'),
    mode: z.enum(['paper', 'live']),
    market: z.string().regex(MARKET_PATTERN, 'expected live:<exchange>, replay:<dir> or sim[:<seed>]'),
    symbols: z
      .array(z.string().regex(SYMBOL_PATTERN, 'expected BASE/QUOTE in capitals, e.g. BTC/USDT'))
      .min(1)
      .max(50)
      .refine((s) => new Set(s).size === s.length, 'symbols must not repeat'),
    timeframe: z.enum(TIMEFRAMES),
    /** Time between two cycles (a durable timer), ms. */
    intervalMs: z.number().int().min(1_000).max(7 * 24 * 3_600_000),
    /** Candles fetched per symbol per cycle; the slowest feature (SMA 50) needs at least 60. */
    candleLimit: z.number().int().min(60).max(1_000),
    initialCash: z.number().positive(),
    /** After a trade on a symbol, no new entry on it for this long (a durable timer), ms. */
    cooldownMs: z.number().int().min(0).max(30 * 24 * 3_600_000),
    risk: riskLimitsSchema,
    llm: llmPolicySchema,
    paper: paperSchema,
  })
  .strict();

export type RiskLimits = z.infer<typeof riskLimitsSchema>;
export type LlmPolicy = z.infer<typeof llmPolicySchema>;
export type PortfolioConfig = z.infer<typeof portfolioConfigSchema>;

export const DEFAULT_RISK_LIMITS: RiskLimits = {
  maxAssetWeight: 0.2,
  maxTotalExposure: 0.8,
  dailyLossLimit: 0.05,
  minOrderNotional: 10,
  minConfidence: 0.45,
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
    candleLimit: 120,
    initialCash: 10_000,
    cooldownMs: 2 * 3_600_000,
    risk: DEFAULT_RISK_LIMITS,
    // Live money never trades on a fallback verdict; paper keeps trading at half size so the loop stays observable.
    llm: { model: 'llama3.1:8b', timeoutMs: 20_000, fallback: mode === 'live' ? 'reject' : 'approve-reduced' },
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
export type ConfigPatch = Partial<Omit<PortfolioConfig, 'portfolioId' | 'mode' | 'risk' | 'llm' | 'paper'>> & {
  risk?: Partial<RiskLimits>;
  llm?: Partial<LlmPolicy>;
  paper?: Partial<PortfolioConfig['paper']>;
};

/** Identity and mode are fixed for the life of a portfolio: switching paper to live is a new portfolio. */
export function applyConfigPatch(current: PortfolioConfig, patch: ConfigPatch & Record<string, unknown>): ConfigCheck {
  for (const frozen of ['portfolioId', 'mode']) {
    if (frozen in patch) return { ok: false, reason: `${frozen}: cannot be changed on a running portfolio` };
  }
  return checkConfig({
    ...current,
    ...patch,
    risk: { ...current.risk, ...patch.risk },
    llm: { ...current.llm, ...patch.llm },
    paper: { ...current.paper, ...patch.paper },
  });
}
