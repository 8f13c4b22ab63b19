/**
 * The cockpit's settings, from the environment, with the security rules checked before anything listens:
 * - it binds to 127.0.0.1 unless DASHBOARD_HOST says otherwise;
 * - any other bind address needs credentials, a token (DASHBOARD_TOKEN[_FILE]) or basic-auth credentials
 *   (DASHBOARD_USER with DASHBOARD_PASSWORD[_FILE]); without them the server refuses to start;
 * - once credentials are set, every control needs them, loopback or not, and the read-only pages too unless
 *   DASHBOARD_PUBLIC_READ=true opts in;
 * - without credentials (loopback only), requests must name a loopback host (or one of DASHBOARD_ALLOWED_HOSTS), so a
 *   web page cannot reach the cockpit through DNS rebinding.
 * Errors name the variable, never a value.
 */
import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import path from 'node:path';
import { readSecret } from '../activities/execution/exchangeSettings';
import { PROJECT_ROOT } from '../prisma/database';
import { envValue, EnvironmentError } from '../domain/environment';

export const DEFAULT_DASHBOARD_HOST = '127.0.0.1';
export const DEFAULT_DASHBOARD_PORT = 8080;
/** Long enough that guessing is hopeless at any request rate: `openssl rand -hex 16` gives 32 characters. */
export const MIN_TOKEN_LENGTH = 16;
export const MIN_PASSWORD_LENGTH = 12;

export class DashboardSettingsError extends Error {}

export interface DashboardSettings {
  host: string;
  port: number;
  /** Credentials; never rendered, logged or echoed. */
  token?: string;
  basic?: { user: string; password: string };
  /** Read-only pages without credentials (controls still need them). */
  publicRead: boolean;
  /** Host header values accepted; empty: any (credentials protect the server). */
  allowedHosts: string[];
  temporalUiUrl: string;
  namespace: string;
  backtestsDir: string;
  /** Polling period of the pages' live updates, ms. */
  refreshMs: number;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

function secret(name: string, env: NodeJS.ProcessEnv): string | undefined {
  try {
    return readSecret(name, env);
  } catch (err) {
    throw new DashboardSettingsError((err as Error).message);
  }
}

/** A cockpit variable's value by the environment schema (domain/environment.ts); a bad one refuses the cockpit. */
function setting<N extends 'DASHBOARD_PORT' | 'DASHBOARD_PUBLIC_READ' | 'DASHBOARD_REFRESH_MS'>(name: N, env: NodeJS.ProcessEnv): ReturnType<typeof envValue<N>> {
  try {
    return envValue(name, env);
  } catch (err) {
    if (err instanceof EnvironmentError) throw new DashboardSettingsError(err.problems.join('; '));
    throw err;
  }
}

export function dashboardSettings(env: NodeJS.ProcessEnv = process.env): DashboardSettings {
  const host = env.DASHBOARD_HOST || DEFAULT_DASHBOARD_HOST;
  const token = secret('DASHBOARD_TOKEN', env);
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    throw new DashboardSettingsError(`DASHBOARD_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters (e.g. \`openssl rand -hex 16\`)`);
  }
  const user = env.DASHBOARD_USER || undefined;
  const password = secret('DASHBOARD_PASSWORD', env);
  if ((user === undefined) !== (password === undefined)) {
    throw new DashboardSettingsError('basic auth needs both DASHBOARD_USER and DASHBOARD_PASSWORD (or DASHBOARD_PASSWORD_FILE)');
  }
  if (user !== undefined && user.includes(':')) throw new DashboardSettingsError('DASHBOARD_USER cannot contain a colon');
  if (password !== undefined && password.length < MIN_PASSWORD_LENGTH) {
    throw new DashboardSettingsError(`DASHBOARD_PASSWORD must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  const basic = user !== undefined && password !== undefined ? { user, password } : undefined;
  const credentials = token !== undefined || basic !== undefined;
  if (!isLoopback(host) && !credentials) {
    throw new DashboardSettingsError(
      `DASHBOARD_HOST=${host} is not a loopback address: set DASHBOARD_TOKEN (or DASHBOARD_TOKEN_FILE), or DASHBOARD_USER and ` +
        'DASHBOARD_PASSWORD (or DASHBOARD_PASSWORD_FILE); the cockpit refuses to serve its controls to the network unauthenticated',
    );
  }
  const publicRead = setting('DASHBOARD_PUBLIC_READ', env) ?? false;
  const extraHosts = (env.DASHBOARD_ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  const allowedHosts = credentials && extraHosts.length === 0 ? [] : [...LOOPBACK_NAMES, ...(isLoopback(host) ? [host] : []), ...extraHosts];
  const refreshMs = setting('DASHBOARD_REFRESH_MS', env) ?? 2_000;
  return {
    host,
    port: setting('DASHBOARD_PORT', env) ?? DEFAULT_DASHBOARD_PORT,
    ...(token !== undefined && { token }),
    ...(basic && { basic }),
    publicRead,
    allowedHosts,
    temporalUiUrl: (env.TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233').replace(/\/+$/, ''),
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    backtestsDir: path.resolve(PROJECT_ROOT, env.BACKTESTS_DIR ?? 'data/backtests'),
    refreshMs,
  };
}

/** The value a signed-in browser's session cookie carries: derived from the token, so it is not the token itself. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('cockpit-session-v1').digest('base64url');
}
