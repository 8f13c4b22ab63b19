/**
 * Reads a market string (`live:<exchange>`, `replay:<dir>`, `sim[:<seed>]`) into the source it names.
 */
import path from 'node:path';
import { failure } from '../../domain/failures';

export const DEFAULT_SIM_SEED = 42;

export type MarketSource =
  | { kind: 'live'; exchangeId: string }
  | { kind: 'replay'; dir: string }
  | { kind: 'sim'; seed: number };

const EXPECTED = 'expected live:<exchange>, replay:<dir> or sim[:<seed>]';

export function parseMarketSpec(market: string): MarketSource {
  if (typeof market !== 'string') {
    throw failure('InvalidMarketSource', `market must be a string, got ${typeof market}: ${EXPECTED}`);
  }
  const live = /^live:([a-z0-9]+)$/.exec(market);
  if (live) return { kind: 'live', exchangeId: live[1] };
  const replay = /^replay:(.+)$/.exec(market);
  // Resolved against the worker's working directory, so a relative dir means the same as on the command line.
  if (replay) return { kind: 'replay', dir: path.resolve(process.cwd(), replay[1]) };
  const sim = /^sim(?::(\d+))?$/.exec(market);
  if (sim) {
    const seed = sim[1] === undefined ? DEFAULT_SIM_SEED : Number(sim[1]);
    if (!Number.isSafeInteger(seed)) {
      throw failure('InvalidMarketSource', `market '${market}': sim seed must be an integer below 2^53`);
    }
    return { kind: 'sim', seed };
  }
  throw failure('InvalidMarketSource', `unknown market '${market}': ${EXPECTED}`);
}

/** `BTC/USDT` -> `BTC-USDT`, the way replay files and sim keys name a pair. */
export function symbolFilePart(symbol: string): string {
  const parts = typeof symbol === 'string' ? symbol.split('/') : [];
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw failure('UnknownSymbol', `symbol '${symbol}' is not BASE/QUOTE (e.g. BTC/USDT)`);
  }
  return `${parts[0]}-${parts[1]}`;
}
