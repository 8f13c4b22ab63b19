import { applyConfigPatch, checkConfig, defaultConfig } from '../../domain/config';
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

describe('client order ids', () => {
  it('are deterministic, distinct per intent and fit exchange limits', () => {
    const a = clientOrderId('portfolio-default-abc-cycle-1', 'BTC/USDT', 'buy');
    expect(a).toBe(clientOrderId('portfolio-default-abc-cycle-1', 'BTC/USDT', 'buy'));
    expect(a).not.toBe(clientOrderId('portfolio-default-abc-cycle-1', 'BTC/USDT', 'sell'));
    expect(a).not.toBe(clientOrderId('portfolio-default-abc-cycle-2', 'BTC/USDT', 'buy'));
    expect(a).toMatch(/^[A-Za-z0-9._-]{1,36}$/);
  });
});
