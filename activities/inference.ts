/**
 * inferSignals activity: runs the ONNX signal model (models/signal-xgb, trained by models/train.py) on the
 * feature vectors of one cycle.
 *
 * One InferenceSession per worker process, created on first use and cached: loading costs milliseconds to
 * seconds, a run on a handful of rows costs microseconds. All symbols of a call go through ONE batched run.
 * Which model: env MODEL_DIR (a version directory holding manifest.json, or a root holding CURRENT), else the
 * repo's models/signal-xgb/<CURRENT>.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Direction, FeatureVector, Signal } from '../domain/types';

const DEFAULT_MODEL_ROOT = path.resolve(__dirname, '..', 'models', 'signal-xgb');
const DIRECTIONS: readonly Direction[] = ['down', 'flat', 'up'];

/** The part of models/signal-xgb/<version>/manifest.json that serving relies on. */
export interface ModelManifest {
  version: string;
  featureNames: string[];
  classes: Direction[];
  onnx: {
    file: string;
    sha256: string;
    input: { name: string };
    outputs: { probabilities: string };
  };
}

export interface LoadedModelInfo {
  version: string;
  dir: string;
  sha256: string;
  featureNames: string[];
  classes: Direction[];
  loadedAt: string;
}

interface LoadedModel {
  session: InferenceSession;
  manifest: ModelManifest;
  info: LoadedModelInfo;
}

let loading: Promise<LoadedModel> | null = null;
let loaded: LoadedModel | null = null;

export interface InferSignalsInput {
  features: FeatureVector[];
}

export async function inferSignals(input: InferSignalsInput): Promise<Signal[]> {
  if (!input || !Array.isArray(input.features)) {
    throw ApplicationFailure.nonRetryable('inferSignals expects { features: FeatureVector[] }', 'InvalidInput');
  }
  const { features } = input;
  if (features.length === 0) return [];
  const { manifest, session } = await getModel();
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
    throw ApplicationFailure.nonRetryable(
      `model output ${outputName} has ${probs.length} values, expected ${features.length} x ${classCount}`,
      'ModelOutputMismatch',
    );
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
      throw ApplicationFailure.nonRetryable(
        `${fv.symbol}: feature names differ from the model's at position ${i}: got ${describe(names[i])}, ` +
          `model expects ${describe(expected[i])} (vector has ${names.length} names, model ${expected.length})`,
        'FeatureMismatch',
      );
    }
  }
  if (!Array.isArray(fv.values) || fv.values.length !== expected.length) {
    throw ApplicationFailure.nonRetryable(
      `${fv.symbol}: ${Array.isArray(fv.values) ? fv.values.length : 'no'} values for ${expected.length} feature names`,
      'FeatureMismatch',
    );
  }
  const bad = fv.values.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
  if (bad >= 0) {
    throw ApplicationFailure.nonRetryable(
      `${fv.symbol}: feature ${expected[bad]} (position ${bad}) is ${fv.values[bad]}, not a finite number`,
      'InvalidFeatures',
    );
  }
}

const describe = (name: string | undefined): string => (name === undefined ? '(nothing)' : `"${name}"`);

/** Loads the model once per process; call it at worker start to fail fast on a missing or corrupt model. */
export async function loadModel(): Promise<LoadedModelInfo> {
  return (await getModel()).info;
}

function getModel(): Promise<LoadedModel> {
  if (!loading) {
    loading = openModel(resolveModelDir()).then(
      (model) => (loaded = model),
      (err) => {
        // Forget the failure so a fixed model directory is picked up without restarting the worker.
        loading = null;
        throw err;
      },
    );
  }
  return loading;
}

/** What the worker serves, for status and logs; null until the first inference or loadModel(). */
export function loadedModelInfo(): LoadedModelInfo | null {
  return loaded ? loaded.info : null;
}

/** Releases the session (worker shutdown, tests); the next call loads again, re-reading MODEL_DIR. */
export async function unloadModel(): Promise<void> {
  const current = loading;
  loading = null;
  loaded = null;
  if (current) await (await current.catch(() => null))?.session.release();
}

export function resolveModelDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.MODEL_DIR ? path.resolve(env.MODEL_DIR) : DEFAULT_MODEL_ROOT;
  if (fs.existsSync(path.join(configured, 'manifest.json'))) return configured;
  const currentFile = path.join(configured, 'CURRENT');
  if (!fs.existsSync(currentFile)) {
    throw ApplicationFailure.nonRetryable(
      `no model at ${configured}: expected manifest.json (a version directory) or CURRENT (a model root)` +
        (env.MODEL_DIR ? ' (from MODEL_DIR)' : '; run `npm run train` or set MODEL_DIR'),
      'ModelNotFound',
    );
  }
  const version = fs.readFileSync(currentFile, 'utf8').trim();
  const dir = path.join(configured, version);
  if (!version || !fs.existsSync(path.join(dir, 'manifest.json'))) {
    throw ApplicationFailure.nonRetryable(`${currentFile} names version "${version}", but ${dir}/manifest.json does not exist`, 'ModelNotFound');
  }
  return dir;
}

async function openModel(dir: string): Promise<LoadedModel> {
  const manifest = readManifest(dir);
  const modelFile = path.join(dir, manifest.onnx.file);
  if (!fs.existsSync(modelFile)) {
    throw ApplicationFailure.nonRetryable(`model file ${modelFile} named by the manifest does not exist`, 'ModelNotFound');
  }
  const bytes = fs.readFileSync(modelFile);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== manifest.onnx.sha256) {
    throw ApplicationFailure.nonRetryable(
      `${modelFile} has sha256 ${sha256}, the manifest says ${manifest.onnx.sha256}: the file is not the model the manifest describes`,
      'ModelIntegrity',
    );
  }
  // Batches are a few rows: one thread each avoids contending with the worker's other activities on 2 cores.
  const session = await InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  if (!session.inputNames.includes(manifest.onnx.input.name) || !session.outputNames.includes(manifest.onnx.outputs.probabilities)) {
    await session.release();
    throw ApplicationFailure.nonRetryable(
      `model inputs [${session.inputNames}] / outputs [${session.outputNames}] do not match the manifest's ` +
        `${manifest.onnx.input.name} / ${manifest.onnx.outputs.probabilities}`,
      'ModelOutputMismatch',
    );
  }
  const info: LoadedModelInfo = {
    version: manifest.version,
    dir,
    sha256,
    featureNames: [...manifest.featureNames],
    classes: [...manifest.classes],
    loadedAt: new Date().toISOString(),
  };
  return { session, manifest, info };
}

function readManifest(dir: string): ModelManifest {
  const file = path.join(dir, 'manifest.json');
  let m: ModelManifest;
  try {
    m = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`cannot read ${file}: ${(err as Error).message}`, 'InvalidManifest');
  }
  const problems: string[] = [];
  if (typeof m.version !== 'string' || !m.version) problems.push('version must be a non-empty string');
  if (!Array.isArray(m.featureNames) || m.featureNames.length === 0 || !m.featureNames.every((n) => typeof n === 'string')) {
    problems.push('featureNames must be a non-empty list of strings');
  }
  if (!Array.isArray(m.classes) || m.classes.length !== DIRECTIONS.length || !DIRECTIONS.every((d) => m.classes.includes(d))) {
    problems.push(`classes must list each of ${DIRECTIONS.join(', ')} once`);
  }
  if (!m.onnx?.file || !m.onnx?.sha256 || !m.onnx?.input?.name || !m.onnx?.outputs?.probabilities) {
    problems.push('onnx must give file, sha256, input.name and outputs.probabilities');
  }
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`${file}: ${problems.join('; ')}`, 'InvalidManifest');
  return m;
}
