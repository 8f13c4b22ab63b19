/**
 * Database access for the trading system: one PrismaClient per database URL, SQLite (default) or PostgreSQL.
 *
 * - URL: `DATABASE_URL`, default `file:./data/trader.db`. Relative `file:` paths resolve against the project
 *   root (whatever the cwd) and the directory is created. `postgres://` / `postgresql://` selects PostgreSQL.
 * - Clients: Prisma 6.19 "client engine" (no native binary), one generated client per provider because the
 *   query compiler is per provider: prisma/generated/sqlite and prisma/generated/postgres, produced by
 *   `npm run db:generate` from prisma/schema.prisma and its derived twin prisma/postgres/schema.prisma.
 * - Migrations: `migrateDatabase(url)` runs `prisma migrate deploy` with the provider's config
 *   (prisma.config.ts or prisma/postgres/prisma.config.ts); `npm run db:migrate` does the same for DATABASE_URL.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createClient } from '@libsql/client';
import type { Prisma, PrismaClient as SqlitePrismaClient } from './generated/sqlite/client';
import { postgresAdapter, sqliteAdapter } from './adapters';
import { PROJECT_ROOT, databaseKind, resolveDatabaseUrl, sqliteFilePath, type DatabaseKind } from './url';

export { DEFAULT_DATABASE_URL, PROJECT_ROOT, databaseKind, resolveDatabaseUrl, sqliteFilePath } from './url';
export type { DatabaseKind } from './url';

/**
 * The client type used throughout the code base. Both generated clients have identical models (the postgres
 * schema is derived from the sqlite one and a test checks it), so their model APIs are the same; the
 * PostgreSQL client is cast to the SQLite client's type. Only provider-specific surface (raw SQL dialect,
 * `$transaction` isolation levels) differs, and this code base does not rely on it.
 */
export type Db = SqlitePrismaClient;

/** The client handed to an interactive `db.$transaction(async (tx) => ...)`. */
export type DbTx = Prisma.TransactionClient;

/** Busy timeout for SQLite: worker processes and the CLI share one file. */
const SQLITE_BUSY_TIMEOUT_MS = 10_000;

const clients = new Map<string, Db>();

function loadGenerated<T>(kind: DatabaseKind, load: () => T): T {
  try {
    return load();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') {
      throw new Error(`The ${kind} Prisma client is not generated (prisma/generated/${kind}): run \`npm run db:generate\`.`);
    }
    throw e;
  }
}

/**
 * A PrismaClient for `url` (default: DATABASE_URL, then file:./data/trader.db), cached per resolved URL:
 * repeated calls share one client and its connection pool. Does not migrate: see migrateDatabase.
 */
export function openDatabase(url: string | undefined = process.env.DATABASE_URL): Db {
  const resolved = resolveDatabaseUrl(url);
  const cached = clients.get(resolved);
  if (cached) return cached;
  const kind = databaseKind(resolved);
  let db: Db;
  if (kind === 'postgres') {
    // Loaded lazily so a SQLite deployment never loads the PostgreSQL query compiler (and vice versa).
    const { PrismaClient } = loadGenerated(kind, () => require('./generated/postgres/client') as typeof import('./generated/postgres/client'));
    // Identical models (see Db): cast to the common type.
    db = new PrismaClient({ adapter: postgresAdapter(resolved) }) as unknown as Db;
  } else {
    const { PrismaClient } = loadGenerated(kind, () => require('./generated/sqlite/client') as typeof import('./generated/sqlite/client'));
    db = new PrismaClient({ adapter: sqliteAdapter(resolved, SQLITE_BUSY_TIMEOUT_MS) });
  }
  clients.set(resolved, db);
  return db;
}

/** Disconnects every client opened by openDatabase (end of process, end of a test file). */
export async function closeDatabases(): Promise<void> {
  const all = [...clients.values()];
  clients.clear();
  await Promise.allSettled(all.map((db) => db.$disconnect()));
}

/** The URL with any password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

/** Prisma config (relative to the project root) for a provider. */
export function prismaConfigFor(kind: DatabaseKind): string {
  return kind === 'postgres' ? 'prisma/postgres/prisma.config.ts' : 'prisma.config.ts';
}

/** What `prisma migrate deploy` prints when the database is up to date. */
const MIGRATE_SUCCESS = /All migrations have been successfully applied|No pending migrations to apply/;

export interface MigrateResult {
  url: string;
  kind: DatabaseKind;
  /** prisma's stdout and stderr. */
  output: string;
}

/**
 * Cross-process lock for migrating one SQLite file. Prisma takes an advisory lock on PostgreSQL, but on SQLite
 * two concurrent `migrate deploy` (workers starting together) race: the loser sees the winner's unfinished
 * migration and fails with P3009 "found failed migrations". A stale lock (crashed holder) expires.
 */
async function withSqliteMigrateLock<T>(fileUrl: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${sqliteFilePath(fileUrl)}.migrate-lock`;
  const staleMs = 5 * 60_000;
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > staleMs) fs.rmSync(lock, { force: true });
      } catch {
        // released meanwhile
      }
      if (Date.now() > deadline) throw new Error(`Timed out waiting for the migration lock ${lock}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/**
 * Applies the committed migrations (prisma/migrations or prisma/postgres/migrations) to `url` with
 * `prisma migrate deploy`, run from the project root with DATABASE_URL set. Idempotent: an up-to-date
 * database is left alone. A brand-new SQLite file is created (with its directory) and switched to WAL so
 * the CLI can read while workers write. Throws with prisma's output when the command fails.
 */
export async function migrateDatabase(url: string | undefined = process.env.DATABASE_URL): Promise<MigrateResult> {
  const resolved = resolveDatabaseUrl(url);
  const kind = databaseKind(resolved);
  const bin = path.join(PROJECT_ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'prisma.cmd' : 'prisma');
  const args = ['migrate', 'deploy', '--config', prismaConfigFor(kind)];
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: resolved, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1', NO_COLOR: '1' };
  if (kind === 'postgres') {
    // Without it the command lingers 10 s after finishing (see the file); quoted in case the path has spaces.
    const preload = `--require ${JSON.stringify(path.join(PROJECT_ROOT, 'prisma', 'unref-engine-timers.js'))}`;
    env.NODE_OPTIONS = [process.env.NODE_OPTIONS, preload].filter(Boolean).join(' ');
  }
  const deploy = () => new Promise<string>((resolve, reject) => {
    execFile(
      bin,
      args,
      {
        cwd: PROJECT_ROOT,
        env,
        timeout: 180_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const out = [stdout, stderr].filter((s) => s && s.trim() !== '').join('\n');
        if (err) {
          const how = (err as { killed?: boolean }).killed ? 'timed out' : `failed (exit code ${String(err.code)})`;
          reject(new Error(`prisma ${args.join(' ')} ${how} for ${redactUrl(resolved)}:\n${out || err.message}`));
        } else if (!MIGRATE_SUCCESS.test(out)) {
          reject(new Error(`prisma ${args.join(' ')} exited without reporting success for ${redactUrl(resolved)}:\n${out}`));
        } else {
          resolve(out);
        }
      },
    );
  });
  const output = kind === 'sqlite' ? await withSqliteMigrateLock(resolved, deploy) : await deploy();
  if (kind === 'sqlite') {
    const client = createClient({ url: resolved, timeout: SQLITE_BUSY_TIMEOUT_MS });
    try {
      await client.execute('PRAGMA journal_mode = WAL');
    } finally {
      client.close();
    }
  }
  return { url: resolved, kind, output };
}

/** `npm run db:migrate` (= `tsx prisma/database.ts migrate`): migrate deploy on DATABASE_URL (or the default). */
if (require.main === module) {
  const [command = 'migrate', url] = process.argv.slice(2);
  if (command !== 'migrate') {
    console.error(`usage: tsx prisma/database.ts migrate [url]   (url defaults to DATABASE_URL, then ${'file:./data/trader.db'})`);
    process.exit(2);
  }
  migrateDatabase(url ?? process.env.DATABASE_URL)
    .then((r) => {
      console.log(r.output);
      console.log(`Migrated ${r.kind} database ${redactUrl(r.url)}`);
    })
    .catch((e: Error) => {
      console.error(e.message);
      process.exit(1);
    });
}
