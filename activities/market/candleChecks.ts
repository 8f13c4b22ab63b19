/**
 * Turns candle validation and CSV parse errors into the activity failure the workflow sees.
 */
import { CandleCsvError, CandleValidationError, validateCandles } from '../../domain/candles';
import type { Candle } from '../../domain/types';
import { failure } from '../../domain/failures';

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
    return failure('InvalidCandles', `${err.message} (from ${where})`, { cause: err });
  }
  return err;
}
