/**
 * Live reconciliation with a sceptical eye. An exchange's balances answer can be wrong for a moment (an empty list
 * with status 200, an asset left out, a figure that lags a fill): adopting it would wipe positions and their stops.
 * So a snapshot is adopted only when it is plausible (domain/reconcile.ts implausibilities: looked at again a few
 * times, then the book is kept and the operator told), and a drift only when a second snapshot confirms it and no
 * order of unknown outcome may explain it (its resolution books it).
 */
import { implausibilities, persistentDrifts, reconcile, correctDrifts, splitSymbol, type AccountSnapshot, type HeldByOrders, type Reconciliation } from '../../domain/reconcile';
import type { PortfolioBook } from '../../domain/types';
import { recordIncident } from '../persistence/incidentStore';
import { unfinishedOrders } from '../persistence/orderStore';
import { logWarn, pause } from './activityContext';
import type { ReconcileAccountResult } from '../../domain/contracts/execution';

/** Looks at a suspect snapshot again this many times, after 1, 2, ... times the recheck pause. */
export const SUSPECT_RECHECKS = 2;
export const DEFAULT_RECHECK_MS = 1_000;

export interface SkepticalInput {
  portfolioId: string;
  cycleId?: string;
  symbols: string[];
  book: PortfolioBook;
  prices?: Record<string, number>;
}

/** The reconciliation a live account gives the cycle: the execution port's result (domain/contracts/execution.ts). */
export type LiveReconciliation = ReconcileAccountResult;

interface OrdersOnAccount {
  /** What resting orders hold (their remaining quantity, at their price for buys). */
  held: HeldByOrders[];
  /**
   * Assets an order of unknown (or not yet resolved) outcome may have moved: a drift there may be that order's
   * fill, which its resolution books; adopting it too would count it twice, so it waits.
   */
  pending: Map<string, string>;
}

async function ordersOnAccount(portfolioId: string, symbols: readonly string[]): Promise<OrdersOnAccount> {
  const held = new Map<string, number>();
  const pending = new Map<string, string>();
  for (const { request, result } of await unfinishedOrders(portfolioId, 'live')) {
    if (!symbols.includes(request.symbol)) continue;
    if (result.status === 'unknown' || result.status === 'submitted') {
      for (const asset of Object.values(splitSymbol(request.symbol))) pending.set(asset, request.clientOrderId);
      continue;
    }
    if (result.status !== 'open' && result.status !== 'partially_filled') continue;
    const { base, quote } = splitSymbol(request.symbol);
    const left = Math.max(0, request.quantity - result.filledQuantity);
    const [asset, amount] = request.side === 'buy' ? [quote, left * (request.limitPrice ?? request.stopPrice ?? request.referencePrice)] : [base, left];
    held.set(asset, (held.get(asset) ?? 0) + amount);
  }
  // Fees and rounding: only a clear shortfall is suspicious.
  return { held: [...held].map(([asset, amount]) => ({ asset, amount: amount * 0.98 })), pending };
}

/** `recheckMs`: the pause before a suspect snapshot is read again (times its count), and before a drift is confirmed. */
export async function reconcileSceptically(
  input: SkepticalInput, fetchSnapshot: () => Promise<AccountSnapshot>, recheckMs = DEFAULT_RECHECK_MS,
): Promise<LiveReconciliation> {
  const { held, pending } = await ordersOnAccount(input.portfolioId, input.symbols);
  let snapshot = await fetchSnapshot();
  let reasons = implausibilities(input.book, snapshot, input.symbols, held);
  for (let n = 1; reasons.length > 0 && n <= SUSPECT_RECHECKS; n++) {
    await pause(recheckMs * n);
    snapshot = await fetchSnapshot();
    reasons = implausibilities(input.book, snapshot, input.symbols, held);
  }
  if (reasons.length > 0) {
    const detail = `account snapshot of ${snapshot.venue} for ${input.portfolioId} not adopted, the book kept: ${reasons.join('; ')} (seen ${SUSPECT_RECHECKS + 1} times)`;
    logWarn(detail);
    await recordIncident({
      key: `suspect-account-snapshot|${input.portfolioId}|${input.cycleId ?? snapshot.asOf}`, kind: 'suspect-account-snapshot', severity: 'warning',
      portfolioId: input.portfolioId, venue: snapshot.venue, detail, evidence: { balances: snapshot.balances, listed: snapshot.listed, held }, detectedAt: snapshot.asOf,
    });
    return { inSync: true, drifts: [], corrected: input.book, snapshot, suspect: reasons };
  }
  const opts = { symbols: input.symbols, prices: input.prices };
  const first = reconcile(input.book, snapshot, opts);
  if (first.inSync) return { ...first, snapshot };
  await pause(recheckMs);
  const again = await fetchSnapshot();
  const second = implausibilities(input.book, again, input.symbols, held).length > 0 ? [] : reconcile(input.book, again, opts).drifts;
  const persisting = persistentDrifts(first.drifts, second);
  const withheld = persisting.filter((d) => pending.has(d.asset));
  if (withheld.length > 0) {
    logWarn(`balance drift not adopted while an order's outcome is unresolved: ${withheld.map((d) => `${d.asset} ${d.book}→${d.account} (order ${pending.get(d.asset)})`).join(', ')}`);
  }
  const confirmed = persisting.filter((d) => !pending.has(d.asset));
  const unconfirmed = first.drifts.filter((d) => !persisting.includes(d));
  if (unconfirmed.length > 0) logWarn(`balance drift not confirmed by a second snapshot, not adopted: ${unconfirmed.map((d) => `${d.asset} ${d.book}→${d.account}`).join(', ')}`);
  const notAdopted = { ...(unconfirmed.length > 0 && { unconfirmed }), ...(withheld.length > 0 && { withheld }) };
  if (confirmed.length === 0) return { inSync: true, drifts: [], corrected: input.book, snapshot: again, ...notAdopted };
  return { inSync: false, drifts: confirmed, corrected: correctDrifts(input.book, confirmed, input.prices), snapshot, ...notAdopted };
}
