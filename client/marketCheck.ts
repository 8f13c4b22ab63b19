/**
 * Refuses, before anything is started or changed, a market the workers could never read: a replay directory that
 * does not exist or lacks the symbols' candles, or a `live:` exchange id ccxt does not know (a typo that would
 * otherwise make a paper portfolio fall back to the simulator). The workflow's validators cannot look at files or
 * libraries (they run in the deterministic sandbox), so the CLI does, on the machine it runs on.
 */
import { parseMarketSpec } from '../activities/market/marketSpec';
import { findReplayFile, probeReplayDir } from '../activities/market/replaySource';
import { loadCcxt } from '../activities/market/loadCcxt';

/** The source alone: the replay directory readable with CSV files in it, or an exchange id ccxt knows. */
export async function checkMarketSource(market: string): Promise<void> {
  let source: ReturnType<typeof parseMarketSpec>;
  try {
    source = parseMarketSpec(market);
  } catch (err) {
    throw new Error(`market: ${(err as Error).message}`);
  }
  if (source.kind === 'replay') {
    const probe = await probeReplayDir(source.dir);
    if (!probe.ok) throw new Error(`market: ${probe.reason}`);
  } else if (source.kind === 'live' && !(loadCcxt().exchanges as unknown as string[]).includes(source.exchangeId)) {
    throw new Error(`market: '${source.exchangeId}' is not an exchange ccxt knows (e.g. binance, coinbase, kraken, kucoin, okx)`);
  }
}

/** The source, and for a replay every symbol's candles at the timeframe. */
export async function checkMarketSpec(market: string, symbols: readonly string[], timeframe: string): Promise<void> {
  await checkMarketSource(market);
  const source = parseMarketSpec(market);
  if (source.kind !== 'replay') return;
  for (const symbol of symbols) {
    try {
      await findReplayFile(source.dir, symbol, timeframe);
    } catch (err) {
      throw new Error(`market: ${(err as Error).message}`);
    }
  }
}
