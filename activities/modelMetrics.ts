/**
 * Metrics of the signal model, on the same registry as ./metrics (served by every worker's /metrics):
 * which version a worker serves, reloads, and live monitoring of realised hit rate against predicted
 * confidence per model version (set by scoreMatureSignals from the database, so every worker that scores
 * reports the same figures, and a restart loses nothing).
 */
import { counter, gauge } from './metrics';

export const modelMetrics = {
  served: gauge('trader_model_served', 'Model version this worker serves (value 1)', ['version']),
  reloads: counter('trader_model_reloads_total', 'Model loads by outcome: loaded (first), reloaded (a promoted version), failed (kept the previous one)', ['outcome']),
  signalOutcomes: counter('trader_signal_outcomes_total', 'Signals scored against the realised move, by model version, predicted direction and hit', ['model_version', 'direction', 'hit']),
  hitRate: gauge('trader_signal_hit_rate', 'Share of scored signals whose direction was the realised label, by model version and confidence band (all = every band)', ['model_version', 'band']),
  meanConfidence: gauge('trader_signal_mean_confidence', 'Mean predicted confidence of the scored signals, by model version and confidence band: compare with trader_signal_hit_rate', ['model_version', 'band']),
  scored: gauge('trader_signal_scored', 'Scored signals behind the hit rate, by model version and confidence band', ['model_version', 'band']),
  retrainingDecisions: counter('trader_retraining_decisions_total', 'Retraining workflow decisions recorded, by decision (promote, keep)', ['decision']),
};
