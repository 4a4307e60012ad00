// JobQueue on pg-boss 10, for both engines. pg-boss owns the job tables, enqueue SQL,
// retry/backoff arithmetic and expiry maintenance; the fetch loop is ours, because pg-boss's
// work() does not await its complete()/fail() calls (a database blip becomes an unhandled
// rejection), fails or completes a whole batch together, and sleeps a full polling interval
// after every batch. On PGlite there is a single session behind the pool: nothing here holds
// a connection while waiting for another pool query.

import { CompiledQuery, type Kysely, sql } from 'kysely';
import type pg from 'pg';
import PgBoss from 'pg-boss';
import pino, { type Logger } from 'pino';
import { uuidFromSha256 } from '../crypto/secrets.ts';
import type { Database } from '../store/database.ts';
import type { DB } from '../store/schema.ts';
import type { EnqueueOptions, JobContext, JobHandler, JobQueue, RegisterOptions } from './queue.ts';

export interface JobQueueOptions {
  database: Database;
  log?: Logger;
  /** false: this process enqueues (and creates queues and pg-boss's schema) but runs no handlers. */
  workers?: boolean;
  /** How often an idle queue looks for due jobs. Default 2. */
  pollingIntervalSeconds?: number;
  /** Handlers running at once per job name in this process. Default 4. */
  concurrency?: number;
  /**
   * A job still active this long after it started is failed and retried (crashed worker), and
   * its handler's result is no longer awaited. Set when the job is enqueued. Default 900.
   */
  expireInSeconds?: number;
  /** First retry delay; later ones double, with jitter (pg-boss backoff). Default 30, minimum 1. */
  retryDelaySeconds?: number;
  /** How often expired jobs are looked for (one instance does it per interval). Default 60. */
  maintenanceIntervalSeconds?: number;
  /** stop() waits this long for running handlers, then fails their jobs so they retry. Default 30 000. */
  stopTimeoutMs?: number;
}

export const DEFAULT_RETRY_LIMIT = 5;

const SCHEMA = 'pgboss';
// Job names become part of job_effects keys ("name:key", "name/step:key"), so no ':' or '/'.
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
// pg-boss's maintenance and schema statements are multi-statement strings with their own BEGIN.
const OPENS_TRANSACTION = /\bBEGIN\s*;/i;

/** What pg-boss stores as the job's data: the key travels with it, for the handler. */
interface Envelope {
  key: string;
  data: unknown;
}

function isEnvelope(v: unknown): v is Envelope {
  return typeof v === 'object' && v !== null && typeof (v as { key?: unknown }).key === 'string';
}

type Row = Record<string, unknown>;
type SqlResult = { rows: Row[] };
type Outcome = { ok: true } | { ok: false; error: unknown } | { expired: true };

/** The job id for (name, key): a UUID from SHA-256, so a repeated enqueue hits pg-boss's primary key. */
export function jobId(name: string, key: string): string {
  return uuidFromSha256(`${name}\0${key}`, 8); // version 8: custom (RFC 9562)
}

/** The job_effects key once() records. */
export function effectKey(name: string, key: string, step?: string): string {
  return step === undefined ? `${name}:${key}` : `${name}/${step}:${key}`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * pg-boss fetches due jobs by priority (highest first), then by creation. An earlier deadline is a
 * higher priority: minus the seconds since 2025 (int4 holds that for some 68 years).
 */
const PRIORITY_EPOCH_MS = Date.UTC(2025, 0, 1);
export function deadlinePriority(runAt: Date): number {
  const s = Math.floor((runAt.getTime() - PRIORITY_EPOCH_MS) / 1000);
  return -Math.max(0, Math.min(2_147_483_647, s));
}

function positive(value: number | undefined, fallback: number, what: string, min = 0): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0 || v < min) throw new Error(`${what} must be positive and at least ${min}`);
  return v;
}

/** Resolves after `ms`, or earlier when notified (a slot freed, or stop). */
class Wakeup {
  private waiters = new Set<() => void>();
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }
  notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

interface Registered {
  name: string;
  handler: JobHandler<unknown>;
  pollMs: number;
  concurrency: number;
  busy: number;
  wakeup: Wakeup;
}

class PgBossJobQueue implements JobQueue {
  private readonly database: Database;
  private readonly log: Logger;
  private readonly workers: boolean;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly expireInSeconds: number;
  private readonly retryDelaySeconds: number;
  private readonly stopTimeoutMs: number;
  private readonly boss: PgBoss;
  private readonly queues = new Map<string, Registered>();
  /** pg-boss statements in flight, so stop() returns only when the pool is free to close. */
  private readonly bossQueries = new Set<Promise<unknown>>();
  /** Job lifecycles (handler + recording the outcome) that stop() waits for. */
  private readonly running = new Set<Promise<void>>();
  /** Fetched jobs whose outcome is not recorded yet: id -> name. */
  private readonly active = new Map<string, string>();
  private loops: Promise<void>[] = [];
  private preparing: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  private bossStarted = false;
  private prepared = false;
  private stopRequested = false;
  private stopping: Promise<void> | undefined;

  constructor(opts: JobQueueOptions) {
    this.database = opts.database;
    this.log = opts.log ?? pino({ enabled: false });
    this.workers = opts.workers ?? true;
    this.pollMs = positive(opts.pollingIntervalSeconds, 2, 'pollingIntervalSeconds') * 1000;
    this.concurrency = Math.floor(positive(opts.concurrency, 4, 'concurrency', 1));
    this.expireInSeconds = Math.floor(positive(opts.expireInSeconds, 900, 'expireInSeconds', 1));
    if (this.expireInSeconds >= 24 * 3600) throw new Error('expireInSeconds must be under 24 hours (pg-boss)');
    this.retryDelaySeconds = Math.floor(positive(opts.retryDelaySeconds, 30, 'retryDelaySeconds', 1));
    this.stopTimeoutMs = positive(opts.stopTimeoutMs, 30_000, 'stopTimeoutMs');
    const pool = this.database.pool;
    this.boss = new PgBoss({
      db: { executeSql: (text: string, values?: unknown[]) => this.trackBossQuery(runOnPool(pool, text, values)) },
      schema: SCHEMA,
      // Expiry/archive maintenance belongs to processes that work jobs; cron is unused.
      supervise: this.workers,
      maintenanceIntervalSeconds: Math.floor(positive(opts.maintenanceIntervalSeconds, 60, 'maintenanceIntervalSeconds', 1)),
      schedule: false,
    });
    // An EventEmitter 'error' without a listener would throw; pg-boss reports maintenance errors here.
    this.boss.on('error', (err: unknown) => this.log.error({ err: errorMessage(err) }, 'job queue maintenance failed'));
  }

  register<T>(name: string, handler: JobHandler<T>, opts: RegisterOptions = {}): void {
    if (!NAME_PATTERN.test(name)) throw new Error(`invalid job name ${JSON.stringify(name)}`);
    if (this.preparing) throw new Error('register() job handlers before start() (or prepare())');
    if (this.queues.has(name)) throw new Error(`job ${name} is already registered`);
    // The handler's T is the enqueuer's promise about `data`; the queue itself only moves JSON.
    const pollMs =
      opts.pollingIntervalSeconds === undefined
        ? this.pollMs
        : positive(opts.pollingIntervalSeconds, 2, 'pollingIntervalSeconds', 0.05) * 1000;
    const concurrency =
      opts.concurrency === undefined ? this.concurrency : Math.floor(positive(opts.concurrency, 4, 'concurrency', 1));
    this.queues.set(name, { name, handler: handler as JobHandler<unknown>, pollMs, concurrency, busy: 0, wakeup: new Wakeup() });
  }

  prepare(): Promise<void> {
    if (this.stopRequested) return Promise.reject(new Error('a stopped job queue cannot be restarted'));
    this.preparing ??= this.doPrepare();
    return this.preparing;
  }

  start(): Promise<void> {
    if (this.stopRequested) return Promise.reject(new Error('a stopped job queue cannot be restarted'));
    this.starting ??= this.prepare().then(() => {
      if (!this.workers || this.stopRequested) return;
      // The first polls are spread over one (default) polling interval, none at once: sent together
      // they would all queue on the embedded database's one session, ahead of the first requests.
      const queues = [...this.queues.values()];
      this.loops = queues.map((q, i) => this.workLoop(q, ((i + 1) * this.pollMs) / queues.length));
    });
    return this.starting;
  }

  private async doPrepare(): Promise<void> {
    await this.boss.start(); // creates or migrates pg-boss's schema (under an advisory lock)
    this.bossStarted = true; // from here its maintenance timer runs, and stop() must end it
    // pg-boss 10 silently drops a send to a queue that does not exist, so create them all first.
    await this.createQueues(await this.missingQueues());
    this.prepared = true;
  }

  /** The registered queues pg-boss does not have yet (after the first start, usually none: one query). */
  private async missingQueues(): Promise<string[]> {
    const names = [...this.queues.keys()];
    const { rows } = await runOnPool(this.database.pool, `SELECT name FROM ${SCHEMA}.queue WHERE name = ANY($1::text[])`, [
      names,
    ]);
    const present = new Set(rows.map((r) => r.name));
    return names.filter((n) => !present.has(n));
  }

  /**
   * pg-boss 10's create_queue deadlocks when two processes create the same queue at once (one
   * waits on the other's pgboss.queue row while that one adds the partition's foreign key to
   * pgboss.queue), so queues are created in one transaction under an advisory lock. A throwaway
   * PgBoss bound to that transaction's client keeps pg-boss's own option handling and SQL.
   */
  private async createQueues(names: string[]): Promise<void> {
    if (names.length === 0) return;
    const client = await this.database.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('village.pgboss.create_queue'))`);
      const creator = new PgBoss({
        db: { executeSql: (text: string, values?: unknown[]) => client.query(text, values) },
        schema: SCHEMA,
        supervise: false,
        schedule: false,
        migrate: false,
      });
      for (const name of names) await creator.createQueue(name);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async enqueue<T>(db: Kysely<DB>, name: string, data: T, opts: EnqueueOptions): Promise<boolean> {
    if (!this.queues.has(name)) throw new Error(`job ${name} is not registered`);
    if (!this.prepared) throw new Error('the job queue must be prepared or started before enqueue()');
    if (!db.isTransaction) return db.transaction().execute((trx) => this.enqueue(trx, name, data, opts));
    const id = jobId(name, opts.key);
    const envelope: Envelope = { key: opts.key, data };
    // Through the caller's transaction: a rollback takes the job with it.
    const executeSql = async (text: string, values?: unknown[]): Promise<SqlResult> => {
      const r = await db.executeQuery(CompiledQuery.raw(text, values ?? []));
      return { rows: r.rows as Row[] };
    };
    const created = await this.boss.send(name, envelope, {
      id,
      db: { executeSql },
      startAfter: opts.runAt,
      ...(opts.deadlineOrder && opts.runAt ? { priority: deadlinePriority(opts.runAt) } : {}),
      retryLimit: opts.retryLimit ?? DEFAULT_RETRY_LIMIT,
      retryDelay: this.retryDelaySeconds,
      retryBackoff: true,
      expireInSeconds: this.expireInSeconds,
    });
    if (created === null) return false; // same id already in pgboss.job
    if (opts.newKey) return true;
    // Finished jobs move to pgboss.archive (after 12 h), out of reach of the primary key; a
    // twin there means this key already ran. Checked after the insert, which waits for a
    // concurrent archiving move to commit, so the move cannot slip between check and insert.
    const archived = await sql`SELECT 1 FROM pgboss.archive WHERE name = ${name} AND id = ${id}::uuid`.execute(db);
    if (archived.rows.length === 0) return true;
    await sql`DELETE FROM pgboss.job WHERE name = ${name} AND id = ${id}::uuid`.execute(db);
    return false;
  }

  stop(): Promise<void> {
    this.stopRequested = true;
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    try {
      for (const q of this.queues.values()) q.wakeup.notify();
      await this.preparing?.catch(() => undefined);
      await this.starting?.catch(() => undefined);
      await Promise.all(this.loops);
      const drained = await settlesWithin(Promise.allSettled([...this.running]), this.stopTimeoutMs);
      if (!drained) await this.failActive();
      if (this.bossStarted) await this.boss.stop({ graceful: true, wait: true, close: false });
      await Promise.allSettled([...this.bossQueries]);
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'job queue stop failed');
    }
  }

  /** Jobs whose handlers outlived stopTimeoutMs: fail them now so they retry elsewhere soon. */
  private async failActive(): Promise<void> {
    const jobs = [...this.active];
    this.active.clear(); // the late handlers must not record an outcome
    for (const [id, name] of jobs) {
      this.log.warn({ job: name, jobId: id }, 'job still running at shutdown; failing it for retry');
      try {
        await this.boss.fail(name, id, { message: 'worker stopped while the job was running' });
      } catch (err) {
        this.log.error({ job: name, jobId: id, err: errorMessage(err) }, 'could not fail job at shutdown');
      }
    }
  }

  private async workLoop(q: Registered, firstPollMs: number): Promise<void> {
    if (firstPollMs > 0) await q.wakeup.wait(firstPollMs);
    while (!this.stopRequested) {
      const free = q.concurrency - q.busy;
      if (free > 0) {
        // pg-boss's fetch swallows database errors and returns no jobs: the loop just polls again.
        let jobs: PgBoss.JobWithMetadata<unknown>[] = [];
        try {
          jobs = await this.boss.fetch<unknown>(q.name, { batchSize: free, includeMetadata: true });
        } catch (err) {
          this.log.error({ job: q.name, err: errorMessage(err) }, 'fetching jobs failed');
        }
        for (const job of jobs) this.dispatch(q, job);
        if (jobs.length === free) continue; // a full batch: there may be more due now
      }
      if (!this.stopRequested) await q.wakeup.wait(q.pollMs);
    }
  }

  private dispatch(q: Registered, job: PgBoss.JobWithMetadata<unknown>): void {
    q.busy++;
    this.active.set(job.id, q.name);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      q.busy--;
      q.wakeup.notify();
    };
    const life = this.runJob(q, job, release)
      .catch((err: unknown) => this.log.error({ job: q.name, jobId: job.id, err: errorMessage(err) }, 'job runner failed'))
      .finally(release);
    this.running.add(life);
    void life.finally(() => this.running.delete(life));
  }

  /** `release` frees the concurrency slot once the outcome is recorded; dispatch() logs any rejection. */
  private async runJob(q: Registered, job: PgBoss.JobWithMetadata<unknown>, release: () => void): Promise<void> {
    if (!isEnvelope(job.data)) {
      // Sent around this module (pg-boss directly, or by hand): no key, so no once(); refuse it.
      this.active.delete(job.id);
      this.log.error({ job: q.name, jobId: job.id }, 'job was not enqueued through the job queue; failing it');
      await this.boss.fail(q.name, job.id, { message: 'not enqueued through JobQueue' });
      return;
    }
    const { key, data } = job.data;
    const attempt = job.retryCount + 1;
    const usedSteps = new Set<string>();
    const ctx: JobContext<unknown> = {
      name: q.name,
      key,
      data,
      attempt,
      once: async (effect, step) => {
        if (step !== undefined && !NAME_PATTERN.test(step)) throw new Error(`invalid once() step ${JSON.stringify(step)}`);
        const ek = effectKey(q.name, key, step);
        if (usedSteps.has(ek)) throw new Error('once() already used for this step in this run; name each effect with a step');
        usedSteps.add(ek);
        return this.once(q.name, ek, effect);
      },
    };
    const handled: Promise<Outcome> = Promise.resolve()
      .then(() => q.handler(ctx))
      .then(
        () => ({ ok: true }),
        (error: unknown) => ({ ok: false, error }),
      );
    // Like pg-boss's own worker: past its expiry the job belongs to the next attempt.
    let timer: NodeJS.Timeout | undefined;
    const expiry = new Promise<Outcome>((resolve) => {
      timer = setTimeout(() => resolve({ expired: true }), Math.max(1, Number(job.expireInSeconds)) * 1000);
      timer.unref();
    });
    const outcome = await Promise.race([handled, expiry]);
    clearTimeout(timer);
    const fields = { job: q.name, key, attempt };
    try {
      if (!this.active.delete(job.id)) return; // stop() already failed it
      if ('expired' in outcome) {
        this.log.warn(fields, 'job handler exceeded its expiry; failing it for retry');
        await this.boss.fail(q.name, job.id, { message: 'handler exceeded expireInSeconds' });
      } else if (outcome.ok) {
        await this.boss.complete(q.name, job.id);
      } else {
        const final = job.retryCount >= job.retryLimit;
        const err = errorMessage(outcome.error);
        if (final) this.log.error({ ...fields, err }, 'job failed; no retries left');
        else this.log.warn({ ...fields, err }, 'job failed; will retry');
        await this.boss.fail(q.name, job.id, { message: err });
      }
    } catch (err) {
      // The job stays active and is retried after expiry; once() keeps its effects single.
      this.log.error({ ...fields, err: errorMessage(err) }, 'could not record job outcome');
    } finally {
      release();
    }
    await handled; // stop() also waits for a handler that outlived its expiry
  }

  private async once<R>(
    name: string,
    key: string,
    effect: (trx: Kysely<DB>) => Promise<R>,
  ): Promise<{ ran: true; result: R } | { ran: false }> {
    return this.database.db.transaction().execute(async (trx) => {
      // A concurrent run of the same job blocks on the primary key until this commits or rolls back.
      const claimed = await trx
        .insertInto('job_effects')
        .values({ key, job_name: name })
        .onConflict((oc) => oc.column('key').doNothing())
        .returning('key')
        .executeTakeFirst();
      if (!claimed) return { ran: false as const };
      return { ran: true as const, result: await effect(trx) };
    });
  }

  private trackBossQuery<T>(p: Promise<T>): Promise<T> {
    this.bossQueries.add(p);
    const forget = () => this.bossQueries.delete(p);
    p.then(forget, forget);
    return p;
  }
}

/**
 * Runs one pg-boss statement on its own pooled client. If a multi-statement string that opened
 * its own transaction fails, the session is left in an aborted transaction: on PGlite (one
 * session for everything) that would break every later query, so roll it back before release.
 * Exported for tests.
 */
export async function runOnPool(pool: pg.Pool, text: string, values?: unknown[]): Promise<SqlResult> {
  const client = await pool.connect();
  let result: pg.QueryResult<Row> | pg.QueryResult<Row>[];
  try {
    result = await client.query<Row>(text, values);
  } catch (err) {
    let broken: Error | undefined;
    if (OPENS_TRANSACTION.test(text)) {
      await client.query('ROLLBACK').catch((e: unknown) => {
        broken = e instanceof Error ? e : new Error(String(e));
      });
    }
    client.release(broken); // a client whose rollback failed is discarded
    throw err;
  }
  client.release();
  // A multi-statement string yields one result per statement; pg-boss reads none of them.
  return Array.isArray(result) ? { rows: result.at(-1)?.rows ?? [] } : result;
}

async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const done = await Promise.race([p.then(() => true as const), timeout]);
  clearTimeout(timer);
  return done;
}

export function createJobQueue(opts: JobQueueOptions): JobQueue {
  return new PgBossJobQueue(opts);
}
