/**
 * Database URL handling shared by prisma/database.ts and the two prisma.config.ts files.
 * Kept free of imports beyond node built-ins so Prisma's config loader can load it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

/** The project root (the directory holding package.json), independent of the process' cwd. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

export const DEFAULT_DATABASE_URL = 'file:./data/trader.db';

export type DatabaseKind = 'sqlite' | 'postgres';

export function databaseKind(url: string): DatabaseKind {
  return /^postgres(ql)?:\/\//i.test(url) ? 'postgres' : 'sqlite';
}

/** Absolute path of the SQLite file a `file:` URL names; relative paths resolve against the project root. */
export function sqliteFilePath(url: string): string {
  if (!/^file:/i.test(url)) {
    throw new Error(`Not a SQLite file: URL: ${url} (expected file:./path.db, file:/abs/path.db or postgres[ql]://...)`);
  }
  // Drop any ?query (e.g. ?connection_limit=1 from classic Prisma URLs): libsql does not take it.
  const bare = url.replace(/\?.*$/, '');
  if (/^file:\/\//i.test(bare)) return fileURLToPath(bare); // file:///abs/path.db
  const p = decodeURIComponent(bare.slice('file:'.length));
  if (p === '' || p === ':memory:') throw new Error(`In-memory SQLite is not supported for persistence: ${url}`);
  return path.isAbsolute(p) ? p : path.resolve(PROJECT_ROOT, p);
}

/**
 * Normalises a database URL: undefined/empty → the default; a SQLite file: URL → an absolute file:// URL
 * so it means the same file whatever the cwd (its directory is created unless `createDir` is false);
 * a postgres URL is returned unchanged.
 */
export function resolveDatabaseUrl(url: string | undefined = process.env.DATABASE_URL, opts: { createDir?: boolean } = {}): string {
  const raw = url && url.trim() !== '' ? url.trim() : DEFAULT_DATABASE_URL;
  if (databaseKind(raw) === 'postgres') return raw;
  const file = sqliteFilePath(raw);
  if (opts.createDir !== false) fs.mkdirSync(path.dirname(file), { recursive: true });
  return pathToFileURL(file).href;
}
