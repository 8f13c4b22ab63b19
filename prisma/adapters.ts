/**
 * Driver adapter factories shared by prisma/database.ts (run time) and the prisma.config.ts files (CLI).
 * Prisma 6.19 is used with `engine: 'js'` / `engineType = "client"` everywhere, so every database access
 * (queries and migrations) goes through one of these adapters: no native engine binary is needed.
 */
import pg from 'pg';
import { createClient as createLibsqlClient } from '@libsql/client';
import { PrismaLibSQL } from '@prisma/adapter-libsql';
import { PrismaPg } from '@prisma/adapter-pg';

/**
 * PrismaLibSQL on the project's @libsql/client (0.18) instead of the 0.8 copy nested in @prisma/adapter-libsql,
 * for its busy timeout: 0.8 has none, so a second process writing the same file (the execution and the
 * persistence workers, the CLI) failed at once with "Operation has timed out" (SQLITE_BUSY); with the timeout
 * it waits for the lock (tests/unit/persistence.test.ts runs three writer processes on one file).
 * The adapter only uses execute/batch/transaction/executeMultiple/close, which both versions share.
 */
class PrismaLibSQLWithBusyTimeout extends PrismaLibSQL {
  constructor(
    config: ConstructorParameters<typeof PrismaLibSQL>[0],
    private readonly busyTimeoutMs: number,
  ) {
    super(config);
  }

  override createClient(config: Parameters<PrismaLibSQL['createClient']>[0]): ReturnType<PrismaLibSQL['createClient']> {
    const { url, authToken, syncUrl, intMode } = config;
    const client = createLibsqlClient({ url, authToken, syncUrl, intMode, timeout: this.busyTimeoutMs });
    return client as unknown as ReturnType<PrismaLibSQL['createClient']>;
  }
}

/** `fileUrl`: an absolute file: URL (see resolveDatabaseUrl); `busyTimeoutMs`: wait that long on a locked file. */
export function sqliteAdapter(fileUrl: string, busyTimeoutMs = 10_000): PrismaLibSQL {
  return new PrismaLibSQLWithBusyTimeout({ url: fileUrl }, busyTimeoutMs);
}

export function postgresAdapter(url: string): PrismaPg {
  return new PrismaPg({ connectionString: url });
}

/**
 * PostgreSQL catalog types @prisma/adapter-pg 6.19 cannot describe ("Column type 'name' could not be
 * deserialized from the database", prisma/orm#27403): the WASM schema engine reads pg_catalog columns of
 * these types, so every `prisma migrate` command fails. pg returns their values as plain strings (text
 * protocol), so reporting them as text is exact.
 */
const CATALOG_TYPES_AS_TEXT: Record<number, number> = {
  18: 25, // "char"
  19: 25, // name
  22: 25, // int2vector
  24: 25, // regproc
  28: 25, // xid
  29: 25, // cid
  30: 25, // oidvector
  194: 25, // pg_node_tree
  1033: 25, // aclitem
  2205: 25, // regclass
  2206: 25, // regtype
  3220: 25, // pg_lsn
  4089: 25, // regnamespace
  1003: 1009, // name[] → text[]
};

interface FieldLike {
  dataTypeID: number;
}
interface ResultLike {
  fields?: FieldLike[];
}

function reportCatalogTypesAsText<R>(result: R): R {
  const fields = (result as ResultLike | undefined)?.fields;
  if (Array.isArray(fields)) {
    for (const f of fields) {
      const mapped = CATALOG_TYPES_AS_TEXT[f.dataTypeID];
      if (mapped !== undefined) f.dataTypeID = mapped;
    }
  }
  return result;
}

type QueryCallback = (err: Error | null, res: unknown) => void;

/** A pg.Client whose results report catalog types as text (see CATALOG_TYPES_AS_TEXT). */
class CatalogTypesAsTextClient extends pg.Client {
  // pg's query() has many overloads; this wrapper handles the forms pg-pool and adapter-pg use
  // (promise, and callback as 2nd or 3rd argument) and passes submittables through untouched.
  query(config: unknown, values?: unknown, callback?: unknown): any {
    const q = super.query as (...args: unknown[]) => any;
    if (config && typeof (config as { submit?: unknown }).submit === 'function') {
      return q.call(this, config, values, callback);
    }
    if (typeof values === 'function') {
      callback = values;
      values = undefined;
    }
    if (typeof callback === 'function') {
      const cb = callback as QueryCallback;
      return q.call(this, config, values, (err: Error | null, res: unknown) => cb(err, err ? res : reportCatalogTypesAsText(res)));
    }
    const result = q.call(this, config, values);
    return result && typeof result.then === 'function' ? result.then(reportCatalogTypesAsText) : result;
  }
}

/** The PostgreSQL adapter for the Prisma CLI (schema engine): works around prisma/orm#27403. */
export function postgresMigrationAdapter(url: string): PrismaPg {
  // pg-pool instantiates `options.Client`; the shadow database pool (migrate dev) copies this config too.
  // allowExitOnIdle: the CLI never ends the pool, so without it every command waits out the 10 s idle timeout.
  return new PrismaPg({ connectionString: url, Client: CatalogTypesAsTextClient, allowExitOnIdle: true } as pg.PoolConfig);
}
