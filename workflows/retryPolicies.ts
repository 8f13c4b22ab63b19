/**
 * The activities' retry policies, with the failure types retrying cannot fix taken from the catalogue
 * (domain/failures.ts): one list for every policy, so they can no longer drift apart.
 */
import type { RetryPolicy } from '@temporalio/common';
import { NON_RETRYABLE_TYPES } from '../domain/failures';

/** Every type the catalogue marks final (bad data, bad config, refused orders, a broken model or training run). */
export const NON_RETRYABLE: string[] = [...NON_RETRYABLE_TYPES];

/** Exponential backoff from 1 s to 30 s, at most `maximumAttempts`, the final types not retried. */
export const retry = (maximumAttempts: number): RetryPolicy => ({
  initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts, nonRetryableErrorTypes: NON_RETRYABLE,
});

/** A policy of its own backoff, the final types not retried. */
export const retryWith = (policy: Omit<RetryPolicy, 'nonRetryableErrorTypes'>): RetryPolicy => ({ ...policy, nonRetryableErrorTypes: NON_RETRYABLE });
