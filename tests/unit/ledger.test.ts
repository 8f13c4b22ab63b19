import { applyFill, equity, exposure, LedgerError, newBook, rollDay } from '../../domain/ledger';
import { paperFill } from '../../domain/paperBroker';
import type { OrderRequest } from '../../domain/types';

const T0 = Date.UTC(2024, 0, 1, 12);
const order = (side: 'buy' | 'sell', quantity: number): OrderRequest => ({
  clientOrderId: 'tt-1', portfolioId: 'p', cycleId: 'c', symbol: 'BTC/USDT', side, type: 'market', quantity, referencePrice: 100,
});

describe('ledger accounting', () => {
  it('buys and sells round-trip with fees charged on both legs', () => {
    let book = newBook(10_000, T0);
    book = applyFill(book, 'BTC/USDT', 'buy', { price: 100, quantity: 10, fee: 1, timestamp: T0 });
    expect(book.cash).toBeCloseTo(10_000 - 1_000 - 1, 10);
    expect(book.positions['BTC/USDT']).toEqual({ symbol: 'BTC/USDT', quantity: 10, avgPrice: 100.1 });
    expect(equity(book, { 'BTC/USDT': 110 })).toBeCloseTo(8_999 + 1_100, 10);
    expect(exposure(book, { 'BTC/USDT': 110 })).toBeCloseTo(1_100, 10);

    book = applyFill(book, 'BTC/USDT', 'sell', { price: 110, quantity: 10, fee: 1.1, timestamp: T0 });
    // realised = 1100 - 1.1 - 1001 = 97.9: both fees are in it.
    expect(book.realizedPnlToday).toBeCloseTo(97.9, 10);
    expect(book.cash).toBeCloseTo(10_000 + 97.9, 10);
    expect(book.positions['BTC/USDT']).toBeUndefined();
  });

  it('refuses fills that would overdraw cash or oversell', () => {
    const book = newBook(100, T0);
    expect(() => applyFill(book, 'BTC/USDT', 'buy', { price: 100, quantity: 1, fee: 0.1, timestamp: T0 })).toThrow(LedgerError);
    expect(() => applyFill(book, 'BTC/USDT', 'sell', { price: 100, quantity: 0.5, fee: 0, timestamp: T0 })).toThrow(/exceeds the position of 0/);
    expect(() => applyFill(book, 'BTC/USDT', 'buy', { price: NaN, quantity: 0.5, fee: 0, timestamp: T0 })).toThrow(/invalid numbers/);
  });

  it('rolls the day: daily figures restart from the marked equity', () => {
    const book = { ...newBook(1_000, T0), realizedPnlToday: -30 };
    expect(rollDay(book, T0 + 3_600_000, 970)).toBe(book);
    const next = rollDay(book, T0 + 24 * 3_600_000, 970);
    expect(next).toMatchObject({ day: '2024-01-02', realizedPnlToday: 0, dayStartEquity: 970 });
  });
});

describe('paper broker', () => {
  const terms = { feeRate: 0.001, slippageBps: 10 };

  it('fills a buy at the next price plus slippage and charges the fee', () => {
    const r = paperFill(order('buy', 2), { price: 100, timestamp: T0 }, terms, { cash: 1_000, position: 0 });
    expect(r.status).toBe('filled');
    expect(r.avgPrice).toBeCloseTo(100.1, 10);
    expect(r.fee).toBeCloseTo(2 * 100.1 * 0.001, 10);
    expect(r.fills).toEqual([{ price: r.avgPrice, quantity: 2, fee: r.fee, timestamp: T0 }]);
  });

  it('fills a sell below the next price', () => {
    const r = paperFill(order('sell', 1), { price: 100, timestamp: T0 }, terms, { cash: 0, position: 1 });
    expect(r.avgPrice).toBeCloseTo(99.9, 10);
  });

  it('trims a buy to the cash when the price moved up, and keeps the books consistent', () => {
    const r = paperFill(order('buy', 10), { price: 120, timestamp: T0 }, terms, { cash: 1_000, position: 0 });
    expect(r.status).toBe('filled');
    expect(r.filledQuantity).toBeLessThan(10);
    const book = applyFill(newBook(1_000, T0), 'BTC/USDT', 'buy', r.fills[0]);
    expect(book.cash).toBeGreaterThanOrEqual(-1e-9);
  });

  it('rejects what the balances cannot cover, naming why', () => {
    expect(paperFill(order('sell', 2), { price: 100, timestamp: T0 }, terms, { cash: 0, position: 1 })).toMatchObject({
      status: 'rejected', filledQuantity: 0, rejectReason: 'insufficient position: selling 2 but holding 1',
    });
    expect(paperFill(order('buy', 1), { price: 100, timestamp: T0 }, terms, { cash: 0, position: 0 }).rejectReason).toMatch(/insufficient funds/);
    expect(paperFill(order('buy', 1), { price: 0, timestamp: T0 }, terms, { cash: 10, position: 0 }).rejectReason).toMatch(/no valid next price/);
  });
});
