// Shared helpers for the benchmarks (bench/*.ts, run by `npm run bench`, see scripts/bench.mjs).
// Every benchmark prints readable figures and, as its last line, one JSON object of them.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { auditLine, canonicalDetails, chainHash, GENESIS_HASH } from '../src/domain/audit-chain.ts';
import { type Database, type Engine, openDatabase } from '../src/store/database.ts';
import { migrateToLatest } from '../src/store/migrate.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const out = (s = ''): void => {
  process.stdout.write(`${s}\n`);
};

/** The machine-readable result: must be the last line a benchmark prints. */
export function emit(result: Record<string, unknown>): void {
  out(JSON.stringify(result));
}

/** `--name N` from the command line, a positive integer. */
export function intOption(name: string, fallback: number): number {
  const args = process.argv.slice(2);
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return fallback;
  const arg = args[i] as string;
  const raw = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[i + 1];
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} needs a positive integer, got ${String(raw)}`);
  return n;
}

/** The engines to run on: always the embedded one; PostgreSQL too when DATABASE_URL is set. */
export function engines(): Engine[] {
  return process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

/** A fresh directory under the system temporary directory. */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `village-bench-${prefix}-`));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface ScratchDatabase {
  engine: Engine;
  /** postgres:// URL of the scratch database (server engine), for child processes. */
  url: string | undefined;
  /** A temporary data directory: the embedded database lives there; on a server only small files do. */
  dataDir: string;
  /** Drops the scratch database / removes the data directory. */
  drop(): Promise<void>;
}

/** The administrative URL given in DATABASE_URL; benchmarks never touch that database itself. */
function adminUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  return url;
}

/**
 * A place for a benchmark's data: a temporary data directory (embedded) or a fresh database
 * created on the server named by DATABASE_URL (and dropped afterwards).
 */
export async function scratchDatabase(engine: Engine, label: string): Promise<ScratchDatabase> {
  const tmp = tempDir(label);
  if (engine === 'pglite') return { engine, url: undefined, dataDir: tmp.dir, drop: async () => tmp.remove() };
  const admin = adminUrl();
  const name = `village_bench_${label.replace(/[^a-z0-9]/g, '')}_${randomBytes(4).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  try {
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
  } catch (e) {
    tmp.remove();
    throw e;
  } finally {
    await c.end().catch(() => undefined);
  }
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return {
    engine,
    url: u.toString(),
    dataDir: tmp.dir,
    drop: async () => {
      tmp.remove();
      const d = new pg.Client({ connectionString: admin });
      await d.connect();
      try {
        await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await d.end();
      }
    },
  };
}

/** Opens (and migrates) a scratch database in this process. */
export async function openScratch(s: ScratchDatabase, poolMax = 4): Promise<Database> {
  const database = await openDatabase(s.engine === 'pglite' ? { dataDir: s.dataDir } : { databaseUrl: s.url as string, poolMax });
  await migrateToLatest(database.db);
  return database;
}

/** A TCP port on the loopback interface that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export const now = (): number => performance.now();

/** Runs fn over items with at most n calls in flight at once. */
export async function inFlight<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The q-quantile (0..1) of the values, nearest-rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

export const round = (n: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** 1234567.8 -> "1,234,568" */
export const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** One-line description of the machine, for the record. */
export function machine(): { node: string; cpus: number; cpu: string; loadavg: number[] } {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpus: cpus.length,
    cpu: cpus[0]?.model ?? 'unknown',
    loadavg: os.loadavg().map((l) => round(l, 2)),
  };
}

/** Waits for a child to exit, killing it (SIGKILL) after `timeoutMs`. */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** GET a loopback URL with a per-request timeout; returns the status (0 when it did not answer). */
export async function getStatus(url: string, timeoutMs = 1000): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

export interface Server {
  child: ChildProcess;
  /** Everything the process wrote, for error messages. */
  output(): string;
  /**
   * SIGTERM to the whole process group (npm, its shell and the server each get it once), then
   * waits until every process of the group is gone (SIGKILL after 20 s). Resolves to whether the
   * group went away by itself.
   */
  stop(): Promise<boolean>;
}

const groups = new Set<number>();
process.once('exit', () => {
  // A benchmark that failed half-way leaves no server behind.
  for (const pgid of groups) signalGroup(pgid, 'SIGKILL');
});

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // no process left in the group
  }
}

/**
 * Spawns a command in a process group of its own, output captured (not shown). A group, because
 * `npm start` runs the server under `sh -c`, and npm forwards SIGTERM only to that shell.
 */
export function spawnServer(cmd: string, args: string[], env: NodeJS.ProcessEnv): Server {
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const pgid = child.pid;
  if (pgid === undefined) throw new Error(`could not spawn ${cmd}`);
  groups.add(pgid);
  let text = '';
  const keep = (b: Buffer) => {
    text = (text + b.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (e) => keep(Buffer.from(String(e))));
  return {
    child,
    output: () => text,
    stop: async () => {
      signalGroup(pgid, 'SIGTERM');
      const deadline = now() + 20_000;
      while (signalGroup(pgid, 0)) {
        if (now() > deadline) {
          signalGroup(pgid, 'SIGKILL');
          await waitForExit(child, 5_000);
          groups.delete(pgid);
          return false;
        }
        await sleep(10);
      }
      groups.delete(pgid);
      return true;
    },
  };
}

/** Polls /readyz every `everyMs` until 200, the process exits, or `timeoutMs` passes. */
export async function waitReady(
  server: Server,
  baseUrl: string,
  opts: { everyMs?: number; timeoutMs?: number } = {},
): Promise<boolean> {
  const every = opts.everyMs ?? 20;
  const deadline = now() + (opts.timeoutMs ?? 60_000);
  while (now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) return false;
    if ((await getStatus(`${baseUrl}/readyz`, 500)) === 200) return true;
    await sleep(every);
  }
  return false;
}

/** Environment for a Village child process on a scratch database. */
export function villageEnv(s: ScratchDatabase, port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    VILLAGE_PUBLIC_URL: `http://127.0.0.1:${port}`,
    VILLAGE_LOG_LEVEL: 'warn',
    VILLAGE_COOKIE_SECURE: '0',
    VILLAGE_DATA_DIR: s.dataDir,
    ...extra,
  };
  if (s.engine === 'postgres') env.DATABASE_URL = s.url;
  else delete env.DATABASE_URL;
  return env;
}

const ACTIONS: ReadonlyArray<readonly [action: string, objectType: string]> = [
  ['case.read', 'case'],
  ['case.read', 'case'],
  ['case.read', 'case'],
  ['case.update', 'case'],
  ['case.comment', 'case'],
  ['case.participant_add', 'case'],
  ['report.submit', 'report'],
  ['report.read', 'report'],
  ['auth.login', 'user'],
  ['auth.logout', 'session'],
  ['auth.login_failed', 'user'],
  ['token.create', 'api_token'],
  ['org.member_add', 'organization'],
];

/**
 * Writes a valid audit chain of `n` entries straight into an empty audit_log (lines and hashes
 * computed here with the application's own auditLine/chainHash, rows inserted in large
 * multi-row batches), then moves audit_head to the last entry.
 */
export async function seedAuditChain(
  database: Database,
  n: number,
  opts: { batch?: number; progress?: (done: number) => void } = {},
): Promise<{ generateMs: number; insertMs: number; bytes: number }> {
  const batch = opts.batch ?? 10_000;
  const users = Array.from({ length: 2_000 }, () => randomUUID());
  const orgs = Array.from({ length: 60 }, () => randomUUID());
  const objects = Array.from({ length: 20_000 }, () => randomUUID());
  let rand = 0x9e3779b9;
  const rnd = (k: number) => {
    // xorshift32: reproducible, cheap
    rand ^= rand << 13;
    rand ^= rand >>> 17;
    rand ^= rand << 5;
    return (rand >>> 0) % k;
  };
  let prev = GENESIS_HASH;
  let at = Date.parse('2025-01-06T08:00:00.000Z');
  let generateMs = 0;
  let insertMs = 0;
  let bytes = 0;
  let inflight: Promise<unknown> | undefined;
  for (let start = 0; start < n; start += batch) {
    const t0 = now();
    const rows: Record<string, string | null>[] = [];
    for (let i = start; i < Math.min(n, start + batch); i++) {
      const [action, objectType] = ACTIONS[rnd(ACTIONS.length)] as readonly [string, string];
      const user = users[rnd(users.length)] as string;
      const org = orgs[rnd(orgs.length)] as string;
      at += rnd(1_500);
      const details =
        action === 'auth.login'
          ? { method: 'password' }
          : action === 'auth.login_failed'
            ? { ip: `192.0.2.${rnd(256)}`, reason: 'password' }
            : action === 'case.update'
              ? { changes: ['status'], from: 'triage', to: 'coordinating' }
              : action === 'case.read'
                ? {}
                : { via: 'web', size: rnd(5_000) };
      const fields = {
        seq: String(i + 1),
        at: new Date(at),
        actorUserId: user,
        actorOrgId: org,
        subjectOrgId: rnd(4) === 0 ? (orgs[rnd(orgs.length)] as string) : org,
        action,
        objectType,
        objectId: objectType === 'user' ? user : (objects[rnd(objects.length)] as string),
        requestId: `req-${randomUUID()}`,
        details: canonicalDetails(details),
      };
      const line = auditLine(fields);
      const hash = chainHash(prev, line);
      bytes += Buffer.byteLength(line) + prev.length + 1;
      rows.push({ seq: fields.seq, entry: line, prev_hash: prev, hash });
      prev = hash;
    }
    const json = JSON.stringify(rows);
    generateMs += now() - t0;
    const t1 = now();
    // One insert in flight while the next batch is computed (a server database works meanwhile).
    await inflight;
    // Only the entry is written: the database derives the other columns from it.
    inflight = sql`INSERT INTO audit_log (seq, entry, prev_hash, hash)
                   SELECT seq, entry, prev_hash, hash
                     FROM json_to_recordset(${json}::json) AS r(seq bigint, entry text, prev_hash text, hash text)`.execute(
      database.db,
    );
    insertMs += now() - t1;
    opts.progress?.(Math.min(n, start + batch));
  }
  const t2 = now();
  await inflight;
  await sql`UPDATE audit_head SET seq = ${String(n)}::bigint, hash = ${prev} WHERE id = 1`.execute(database.db);
  insertMs += now() - t2;
  return { generateMs, insertMs, bytes };
}
