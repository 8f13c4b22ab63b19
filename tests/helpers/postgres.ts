/**
 * PostgreSQL for the suites that run on both databases: TEST_POSTGRES_URL names a server whose user may create
 * databases; each run works in fresh, throwaway databases on it. In CI the variable must be set; locally a suite
 * without it is listed as skipped.
 */
import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';

export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL;

/** Runs `fn` with a connected client on `url`, and disconnects whatever it does. */
export async function withPgClient<T>(url: string, fn: (client: PgClient) => Promise<T>): Promise<T> {
  const client = new PgClient({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database `<prefix>_<random>` on the server of `serverUrl`; returns its name and URL. */
export async function createPostgresDatabase(serverUrl: string, prefix: string): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await withPgClient(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`)).catch((e: Error) => {
    throw new Error(`TEST_POSTGRES_URL's user must be allowed to CREATE DATABASE (each run uses fresh databases): ${e.message}`);
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

/** Drops the named databases, closing any connection still open to them. */
export async function dropPostgresDatabases(serverUrl: string, names: string[]): Promise<void> {
  await withPgClient(serverUrl, async (c) => {
    for (const name of names) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}

/**
 * Registers `suite` (given the server's URL) under `title` on PostgreSQL: run when TEST_POSTGRES_URL is set, a
 * failing test in CI without it, and listed as skipped elsewhere.
 */
export function describeOnPostgres(title: string, suite: (serverUrl: string) => void): void {
  if (TEST_POSTGRES_URL) {
    describe(title, () => suite(TEST_POSTGRES_URL));
  } else if (process.env.CI === 'true') {
    describe(title, () => {
      it('needs TEST_POSTGRES_URL in CI', () => {
        throw new Error('TEST_POSTGRES_URL is not set: CI must start PostgreSQL: run `export TEST_POSTGRES_URL="$(scripts/ci-postgres.sh | tail -n 1)"` before the tests.');
      });
    });
  } else {
    describe.skip(`${title} (set TEST_POSTGRES_URL, e.g. from scripts/ci-postgres.sh)`, () => suite('postgresql://unset'));
  }
}
