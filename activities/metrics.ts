/**
 * Application metrics, incremented by activities (they run in worker processes) and served by each
 * worker's `/metrics` endpoint. Workflows cannot touch these: they are deterministic and replayed.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
// Node's process metrics under their standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes), as
// Prometheus' conventions and every Node.js dashboard expect them.
collectDefaultMetrics({ register: registry });

/** A counter on the registry every worker serves. */
export const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) => new Counter<L>({ name, help, labelNames, registers: [registry] });
/** A gauge on the registry every worker serves. */
export const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) => new Gauge<L>({ name, help, labelNames, registers: [registry] });
/** A histogram on the registry every worker serves, with its buckets. */
export const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
  new Histogram<L>({ name, help, labelNames, buckets, registers: [registry] });

export const metrics = {
  cycles: counter('trader_cycles_total', 'Trading cycles recorded, by portfolio and status', ['portfolio', 'status']),
  cycleDuration: histogram('trader_cycle_duration_seconds', 'Wall time of a trading cycle from first activity to record', ['portfolio'], [0.5, 1, 2, 5, 10, 30, 60, 120, 300]),
  orders: counter('trader_orders_total', 'Orders handled by the execution activity, by mode, side and status', ['mode', 'side', 'status']),
  fills: counter('trader_fills_total', 'Fills received, by mode and side', ['mode', 'side']),
  activityFailures: counter('trader_activity_failures_total', 'Activity attempts that threw, by activity type and failure type', ['activity', 'type']),
  llmLatency: histogram('trader_llm_latency_seconds', 'Latency of LLM trade validation calls, fallbacks included', ['model', 'outcome'], [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60]),
  llmFallbacks: counter('trader_llm_fallbacks_total', 'LLM verdicts replaced by the fallback policy, by reason', ['model', 'reason']),
  llmVerdicts: counter('trader_llm_verdicts_total', "Each model's answers to trade reviews, by model and outcome (verdict or fallback)", ['model', 'outcome']),
  llmFallbackRate: gauge('trader_llm_fallback_ratio', 'Share of the last 20 questions to the model that fell back (0 = every one answered)', ['model']),
  llmStatus: gauge('trader_llm_status', 'LLM health as /health reports it: 2 ready, 1 degraded (model missing, slow, falling back), 0 down'),
  riskScore: gauge('trader_risk_score', 'Portfolio risk score (0-100, from volatility, concentration, correlation and confidence) at the last cycle', ['portfolio', 'mode']),
  valueAtRisk: gauge('trader_value_at_risk', 'One-day 95% historical value at risk of the positions at the last cycle, in quote currency', ['portfolio', 'mode']),
  riskLimitUsage: gauge('trader_risk_limit_usage_ratio', 'How much of each risk limit the portfolio used at the last cycle (1 = at the limit)', ['portfolio', 'limit']),
  equity: gauge('trader_equity', 'Portfolio equity marked at the last recorded cycle, in quote currency', ['portfolio', 'mode']),
  balanceDrifts: counter('trader_balance_drift_total', 'Assets whose book quantity differed from the account at reconciliation, by portfolio, venue and asset', ['portfolio', 'venue', 'asset']),
  executionIncidents: counter('trader_execution_incidents_total', 'Incidents the operator must know about (an order outcome unknown, a suspect account snapshot, refused market metadata, a price out of band), by kind, venue and severity', ['kind', 'venue', 'severity']),
};
