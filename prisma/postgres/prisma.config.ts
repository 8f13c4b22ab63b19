/**
 * Prisma CLI config for PostgreSQL (prisma/postgres/schema.prisma, prisma/postgres/migrations).
 * Use it with --config, e.g.
 *   DATABASE_URL=postgresql://user@host:5432/db npx prisma migrate deploy --config prisma/postgres/prisma.config.ts
 * (prisma/database.ts `migrateDatabase(url)` and `npm run db:migrate` pick the right config from the URL.)
 *
 * Offline like the SQLite config: `engine: 'js'` runs the WASM schema engine through the pg driver adapter
 * (with a workaround for prisma/orm#27403, see prisma/adapters.ts).
 */
import * as path from 'node:path';
import { defineConfig } from 'prisma/config';
import { postgresMigrationAdapter } from '../adapters';

const url = process.env.DATABASE_URL ?? '';
// The schema's datasource reads env("DATABASE_URL") and Prisma cannot even read the generator config when it
// is unset: `prisma generate` then falls back to the native library engine and tries to download it. Generate
// needs no database, so give it a placeholder; the adapter below still refuses to connect without a real URL.
if (!url) process.env.DATABASE_URL = 'postgresql://unset.invalid/unset';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(__dirname, 'schema.prisma'),
  migrations: { path: path.join(__dirname, 'migrations') },
  async adapter() {
    if (!/^postgres(ql)?:\/\//i.test(url)) {
      throw new Error(`prisma/postgres/prisma.config.ts needs DATABASE_URL=postgresql://...; got ${url || '(unset)'}`);
    }
    return postgresMigrationAdapter(url);
  },
});
