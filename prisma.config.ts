/**
 * Prisma CLI config for the default SQLite database (prisma/schema.prisma, prisma/migrations).
 * PostgreSQL has its own: prisma/postgres/prisma.config.ts (pass it with --config). From code, use
 * prisma/database.ts `migrateDatabase(url)`, which picks the config from the URL; `npm run db:migrate` too.
 *
 * Runs fully offline: `engine: 'js'` uses the WASM schema engine through the libsql driver adapter, so no
 * native engine binary is downloaded. DATABASE_URL defaults to file:./data/trader.db; relative file: URLs
 * resolve against the project root (not against the schema file as classic Prisma does).
 */
import * as path from 'node:path';
import { defineConfig } from 'prisma/config';
import { sqliteAdapter } from './prisma/adapters';
import { resolveDatabaseUrl } from './prisma/url';

// The schema's datasource reads env("DATABASE_URL"); if it is unset Prisma cannot read the generator config
// and `prisma generate` falls back to the native engine (and tries to download it). Always set it, normalised.
const url = resolveDatabaseUrl(process.env.DATABASE_URL, { createDir: false });
process.env.DATABASE_URL = url;

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(__dirname, 'prisma', 'schema.prisma'),
  migrations: { path: path.join(__dirname, 'prisma', 'migrations') },
  async adapter() {
    if (!url.startsWith('file:')) {
      throw new Error(`prisma.config.ts is the SQLite config but DATABASE_URL is a ${url.split(':')[0]} URL: use --config prisma/postgres/prisma.config.ts`);
    }
    return sqliteAdapter(resolveDatabaseUrl(url)); // now create the directory of a brand-new database
  },
});
