/**
 * Reconciliation: the portfolio's book against what the exchange (or the paper broker's own record) says the
 * account holds. Drift appears after lost responses, fees charged in another asset, manual trades or deposits; it is
 * reported per asset and corrected by adopting the account's figures, because the account is what orders spend.
 * A live snapshot must first be plausible (implausibilities) and a drift must persist across two snapshots
 * (persistentDrifts) before it is adopted. Pure, so the portfolio workflow can run it on a snapshot an activity fetched.
 */
import type { PortfolioBook } from './types';

export interface AssetBalance {
  free: number;
  /** Held by open orders. */
  used: number;
  total: number;
}

export interface AccountSnapshot {
  /** Exchange id for live accounts, `paper` for the paper broker. */
  venue: string;
  /** ms UTC */
  asOf: number;
  /** Per asset (BTC, USDT, ...), only assets that matter to the portfolio need be present; missing means zero. */
  balances: Record<string, AssetBalance>;
  /** The assets the exchange's answer itself listed (absent: unknown), to tell "zero" from "left out". */
  listed?: string[];
}

/** What resting orders of the portfolio hold on the account: a snapshot that lacks it is not the whole account. */
export interface HeldByOrders {
  asset: string;
  amount: number;
}

export interface AssetDrift {
  asset: string;
  /** The portfolio symbol the asset is the base of; absent for the quote (cash). */
  symbol?: string;
  book: number;
  account: number;
  /** account - book */
  drift: number;
}

export interface ReconcileOptions {
  symbols: string[];
  /** Prices to value positions the book did not know about (their average price); defaults to 0 cost. */
  prices?: Record<string, number>;
  /** Differences at or below max(absolute, relative × size) are rounding, not drift. */
  absoluteTolerance?: number;
  relativeTolerance?: number;
}

export interface Reconciliation {
  inSync: boolean;
  drifts: AssetDrift[];
  /** The book with cash and quantities replaced by the account's; identical to the input when in sync. */
  corrected: PortfolioBook;
}

/** The quote asset all symbols share (the book's cash is one currency). */
export function quoteAsset(symbols: readonly string[]): string {
  const quotes = new Set(symbols.map((s) => splitSymbol(s).quote));
  if (quotes.size !== 1) throw new Error(`symbols must share one quote currency to reconcile, got ${[...quotes].join(', ') || 'none'}`);
  return [...quotes][0];
}

export function splitSymbol(symbol: string): { base: string; quote: string } {
  const [base, quote, ...rest] = symbol.split('/');
  if (!base || !quote || rest.length > 0) throw new Error(`symbol '${symbol}' is not BASE/QUOTE`);
  // ccxt writes derivatives as BASE/QUOTE:SETTLE; a spot portfolio never has them.
  if (quote.includes(':')) throw new Error(`symbol '${symbol}' is not a spot symbol`);
  return { base, quote };
}

/**
 * Why an account snapshot cannot be the account (empty when it is plausible): everything the book holds gone at
 * once, an asset the book holds left out of the answer, or less of an asset than the portfolio's resting orders
 * hold. One bad answer (an empty balances list with status 200) must not wipe the book.
 */
export function implausibilities(book: PortfolioBook, snapshot: AccountSnapshot, symbols: readonly string[], held: readonly HeldByOrders[] = []): string[] {
  const quote = quoteAsset(symbols);
  const bookHolds: Record<string, number> = { [quote]: book.cash };
  for (const symbol of symbols) bookHolds[splitSymbol(symbol).base] = book.positions[symbol]?.quantity ?? 0;
  const total = (asset: string) => snapshot.balances[asset]?.total ?? 0;
  const reasons: string[] = [];
  const heldByBook = Object.entries(bookHolds).filter(([, q]) => q > 1e-12);
  if (heldByBook.length > 0 && heldByBook.every(([asset]) => !(total(asset) > 0))) {
    reasons.push(`every asset the book holds (${heldByBook.map(([a, q]) => `${a} ${q}`).join(', ')}) is zero in the snapshot at once`);
  }
  if (snapshot.listed) {
    const listed = new Set(snapshot.listed);
    const left = heldByBook.filter(([asset]) => !listed.has(asset)).map(([asset]) => asset);
    if (left.length > 0) reasons.push(`the answer leaves out ${left.join(', ')}, which the book holds`);
  }
  for (const h of held) {
    if (total(h.asset) < h.amount * (1 - 1e-6)) reasons.push(`resting orders hold ${h.amount} ${h.asset} but the snapshot shows ${total(h.asset)}`);
  }
  return reasons;
}

/**
 * The drifts of `first` that a later snapshot confirms (same asset, same account figure within tolerance): only a
 * drift that persists across snapshots is adopted; one that a second look does not show was a lagging answer.
 */
export function persistentDrifts(first: AssetDrift[], second: AssetDrift[], tolerance = 1e-8): AssetDrift[] {
  return first.filter((d) => second.some((e) => e.asset === d.asset && Math.abs(e.account - d.account) <= Math.max(tolerance, 1e-9 * Math.abs(d.account))));
}

/** The book with only `drifts` corrected (the figures of the rest stay the book's). */
export function correctDrifts(book: PortfolioBook, drifts: AssetDrift[], prices: Record<string, number> = {}, absTol = 1e-8): PortfolioBook {
  const positions = { ...book.positions };
  let cash = book.cash;
  for (const d of drifts) {
    if (d.symbol === undefined) {
      cash = d.account;
      continue;
    }
    const held = positions[d.symbol];
    // A position that shrinks or grows keeps its protective levels, opening time and strategy.
    if (d.account <= absTol) delete positions[d.symbol];
    else if (held) positions[d.symbol] = { ...held, quantity: d.account };
    else positions[d.symbol] = { symbol: d.symbol, quantity: d.account, avgPrice: prices[d.symbol] ?? 0 };
  }
  return { ...book, cash, positions };
}

export function reconcile(book: PortfolioBook, snapshot: AccountSnapshot, opts: ReconcileOptions): Reconciliation {
  const absTol = opts.absoluteTolerance ?? 1e-8;
  const relTol = opts.relativeTolerance ?? 1e-9;
  const quote = quoteAsset(opts.symbols);
  const accountTotal = (asset: string) => snapshot.balances[asset]?.total ?? 0;
  const differs = (a: number, b: number) => Math.abs(a - b) > Math.max(absTol, relTol * Math.max(Math.abs(a), Math.abs(b)));

  const drifts: AssetDrift[] = [];
  if (differs(book.cash, accountTotal(quote))) {
    drifts.push({ asset: quote, book: book.cash, account: accountTotal(quote), drift: accountTotal(quote) - book.cash });
  }
  const bases = new Map<string, string>();
  for (const symbol of opts.symbols) {
    const { base } = splitSymbol(symbol);
    if (bases.has(base)) throw new Error(`symbols ${bases.get(base)} and ${symbol} share the base asset ${base}: their positions cannot be told apart`);
    bases.set(base, symbol);
  }
  for (const [base, symbol] of bases) {
    const held = book.positions[symbol]?.quantity ?? 0;
    if (differs(held, accountTotal(base))) drifts.push({ asset: base, symbol, book: held, account: accountTotal(base), drift: accountTotal(base) - held });
  }
  if (drifts.length === 0) return { inSync: true, drifts, corrected: book };
  return { inSync: false, drifts, corrected: correctDrifts(book, drifts, opts.prices, absTol) };
}
