/** The market-data port: candles for a cycle and the next price a paper order fills at. */
import type { MarketCursor, MarketDataResult } from '../types';

export interface FetchMarketDataInput {
  market: string;
  symbols: string[];
  timeframe: string;
  limit: number;
  cursor: MarketCursor;
  /**
   * Set: the `limit` newest candles CLOSED at this time (ms UTC), for reading another timeframe at a cycle's decision
   * time (the model's 1h candles in a 5m cycle). Nothing moves: the cursor comes back as given, and no candle that
   * closes after this time (live: or after now) is served.
   */
  closedBy?: number;
  /**
   * With closedBy, for replay and sim: the timeframe the market walks. When it is shorter than `timeframe` and divides
   * it, the candles are that series aggregated (the prices the cycle trades); otherwise the market's own `timeframe`
   * series. A live exchange always serves its own candles.
   */
  baseTimeframe?: string;
}

export interface NextPrice {
  price: number;
  timestamp: number;
  /** Base volume of the candle the price opens; absent for a live ticker. 0: nothing traded (an outage candle). */
  volume?: number;
}

export interface FetchNextPriceInput {
  market: string;
  symbol: string;
  timeframe: string;
  cursor: MarketCursor;
}

export interface MarketDataPort {
  fetchMarketData(input: FetchMarketDataInput): Promise<MarketDataResult>;
}
