/**
 * Cross-asset features: what the reference market (BTC/USDT, which most coins follow) did, and how closely
 * this symbol follows it. Reference candles are joined by open time, never by position, so a gap in either
 * series cannot pair the wrong hours; an hour the reference lacks makes the feature NaN (refused), not guessed.
 *
 * For the reference itself the features are defined, not computed: its "BTC return" is its own return, its
 * correlation and beta with itself are exactly 1 and its strength relative to itself is 0. Training and
 * serving take the same branch (the caller says which symbol is the reference), so BTC rows agree too.
 */
import type { CandleColumns } from './candleColumns';
import { nanColumn, pctChange, rolling, rollingSd, windowBeta, windowCorrelation, type Column } from '../../domain/indicators/series';

export const CROSS_ASSET_FEATURES = [
  'btc_ret_1', 'btc_ret_4', 'btc_ret_24', 'btc_volatility_24', 'btc_corr_72', 'btc_beta_72', 'rel_strength_24',
] as const;
export type CrossAssetFeature = (typeof CROSS_ASSET_FEATURES)[number];

const CORRELATION_WINDOW = 72;

function referenceColumns(ref: CandleColumns) {
  const ret1 = pctChange(ref.close, 1);
  return { ret1, ret4: pctChange(ref.close, 4), ret24: pctChange(ref.close, 24), volatility24: rollingSd(ret1, 24) };
}

/** `reference` = the reference market's candles (same timeframe), or 'self' when `own` IS the reference. */
export function crossAssetFeatures(own: CandleColumns, reference: CandleColumns | 'self'): Record<CrossAssetFeature, Column> {
  const n = own.length;
  const ownRet1 = pctChange(own.close, 1);
  const ownRet24 = pctChange(own.close, 24);
  if (reference === 'self') {
    const cols = referenceColumns(own);
    return {
      btc_ret_1: cols.ret1,
      btc_ret_4: cols.ret4,
      btc_ret_24: cols.ret24,
      btc_volatility_24: cols.volatility24,
      btc_corr_72: new Float64Array(n).fill(1),
      btc_beta_72: new Float64Array(n).fill(1),
      rel_strength_24: new Float64Array(n).fill(0),
    };
  }

  const refIndex = new Map<number, number>();
  reference.time.forEach((t, j) => refIndex.set(t, j));
  const cols = referenceColumns(reference);
  const joined = (values: Column): Column => {
    const out = nanColumn(n);
    for (let i = 0; i < n; i++) {
      const j = refIndex.get(own.time[i]);
      if (j !== undefined) out[i] = values[j];
    }
    return out;
  };
  const btcRet1 = joined(cols.ret1);
  const btcRet24 = joined(cols.ret24);
  const rel = nanColumn(n);
  for (let i = 0; i < n; i++) rel[i] = ownRet24[i] - btcRet24[i];
  return {
    btc_ret_1: btcRet1,
    btc_ret_4: joined(cols.ret4),
    btc_ret_24: btcRet24,
    btc_volatility_24: joined(cols.volatility24),
    // Over the last 3 days of hourly returns; an hour missing on either side makes the window NaN.
    btc_corr_72: rolling(n, CORRELATION_WINDOW, (a, b) => windowCorrelation(ownRet1, btcRet1, a, b)),
    btc_beta_72: rolling(n, CORRELATION_WINDOW, (a, b) => windowBeta(ownRet1, btcRet1, a, b)),
    // Outperformance over the last day: positive when the coin beat BTC.
    rel_strength_24: rel,
  };
}
