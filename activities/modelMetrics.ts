/**
 * Metrics of the signal model, on the same registry as ./metrics (served by every worker's /metrics):
 * which version a worker serves, reloads, and live monitoring of realised hit rate against predicted
 * confidence per model version (set by scoreMatureSignals from the database, so every worker that scores
 * reports the same figures, and a restart loses nothing).
 */
import { Counter, Gauge } from 'prom-client';
import { registry } from './metrics';

export const modelMetrics = {
  served: new Gauge({
    name: 'trader_model_served',
    help: 'Model version this worker serves (value 1)',
    labelNames: ['version'] as const,
    registers: [registry],
  }),
  reloads: new Counter({
    name: 'trader_model_reloads_total',
    help: 'Model loads by outcome: loaded (first), reloaded (a promoted version), failed (kept the previous one)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  signalOutcomes: new Counter({
    name: 'trader_signal_outcomes_total',
    help: 'Signals scored against the realised move, by model version, predicted direction and hit',
    labelNames: ['model_version', 'direction', 'hit'] as const,
    registers: [registry],
  }),
  hitRate: new Gauge({
    name: 'trader_signal_hit_rate',
    help: 'Share of scored signals whose direction was the realised label, by model version and confidence band (all = every band)',
    labelNames: ['model_version', 'band'] as const,
    registers: [registry],
  }),
  meanConfidence: new Gauge({
    name: 'trader_signal_mean_confidence',
    help: 'Mean predicted confidence of the scored signals, by model version and confidence band: compare with trader_signal_hit_rate',
    labelNames: ['model_version', 'band'] as const,
    registers: [registry],
  }),
  scored: new Gauge({
    name: 'trader_signal_scored',
    help: 'Scored signals behind the hit rate, by model version and confidence band',
    labelNames: ['model_version', 'band'] as const,
    registers: [registry],
  }),
  retrainingDecisions: new Counter({
    name: 'trader_retraining_decisions_total',
    help: 'Retraining workflow decisions recorded, by decision (promote, keep)',
    labelNames: ['decision'] as const,
    registers: [registry],
  }),
};
