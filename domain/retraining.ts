/**
 * Retraining rules, shared by the retraining workflow (deterministic) and its activities: what a run may be
 * asked to do, and when a freshly trained candidate replaces the served model. Pure: no I/O, no clock.
 *
 * Promotion rule: on the newest out-of-time window (the candidate's own test window, cut to what the current
 * model never saw either), the candidate must beat the current model's log-loss by at least `minImprovement`.
 * Log-loss because the portfolio acts on the calibrated probabilities (minConfidence), not only on the argmax.
 * When there is no comparable current model (none yet, or one that reads other features and so cannot be
 * served by today's workers), the candidate must beat the no-skill forecast (class frequencies) by the margin.
 */

export type TrainingProfile = 'full' | 'quick';

export interface RetrainingInput {
  /** Base assets to train on, e.g. ['BTC', 'ETH']; default: every symbol `npm run train` uses. */
  symbols?: string[];
  /** ISO date or time: rows from (inclusive) / to (exclusive); default: all the data. */
  from?: string;
  to?: string;
  /** `full` is `npm run train`'s configuration; `quick` trains small and fast (tests, smoke runs). */
  profile?: TrainingProfile;
  /** Log-loss improvement the candidate must show over the current model (or the baseline). */
  minImprovement?: number;
  /** An evaluation window with fewer rows decides nothing: the candidate is kept out. */
  minEvaluationRows?: number;
}

export type CheckedRetrainingInput = Required<Pick<RetrainingInput, 'profile' | 'minImprovement' | 'minEvaluationRows'>> &
  Pick<RetrainingInput, 'symbols' | 'from' | 'to'>;

export const RETRAINING_DEFAULTS = {
  profile: 'full' as TrainingProfile,
  // About 0.2% of a typical log-loss near 1.0: small, yet above the run-to-run noise of the same data.
  minImprovement: 0.002,
  minEvaluationRows: 1000,
};

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z)?$/;
const BASE_ASSET = /^[A-Z0-9]{2,10}$/;

export function checkRetrainingInput(input: RetrainingInput | undefined): { ok: true; value: CheckedRetrainingInput } | { ok: false; reason: string } {
  const i = input ?? {};
  const problems: string[] = [];
  if (i.symbols !== undefined && (!Array.isArray(i.symbols) || i.symbols.length === 0 || !i.symbols.every((s) => BASE_ASSET.test(s)))) {
    problems.push('symbols must be a non-empty list of base assets in capitals, e.g. ["BTC", "ETH"]');
  }
  for (const key of ['from', 'to'] as const) {
    if (i[key] !== undefined && !(typeof i[key] === 'string' && ISO_DATE.test(i[key]!))) {
      problems.push(`${key} must be a UTC date such as 2023-06-01 or 2023-06-01T00:00Z`);
    }
  }
  if (i.from && i.to && ISO_DATE.test(i.from) && ISO_DATE.test(i.to) && i.from >= i.to) problems.push('from must be before to');
  if (i.profile !== undefined && i.profile !== 'full' && i.profile !== 'quick') problems.push('profile must be full or quick');
  if (i.minImprovement !== undefined && !(Number.isFinite(i.minImprovement) && i.minImprovement >= 0 && i.minImprovement < 1)) {
    problems.push('minImprovement must be a log-loss difference in [0, 1)');
  }
  if (i.minEvaluationRows !== undefined && !(Number.isInteger(i.minEvaluationRows) && i.minEvaluationRows >= 1)) {
    problems.push('minEvaluationRows must be a positive whole number');
  }
  if (problems.length > 0) return { ok: false, reason: problems.join('; ') };
  return {
    ok: true,
    value: {
      symbols: i.symbols,
      from: i.from,
      to: i.to,
      profile: i.profile ?? RETRAINING_DEFAULTS.profile,
      minImprovement: i.minImprovement ?? RETRAINING_DEFAULTS.minImprovement,
      minEvaluationRows: i.minEvaluationRows ?? RETRAINING_DEFAULTS.minEvaluationRows,
    },
  };
}

/** One model's figures on the evaluation window (calibrated probabilities, as served). */
export interface ModelScore {
  version: string;
  rows: number;
  logLoss: number;
  accuracy: number;
  brier: number;
  buyCount: number;
  buyPrecision: number | null;
}

export interface Evaluation {
  /** The rows both models are scored on: newest data, unseen by the candidate and by the current model. */
  window: { from: number; to: number; rows: number } | null;
  /** Why there is no window, or how it was cut. */
  windowNote: string;
  candidate: ModelScore | null;
  currentVersion: string | null;
  current: ModelScore | null;
  /** Why the current model was not scored: none yet, other features, ... */
  currentNotScored?: string;
  /** No-skill forecast: the class frequencies of the candidate's training window. */
  baseline: { logLoss: number; accuracy: number } | null;
}

export interface PromotionDecision {
  promote: boolean;
  reason: string;
  metric: 'logLoss';
  margin: number;
  candidateMetric: number | null;
  currentMetric: number | null;
  baselineMetric: number | null;
}

const f4 = (x: number): string => x.toFixed(4);

export function decidePromotion(e: Evaluation, margin: number, minRows: number): PromotionDecision {
  const base = {
    metric: 'logLoss' as const,
    margin,
    candidateMetric: e.candidate?.logLoss ?? null,
    currentMetric: e.current?.logLoss ?? null,
    baselineMetric: e.baseline?.logLoss ?? null,
  };
  if (!e.window || !e.candidate || e.window.rows < minRows) {
    const rows = e.window?.rows ?? 0;
    return { ...base, promote: false, reason: `keep: the evaluation window has ${rows} rows, fewer than ${minRows} (${e.windowNote})` };
  }
  if (e.currentVersion === e.candidate.version) {
    // Same data, same code: training is deterministic and the version is a hash of the model's bytes.
    return { ...base, promote: false, reason: `keep: the candidate is ${e.candidate.version}, the version already served (identical bytes)` };
  }
  const cand = e.candidate.logLoss;
  if (e.current) {
    const gain = e.current.logLoss - cand;
    const promote = gain >= margin;
    return {
      ...base,
      promote,
      reason: `${promote ? 'promote' : 'keep'}: candidate log-loss ${f4(cand)} vs current ${e.current.version} ${f4(e.current.logLoss)} ` +
        `on ${e.window.rows} rows: improvement ${f4(gain)} ${promote ? '>=' : '<'} margin ${f4(margin)}`,
    };
  }
  if (!e.baseline) {
    return { ...base, promote: false, reason: `keep: no comparable current model (${e.currentNotScored}) and no baseline to beat` };
  }
  const gain = e.baseline.logLoss - cand;
  const promote = gain >= margin;
  return {
    ...base,
    promote,
    reason: `${promote ? 'promote' : 'keep'}: no comparable current model (${e.currentNotScored}); candidate log-loss ${f4(cand)} vs ` +
      `class-frequency baseline ${f4(e.baseline.logLoss)} on ${e.window.rows} rows: improvement ${f4(gain)} ${promote ? '>=' : '<'} margin ${f4(margin)}`,
  };
}
