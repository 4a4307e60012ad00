// Test databases on either engine. VILLAGE_TEST_ENGINE=postgres (with VILLAGE_TEST_DATABASE_URL)
// runs the same suites on a PostgreSQL server; the default is the embedded PGlite.
// Embedded: each worker migrates one template once and loads a copy per test file (~0.7 s).
// Server: each test file gets a fresh database, migrated, dropped afterwards.
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { type Database, openDatabase } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';

export type TestEngine = 'pglite' | 'postgres';

export const testEngine: TestEngine = process.env.VILLAGE_TEST_ENGINE === 'postgres' ? 'postgres' : 'pglite';

export interface TestDatabase extends Database {
  /** A postgres:// URL other processes can use (server engine only). */
  url: string | undefined;
  drop(): Promise<void>;
}

let template: Promise<Blob> | undefined;

async function pgliteTemplate(): Promise<Blob> {
  const pglite = await PGlite.create('memory://');
  const d = await openDatabase({ pglite });
  await migrateToLatest(d.db);
  await d.close();
  const blob = await pglite.dumpDataDir('none');
  await pglite.close();
  return blob;
}

export function serverUrl(): string {
  const url = process.env.VILLAGE_TEST_DATABASE_URL;
  if (!url) throw new Error('VILLAGE_TEST_ENGINE=postgres needs VILLAGE_TEST_DATABASE_URL');
  return url;
}

export async function createTestDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const migrate = opts.migrate ?? true;
  if (testEngine === 'postgres') {
    const admin = serverUrl();
    const name = `village_test_${randomBytes(6).toString('hex')}`;
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query(`CREATE DATABASE ${name}`);
    await client.end();
    const u = new URL(admin);
    u.pathname = `/${name}`;
    const url = u.toString();
    const d = await openDatabase({ databaseUrl: url, poolMax: 10 });
    if (migrate) await migrateToLatest(d.db);
    return {
      ...d,
      url,
      async drop() {
        await d.close();
        const c = new pg.Client({ connectionString: admin });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  let pglite: PGlite;
  if (migrate) {
    template ??= pgliteTemplate();
    pglite = await PGlite.create({ loadDataDir: await template });
  } else {
    pglite = await PGlite.create('memory://');
  }
  const d = await openDatabase({ pglite });
  return {
    ...d,
    url: undefined,
    async drop() {
      await d.close();
      await pglite.close();
    },
  };
}
