/**
 * Orders whose outcome the exchange left unknown (activities/execution/ambiguity.ts) are followed like resting
 * orders: kept in the portfolio's open orders, looked for again every cycle (pollOrder resolves them when the
 * exchange shows them), their symbol given no new entry, trim or signal exit meanwhile (plan.ts `restingSymbols`).
 * Protective exits still run on the reconciled book: an exit never waits for a lookup, and on a spot account the
 * exchange's balance bounds what a sell can take.
 */
import { isResting } from '../orderLifecycle';
import type { OrderStatus } from '../types';
import type { CycleEffects } from './effects';

/** Following unknown orders from cycle to cycle (a change in the commands a cycle issues). */
export const UNKNOWN_ORDERS_PATCH = 'unknown-order-outcomes';

/** Whether the cycle keeps following an order it just placed. Asks for the patch only when an order is unknown. */
export function followsUp(status: OrderStatus, fx: Pick<CycleEffects, 'patched'>): boolean {
  return isResting(status) || (status === 'unknown' && fx.patched(UNKNOWN_ORDERS_PATCH));
}
