/**
 * evaluateCandidate activity: scores the candidate and the current model on the newest out-of-time window,
 * through onnxruntime-node, the runtime that serves them.
 *
 * The window is the candidate's own test window (the newest rows of its matrix, never used to fit or choose
 * anything), cut further so that the current model never saw those rows either (after the end of its training
 * data plus its label horizon and embargo). Both models read the same rows of the same TypeScript-built matrix.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Evaluation, ModelScore } from '../../domain/retraining';
import { readCurrent, readManifest, registryRoot, versionDir, type ModelManifest } from '../modelRegistry';
import { failure } from '../../domain/failures';

const HOUR_MS = 3_600_000;
const CHUNK_ROWS = 8192;
const UP = 'up';

export interface EvaluateCandidateInput {
  candidateVersion: string;
  /** Matrix prefix written by the training run (scripts/build-features.ts --out). */
  matrix: string;
}

interface WindowRows {
  X: Float32Array;
  labels: string[];
  width: number;
  from: number;
  to: number;
}

export async function evaluateCandidate(input: EvaluateCandidateInput): Promise<Evaluation> {
  const root = registryRoot();
  const candidate = readManifest(versionDir(root, input.candidateVersion));
  const test = candidate.windows?.test;
  if (!test) throw failure('InvalidManifest', `candidate ${candidate.version} has no test window in its manifest`);

  const currentVersion = readCurrent(root);
  let current: ModelManifest | null = null;
  let currentNotScored: string | undefined;
  if (!currentVersion) currentNotScored = 'the registry has no CURRENT yet';
  else if (currentVersion === candidate.version) currentNotScored = 'CURRENT already names the candidate (identical bytes)';
  else {
    try {
      current = readManifest(versionDir(root, currentVersion));
    } catch (err) {
      currentNotScored = `current ${currentVersion} cannot be read: ${(err as Error).message}`;
    }
  }
  if (current && !sameInputs(current, candidate)) {
    currentNotScored = `current ${current.version} reads ${current.featureNames.length} features, not the ${candidate.featureNames.length} ` +
      'the feature code computes today, so today\'s workers cannot serve it';
    current = null;
  }

  let from = Date.parse(test.from);
  const to = Date.parse(test.to);
  let windowNote = `candidate test window ${test.from} → ${test.to}`;
  if (current) {
    const seenUntil = lastSeen(current);
    if (seenUntil !== null) {
      const gap = (current.label.horizonCandles + embargoOf(current)) * HOUR_MS;
      if (seenUntil + gap >= from) {
        from = seenUntil + gap + HOUR_MS;
        windowNote += `, cut to start after ${new Date(seenUntil).toISOString()} (+ gap), the end of the current model's training data`;
      }
    }
  }
  const rows = readWindow(input.matrix, candidate, from, to);
  if (rows.labels.length === 0) {
    return { window: null, windowNote: `${windowNote}: no rows left`, candidate: null, currentVersion, current: null, currentNotScored, baseline: null };
  }
  const window = { from: rows.from, to: rows.to, rows: rows.labels.length };
  const candidateScore = await score(versionDir(root, candidate.version), candidate, rows);
  const currentScore = current ? await score(versionDir(root, current.version), current, rows) : null;
  return { window, windowNote, candidate: candidateScore, currentVersion, current: currentScore, currentNotScored, baseline: baseline(candidate, rows) };
}

function sameInputs(a: ModelManifest, b: ModelManifest): boolean {
  return a.featureNames.length === b.featureNames.length && a.featureNames.every((n, i) => n === b.featureNames[i]) &&
    a.classes.every((c, i) => c === b.classes[i]) &&
    a.label.horizonCandles === b.label.horizonCandles && a.label.threshold === b.label.threshold;
}

/** Newest candle time the model's fitting or choices could have seen (every window but the test one). */
function lastSeen(m: ModelManifest): number | null {
  const windows = (m.windows ?? {}) as Record<string, { to?: string } | undefined>;
  const ends = Object.entries(windows)
    .filter(([name, w]) => name !== 'test' && w && typeof w === 'object' && typeof w.to === 'string')
    .map(([, w]) => Date.parse(w!.to!))
    .filter(Number.isFinite);
  return ends.length ? Math.max(...ends) : null;
}

function embargoOf(m: ModelManifest): number {
  const e = (m.windows as { embargoCandles?: number } | undefined)?.embargoCandles;
  return Number.isInteger(e) ? e! : 0;
}

function readWindow(prefix: string, model: ModelManifest, from: number, to: number): WindowRows {
  const meta = JSON.parse(fs.readFileSync(`${prefix}.meta.json`, 'utf8')) as { featureNames: string[]; matrix: { rows: number } };
  if (meta.featureNames.join(',') !== model.featureNames.join(',')) {
    throw failure('FeatureMismatch', `${prefix}: the matrix's features differ from candidate ${model.version}'s`);
  }
  const width = meta.featureNames.length;
  const buf = fs.readFileSync(`${prefix}.f32`);
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  if (all.length !== meta.matrix.rows * width) {
    throw failure('InvalidMatrix', `${prefix}.f32 has ${all.length} values, expected ${meta.matrix.rows} x ${width}`);
  }
  const lines = fs.readFileSync(`${prefix}.rows.csv`, 'utf8').split('\n');
  const picked: number[] = [];
  const labels: string[] = [];
  let first = Infinity;
  let last = -Infinity;
  for (let r = 0; r < meta.matrix.rows; r++) {
    // symbol,timestamp,close,forward_return,label; line 0 is the header.
    const cells = lines[r + 1].split(',');
    const t = Number(cells[1]);
    if (t < from || t > to) continue;
    picked.push(r);
    labels.push(cells[4]);
    first = Math.min(first, t);
    last = Math.max(last, t);
  }
  const X = new Float32Array(picked.length * width);
  picked.forEach((r, k) => X.set(all.subarray(r * width, (r + 1) * width), k * width));
  return { X, labels, width, from: first, to: last };
}

async function score(dir: string, manifest: ModelManifest, rows: WindowRows): Promise<ModelScore> {
  const bytes = fs.readFileSync(`${dir}/${manifest.onnx.file}`);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== manifest.onnx.sha256) {
    throw failure('ModelIntegrity', `${dir}/${manifest.onnx.file}: sha256 ${sha} differs from the manifest's`);
  }
  const session = await InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const n = rows.labels.length;
    const k = manifest.classes.length;
    const probs = new Float32Array(n * k);
    for (let start = 0; start < n; start += CHUNK_ROWS) {
      const count = Math.min(CHUNK_ROWS, n - start);
      const input = new Tensor('float32', rows.X.subarray(start * rows.width, (start + count) * rows.width), [count, rows.width]);
      const out = await session.run({ [manifest.onnx.input.name]: input }, [manifest.onnx.outputs.probabilities]);
      probs.set(out[manifest.onnx.outputs.probabilities].data as Float32Array, start * k);
    }
    return { version: manifest.version, ...figures(probs, rows.labels, manifest.classes) };
  } finally {
    await session.release();
  }
}

function figures(probs: ArrayLike<number>, labels: string[], classes: readonly string[]): Omit<ModelScore, 'version'> {
  const k = classes.length;
  const up = classes.indexOf(UP);
  let logLoss = 0;
  let brier = 0;
  let right = 0;
  let buys = 0;
  let buysRight = 0;
  labels.forEach((label, r) => {
    const truth = classes.indexOf(label);
    let best = 0;
    for (let c = 0; c < k; c++) {
      const p = probs[r * k + c];
      brier += (p - (c === truth ? 1 : 0)) ** 2;
      if (p > probs[r * k + best]) best = c;
    }
    logLoss -= Math.log(Math.max(probs[r * k + truth], 1e-15));
    if (best === truth) right++;
    if (best === up) {
      buys++;
      if (truth === up) buysRight++;
    }
  });
  const n = labels.length;
  return { rows: n, logLoss: logLoss / n, accuracy: right / n, brier: brier / n, buyCount: buys, buyPrecision: buys ? buysRight / buys : null };
}

/** The no-skill forecast: the candidate's training-window class frequencies, for every row. */
function baseline(candidate: ModelManifest, rows: WindowRows): Evaluation['baseline'] {
  const counts = (candidate.windows as { training?: { labelCounts?: Record<string, number> } } | undefined)?.training?.labelCounts;
  if (!counts) return null;
  const total = candidate.classes.reduce((s, c) => s + (counts[c] ?? 0), 0);
  const prior = candidate.classes.map((c) => (counts[c] ?? 0) / total);
  const probs = rows.labels.flatMap(() => prior);
  const f = figures(probs, rows.labels, candidate.classes);
  return { logLoss: f.logLoss, accuracy: f.accuracy };
}
