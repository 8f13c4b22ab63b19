/**
 * The HTML report: one self-contained file (inline CSS and SVG, no script, no CDN) with the equity and drawdown
 * charts, the metrics overall, per strategy and per symbol, the closed and open trades, and the settings used.
 */
import { drawdownSeries } from '../metrics';
import type { BacktestResult, EquityPoint, Metrics } from '../types';
import { duration, isoMinute, metricRows, num, pct } from './format';

/** Points drawn per chart: more would only make the file heavy. */
const MAX_POINTS = 1500;
const WIDTH = 960;
const HEIGHT = 240;
const PAD = { left: 64, right: 12, top: 12, bottom: 24 };

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Keeps every k-th point plus the extremes of each bucket's value, so peaks and troughs stay visible. */
function thin(points: ReadonlyArray<{ time: number; value: number }>): Array<{ time: number; value: number }> {
  if (points.length <= MAX_POINTS) return [...points];
  const bucket = Math.ceil(points.length / (MAX_POINTS / 2));
  const kept: Array<{ time: number; value: number }> = [];
  for (let i = 0; i < points.length; i += bucket) {
    const slice = points.slice(i, i + bucket);
    let lo = slice[0];
    let hi = slice[0];
    for (const p of slice) {
      if (p.value < lo.value) lo = p;
      if (p.value > hi.value) hi = p;
    }
    kept.push(...(lo.time <= hi.time ? [lo, hi] : [hi, lo]));
  }
  return kept;
}

function lineChart(title: string, raw: ReadonlyArray<{ time: number; value: number }>, format: (v: number) => string, fill: boolean): string {
  const points = thin(raw);
  if (points.length < 2) return `<p>${escape(title)}: not enough data</p>`;
  const t0 = points[0].time;
  const t1 = points[points.length - 1].time;
  let lo = Math.min(...points.map((p) => p.value));
  let hi = Math.max(...points.map((p) => p.value));
  if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
  const x = (t: number) => PAD.left + ((t - t0) / Math.max(1, t1 - t0)) * (WIDTH - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - (v - lo) / (hi - lo)) * (HEIGHT - PAD.top - PAD.bottom);
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.time).toFixed(1)},${y(p.value).toFixed(1)}`).join('');
  const area = fill ? `<path d="${path}L${x(t1).toFixed(1)},${y(hi).toFixed(1)}L${x(t0).toFixed(1)},${y(hi).toFixed(1)}Z" fill="#f3c6c6" stroke="none"/>` : '';
  const ticks = [lo, (lo + hi) / 2, hi]
    .map((v) => `<text x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end">${escape(format(v))}</text><line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(v)}" y2="${y(v)}" class="grid"/>`)
    .join('');
  const dates = [t0, (t0 + t1) / 2, t1]
    .map((t, i) => `<text x="${x(t)}" y="${HEIGHT - 6}" text-anchor="${['start', 'middle', 'end'][i]}">${isoMinute(t).slice(0, 10)}</text>`)
    .join('');
  return `<figure><figcaption>${escape(title)}</figcaption><svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="${escape(title)}">${ticks}${dates}${area}<path d="${path}" fill="none" stroke="${fill ? '#b22' : '#236'}" stroke-width="1.2"/></svg></figure>`;
}

function drawdownPoints(curve: readonly EquityPoint[]): Array<{ time: number; value: number }> {
  const depths = drawdownSeries(curve);
  return curve.map((p, i) => ({ time: p.time, value: depths[i] }));
}

function metricsTable(m: Metrics): string {
  return `<table class="kv">${metricRows(m).map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(v)}</td></tr>`).join('')}</table>`;
}

function groupTable(title: string, groups: Record<string, Metrics>): string {
  const names = Object.keys(groups);
  if (names.length === 0) return '';
  const columns = metricRows(groups[names[0]]).map(([k]) => k);
  return `<h2>${escape(title)}</h2><table><tr><th></th>${columns.map((c) => `<th>${escape(c)}</th>`).join('')}</tr>${names
    .map((n) => `<tr><th>${escape(n)}</th>${metricRows(groups[n]).map(([, v]) => `<td>${escape(v)}</td>`).join('')}</tr>`)
    .join('')}</table>`;
}

function tradesTable(result: BacktestResult): string {
  const rows = result.trades
    .map((t, i) => `<tr class="${t.pnl >= 0 ? 'win' : 'loss'}"><td>${i + 1}</td><td>${escape(t.symbol)}</td><td>${escape(t.strategy)}</td><td>${isoMinute(t.entryTime)}</td><td>${isoMinute(t.exitTime)}</td><td>${duration(t.exitTime - t.entryTime)}</td><td>${num(t.entryPrice, 6)}</td><td>${num(t.exitPrice, 6)}</td><td>${num(t.quantity, 6)}</td><td>${num(t.fees)}</td><td>${num(t.pnl)}</td><td>${pct(t.returnPct)}</td><td>${escape(t.exitReason)}</td></tr>`)
    .join('');
  const open = result.openTrades
    .map((t) => `<tr><td>${escape(t.symbol)}</td><td>${escape(t.strategy)}</td><td>${isoMinute(t.entryTime)}</td><td>${num(t.entryPrice, 6)}</td><td>${num(t.quantity, 6)}</td><td>${num(t.markPrice, 6)}</td><td>${num(t.unrealizedPnl)}</td></tr>`)
    .join('');
  return `<h2>Closed trades (${result.trades.length})</h2><table><tr><th>#</th><th>symbol</th><th>strategy</th><th>entry (UTC)</th><th>exit (UTC)</th><th>held</th><th>entry price</th><th>exit price</th><th>quantity</th><th>fees</th><th>PnL</th><th>return</th><th>exit reason</th></tr>${rows}</table>${
    open ? `<h2>Open at the end</h2><table><tr><th>symbol</th><th>strategy</th><th>entry (UTC)</th><th>entry price</th><th>quantity</th><th>mark</th><th>unrealised PnL</th></tr>${open}</table>` : ''
  }`;
}

export function renderHtml(result: BacktestResult, title = 'Backtest report'): string {
  const equity = result.equityCurve.map((p) => ({ time: p.time, value: p.equity }));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:8px 0 20px;font-size:12px}th,td{border:1px solid #ddd;padding:3px 6px;text-align:right}
th{background:#f6f6f6}.kv th{text-align:left}tr.win td:nth-child(11){color:#070}tr.loss td:nth-child(11){color:#b00}
svg text{font-size:11px;fill:#555}svg .grid{stroke:#eee}figure{margin:0 0 16px}figcaption{font-weight:600}
pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}
</style></head><body>
<h1>${escape(title)}</h1>
<p>${isoMinute(result.from)} → ${isoMinute(result.to)} UTC · ${result.cycles} cycles · equity ${num(result.initialCash)} → ${num(result.finalEquity)}</p>
${lineChart('Equity (marked to each close)', equity, (v) => num(v, 0), false)}
${lineChart('Drawdown from the running peak', drawdownPoints(result.equityCurve), (v) => pct(v, 1), true)}
<h2>Metrics</h2>${metricsTable(result.metrics)}
<p>Sharpe and Sortino: daily (UTC) returns of the marked equity, × √365, risk-free rate 0. Per strategy and per symbol: the starting cash plus the group's closed-trade PnL.</p>
${groupTable('By strategy', result.byStrategy)}
${groupTable('By symbol', result.bySymbol)}
${tradesTable(result)}
<h2>Settings</h2><pre>${escape(JSON.stringify(result.settings, null, 2))}</pre>
</body></html>
`;
}
