/**
 * One portfolio configuration file for `tradectl start --config` and `tradectl backtest --config`, so a backtested
 * setup is started unchanged: JSON or YAML (by extension, else by content), read here and completed and validated
 * by domain/configInput.ts; every error names the file and the field.
 */
import { readFileSync } from 'node:fs';
import { load as loadYaml } from 'js-yaml';
import { ConfigInputError } from '../domain/configInput';

type Section = Record<string, unknown>;
const isSection = (v: unknown): v is Section => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The file's object, not yet validated. */
export function readConfigFile(file: string): Section {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigInputError(`--config ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = /\.json$/i.test(file) || /^\s*[{[]/.test(text) ? JSON.parse(text) : loadYaml(text);
  } catch (err) {
    throw new ConfigInputError(`--config ${file}: not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON or YAML'}: ${(err as Error).message}`);
  }
  if (!isSection(parsed)) throw new ConfigInputError(`--config ${file}: expected an object of configuration fields, got ${Array.isArray(parsed) ? 'a list' : typeof parsed}`);
  return parsed;
}

