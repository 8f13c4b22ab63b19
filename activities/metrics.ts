/**
 * Application metrics, incremented by activities (they run in worker processes) and served by each
 * worker's `/metrics` endpoint. Workflows cannot touch these: they are deterministic and replayed.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
// Node's process metrics under their standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes), as
// Prometheus' conventions and every Node.js dashboard expect them.
collectDefaultMetrics({ register: registry });

export const metrics = {
  cycles: new Counter({
    name: 'trader_cycles_total',
    help: 'Trading cycles recorded, by portfolio and status',
    labelNames: ['portfolio', 'status'] as const,
    registers: [registry],
  }),
  cycleDuration: new Histogram({
    name: 'trader_cycle_duration_seconds',
    help: 'Wall time of a trading cycle from first activity to record',
    labelNames: ['portfolio'] as const,
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  }),
  orders: new Counter({
    name: 'trader_orders_total',
    help: 'Orders handled by the execution activity, by mode, side and status',
    labelNames: ['mode', 'side', 'status'] as const,
    registers: [registry],
  }),
  fills: new Counter({
    name: 'trader_fills_total',
    help: 'Fills received, by mode and side',
    labelNames: ['mode', 'side'] as const,
    registers: [registry],
  }),
  activityFailures: new Counter({
    name: 'trader_activity_failures_total',
    help: 'Activity attempts that threw, by activity type and failure type',
    labelNames: ['activity', 'type'] as const,
    registers: [registry],
  }),
  llmLatency: new Histogram({
    name: 'trader_llm_latency_seconds',
    help: 'Latency of LLM trade validation calls, fallbacks included',
    labelNames: ['model', 'outcome'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60],
    registers: [registry],
  }),
  llmFallbacks: new Counter({
    name: 'trader_llm_fallbacks_total',
    help: 'LLM verdicts replaced by the fallback policy, by reason',
    labelNames: ['model', 'reason'] as const,
    registers: [registry],
  }),
  llmVerdicts: new Counter({
    name: 'trader_llm_verdicts_total',
    help: "Each model's answers to trade reviews, by model and outcome (verdict or fallback)",
    labelNames: ['model', 'outcome'] as const,
    registers: [registry],
  }),
  llmFallbackRate: new Gauge({
    name: 'trader_llm_fallback_ratio',
    help: 'Share of the last 20 questions to the model that fell back (0 = every one answered)',
    labelNames: ['model'] as const,
    registers: [registry],
  }),
  llmStatus: new Gauge({
    name: 'trader_llm_status',
    help: 'LLM health as /health reports it: 2 ready, 1 degraded (model missing, slow, falling back), 0 down',
    registers: [registry],
  }),
  riskScore: new Gauge({
    name: 'trader_risk_score',
    help: 'Portfolio risk score (0-100, from volatility, concentration, correlation and confidence) at the last cycle',
    labelNames: ['portfolio', 'mode'] as const,
    registers: [registry],
  }),
  valueAtRisk: new Gauge({
    name: 'trader_value_at_risk',
    help: 'One-day 95% historical value at risk of the positions at the last cycle, in quote currency',
    labelNames: ['portfolio', 'mode'] as const,
    registers: [registry],
  }),
  riskLimitUsage: new Gauge({
    name: 'trader_risk_limit_usage_ratio',
    help: 'How much of each risk limit the portfolio used at the last cycle (1 = at the limit)',
    labelNames: ['portfolio', 'limit'] as const,
    registers: [registry],
  }),
  equity: new Gauge({
    name: 'trader_equity',
    help: 'Portfolio equity marked at the last recorded cycle, in quote currency',
    labelNames: ['portfolio', 'mode'] as const,
    registers: [registry],
  }),
  balanceDrifts: new Counter({
    name: 'trader_balance_drift_total',
    help: 'Assets whose book quantity differed from the account at reconciliation, by portfolio, venue and asset',
    labelNames: ['portfolio', 'venue', 'asset'] as const,
    registers: [registry],
  }),
  executionIncidents: new Counter({
    name: 'trader_execution_incidents_total',
    help: 'Incidents the operator must know about (an order outcome unknown, a suspect account snapshot, refused market metadata, a price out of band), by kind, venue and severity',
    labelNames: ['kind', 'venue', 'severity'] as const,
    registers: [registry],
  }),
};
