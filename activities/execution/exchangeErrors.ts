/**
 * ccxt's error hierarchy onto Temporal's retry decision. Trouble on the way (network, rate limits, DDoS protection,
 * maintenance, garbled answers) retries with the activity's backoff; an exchange that refused the request (funds,
 * order, symbol, keys) fails for good with a type the workflow can act on. Messages are redacted.
 */
import type { Exchange } from 'ccxt';
import { ApplicationFailure } from '@temporalio/common';
import { failure, type FailureType } from '../../domain/failures';
import { loadCcxt } from '../market/loadCcxt';
import { redact } from './redaction';

/** The execution activities' failure types (domain/failures.ts), by what happened. */
export const EXECUTION_FAILURES = {
  rateLimited: 'ExchangeRateLimited',
  unavailable: 'ExchangeUnavailable',
  badResponse: 'ExchangeBadResponse',
  insufficientFunds: 'InsufficientFunds',
  invalidOrder: 'InvalidOrder',
  unknownSymbol: 'UnknownSymbol',
  authentication: 'AuthenticationFailed',
  notSupported: 'NotSupported',
  rejected: 'ExchangeRejected',
  unexpected: 'ExecutionError',
} as const satisfies Record<string, FailureType>;

/** Bounds on a server's Retry-After: honour it, but neither hammer nor stall the cycle. */
const MIN_RETRY_AFTER_MS = 1_000;
const MAX_RETRY_AFTER_MS = 60_000;

function retryAfterMs(exchange: Exchange | undefined): number | undefined {
  const headers = (exchange as unknown as { last_response_headers?: Record<string, string> } | undefined)?.last_response_headers;
  const raw = headers?.['Retry-After'] ?? headers?.['retry-after'];
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_AFTER_MS, seconds * 1_000));
}

/**
 * Name and message of anything thrown. Duck-typed rather than `instanceof Error`: ccxt is loaded through Node's own
 * require (see loadCcxt.ts), so under Jest its errors come from another realm's Error.
 */
export function describeError(err: unknown): { name: string; message: string } {
  if (err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') {
    const { name, message } = err as { name?: unknown; message: string };
    return { name: typeof name === 'string' && name ? name : 'Error', message };
  }
  return { name: 'Error', message: String(err) };
}

export interface MappedFailure {
  failure: ApplicationFailure;
  /** True when the exchange answered and refused: the request certainly had no effect. */
  refusedByExchange: boolean;
  /**
   * ccxt's catch-all ExchangeError, for an error answer it could not classify (or an answer of unexpected shape):
   * a refusal for a read, but after a create it cannot be told from an applied order with a garbled answer.
   */
  unclassified?: boolean;
}

/** Maps any error thrown while talking to an exchange. `context` says what was being done, e.g. `binance create order tt-1`. */
export function mapExchangeFailure(err: unknown, context: string, exchange?: Exchange): MappedFailure {
  if (err instanceof ApplicationFailure) return { failure: err, refusedByExchange: false };
  const ccxt = loadCcxt();
  const { name, message: text } = describeError(err);
  const message = redact(`${context}: ${name}: ${text}`);
  const retry = (type: FailureType, nextRetryDelay?: number) => failure(type, message, { ...(nextRetryDelay !== undefined && { nextRetryDelay }) });
  const final = (type: FailureType) => ({ failure: failure(type, message), refusedByExchange: true });

  if (err instanceof ccxt.RateLimitExceeded || err instanceof ccxt.DDoSProtection) {
    return { failure: retry(EXECUTION_FAILURES.rateLimited, retryAfterMs(exchange)), refusedByExchange: false };
  }
  if (err instanceof ccxt.NetworkError) return { failure: retry(EXECUTION_FAILURES.unavailable), refusedByExchange: false };
  if (err instanceof ccxt.OperationFailed) return { failure: retry(EXECUTION_FAILURES.badResponse), refusedByExchange: false };
  if (err instanceof ccxt.InsufficientFunds) return final(EXECUTION_FAILURES.insufficientFunds);
  if (err instanceof ccxt.AuthenticationError) return final(EXECUTION_FAILURES.authentication);
  if (err instanceof ccxt.BadSymbol) return final(EXECUTION_FAILURES.unknownSymbol);
  if (err instanceof ccxt.InvalidOrder) return final(EXECUTION_FAILURES.invalidOrder);
  if (err instanceof ccxt.NotSupported) return final(EXECUTION_FAILURES.notSupported);
  if (err instanceof ccxt.ExchangeError) return { ...final(EXECUTION_FAILURES.rejected), unclassified: name === 'ExchangeError' };
  // Not from ccxt: a bug or an environment problem; retrying is harmless and may help.
  return { failure: retry(EXECUTION_FAILURES.unexpected), refusedByExchange: false };
}

export function toExecutionFailure(err: unknown, context: string, exchange?: Exchange): ApplicationFailure {
  return mapExchangeFailure(err, context, exchange).failure;
}
