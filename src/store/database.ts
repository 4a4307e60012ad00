// One driver path for both engines: application code only talks to a node-postgres Pool.
// Embedded mode backs that Pool with PGlite (a single session, so max 1 connection);
// server mode connects to PostgreSQL through DATABASE_URL.
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.ts';

export type Engine = 'pglite' | 'postgres';

export interface Database {
  engine: Engine;
  db: Kysely<DB>;
  pool: pg.Pool;
  /** The embedded instance, when there is one (tests clone and dump it). */
  pglite: PGlite | undefined;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** postgres:// URL; when absent the embedded database is used. */
  databaseUrl?: string | undefined;
  /** Directory for the embedded database; `memory://` keeps it in memory. */
  dataDir?: string;
  /** Start from an existing embedded instance (tests). */
  pglite?: PGlite;
  poolMax?: number;
}

/** PGlite's WebAssembly, when bin/village.js began compiling it early (see there). */
async function preloadedWasm(): Promise<{ pgliteWasmModule?: WebAssembly.Module }> {
  const key = Symbol.for('village.pglite.wasm');
  const preloaded = (globalThis as { [key]?: Promise<WebAssembly.Module> })[key];
  if (!preloaded) return {};
  const pgliteWasmModule = await preloaded.catch(() => undefined);
  return pgliteWasmModule ? { pgliteWasmModule } : {};
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolMax ?? 10 });
    pool.on('error', () => {
      // An idle client lost its connection; the pool replaces it on next use.
    });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return {
      engine: 'postgres',
      db,
      pool,
      pglite: undefined,
      close: () => db.destroy(),
    };
  }
  let pglite = opts.pglite;
  if (!pglite) {
    const dir = opts.dataDir ?? 'memory://';
    const dataDir = dir.startsWith('memory://') ? dir : path.join(dir, 'pg');
    if (!dir.startsWith('memory://')) fs.mkdirSync(dataDir, { recursive: true });
    pglite = await PGlite.create(dataDir, await preloadedWasm());
  }
  const owned = !opts.pglite;
  const instance = pglite;
  const pool = new pg.Pool({ ...createPgConfig(instance), max: 1 });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    engine: 'pglite',
    db,
    pool,
    pglite: instance,
    close: async () => {
      await db.destroy();
      if (owned) await instance.close();
    },
  };
}
