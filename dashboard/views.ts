/**
 * Server-side templates (eta, auto-escaped: `<%= %>` escapes, `<%~ %>` is used only for JSON made safe by pageData)
 * and the number formats they print. Pages render whole on the server; the browser only draws charts and swaps the
 * live parts (public/cockpit.js).
 */
import path from 'node:path';
import { Eta } from 'eta';
import { duration, num, pct } from '../backtest/report/format';

const eta = new Eta({ views: path.join(__dirname, 'views'), cache: process.env.NODE_ENV !== 'development', autoEscape: true });

const money = (x: number | null | undefined) =>
  x == null || !Number.isFinite(x) ? '–' : x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const price = (x: number | null | undefined) =>
  x == null || !Number.isFinite(x) ? '–' : x.toLocaleString('en-US', { maximumSignificantDigits: 7 });
const qty = (x: number | null | undefined) => (x == null || !Number.isFinite(x) ? '–' : Number(x.toPrecision(8)).toString());
const time = (t: Date | number | string | null | undefined) => {
  if (t == null) return '–';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? '–' : d.toISOString().slice(0, 19).replace('T', ' ');
};
const age = (ms: number | undefined) => {
  if (ms === undefined) return '–';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
};
const signed = (x: number | null | undefined) => (x == null || !Number.isFinite(x) ? '–' : `${x > 0 ? '+' : ''}${money(x)}`);
/** A fall from the peak, shown negative; a fall too small to print is 0, not -0. */
const drawdown = (x: number | null | undefined) => (x == null || !Number.isFinite(x) ? '–' : x < 0.00005 ? '0.00%' : pct(-x));
const tone = (x: number | null | undefined) => (x == null || !Number.isFinite(x) || x === 0 ? '' : x > 0 ? 'up' : 'down');

export const formats = { money, price, qty, pct, num, time, age, duration, signed, tone, drawdown };

/** JSON for a `<script type="application/json">` block: `<` escaped so no value can close the element. */
export function pageData(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export interface Chrome {
  title: string;
  /** The CSRF token for this page's forms. */
  csrf: string;
  /** Whether sign-out is offered. */
  signedIn: boolean;
  canControl: boolean;
  notice?: { level: 'ok' | 'error'; text: string };
  nav: string;
  refreshMs: number;
  /** What the live poller asks to learn that the page changed. */
  versionUrl?: string;
}

export function render(view: string, chrome: Chrome, data: Record<string, unknown>): string {
  return eta.render(`./${view}`, { ...data, chrome, f: formats, pageData });
}
