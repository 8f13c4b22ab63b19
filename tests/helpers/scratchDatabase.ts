/**
 * A migrated SQLite app database in a temporary folder, for the test file that calls this at its top: created before
 * its tests, closed and removed after them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeDatabases, migrateDatabase, openDatabase, type Db } from '../../prisma/database';

export interface ScratchDatabase {
  readonly db: Db;
  readonly url: string;
}

export function scratchDatabase(prefix: string): ScratchDatabase {
  let dir: string | undefined;
  let url = '';
  let db: Db | undefined;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
    url = `file:${path.join(dir, 'trader.db')}`;
    await migrateDatabase(url);
    db = openDatabase(url);
  });
  afterAll(async () => {
    await closeDatabases();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    get db() {
      if (!db) throw new Error('the scratch database is opened in beforeAll: use it inside a test or hook');
      return db;
    },
    get url() {
      return url;
    },
  };
}
