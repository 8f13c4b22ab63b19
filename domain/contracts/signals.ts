/** The signal ports: the model's features of the newest closed candle, and its signals from them. */
import type { FeatureVector, MarketSnapshot, Signal } from '../types';

export interface ComputeFeaturesInput {
  snapshots: MarketSnapshot[];
  /** BTC/USDT, same timeframe and window as the snapshots; optional when BTC/USDT is among them. */
  reference?: MarketSnapshot;
}

export interface InferSignalsInput {
  features: FeatureVector[];
}

export interface FeaturePort {
  computeFeatures(input: ComputeFeaturesInput): Promise<FeatureVector[]>;
}

export interface InferencePort {
  inferSignals(input: InferSignalsInput): Promise<Signal[]>;
}
