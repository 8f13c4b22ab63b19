/**
 * Picks the market a new paper portfolio trades on. Paper falls back to the seeded simulator when the live
 * exchange cannot be reached, loudly, and the choice is stored in the config so every record names it.
 * Live never falls back: trading real money on made-up prices is worse than not starting.
 */
import { probeMarket } from '../activities/market';
import type { PortfolioConfig } from '../domain/config';

export const FALLBACK_MARKET = 'sim:42';
export const SIM_INTERVAL_MS = 5_000;

export async function chooseMarket(config: PortfolioConfig, warn: (line: string) => void): Promise<PortfolioConfig> {
  if (!config.market.startsWith('live:')) return config;
  const probe = await probeMarket(config.market, 5000);
  if (probe.ok) return config;
  if (config.mode === 'live') {
    throw new Error(`live market ${config.market} is unreachable (${probe.reason}); live mode never falls back to simulated prices`);
  }
  const banner = '!'.repeat(78);
  warn(banner);
  warn(`!! ${config.market} is unreachable: ${probe.reason}`);
  warn(`!! PAPER portfolio '${config.portfolioId}' falls back to the SIMULATED market ${FALLBACK_MARKET}.`);
  warn('!! Prices are synthetic. Every cycle, signal and order is recorded with market source ' + FALLBACK_MARKET + '.');
  // The simulator moves one candle per cycle whatever the clock says, so waiting a live interval between cycles
  // would only make the simulation slow to watch.
  const intervalMs = Math.min(config.intervalMs, SIM_INTERVAL_MS);
  warn(`!! Simulated time: one ${config.timeframe} candle every ${intervalMs / 1000} s.`);
  warn(banner);
  return { ...config, market: FALLBACK_MARKET, intervalMs };
}
