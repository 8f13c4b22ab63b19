/**
 * Deterministic client order ids. The same cycle, symbol and side always give the same id, so an
 * order retried after a lost response is found again instead of placed twice.
 *
 * Hand-written FNV-1a because workflows cannot use node:crypto, and exchanges cap client ids
 * (Binance: 36 characters of [A-Za-z0-9._-]); two 32-bit hashes with different offsets give 64 bits.
 */
function fnv1a32(text: string, offset: number): number {
  let hash = offset >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function clientOrderId(cycleId: string, symbol: string, side: string): string {
  const key = `${cycleId}|${symbol}|${side}`;
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  return `tt-${hex(fnv1a32(key, 0x811c9dc5))}${hex(fnv1a32(key, 0x050c5d1f))}`;
}

export function cycleWorkflowId(portfolioWorkflowId: string, instanceId: string, cycleNo: number): string {
  return `${portfolioWorkflowId}-${instanceId}-cycle-${cycleNo}`;
}

/**
 * What every cycle and liquidation id of one portfolio instance starts with (`portfolio-<id>-<instance>-`), read
 * back from one of them.
 */
export function cycleIdPrefix(cycleOrLiquidationId: string): string {
  // `-(cycle|liquidation)-<digits>` at the end, found by a scan from the end: every cycle asks, and the regular
  // expression it replaces was 1.5% of a backtest.
  const id = cycleOrLiquidationId;
  let digits = id.length;
  while (digits > 0 && id.charCodeAt(digits - 1) >= 48 && id.charCodeAt(digits - 1) <= 57) digits--;
  if (digits < id.length) {
    for (const kind of ['-cycle-', '-liquidation-']) if (id.endsWith(kind, digits)) return id.slice(0, digits - kind.length + 1);
  }
  throw new Error(`'${cycleOrLiquidationId}' is not a cycle or liquidation id`);
}
