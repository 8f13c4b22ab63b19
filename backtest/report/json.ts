/** The JSON report: the whole result, with Infinity and NaN (which JSON lacks) written as strings. */
import type { BacktestResult } from '../types';

export function toJson(result: BacktestResult): string {
  return JSON.stringify(result, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value), 2);
}
