/**
 * inferSignals activity: runs the served signal model (the calibrated ensemble of models/train.py, one ONNX
 * graph) on the feature vectors of one cycle, all symbols in ONE batched session.run.
 *
 * Sessions are cached per worker process: loading costs milliseconds to seconds, a run on a handful of rows
 * microseconds. Which model: the registry's CURRENT (./modelRegistry), or a version pinned by MODEL_DIR.
 *
 * Hot reload: at most every MODEL_RELOAD_CHECK_MS (default 10 s) a call re-reads CURRENT; when it names
 * another version, that version is loaded and checked (manifest, sha256, inputs and outputs) BEFORE it
 * replaces the served one, so a call always runs on one complete model, and the old session is released
 * once the calls running on it finish. A promoted model that fails to load is refused loudly (log, metric)
 * and the previous one keeps serving; it is tried again at the next check.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { InferencePort, InferSignalsInput } from '../domain/contracts/signals';
import type { Direction, FeatureVector, Signal } from '../domain/types';
import { modelMetrics } from './modelMetrics';
import { readManifest, resolveModelDir, type ModelManifest } from './modelRegistry';
import { failure } from '../domain/failures';
import { envValue } from '../domain/environment';

export { resolveModelDir, type ModelManifest } from './modelRegistry';

const DEFAULT_RELOAD_CHECK_MS = 10_000;

export interface LoadedModelInfo {
  version: string;
  dir: string;
  sha256: string;
  featureNames: string[];
  classes: Direction[];
  loadedAt: string;
}

interface ServedModel {
  session: InferenceSession;
  manifest: ModelManifest;
  info: LoadedModelInfo;
  /** Calls running on this session; a replaced model is released when this reaches 0. */
  inFlight: number;
  retired: boolean;
}

let served: ServedModel | null = null;
/** One load at a time, shared by every call that needs it. */
let loading: Promise<ServedModel> | null = null;
let lastCheck = 0;
/** MODEL_DIR as of the last load: a change (tests, operators) forces a reload at once. */
let loadedFromEnv: string | undefined;

export type { InferSignalsInput } from '../domain/contracts/signals';

export async function inferSignals(input: InferSignalsInput): Promise<Signal[]> {
  if (!input || !Array.isArray(input.features)) {
    throw failure('InvalidInput', 'inferSignals expects { features: FeatureVector[] }');
  }
  const { features } = input;
  if (features.length === 0) return [];
  const model = await acquire();
  try {
    return await runBatch(model, features);
  } finally {
    release(model);
  }
}

async function runBatch({ manifest, session }: ServedModel, features: FeatureVector[]): Promise<Signal[]> {
  const width = manifest.featureNames.length;
  const batch = new Float32Array(features.length * width);
  features.forEach((fv, row) => {
    assertMatchesManifest(fv, manifest.featureNames);
    batch.set(fv.values, row * width);
  });

  const outputName = manifest.onnx.outputs.probabilities;
  const result = await session.run(
    { [manifest.onnx.input.name]: new Tensor('float32', batch, [features.length, width]) },
    [outputName],
  );
  const probs = result[outputName].data as Float32Array;
  const classCount = manifest.classes.length;
  if (probs.length !== features.length * classCount) {
    throw failure('ModelOutputMismatch', `model output ${outputName} has ${probs.length} values, expected ${features.length} x ${classCount}`);
  }

  return features.map((fv, row) => {
    const probabilities = { down: 0, flat: 0, up: 0 } as Record<Direction, number>;
    let best = 0;
    for (let k = 0; k < classCount; k++) {
      probabilities[manifest.classes[k]] = probs[row * classCount + k];
      if (probs[row * classCount + k] > probs[row * classCount + best]) best = k;
    }
    const direction = manifest.classes[best];
    return {
      symbol: fv.symbol,
      asOf: fv.asOf,
      direction,
      // The model's output is calibrated: the confidence is the probability of the chosen direction.
      confidence: probabilities[direction],
      probabilities,
      modelVersion: manifest.version,
    };
  });
}

/** Refuses a vector the model would misread: wrong names or order, or values it cannot compute with. */
function assertMatchesManifest(fv: FeatureVector, expected: string[]): void {
  const names = fv.names ?? [];
  const length = Math.max(names.length, expected.length);
  for (let i = 0; i < length; i++) {
    if (names[i] !== expected[i]) {
      throw failure('FeatureMismatch', `${fv.symbol}: feature names differ from the model's at position ${i}: got ${describe(names[i])}, ` +
          `model expects ${describe(expected[i])} (vector has ${names.length} names, model ${expected.length})`);
    }
  }
  if (!Array.isArray(fv.values) || fv.values.length !== expected.length) {
    throw failure('FeatureMismatch', `${fv.symbol}: ${Array.isArray(fv.values) ? fv.values.length : 'no'} values for ${expected.length} feature names`);
  }
  const bad = fv.values.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
  if (bad >= 0) {
    throw failure('InvalidFeatures', `${fv.symbol}: feature ${expected[bad]} (position ${bad}) is ${fv.values[bad]}, not a finite number`);
  }
}

const describe = (name: string | undefined): string => (name === undefined ? '(nothing)' : `"${name}"`);

function reloadCheckMs(): number {
  return envValue('MODEL_RELOAD_CHECK_MS', process.env) ?? DEFAULT_RELOAD_CHECK_MS;
}

/** The model to run on now, counted as in use until release(). */
async function acquire(): Promise<ServedModel> {
  const model = await currentModel();
  model.inFlight++;
  return model;
}

function release(model: ServedModel): void {
  model.inFlight--;
  if (model.retired && model.inFlight === 0) void model.session.release();
}

async function currentModel(): Promise<ServedModel> {
  const envChanged = served !== null && process.env.MODEL_DIR !== loadedFromEnv;
  if (served && !envChanged && Date.now() - lastCheck < reloadCheckMs()) return served;
  lastCheck = Date.now();
  let wanted: string;
  try {
    wanted = resolveModelDir();
  } catch (err) {
    if (served && !envChanged) return keepServing(served, err);
    throw err;
  }
  if (served && !envChanged && served.info.dir === wanted) return served;
  try {
    return await switchTo(wanted);
  } catch (err) {
    if (served && !envChanged) return keepServing(served, err);
    throw err;
  }
}

function keepServing(model: ServedModel, err: unknown): ServedModel {
  modelMetrics.reloads.inc({ outcome: 'failed' });
  console.error(`inference: keeping model ${model.info.version}; the promoted model cannot be served: ${(err as Error).message}`);
  return model;
}

function switchTo(dir: string): Promise<ServedModel> {
  if (!loading) {
    const env = process.env.MODEL_DIR;
    loading = openModel(dir)
      .then((model) => {
        const previous = served;
        served = model;
        loadedFromEnv = env;
        modelMetrics.reloads.inc({ outcome: previous ? 'reloaded' : 'loaded' });
        modelMetrics.served.reset();
        modelMetrics.served.set({ version: model.info.version }, 1);
        if (previous) {
          console.log(`inference: now serving model ${model.info.version} (was ${previous.info.version})`);
          retire(previous);
        }
        return model;
      })
      .finally(() => {
        loading = null;
      });
  }
  return loading;
}

function retire(model: ServedModel): void {
  model.retired = true;
  if (model.inFlight === 0) void model.session.release();
}

/** Loads the model now (worker start, tests) to fail fast on a missing or corrupt one. */
export async function loadModel(): Promise<LoadedModelInfo> {
  return (await currentModel()).info;
}

/** What the worker serves, for status and logs; null until the first inference or loadModel(). */
export function loadedModelInfo(): LoadedModelInfo | null {
  return served ? served.info : null;
}

/** Releases the session (worker shutdown, tests); the next call loads again, re-reading MODEL_DIR. */
export async function unloadModel(): Promise<void> {
  await loading?.catch(() => undefined);
  const model = served;
  served = null;
  lastCheck = 0;
  if (model) retire(model);
}

async function openModel(dir: string): Promise<ServedModel> {
  const manifest = readManifest(dir);
  const modelFile = path.join(dir, manifest.onnx.file);
  if (!fs.existsSync(modelFile)) {
    throw failure('ModelNotFound', `model file ${modelFile} named by the manifest does not exist`);
  }
  const bytes = fs.readFileSync(modelFile);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== manifest.onnx.sha256) {
    throw failure('ModelIntegrity', `${modelFile} has sha256 ${sha256}, the manifest says ${manifest.onnx.sha256}: the file is not the model the manifest describes`);
  }
  // Batches are a few rows: one thread each avoids contending with the worker's other activities on 2 cores.
  const session = await InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  if (!session.inputNames.includes(manifest.onnx.input.name) || !session.outputNames.includes(manifest.onnx.outputs.probabilities)) {
    await session.release();
    throw failure('ModelOutputMismatch', `model inputs [${session.inputNames}] / outputs [${session.outputNames}] do not match the manifest's ` +
        `${manifest.onnx.input.name} / ${manifest.onnx.outputs.probabilities}`);
  }
  const info: LoadedModelInfo = {
    version: manifest.version,
    dir,
    sha256,
    featureNames: [...manifest.featureNames],
    classes: [...manifest.classes],
    loadedAt: new Date().toISOString(),
  };
  return { session, manifest, info, inFlight: 0, retired: false };
}

// The inference port of the cycle's contracts (domain/contracts): the compiler holds this activity to it.
void ({ inferSignals } satisfies InferencePort);
