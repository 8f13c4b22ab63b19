/**
 * `tradectl check-exchange`: a dry check of the exchange the environment configures (EXCHANGE_ID, keys, sandbox):
 * authentication, balances and market limits for the portfolio's symbols. It reads only; no order is placed.
 */
import type { Command } from 'commander';
import { checkExchange, type ExchangeCheckReport } from '../activities/execution';
import { defaultConfig } from '../domain/config';

function symbolList(value: string): string[] {
  return value.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
}

const percent = (x: number) => `${Number((x * 100).toFixed(4))}%`;

export function formatExchangeCheck(report: ExchangeCheckReport): string {
  const lines = [
    `exchange: ${report.label} (${report.exchangeId}), ${report.sandbox ? 'sandbox' : 'production'}${report.restUrl ? `, REST at ${report.restUrl}` : ''}`,
    `rate limiter: ${report.rateLimiter.enabled ? 'on' : 'OFF'} (${report.rateLimiter.rateLimitMs} ms between requests)`,
    `authentication: ${report.authenticated ? 'OK' : `FAILED: ${report.authError}`}`,
  ];
  const balances = Object.entries(report.balances);
  if (report.authenticated) {
    lines.push('balances:');
    if (balances.length === 0) lines.push('  (none)');
    for (const [asset, b] of balances) lines.push(`  ${asset.padEnd(6)} ${b.total} (free ${b.free}, in orders ${b.used})`);
  }
  lines.push('markets:');
  for (const m of report.markets) {
    if (!m.found) {
      lines.push(`  ${m.symbol} not listed as a spot market on ${report.exchangeId}`);
      continue;
    }
    const parts = [
      m.active === false ? 'INACTIVE' : undefined,
      m.minAmount !== undefined ? `min amount ${m.minAmount}` : undefined,
      m.amountPrecision !== undefined ? `amount step ${m.amountPrecision}` : undefined,
      m.minCost !== undefined ? `min notional ${m.minCost} ${m.quote}` : undefined,
      m.pricePrecision !== undefined ? `price tick ${m.pricePrecision}` : undefined,
      `stops: ${m.nativeStop === 'none' ? 'emulated by the workflow' : m.nativeStop}`,
    ].filter(Boolean);
    lines.push(`  ${m.symbol} ${parts.join(', ')}`);
  }
  lines.push(`fees: maker ${percent(report.fees.maker)}, taker ${percent(report.fees.taker)} (${report.fees.source === 'ccxt' ? "ccxt's schedule" : 'documented table'})`);
  lines.push('no order was placed.');
  return lines.join('\n');
}

export function registerCheckExchange(program: Command, out: (line: string) => void): void {
  program
    .command('check-exchange')
    .description('dry check of the configured exchange (EXCHANGE_* environment): authentication, balances, market limits; places no order')
    .option('-s, --symbols <list>', 'comma-separated symbols', symbolList, defaultConfig().symbols)
    .option('-m, --market <source>', 'a live:<exchange> market, used when EXCHANGE_ID is unset')
    .option('--json', 'print JSON')
    .action(async (opts: { symbols: string[]; market?: string; json?: boolean }) => {
      const report = await checkExchange({ symbols: opts.symbols, ...(opts.market && { market: opts.market }) });
      out(opts.json ? JSON.stringify(report, null, 2) : formatExchangeCheck(report));
      if (!report.authenticated) throw new Error(`authentication with ${report.exchangeId} failed`);
    });
}
