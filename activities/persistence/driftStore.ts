/**
 * Balance drift found by reconciliation, one row per asset and check, so a drift is never only a log line.
 */
import type { AssetDrift } from '../../domain/reconcile';
import { openDatabase, type Db } from '../../prisma/database';

export interface DriftContext {
  portfolioId: string;
  cycleId?: string;
  mode: string;
  venue: string;
  detectedAt: number;
  corrected: boolean;
}

/**
 * Saves the drifts of one check. With a cycle id it is idempotent: a retried activity replaces the rows the
 * cycle's earlier attempt wrote instead of adding a second copy.
 */
export async function recordDrifts(drifts: AssetDrift[], ctx: DriftContext, db: Db = openDatabase()): Promise<void> {
  if (drifts.length === 0 && !ctx.cycleId) return;
  await db.$transaction([
    ...(ctx.cycleId ? [db.balanceDrift.deleteMany({ where: { portfolioId: ctx.portfolioId, cycleId: ctx.cycleId } })] : []),
    db.balanceDrift.createMany({
      data: drifts.map((d) => ({
      portfolioId: ctx.portfolioId,
      cycleId: ctx.cycleId ?? null,
      mode: ctx.mode,
      venue: ctx.venue,
      asset: d.asset,
      symbol: d.symbol ?? null,
      bookQuantity: d.book,
      accountQuantity: d.account,
      drift: d.drift,
      corrected: ctx.corrected,
      detectedAt: new Date(ctx.detectedAt),
      })),
    }),
  ]);
}

export async function recentDrifts(portfolioId: string, limit = 50, db: Db = openDatabase()) {
  return db.balanceDrift.findMany({ where: { portfolioId }, orderBy: { id: 'desc' }, take: limit });
}
