/**
 * The model registry on disk (written by models/train.py, see models/pipeline/registry.py):
 *
 *   <root>/<version>/manifest.json   the served model of that version: feature names in order, classes,
 *                                    label definition, windows, metrics, ONNX file and its sha256
 *   <root>/<version>/model.onnx
 *   <root>/CURRENT                   the version workers serve; promotion rewrites it atomically
 *
 * Root: MODEL_DIR when it holds CURRENT, else the repo's models/signal-xgb. MODEL_DIR may also name one
 * version directory (it holds manifest.json) to pin a worker to that version; nothing is promoted there.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Direction } from '../domain/types';
import { failure } from '../domain/failures';

export const DEFAULT_REGISTRY_ROOT = path.resolve(__dirname, '..', 'models', 'signal-xgb');
const DIRECTIONS: readonly Direction[] = ['down', 'flat', 'up'];
const VERSION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The part of <version>/manifest.json that serving, monitoring and retraining rely on. */
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
  /** What the model predicts: the direction of the return over horizonCandles, flat within ±threshold. */
  label: { horizonCandles: number; threshold: number; definition?: string };
  timeframe?: string;
  minCandles?: number;
  windows?: {
    development?: { from: string; to: string };
    training?: { from: string; to: string };
    test?: { from: string; to: string; rows: number };
  };
  metrics?: unknown;
}

/** Where models come from: a registry root (CURRENT picks the version) or one pinned version directory. */
export interface ModelSource {
  root: string | null;
  pinnedDir: string | null;
}

export function modelSource(env: NodeJS.ProcessEnv = process.env): ModelSource {
  if (!env.MODEL_DIR) return { root: DEFAULT_REGISTRY_ROOT, pinnedDir: null };
  const dir = path.resolve(env.MODEL_DIR);
  if (fs.existsSync(path.join(dir, 'manifest.json'))) return { root: null, pinnedDir: dir };
  return { root: dir, pinnedDir: null };
}

/** The registry root that training writes to and promotion updates; refuses a pinned version directory. */
export function registryRoot(env: NodeJS.ProcessEnv = process.env): string {
  const source = modelSource(env);
  if (!source.root) {
    throw failure('NoModelRegistry', `MODEL_DIR=${source.pinnedDir} is one version directory, not a registry root: nothing can be trained into or promoted there`);
  }
  return source.root;
}

export function currentFile(root: string): string {
  return path.join(root, 'CURRENT');
}

/** The version CURRENT names, or null when the registry has none yet. */
export function readCurrent(root: string): string | null {
  try {
    const version = fs.readFileSync(currentFile(root), 'utf8').trim();
    return version || null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Points CURRENT at `version` atomically (write + rename): a worker reading it sees the old or the new name. */
export function writeCurrent(root: string, version: string): void {
  const dir = versionDir(root, version);
  readManifest(dir);
  const tmp = `${currentFile(root)}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${version}\n`);
  fs.renameSync(tmp, currentFile(root));
}

export function versionDir(root: string, version: string): string {
  if (!VERSION_NAME.test(version)) {
    throw failure('ModelNotFound', `"${version}" is not a model version name`);
  }
  return path.join(root, version);
}

/** The directory of the model to serve now: the pinned one, or the registry's CURRENT. */
export function resolveModelDir(env: NodeJS.ProcessEnv = process.env): string {
  const source = modelSource(env);
  if (source.pinnedDir) return source.pinnedDir;
  const root = source.root!;
  const version = readCurrent(root);
  if (!version) {
    throw failure('ModelNotFound', `no model at ${root}: expected manifest.json (a version directory) or CURRENT (a model root)` +
        (env.MODEL_DIR ? ' (from MODEL_DIR)' : '; run `npm run train` or set MODEL_DIR'));
  }
  const dir = versionDir(root, version);
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) {
    throw failure('ModelNotFound', `${currentFile(root)} names version "${version}", but ${dir}/manifest.json does not exist`);
  }
  return dir;
}

/** A version's manifest wherever the registry keeps it, or null when this worker has no such version. */
export function findManifest(version: string, env: NodeJS.ProcessEnv = process.env): ModelManifest | null {
  const source = modelSource(env);
  const candidates = [source.pinnedDir, source.root && VERSION_NAME.test(version) ? path.join(source.root, version) : null];
  for (const dir of candidates) {
    if (!dir || !fs.existsSync(path.join(dir, 'manifest.json'))) continue;
    const manifest = readManifest(dir);
    if (manifest.version === version) return manifest;
  }
  return null;
}

/** Reads and checks a manifest, naming every problem at once. */
export function readManifest(dir: string): ModelManifest {
  const file = path.join(dir, 'manifest.json');
  let m: ModelManifest;
  try {
    m = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw failure('InvalidManifest', `cannot read ${file}: ${(err as Error).message}`);
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
  if (!(Number.isInteger(m.label?.horizonCandles) && m.label.horizonCandles > 0 && m.label.threshold >= 0)) {
    problems.push('label must give a positive integer horizonCandles and a threshold >= 0');
  }
  if (problems.length > 0) throw failure('InvalidManifest', `${file}: ${problems.join('; ')}`);
  return m;
}
