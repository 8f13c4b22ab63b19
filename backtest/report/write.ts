/** Writes a backtest's HTML and JSON reports into a directory. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { BacktestResult } from '../types';
import { renderHtml } from './html';
import { toJson } from './json';

export async function writeReports(result: BacktestResult, dir: string, name: string): Promise<{ html: string; json: string }> {
  await fs.mkdir(dir, { recursive: true });
  const html = path.join(dir, `${name}.html`);
  const json = path.join(dir, `${name}.json`);
  await fs.writeFile(html, renderHtml(result, `Backtest ${name}`));
  await fs.writeFile(json, toJson(result));
  return { html, json };
}

/** A file name from the run's settings (no wall-clock time, so the same run writes the same files). */
export function reportName(strategies: string[], symbols: string[], timeframe: string, from: number, to: number): string {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return [strategies.join('+'), symbols.map((s) => s.split('/')[0]).join('-'), timeframe, day(from), day(to - 1)].join('_');
}
