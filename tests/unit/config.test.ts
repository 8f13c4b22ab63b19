import { applyConfigPatch, checkConfig, defaultConfig, MAX_CANDLE_LIMIT, MAX_CANDLES_PER_CYCLE } from '../../domain/config';
import { parseStrategyConfig, warmupCandles } from '../../domain/strategies';
import { clientOrderId } from '../../domain/ids';

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
