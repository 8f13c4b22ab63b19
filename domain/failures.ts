/**
 * Every failure type this system throws, in one catalogue: whether retrying can fix it, who must act, and the one
 * constructor every throw goes through. The retry policies (workflows/retryPolicies.ts) derive from it, so a type is
 * never retryable at its throw and listed as final in a policy, or the reverse. As freqtrade separates an
 * OperationalException from a DependencyException, each type is one of two categories:
 * - `operator-action`: bad configuration, data, keys or input; retrying cannot fix it, someone must act;
 * - `dependency-down`: an exchange, a server or a file system is down, slow, rate-limiting or lagging; retrying may.
 *
 * The type strings are stored in workflow histories and named in the README: never rename one.
 * tests/unit/failures.test.ts fails when any thrown type is missing here.
 */
import { ActivityFailure, ApplicationFailure, type Duration } from '@temporalio/common';

export type FailureCategory = 'operator-action' | 'dependency-down';

export interface FailureSpec {
  retryable: boolean;
  category: FailureCategory;
  /** What it means, for the operator. */
  meaning: string;
}

const final = (meaning: string): FailureSpec => ({ retryable: false, category: 'operator-action', meaning });
const transient = (meaning: string): FailureSpec => ({ retryable: true, category: 'dependency-down', meaning });

export const FAILURES = {
  // Configuration and input
  InvalidConfig: final('a configuration value (portfolio, environment, channel) is invalid; the message names it'),
  InvalidRiskLimits: final('a risk limit change was refused; the message names the field'),
  InvalidInput: final('an activity got a malformed input: a bug in its caller'),
  InvalidLlmInput: final('the LLM activity got a policy or proposals it cannot use (e.g. an empty model name)'),
  LiveTradingDisabled: final('a live order reached an execution worker without TRADER_LIVE_TRADING'),
  MissingCredentials: final("the execution worker's environment lacks the exchange's API keys"),
  // Market data
  InvalidMarketSource: final("the market is not live:<exchange>, replay:<dir> or sim[:seed], or the exchange serves no candles"),
  UnsupportedTimeframe: final('the exchange has no candles of this timeframe'),
  InvalidTimeframe: final('a timeframe string the system does not know'),
  ReplayDataMissing: final("a replay directory lacks a symbol's candle file"),
  InvalidCandles: final('candles failed validation (order, gaps, prices); the message names symbol, row and rule'),
  UnknownSymbol: final('the exchange (or the market spec) has no such symbol'),
  ExchangeError: final('the exchange refused a market-data request in a way ccxt could not classify'),
  MarketRateLimited: transient('the exchange rate-limited a market-data request'),
  MarketUnreachable: transient('the exchange could not be reached for market data'),
  MarketBadResponse: transient('the exchange answered a market-data request with something unusable'),
  // Features and the model
  InsufficientHistory: final('fewer candles than the features need'),
  MissingReference: final("the reference market's (BTC/USDT) candles are missing for cross-asset features"),
  InvalidFeatures: final('the features of the newest candle are not finite'),
  FeatureMismatch: final("the features differ from the ones the model was trained on"),
  NoModelRegistry: final('there is no model registry (models/signal-xgb) and no MODEL_DIR'),
  ModelNotFound: final('the model version, its manifest or its ONNX file does not exist'),
  InvalidManifest: final("a model manifest cannot be read or lacks what it must say"),
  ModelIntegrity: final("a model file's sha256 differs from its manifest's"),
  ModelOutputMismatch: final("the model's outputs are not the calibrated class probabilities expected"),
  // Execution
  InsufficientFunds: final('the exchange refused the order for funds'),
  InvalidOrder: final("the exchange refused the order's amount, price or type"),
  AuthenticationFailed: final('the exchange refused the API keys'),
  NotSupported: final('the exchange does not support what was asked (an order type, a query)'),
  ExchangeRejected: final('the exchange refused the request for another reason'),
  UnknownOrder: final('no order with this client order id was ever placed'),
  InvalidOrderState: final('a stored order lacks what its state requires (a resting paper order without its time)'),
  ExchangeRateLimited: transient('the exchange rate-limited the request (429, DDoS protection); Retry-After is honoured'),
  ExchangeUnavailable: transient('the exchange could not be reached (network, 5xx, maintenance)'),
  ExchangeBadResponse: transient('the exchange answered with something unusable (a refused market list, an answer of unexpected shape)'),
  ExecutionError: transient('something outside ccxt failed while talking to the exchange'),
  OrderLookupInconsistent: transient('the exchange does not show an order it acknowledged yet: its lag is waited out'),
  FillsPending: transient("an order's trades do not add up to its filled amount yet: the trade history lags"),
  CancelPending: transient('the exchange has not confirmed a cancel yet'),
  // Retraining
  InvalidMatrix: final('a training matrix does not have the size its metadata says'),
  TrainingFailed: final('the training run failed (its output says why)'),
  TrainingEnvironmentMissing: final('the training environment (models/.venv, python) is missing'),
  TrainingInterrupted: transient('the training process was killed by a signal'),
  // Notifications
  NotificationDeliveryFailed: transient('a notification channel did not take the batch; retried after its Retry-After'),
} as const satisfies Record<string, FailureSpec>;

export type FailureType = keyof typeof FAILURES;

export function isFailureType(type: string): type is FailureType {
  return Object.hasOwn(FAILURES, type);
}

/** The types retrying cannot fix: every retry policy's nonRetryableErrorTypes. */
export const NON_RETRYABLE_TYPES: readonly FailureType[] = (Object.keys(FAILURES) as FailureType[]).filter((t) => !FAILURES[t].retryable);

export interface FailureOptions {
  cause?: Error;
  /** A retryable failure's own delay before the next attempt (a server's Retry-After). */
  nextRetryDelay?: Duration;
}

/** The failure of `type`, retryable or not as the catalogue says. */
export function failure(type: FailureType, message: string, options: FailureOptions = {}): ApplicationFailure {
  if (!isFailureType(type)) throw new Error(`failure type '${type}' is not in domain/failures.ts`);
  return ApplicationFailure.create({
    message, type, nonRetryable: !FAILURES[type].retryable,
    ...(options.cause && { cause: options.cause }), ...(options.nextRetryDelay !== undefined && { nextRetryDelay: options.nextRetryDelay }),
  });
}

/**
 * A failure as `Type: message`: an activity's failure unwrapped to its cause, an ApplicationFailure by its type, any
 * other error by its `type` (an error of another realm) or its name. What the cycle records and the CLI shows.
 */
export function describeFailure(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause ?? err : err;
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'Error'}: ${cause.message}`;
  if (!(cause instanceof Error)) return String(cause);
  const type = (cause as { type?: unknown }).type;
  return `${typeof type === 'string' ? type : cause.name}: ${cause.message}`;
}
