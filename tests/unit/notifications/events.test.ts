/**
 * The pure rules: which events a cycle, a day roll or a liquidation gives (domain/notifications/derive.ts) and
 * how the notifier queues them (batching.ts). Untidy cases together: a stop that fired but could not sell, a sell
 * that left dust, partial fills of one order, a native stop filled on the exchange, repeated failures, drift.
 */
import { BATCHING, EMPTY_QUEUE, enqueue, hasUrgent, takeBatch } from '../../../domain/notifications/batching';
import {
  FAILURE_STREAK, NEW_TRACKER, cycleEvents, dailySummary, liquidationFinished, type CycleFacts, type PortfolioView, type Scope,
} from '../../../domain/notifications/derive';
import { EVENT_CATALOGUE, event } from '../../../domain/notifications/events';
import type { CycleTrade } from '../../../domain/bookOrder';
import type { OrderResult, PortfolioBook, Position } from '../../../domain/types';

const s: Scope = { scope: 'portfolio-p-abc', portfolioId: 'p', mode: 'paper', quote: 'USDT' };
const NOW = Date.parse('2026-12-01T10:00:00Z');
const position = (symbol: string, quantity: number, extra: Partial<Position> = {}): Position => ({ symbol, quantity, avgPrice: 100, ...extra });
const book = (positions: Position[], extra: Partial<PortfolioBook> = {}): PortfolioBook => ({
  cash: 1_000, positions: Object.fromEntries(positions.map((p) => [p.symbol, p])), realizedPnlToday: 0, dayStartEquity: 10_000, day: '2026-12-01', ...extra,
});
const view = (b: PortfolioBook, extra: Partial<PortfolioView> = {}): PortfolioView => ({ book: b, ...extra });
const trade = (symbol: string, side: 'buy' | 'sell', quantity: number, price: number, clientOrderId: string, realizedPnl = 0): CycleTrade => ({
  symbol, side, quantity, price, notional: quantity * price, fee: 0.1, realizedPnl, clientOrderId,
});
const cycle = (extra: Partial<CycleFacts> = {}): CycleFacts => ({ cycleId: 'portfolio-p-abc-cycle-7', cycleNo: 7, status: 'completed', orders: [], prices: { 'BTC/USDT': 90, 'ETH/USDT': 10 }, ...extra });
const derive = (c: CycleFacts, before: PortfolioView, after: PortfolioView, tracker = NEW_TRACKER) => cycleEvents(s, c, before, after, tracker, NOW, 10);

describe('events of a cycle', () => {
  it('fills: one event per order whatever its number of fills, entries and exits with P&L', () => {
    const { events } = derive(cycle({
      trades: [trade('ETH/USDT', 'buy', 1, 10, 'tt-1'), trade('ETH/USDT', 'buy', 3, 11, 'tt-1'), trade('BTC/USDT', 'sell', 2, 90, 'tt-2', -20.5)],
    }), view(book([position('BTC/USDT', 2)])), view(book([position('ETH/USDT', 4)])));
    expect(events.map((e) => [e.kind, e.title])).toEqual([
      ['order.filled', 'Entry filled: buy 4 ETH/USDT at 10.75'],
      ['order.filled', 'Exit filled: sell 2 BTC/USDT at 90.00, P&L -20.50 USDT'],
    ]);
    expect(events[0]).toMatchObject({ id: 'fill:portfolio-p-abc-cycle-7:tt-1', severity: 'info', mode: 'paper', time: '2026-12-01T10:00:00.000Z' });
  });

  it('a stop that sold is one exit event (not a fill); one that could not sell is critical, with the refusal; dust is not', () => {
    const sold = derive(cycle({
      trades: [trade('BTC/USDT', 'sell', 2, 88, 'tt-3', -24)],
      notices: { protectiveExits: [{ symbol: 'BTC/USDT', rule: 'stop-loss', detail: 'low 87 touched the stop-loss at 88' }] },
    }), view(book([position('BTC/USDT', 2)])), view(book([position('BTC/USDT', 0.05)]))); // 0.05 × 90 = 4.5 < 10: dust
    expect(sold.events.map((e) => [e.kind, e.severity, e.title])).toEqual([
      ['exit.stop_loss', 'warning', 'Stop-loss hit on BTC/USDT: sold 2 at 88.00, P&L -24.00 USDT'],
    ]);

    const refused: OrderResult = {
      clientOrderId: 'tt-4', symbol: 'BTC/USDT', side: 'sell', status: 'rejected', requestedQuantity: 2, filledQuantity: 0, avgPrice: 0, fee: 0, fills: [],
      rejectReason: 'amount 0.00001 below the minimum 0.0001', deduplicated: false,
    };
    const stuck = derive(cycle({
      status: 'failed', orders: [refused],
      notices: { protectiveExits: [{ symbol: 'BTC/USDT', rule: 'take-profit', detail: 'high 130 reached the take-profit' }] },
    }), view(book([position('BTC/USDT', 2)])), view(book([position('BTC/USDT', 2)])));
    expect(stuck.events).toEqual([expect.objectContaining({
      kind: 'exit.not_executed', severity: 'critical', id: 'exit-not-executed:portfolio-p-abc-cycle-7:BTC/USDT',
      title: 'Take-profit on BTC/USDT could not be executed: the position is still held', text: 'amount 0.00001 below the minimum 0.0001',
    })]);

    // A partial sell that left more than the minimum: both the exit and what is left.
    const partial = derive(cycle({
      trades: [trade('BTC/USDT', 'sell', 1, 88, 'tt-5', -12)], notices: { protectiveExits: [{ symbol: 'BTC/USDT', rule: 'stop-loss', detail: '' }] },
    }), view(book([position('BTC/USDT', 2)])), view(book([position('BTC/USDT', 1)])));
    expect(partial.events.map((e) => e.kind)).toEqual(['exit.stop_loss', 'exit.not_executed']);
    expect(partial.events[1].text).toBe('sold 1 of 2, 1 left: no sell order filled');
  });

  it('an exit not executed reported by the cycle itself (issue 11) is taken as is, once', () => {
    const { events } = derive(cycle({
      notices: { protectiveExits: [{ symbol: 'BTC/USDT', rule: 'stop-loss', detail: '' }], exitsNotExecuted: [{ symbol: 'BTC/USDT', rule: 'stop-loss', reason: 'below the exchange minimum after fees' }] },
    }), view(book([position('BTC/USDT', 2)])), view(book([position('BTC/USDT', 2)])));
    expect(events.map((e) => [e.kind, e.text])).toEqual([['exit.not_executed', 'below the exchange minimum after fees']]);
  });

  it('a native stop order that filled on the exchange is a stop-loss or a trailing stop, as its levels say', () => {
    const resting = [{ request: { clientOrderId: 'tt-stop', type: 'stop' } }] as unknown as PortfolioView['openOrders'];
    const trailing = position('BTC/USDT', 2, { protection: { stop: 80, takeProfit: 150, highWater: 120, trailDistance: 10, checkedThrough: 0 } });
    const { events } = derive(cycle({ trades: [trade('BTC/USDT', 'sell', 2, 110, 'tt-stop', 20)] }), view(book([trailing]), { openOrders: resting }), view(book([])));
    expect(events.map((e) => [e.kind, e.text])).toEqual([['exit.trailing_stop', 'the stop order resting on the exchange filled']]);
  });

  it('halts are told when they start; repeated failures once, and the recovery', () => {
    const halt = { kind: 'drawdown', reason: 'equity 9,400 is 6.00% below its peak', since: '2026-12-01T09:59:00.000Z' };
    const halted = derive(cycle(), view(book([])), view(book([]), { halt, dailyHaltDay: '2026-12-01' }));
    expect(halted.events.map((e) => [e.kind, e.id])).toEqual([
      ['halt.drawdown', 'halt:portfolio-p-abc:drawdown:2026-12-01T09:59:00.000Z'],
      ['halt.daily_loss', 'halt:portfolio-p-abc:daily_loss:2026-12-01'],
    ]);
    expect(derive(cycle(), view(book([]), { halt, dailyHaltDay: '2026-12-01' }), view(book([]), { halt, dailyHaltDay: '2026-12-01' })).events).toEqual([]);

    let tracker = NEW_TRACKER;
    const kinds: string[][] = [];
    for (let n = 1; n <= FAILURE_STREAK + 2; n++) {
      const out = derive(cycle({ cycleId: `c${n}`, cycleNo: n, status: 'failed', error: 'MarketDataUnavailable: timeout' }), view(book([])), view(book([])), tracker);
      tracker = out.tracker;
      kinds.push(out.events.map((e) => e.kind));
    }
    const recovered = derive(cycle({ cycleId: 'c9' }), view(book([])), view(book([])), tracker);
    expect([...kinds, recovered.events.map((e) => e.kind)]).toEqual([[], [], ['cycle.failing'], [], [], ['cycle.recovered']]);
    expect(recovered.tracker).toMatchObject({ failureStreak: 0, lastCompletedAt: '2026-12-01T10:00:00.000Z' });
  });

  it('drift, reconciliation anomalies and unknown order outcomes (issue 12 fields)', () => {
    const { events } = derive(cycle({
      notices: {
        drifts: [{ asset: 'BTC', symbol: 'BTC/USDT', book: 1, account: 0.9, drift: -0.1 }],
        reconciliationAnomalies: [{ asset: 'USDT', detail: 'the account reported no balances at all: book kept' }],
        unknownOrderOutcomes: [{ clientOrderId: 'tt-9', symbol: 'ETH/USDT', side: 'buy', reason: 'timeout after sending; lookup found nothing yet' }],
      },
    }), view(book([])), view(book([])));
    expect(events.map((e) => [e.kind, e.severity, e.id])).toEqual([
      ['reconciliation.drift', 'warning', 'drift:portfolio-p-abc-cycle-7'],
      ['reconciliation.anomaly', 'critical', 'anomaly:portfolio-p-abc-cycle-7'],
      ['order.unknown_outcome', 'critical', 'unknown-outcome:tt-9'],
    ]);
    expect(events[0].text).toBe('BTC: book 1, account 0.9 (-0.1)');
  });

  it('the LLM fallback rate fires once when it crosses the threshold and again only after it fell back', () => {
    let tracker = NEW_TRACKER;
    const fired: number[] = [];
    const shares = [[2, 0], [2, 2], [2, 2], [2, 2], [2, 2], [2, 0], [2, 0], [2, 0], [2, 0], [2, 0], [2, 0], [2, 0], [2, 0], [2, 0], [2, 0], [2, 2], [2, 2], [2, 2], [2, 2], [2, 2], [2, 2], [2, 2], [2, 2], [2, 2], [2, 2]];
    shares.forEach(([verdicts, fallbacks], i) => {
      const out = derive(cycle({ cycleId: `c${i}`, notices: { llm: { verdicts, fallbacks } } }), view(book([])), view(book([])), tracker);
      tracker = out.tracker;
      if (out.events.some((e) => e.kind === 'llm.fallback_rate')) fired.push(i);
    });
    // Fires at 4 of 6 (the 5-verdict minimum), clears below 25% (cycle 12), fires again at 50% (cycle 19).
    expect(fired).toEqual([2, 19]);
  });

  it('is deterministic: the same facts give the same events and ids', () => {
    const facts = cycle({ trades: [trade('ETH/USDT', 'buy', 1, 10, 'tt-1')] });
    expect(derive(facts, view(book([])), view(book([position('ETH/USDT', 1)])))).toEqual(derive(facts, view(book([])), view(book([position('ETH/USDT', 1)]))));
  });
});

describe('daily summary and liquidation', () => {
  it('the day that ended: equity, P&L against the day start, orders filled, positions', () => {
    const tracker = { ...NEW_TRACKER, day: { day: '2026-11-30', orders: 3 } };
    const ended = book([position('BTC/USDT', 2)], { day: '2026-11-30', realizedPnlToday: 12.5, dayStartEquity: 1_150 });
    const { events, tracker: next } = dailySummary(s, ended, 1_180, { 'BTC/USDT': 90 }, tracker, NOW);
    expect(events).toEqual([expect.objectContaining({
      kind: 'daily.summary', id: 'summary:portfolio-p-abc:2026-11-30',
      title: 'Day 2026-11-30: equity 1,180.00 USDT (+30.00), 3 orders filled, 1 open position',
      text: 'realised P&L +12.50 USDT; cash 1,000.00\nBTC/USDT: 2 at 100.00, now worth 180.00',
    })]);
    expect(next.day).toBeUndefined();
  });

  it('a liquidation that left positions open is critical; one that failed says so', () => {
    const left = liquidationFinished(s, 'liq-1', { book: book([position('SOL/USDT', 3)]), trades: [trade('BTC/USDT', 'sell', 2, 90, 'tt-l', -20)], errors: ['SOL/USDT: InsufficientFunds'] }, NOW);
    expect(left).toMatchObject({ severity: 'critical', title: 'Liquidation finished: 1 sell, P&L -20.00 USDT; still held: SOL/USDT' });
    expect(liquidationFinished(s, 'liq-2', { failure: 'child timed out' }, NOW)).toMatchObject({ severity: 'critical', title: 'Liquidation failed: positions may still be open' });
  });
});

describe('the notifier queue', () => {
  const e = (id: string, severity: 'info' | 'critical' = 'info') => event(severity === 'critical' ? 'halt.drawdown' : 'order.filled', { id, portfolioId: 'p', time: '', title: id, severity });

  it('drops ids it has seen, queued or delivered, and never grows past its bound: the oldest non-critical go, counted', () => {
    let q = enqueue(EMPTY_QUEUE, [e('a'), e('b'), e('a')]);
    expect(q.queue.map((x) => x.id)).toEqual(['a', 'b']);
    const taken = takeBatch(q);
    q = enqueue(taken.rest, [e('a'), e('c')]);
    expect(q.queue.map((x) => x.id)).toEqual(['c']);

    const limits = { ...BATCHING, maxQueue: 3, maxBatch: 2 };
    q = enqueue(EMPTY_QUEUE, [e('h1', 'critical'), e('f1'), e('f2'), e('f3'), e('h2', 'critical')], limits);
    expect({ queued: q.queue.map((x) => x.id), dropped: q.dropped }).toEqual({ queued: ['h1', 'f3', 'h2'], dropped: 2 });
    expect(hasUrgent(q.queue)).toBe(true);
    const batch = takeBatch(q, limits);
    expect({ batch: batch.batch.map((x) => x.id), dropped: batch.dropped, rest: batch.rest.queue.map((x) => x.id), restDropped: batch.rest.dropped })
      .toEqual({ batch: ['h1', 'f3'], dropped: 2, rest: ['h2'], restDropped: 0 });
  });

  it('every catalogued kind has a severity', () => {
    for (const [kind, entry] of Object.entries(EVENT_CATALOGUE)) expect({ kind, ok: ['info', 'warning', 'critical'].includes(entry.severity) }).toEqual({ kind, ok: true });
  });
});
