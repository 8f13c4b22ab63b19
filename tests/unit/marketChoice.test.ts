import { chooseMarket, FALLBACK_MARKET } from '../../client/marketChoice';
import { defaultConfig } from '../../domain/config';

// This machine reaches no exchange (only package registries), so live:binance is unreachable here.
describe('market choice at start', () => {
  it('falls back to the simulator for paper, loudly, and records the choice in the config', async () => {
    const warnings: string[] = [];
    const config = await chooseMarket(defaultConfig({ market: 'live:binance' }), (l) => warnings.push(l));
    expect(config.market).toBe(FALLBACK_MARKET);
    expect(config.intervalMs).toBe(5_000);
    expect(warnings.join('\n')).toMatch(/live:binance is unreachable: .+/);
    expect(warnings.join('\n')).toMatch(/PAPER portfolio 'default' falls back to the SIMULATED market sim:42/);
  });

  it('never falls back in live mode', async () => {
    await expect(chooseMarket(defaultConfig({ mode: 'live', market: 'live:binance' }), () => undefined)).rejects.toThrow(
      /live market live:binance is unreachable \(.+\); live mode never falls back to simulated prices/,
    );
  });

  it('leaves replay and sim markets alone', async () => {
    const config = defaultConfig({ market: 'sim:7' });
    expect(await chooseMarket(config, () => undefined)).toBe(config);
  });
});
