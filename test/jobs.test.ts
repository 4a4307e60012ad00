// The job queue on real pg-boss and a real database (PGlite by default, PostgreSQL with
// VILLAGE_TEST_ENGINE=postgres): transactional enqueue, idempotency, retries, once(),
// delayed jobs, crash recovery, shutdown, and (server only) two processes on one queue.
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import PgBoss from 'pg-boss';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createJobQueue, effectKey, type JobQueueOptions, jobId, runOnPool } from '../src/jobs/pgboss-queue.ts';
import type { JobQueue } from '../src/jobs/queue.ts';
import { type Database, openDatabase } from '../src/store/database.ts';
import { createTestDatabase, type TestDatabase, testEngine } from './support/db.ts';

let database: TestDatabase;
const queues: JobQueue[] = [];

/** Short intervals so retries, expiry and polling fit in a test. */
function makeQueue(opts: Partial<JobQueueOptions> = {}, on: Database = database): JobQueue {
  const q = createJobQueue({
    database: on,
    pollingIntervalSeconds: 0.2,
    retryDelaySeconds: 1,
    maintenanceIntervalSeconds: 1,
    stopTimeoutMs: 5000,
    ...opts,
  });
  queues.push(q);
  return q;
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function jobState(name: string, key: string): Promise<string | undefined> {
  const r = await sql<{ state: string }>`
    SELECT state::text AS state FROM pgboss.job WHERE name = ${name} AND id = ${jobId(name, key)}::uuid
  `.execute(database.db);
  return r.rows[0]?.state;
}

async function countRuns(name: string): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM test_job_runs WHERE name = ${name}`.execute(database.db);
  return r.rows[0]?.n ?? 0;
}

beforeAll(async () => {
  database = await createTestDatabase();
  // The visible effect handlers write; no primary key, so a duplicate effect would show.
  await sql`CREATE TABLE test_job_runs (name text NOT NULL, key text NOT NULL, worker text)`.execute(database.db);
}, 60_000);

afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.stop()));
});

afterAll(async () => {
  await database?.drop();
});

describe('job ids', () => {
  it('are deterministic UUIDs per (name, key)', () => {
    const id = jobId('mail', 'report-1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(jobId('mail', 'report-1')).toBe(id);
    expect(jobId('mail', 'report-2')).not.toBe(id);
    expect(jobId('audit', 'report-1')).not.toBe(id);
    expect(effectKey('mail', 'r:1')).toBe('mail:r:1');
    expect(effectKey('mail', 'r:1', 'send')).toBe('mail/send:r:1');
  });
});

describe('pg-boss statements', () => {
  it('roll back a failed script that opened its own transaction (PGlite has one session)', async () => {
    await expect(runOnPool(database.pool, 'BEGIN; SELECT 1/0; COMMIT;')).rejects.toThrow(/division by zero/);
    const r = await database.pool.query<{ x: number }>('SELECT 1 AS x');
    expect(r.rows).toEqual([{ x: 1 }]);
  });
});

describe('job queue', () => {
  it('runs a job enqueued in a committed transaction (or on its own)', async () => {
    const q = makeQueue();
    const seen: unknown[] = [];
    q.register<{ n: number }>('t-commit', async (job) => {
      seen.push({ name: job.name, key: job.key, data: job.data, attempt: job.attempt });
    });
    await q.start();
    const created = await database.db.transaction().execute((trx) => q.enqueue(trx, 't-commit', { n: 1 }, { key: 'k1' }));
    expect(created).toBe(true);
    expect(await q.enqueue(database.db, 't-commit', { n: 2 }, { key: 'k2' })).toBe(true);
    await waitFor('both jobs', () => seen.length === 2);
    expect(seen).toContainEqual({ name: 't-commit', key: 'k1', data: { n: 1 }, attempt: 1 });
    expect(seen).toContainEqual({ name: 't-commit', key: 'k2', data: { n: 2 }, attempt: 1 });
    await waitFor('completion', async () => (await jobState('t-commit', 'k1')) === 'completed');
  });

  it('never runs a job whose transaction rolled back', async () => {
    const q = makeQueue();
    const seen: string[] = [];
    q.register('t-rollback', async (job) => {
      seen.push(job.key);
    });
    await q.start();
    await expect(
      database.db.transaction().execute(async (trx) => {
        expect(await q.enqueue(trx, 't-rollback', {}, { key: 'gone' })).toBe(true);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await q.enqueue(database.db, 't-rollback', {}, { key: 'marker' });
    await waitFor('the marker job', () => seen.includes('marker'));
    await sleep(300);
    expect(seen).toEqual(['marker']);
    expect(await jobState('t-rollback', 'gone')).toBeUndefined();
  });

  it('enqueues a key once, even after the job was archived', async () => {
    const q = makeQueue();
    const seen: Array<{ key: string; v: number }> = [];
    q.register<{ v: number }>('t-dedupe', async (job) => {
      seen.push({ key: job.key, v: job.data.v });
    });
    await q.start();
    expect(await q.enqueue(database.db, 't-dedupe', { v: 1 }, { key: 'a' })).toBe(true);
    expect(await q.enqueue(database.db, 't-dedupe', { v: 2 }, { key: 'a' })).toBe(false);
    const inOneTransaction = await database.db
      .transaction()
      .execute(async (trx) => [
        await q.enqueue(trx, 't-dedupe', { v: 1 }, { key: 'b' }),
        await q.enqueue(trx, 't-dedupe', { v: 2 }, { key: 'b' }),
      ]);
    expect(inOneTransaction).toEqual([true, false]);
    await waitFor('a and b', () => seen.length >= 2);
    await q.enqueue(database.db, 't-dedupe', { v: 1 }, { key: 'marker' });
    await waitFor('the marker job', () => seen.some((s) => s.key === 'marker'));
    expect(seen.sort((x, y) => x.key.localeCompare(y.key))).toEqual([
      { key: 'a', v: 1 },
      { key: 'b', v: 1 },
      { key: 'marker', v: 1 },
    ]);
    // What pg-boss's maintenance does to a finished job (after 12 h): move it to the archive.
    await waitFor('completion', async () => (await jobState('t-dedupe', 'a')) === 'completed');
    await sql`
      WITH moved AS (DELETE FROM pgboss.job WHERE name = 't-dedupe' AND id = ${jobId('t-dedupe', 'a')}::uuid RETURNING *)
      INSERT INTO pgboss.archive SELECT moved.*, now() FROM moved
    `.execute(database.db);
    expect(await q.enqueue(database.db, 't-dedupe', { v: 3 }, { key: 'a' })).toBe(false);
    expect(await jobState('t-dedupe', 'a')).toBeUndefined();
  });

  it('retries a failed job with backoff and logs no job data', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const q = makeQueue({ log });
    const attempts: number[] = [];
    q.register<{ secret: string }>('t-retry', async (job) => {
      attempts.push(job.attempt);
      if (job.attempt === 1) throw new Error('smtp unavailable');
    });
    await q.start();
    const t0 = Date.now();
    await q.enqueue(database.db, 't-retry', { secret: 'hunter2-do-not-log' }, { key: 'r1', retryLimit: 2 });
    await waitFor('the retry', () => attempts.length === 2);
    expect(attempts).toEqual([1, 2]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900); // backoff: 1-2 s before the first retry
    await waitFor('completion', async () => (await jobState('t-retry', 'r1')) === 'completed');
    const failure = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.job === 't-retry');
    expect(failure).toMatchObject({ job: 't-retry', key: 'r1', attempt: 1, err: 'smtp unavailable' });
    expect(lines.join('\n')).not.toContain('hunter2');
  });

  it('gives up after retryLimit retries', async () => {
    const q = makeQueue();
    const attempts: number[] = [];
    q.register('t-give-up', async (job) => {
      attempts.push(job.attempt);
      throw new Error('always');
    });
    await q.start();
    await q.enqueue(database.db, 't-give-up', {}, { key: 'g', retryLimit: 0 });
    await waitFor('failure', async () => (await jobState('t-give-up', 'g')) === 'failed');
    expect(attempts).toEqual([1]);
  });

  it('once() skips an effect that already happened when the job runs again', async () => {
    const q = makeQueue();
    const results: unknown[] = [];
    q.register('t-once', async (job) => {
      const r = await job.once(async (trx) => {
        await sql`INSERT INTO test_job_runs (name, key) VALUES ('t-once', ${job.key})`.execute(trx);
        return 'sent';
      });
      results.push({ attempt: job.attempt, r });
      // A crash after the effect committed, before the job was marked complete.
      if (job.attempt === 1) throw new Error('crashed after the effect');
    });
    await q.start();
    await q.enqueue(database.db, 't-once', {}, { key: 'o1' });
    await waitFor('the second run', () => results.length === 2);
    expect(results).toEqual([
      { attempt: 1, r: { ran: true, result: 'sent' } },
      { attempt: 2, r: { ran: false } },
    ]);
    expect(await countRuns('t-once')).toBe(1);
    const effects = await database.db.selectFrom('job_effects').selectAll().where('key', '=', 't-once:o1').execute();
    expect(effects).toMatchObject([{ key: 't-once:o1', job_name: 't-once' }]);
  });

  it('once() records nothing when the effect fails, so the retry performs it', async () => {
    const q = makeQueue();
    const results: unknown[] = [];
    q.register('t-once-fail', async (job) => {
      const r = await job.once(async (trx) => {
        await sql`INSERT INTO test_job_runs (name, key) VALUES ('t-once-fail', ${job.key})`.execute(trx);
        if (job.attempt === 1) throw new Error('effect failed half-way');
        return job.attempt;
      });
      results.push(r);
    });
    await q.start();
    await q.enqueue(database.db, 't-once-fail', {}, { key: 'f1' });
    await waitFor('the retry', () => results.length === 1);
    expect(results).toEqual([{ ran: true, result: 2 }]);
    expect(await countRuns('t-once-fail')).toBe(1);
  });

  it('once() takes a step name for each of several effects', async () => {
    const q = makeQueue();
    const results: unknown[] = [];
    q.register('t-steps', async (job) => {
      const mail = await job.once(async () => 'mail', 'mail');
      const audit = await job.once(async () => 'audit', 'audit');
      const again = await job.once(async () => 'again', 'mail').catch((e: Error) => e.message);
      results.push(mail, audit, again);
    });
    await q.start();
    await q.enqueue(database.db, 't-steps', {}, { key: 's1' });
    await waitFor('the job', () => results.length === 3);
    expect(results.slice(0, 2)).toEqual([
      { ran: true, result: 'mail' },
      { ran: true, result: 'audit' },
    ]);
    expect(results[2]).toMatch(/already used/);
  });

  it('does not run a job before runAt', async () => {
    const q = makeQueue();
    let ranAt: number | undefined;
    q.register('t-later', async () => {
      ranAt = Date.now();
    });
    await q.start();
    const runAt = new Date(Date.now() + 1500);
    await q.enqueue(database.db, 't-later', {}, { key: 'l1', runAt });
    await sleep(1000);
    expect(ranAt).toBeUndefined();
    await waitFor('the delayed job', () => ranAt !== undefined, 5000);
    expect(ranAt).toBeGreaterThanOrEqual(runAt.getTime() - 50);
  });

  it('picks up a job left active by a crashed worker once it expires', async () => {
    const producer = makeQueue({ workers: false, expireInSeconds: 1 });
    producer.register('t-crash', async () => {});
    await producer.start();
    await producer.enqueue(database.db, 't-crash', {}, { key: 'held' });
    // Another process fetched the job (now active) and died before completing or failing it.
    const crashed = new PgBoss({
      db: { executeSql: (text: string, values: unknown[]) => database.pool.query(text, values) },
      supervise: false,
      schedule: false,
      migrate: false,
    });
    const [held] = await crashed.fetch('t-crash');
    expect(held?.id).toBe(jobId('t-crash', 'held'));
    expect(await jobState('t-crash', 'held')).toBe('active');

    const survivor = makeQueue();
    const attempts: number[] = [];
    survivor.register('t-crash', async (job) => {
      attempts.push(job.attempt);
    });
    await survivor.start();
    await waitFor('the expired job to be retried', () => attempts.length === 1, 10_000);
    expect(attempts).toEqual([2]);
  });

  it('stop() waits for running handlers and may be called twice', async () => {
    const q = makeQueue();
    let entered = false;
    q.register('t-graceful', async (job) => {
      entered = true;
      await sleep(500);
      await sql`INSERT INTO test_job_runs (name, key) VALUES ('t-graceful', ${job.key})`.execute(database.db);
    });
    await q.start();
    await q.enqueue(database.db, 't-graceful', {}, { key: 'g1' });
    await waitFor('the handler to start', () => entered);
    await Promise.all([q.stop(), q.stop()]);
    expect(await countRuns('t-graceful')).toBe(1);
    expect(await jobState('t-graceful', 'g1')).toBe('completed');
    await q.stop();
    await expect(q.start()).rejects.toThrow(/cannot be restarted/);
    await createJobQueue({ database }).stop(); // never started
  });

  it('stop() fails a job whose handler outlives the timeout, and another worker retries it', async () => {
    const a = makeQueue({ stopTimeoutMs: 200 });
    let entered = false;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    a.register('t-stuck', async () => {
      entered = true;
      await gate;
    });
    await a.start();
    await a.enqueue(database.db, 't-stuck', {}, { key: 'st' });
    await waitFor('the handler to start', () => entered);
    const t0 = Date.now();
    await a.stop();
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await jobState('t-stuck', 'st')).toBe('retry');

    const b = makeQueue();
    const attempts: number[] = [];
    b.register('t-stuck', async (job) => {
      attempts.push(job.attempt);
    });
    await b.start();
    await waitFor('the retry on the other worker', () => attempts.length === 1);
    release(); // the first handler finishes late; its outcome is ignored
    await waitFor('completion', async () => (await jobState('t-stuck', 'st')) === 'completed');
    expect(attempts).toEqual([2]);
  });

  it('with workers: false enqueues but runs nothing', async () => {
    const producer = makeQueue({ workers: false });
    let producerRan = 0;
    producer.register('t-producer', async () => {
      producerRan++;
    });
    await producer.start();
    await producer.enqueue(database.db, 't-producer', {}, { key: 'p1' });
    await sleep(600);
    expect(producerRan).toBe(0);
    expect(await jobState('t-producer', 'p1')).toBe('created');

    const consumer = makeQueue();
    let consumerRan = 0;
    consumer.register('t-producer', async () => {
      consumerRan++;
    });
    await consumer.start();
    await waitFor('the consumer', () => consumerRan === 1);
    expect(producerRan).toBe(0);
  });

  it('rejects unknown names, enqueue before start, and late registration', async () => {
    const q = makeQueue();
    expect(() => q.register('bad:name', async () => {})).toThrow(/invalid job name/);
    q.register('t-misuse', async () => {});
    expect(() => q.register('t-misuse', async () => {})).toThrow(/already registered/);
    await expect(q.enqueue(database.db, 't-misuse', {}, { key: 'x' })).rejects.toThrow(/started/);
    await q.start();
    await expect(q.enqueue(database.db, 't-unknown', {}, { key: 'x' })).rejects.toThrow(/not registered/);
    expect(() => q.register('t-late', async () => {})).toThrow(/before start/);
  });

  it('takes jobs once prepared, runs them once started, and creates only the queues that are missing', async () => {
    const first = makeQueue();
    first.register('t-prepared', async () => {});
    await first.start();
    await first.stop();
    // A later start registers one more job name: its queue is created, the known one is kept.
    const q = makeQueue();
    const seen: string[] = [];
    q.register('t-prepared', async (job) => {
      seen.push(job.key);
    });
    q.register('t-prepared-new', async (job) => {
      seen.push(job.key);
    });
    await q.prepare();
    expect(() => q.register('t-prepared-late', async () => {})).toThrow(/before start/);
    expect(await q.enqueue(database.db, 't-prepared', {}, { key: 'p1' })).toBe(true);
    expect(await q.enqueue(database.db, 't-prepared-new', {}, { key: 'p2' })).toBe(true);
    await sleep(500);
    expect(seen).toEqual([]);
    await q.start();
    await waitFor('both jobs', () => seen.length === 2);
    expect(seen.sort()).toEqual(['p1', 'p2']);
  });

  it.runIf(testEngine === 'postgres')(
    'two servers on a fresh database start together and run each of 200 jobs exactly once',
    async () => {
      // A fresh database, so both servers race to create pg-boss's schema and the queue.
      const fleet = await createTestDatabase();
      const pools: Database[] = [];
      const fleetQueues: JobQueue[] = [];
      try {
        const url = fleet.url;
        if (!url) throw new Error('server engine without a URL');
        await sql`CREATE TABLE test_job_runs (name text NOT NULL, key text NOT NULL, worker text)`.execute(fleet.db);
        let invocations = 0;
        const servers = await Promise.all(
          ['A', 'B'].map(async (worker) => {
            const own = await openDatabase({ databaseUrl: url, poolMax: 5 });
            pools.push(own);
            const q = makeQueue({ concurrency: 4 }, own);
            fleetQueues.push(q);
            q.register('t-fleet', async (job) => {
              invocations++;
              await job.once(async (trx) => {
                await sql`INSERT INTO test_job_runs (name, key, worker) VALUES ('t-fleet', ${job.key}, ${worker})`.execute(trx);
              });
            });
            return { q, own };
          }),
        );
        await Promise.all(servers.map((s) => s.q.start()));
        const t0 = Date.now();
        // Both servers enqueue, in batches, as request handlers would.
        for (let batch = 0; batch < 4; batch++) {
          const s = servers[batch % 2];
          if (!s) throw new Error('two servers expected');
          await s.own.db.transaction().execute(async (trx) => {
            for (let i = 0; i < 50; i++) {
              await s.q.enqueue(trx, 't-fleet', { i }, { key: `job-${batch * 50 + i}` });
            }
          });
        }
        const runs = async () => {
          const r = await sql<{ n: number; keys: number; a: number; b: number }>`
            SELECT count(*)::int AS n, count(DISTINCT key)::int AS keys,
              count(*) FILTER (WHERE worker = 'A')::int AS a, count(*) FILTER (WHERE worker = 'B')::int AS b
            FROM test_job_runs
          `.execute(fleet.db);
          const row = r.rows[0];
          if (!row) throw new Error('no count');
          return row;
        };
        await waitFor('200 effects', async () => (await runs()).n >= 200, 30_000);
        const elapsed = Date.now() - t0;
        await sleep(500); // let any duplicate run show up
        const final = await runs();
        expect(final).toMatchObject({ n: 200, keys: 200 });
        expect(invocations).toBe(200);
        const effects = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM job_effects WHERE job_name = 't-fleet'
        `.execute(fleet.db);
        expect(effects.rows[0]?.n).toBe(200);
        console.info(`200 jobs on two servers in ${elapsed} ms (A ran ${final.a}, B ran ${final.b})`);
      } finally {
        await Promise.all(fleetQueues.map((q) => q.stop()));
        for (const p of pools) await p.close();
        await fleet.drop();
      }
    },
    60_000,
  );
}, 20_000);
