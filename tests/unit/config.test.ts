import { applyConfigPatch, checkConfig, defaultConfig, MAX_CANDLE_LIMIT, MAX_CANDLES_PER_CYCLE } from '../../domain/config';
import { parseStrategyConfig, warmupCandles } from '../../domain/strategies';
import { clientOrderId } from '../../domain/ids';
import { clipText, CONTINUE_AS_NEW_AT_BYTES, stateBudgetRefusal } from '../../domain/stateBudget';
import { carriedBytes, carriedState, MAX_HISTORY_BYTES, sizeCallsForContinueAsNew } from '../../workflows/stateGuard';

describe('portfolio config', () => {
  it('accepts the defaults and names each bad field', () => {
    expect(checkConfig(defaultConfig()).ok).toBe(true);
    const bad = checkConfig({ ...defaultConfig(), symbols: ['btc-usdt'], intervalMs: 5 });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.reason).toMatch(/symbols\.0: expected BASE\/QUOTE/);
      expect(bad.reason).toMatch(/intervalMs:/);
    }
  });

  it('merges a patch and refuses changes of identity or mode', () => {
    const cfg = defaultConfig();
    const ok = applyConfigPatch(cfg, { risk: { maxAssetWeight: 0.1 } });
    expect(ok.ok && ok.config.risk).toEqual({ ...cfg.risk, maxAssetWeight: 0.1 });
    expect(applyConfigPatch(cfg, { risk: { maxAssetWeight: 2 } })).toEqual({ ok: false, reason: expect.stringMatching(/^risk\.maxAssetWeight: /) });
    expect(applyConfigPatch(cfg, { mode: 'live' } as never)).toEqual({ ok: false, reason: 'mode: cannot be changed on a running portfolio' });
    expect(applyConfigPatch(cfg, { bogus: 1 } as never).ok).toBe(false);
  });

  it('defaults live portfolios to rejecting trades when the LLM is unavailable', () => {
    expect(defaultConfig({ mode: 'live' }).llm.fallback).toBe('reject');
    expect(defaultConfig().llm.fallback).toBe('approve-reduced');
  });
});

describe('candles per cycle', () => {
  const strategies = parseStrategyConfig({});

  it('lets the default regime detector and breaker run on 5m candles, fetched in several calls', () => {
    const need = warmupCandles(strategies, '5m');
    expect(need).toBe(2_328);
    const symbols = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'BNB/USDT', 'XRP/USDT', 'ADA/USDT', 'DOGE/USDT'];
    expect(checkConfig(defaultConfig({ timeframe: '5m', symbols, strategies, candleLimit: need })).ok).toBe(true);
    expect(checkConfig(defaultConfig({ timeframe: '5m', strategies, candleLimit: need - 1 }))).toEqual({
      ok: false, reason: 'candleLimit: the enabled strategies need 2328 5m candles; raise candleLimit to at least that',
    });
  });

  it('refuses more candles per symbol than a cycle may fetch, and strategies that would need more', () => {
    expect(checkConfig(defaultConfig({ candleLimit: MAX_CANDLE_LIMIT + 1 }))).toEqual({
      ok: false, reason: `candleLimit: a cycle may fetch at most ${MAX_CANDLE_LIMIT} candles per symbol`,
    });
    const long = parseStrategyConfig({ regime: { trendWindow: 200, volRankWindow: 720 } });
    const need = warmupCandles(long, '1m');
    expect(need).toBeGreaterThan(MAX_CANDLE_LIMIT);
    expect(checkConfig(defaultConfig({ timeframe: '1m', symbols: ['BTC/USDT'], strategies: long, candleLimit: MAX_CANDLE_LIMIT }))).toEqual({
      ok: false,
      reason: `candleLimit: the enabled strategies need ${need} 1m candles, more than a cycle may fetch (${MAX_CANDLE_LIMIT}); shorten their windows, use a longer timeframe, or turn the regime and breaker off`,
    });
  });

  it('refuses more candles per cycle than one market-data result may carry, counting BTC/USDT for the model', () => {
    // Two traded symbols plus BTC/USDT, the model's reference: 3 x 9,000 = 27,000.
    expect(checkConfig(defaultConfig({ symbols: ['ETH/USDT', 'SOL/USDT'], candleLimit: 9_000 }))).toEqual({
      ok: false,
      reason: `candleLimit: 9000 candles x 3 symbols (BTC/USDT included for the model) = 27000 candles per cycle, more than one market-data result may carry (${MAX_CANDLES_PER_CYCLE}); lower candleLimit to at most 8333, trade fewer symbols or use a longer timeframe`,
    });
    expect(checkConfig(defaultConfig({ symbols: ['BTC/USDT', 'SOL/USDT'], candleLimit: 9_000 })).ok).toBe(true);
    // A setConfig that would cross the line is refused with the same reason, naming the field.
    expect(applyConfigPatch(defaultConfig(), { candleLimit: 9_000 })).toEqual({ ok: false, reason: expect.stringMatching(/^candleLimit: 9000 candles x 3 symbols/) });
  });
});

describe('client order ids', () => {
  it('are deterministic, distinct per intent and fit exchange limits', () => {
    const a = clientOrderId('portfolio-default-abc-cycle-1', 'BTC/USDT', 'buy');
    expect(a).toBe(clientOrderId('portfolio-default-abc-cycle-1', 'BTC/USDT', 'buy'));
    expect(a).not.toBe(clientOrderId('portfolio-default-abc-cycle-1', 'BTC/USDT', 'sell'));
    expect(a).not.toBe(clientOrderId('portfolio-default-abc-cycle-2', 'BTC/USDT', 'buy'));
    expect(a).toMatch(/^[A-Za-z0-9._-]{1,36}$/);
  });
});

describe('issue 12: live markets and bounded state', () => {
  it('a live portfolio accepts only live:<exchange> markets, at start and in every update', () => {
    const live = defaultConfig({ mode: 'live', market: 'live:binance' });
    expect(checkConfig(live).ok).toBe(true);
    for (const market of ['replay:../shared/data/ohlcv', 'sim:42']) {
      expect(checkConfig({ ...live, market })).toEqual({ ok: false, reason: `market: live mode trades only on live:<exchange> market data, got '${market}'` });
      expect(applyConfigPatch(live, { market })).toEqual({ ok: false, reason: `market: live mode trades only on live:<exchange> market data, got '${market}'` });
    }
    expect(applyConfigPatch(defaultConfig(), { market: 'sim:7' }).ok).toBe(true);
  });

  it('strings a state carries are bounded, and so is the serialized state', () => {
    expect(applyConfigPatch(defaultConfig(), { llm: { model: 'm'.repeat(1_900_000) } })).toEqual({ ok: false, reason: 'llm.model: at most 200 characters' });
    expect(applyConfigPatch(defaultConfig(), { market: `replay:${'d'.repeat(600)}` })).toMatchObject({ ok: false, reason: 'market: at most 500 characters' });
    expect(stateBudgetRefusal({ config: defaultConfig() })).toBeUndefined();
    expect(stateBudgetRefusal({ notes: 'é'.repeat(140_000) })).toMatch(/^the portfolio's state would be 280012 bytes with this change, more than the 262144 allowed/);
    expect(clipText('x'.repeat(5_000)).length).toBeLessThanOrEqual(2_000);
    expect(clipText('short')).toBe('short');
  });

  it('the portfolio continues as new on a heavy state or history, shedding the risk report first', () => {
    const config = defaultConfig();
    const state = { config, book: {}, cursor: { time: null }, cooldowns: {}, paused: false, cycleNo: 1, instanceId: 'i', lastPrices: {} } as never;
    expect(sizeCallsForContinueAsNew(1_000, config, state)).toBe(false);
    expect(sizeCallsForContinueAsNew(MAX_HISTORY_BYTES + 1, config, state)).toBe(true);
    const heavy = { ...(state as object), lastRisk: { notes: 'r'.repeat(CONTINUE_AS_NEW_AT_BYTES) } } as never;
    expect(sizeCallsForContinueAsNew(1_000, config, heavy)).toBe(true);
    expect(carriedState(config, heavy)).toEqual(state);
    expect(carriedBytes(config, carriedState(config, heavy))).toBeLessThan(CONTINUE_AS_NEW_AT_BYTES);
  });
});
