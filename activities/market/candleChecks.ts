/**
 * Turns candle validation and CSV parse errors into the activity failure the workflow sees.
 */
import { ApplicationFailure } from '@temporalio/common';
import { CandleCsvError, CandleValidationError, validateCandles } from '../../domain/candles';
import type { Candle } from '../../domain/types';

/** Bad data will not fix itself on retry, so it fails for good with the validation message. */
export function assertValidCandles(symbol: string, candles: Candle[], where: string): void {
  try {
    validateCandles(symbol, candles);
  } catch (err) {
    throw toInvalidCandles(err, where);
  }
}

export function toInvalidCandles(err: unknown, where: string): unknown {
  if (err instanceof CandleValidationError || err instanceof CandleCsvError) {
    return ApplicationFailure.create({
      message: `${err.message} (from ${where})`,
      type: 'InvalidCandles',
      nonRetryable: true,
      cause: err,
    });
  }
  return err;
}
