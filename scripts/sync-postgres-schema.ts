/**
 * Derives prisma/postgres/schema.prisma from prisma/schema.prisma, the single source of truth for the
 * data model: the models are copied verbatim, only the generator and datasource blocks are swapped.
 *
 *   npx tsx scripts/sync-postgres-schema.ts          # rewrite prisma/postgres/schema.prisma
 *   npx tsx scripts/sync-postgres-schema.ts --check  # exit 1 when it is out of date
 *
 * After changing the model, also add a migration for each provider: see the header of prisma/schema.prisma.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
export const SQLITE_SCHEMA = path.join(ROOT, 'prisma', 'schema.prisma');
export const POSTGRES_SCHEMA = path.join(ROOT, 'prisma', 'postgres', 'schema.prisma');

const HEADER = `// GENERATED from prisma/schema.prisma by scripts/sync-postgres-schema.ts: DO NOT EDIT.
// Change prisma/schema.prisma and run \`npm run db:sync-postgres\`; the persistence test fails when they drift.
`;

const POSTGRES_GENERATOR = `generator client {
  provider     = "prisma-client"
  output       = "../generated/postgres"
  moduleFormat = "cjs"
  engineType   = "client"
}`;

const POSTGRES_DATASOURCE = `datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}`;

/** A top-level `generator x { ... }` or `datasource x { ... }` block (closing brace at column 0). */
const blockRe = (kind: 'generator' | 'datasource') => new RegExp(`^${kind}\\s+\\w+\\s*\\{[\\s\\S]*?^\\}`, 'm');

export function derivePostgresSchema(sqliteSchema: string): string {
  for (const kind of ['generator', 'datasource'] as const) {
    if (!blockRe(kind).test(sqliteSchema)) throw new Error(`prisma/schema.prisma has no ${kind} block`);
  }
  const body = sqliteSchema
    .replace(blockRe('generator'), POSTGRES_GENERATOR)
    .replace(blockRe('datasource'), POSTGRES_DATASOURCE);
  return HEADER + '\n' + body;
}

/**
 * The data model alone: generator/datasource blocks and comment-only lines removed, whitespace collapsed.
 * Used by the test to assert the two schemas define identical models.
 */
export function modelsOnly(schema: string): string {
  return schema
    .replace(blockRe('generator'), '')
    .replace(blockRe('datasource'), '')
    .split('\n')
    .filter((line) => !/^\s*\/\/(?!\/)/.test(line)) // drop `//` comments, keep `///` doc comments (they reach the client)
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => line !== '')
    .join('\n');
}

function main(): void {
  const expected = derivePostgresSchema(fs.readFileSync(SQLITE_SCHEMA, 'utf8'));
  const current = fs.existsSync(POSTGRES_SCHEMA) ? fs.readFileSync(POSTGRES_SCHEMA, 'utf8') : '';
  if (process.argv.includes('--check')) {
    if (current !== expected) {
      console.error('prisma/postgres/schema.prisma is out of date: run `npm run db:sync-postgres`.');
      process.exit(1);
    }
    console.log('prisma/postgres/schema.prisma is in sync.');
    return;
  }
  if (current === expected) {
    console.log('prisma/postgres/schema.prisma already in sync.');
    return;
  }
  fs.mkdirSync(path.dirname(POSTGRES_SCHEMA), { recursive: true });
  fs.writeFileSync(POSTGRES_SCHEMA, expected);
  console.log('Wrote prisma/postgres/schema.prisma.');
}

if (require.main === module) main();
