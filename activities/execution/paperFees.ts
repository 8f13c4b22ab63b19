/**
 * Paper fee schedules per exchange: maker and taker rates from ccxt's description of the exchange (its default,
 * lowest-volume tier), or from the exchange's profile where ccxt has none. Without an exchange (replay and sim markets),
 * the portfolio's flat paper.feeRate applies to both.
 */
import { loadCcxt } from '../market/loadCcxt';
import { EXCHANGE_PROFILES } from './exchanges';
import { paperFeeSchedule, type Fees, type PaperTerms } from '../../domain/paperBroker';

/** The schedules ccxt describes for the supported exchanges, as their profiles keep them (./exchanges). */
export const DOCUMENTED_FEES: Readonly<Record<string, Fees>> = Object.fromEntries(Object.values(EXCHANGE_PROFILES).map((p) => [p.id, p.fees]));

const cache = new Map<string, Fees & { source: 'ccxt' | 'table' }>();

export function exchangeFeeSchedule(exchangeId: string): Fees & { source: 'ccxt' | 'table' } {
  const cached = cache.get(exchangeId);
  if (cached) return cached;
  let schedule: (Fees & { source: 'ccxt' | 'table' }) | undefined;
  const ctor = (loadCcxt() as unknown as Record<string, (new (c: object) => { fees?: { trading?: { maker?: number; taker?: number } } }) | undefined>)[exchangeId];
  const trading = typeof ctor === 'function' ? new ctor({}).fees?.trading : undefined;
  if (typeof trading?.maker === 'number' && typeof trading?.taker === 'number') schedule = { maker: trading.maker, taker: trading.taker, source: 'ccxt' };
  else if (DOCUMENTED_FEES[exchangeId]) schedule = { ...DOCUMENTED_FEES[exchangeId], source: 'table' };
  if (!schedule) throw new Error(`no fee schedule for exchange '${exchangeId}': neither ccxt nor the documented table has one`);
  cache.set(exchangeId, schedule);
  return schedule;
}

/** The fees a paper order pays (domain/paperBroker.ts paperFeeSchedule, with the exchanges' schedules above). */
export function paperFees(terms: PaperTerms, market: string): Fees {
  return paperFeeSchedule(terms, market, exchangeFeeSchedule);
}
