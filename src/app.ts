// Assembles a running Village: database (migrated), job queue, HTTP server, demo data.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type Clock, systemClock } from './clock.ts';
import type { Config } from './config.ts';
import type { AppContext } from './context.ts';
import { type DemoLogin, seedDemo } from './demo/seed.ts';
import { warmDocumentValidation } from './formats/document-validation.ts';
import { createLogger } from './http/logging.ts';
import { buildServer } from './http/server.ts';
import { registerCaseReminders } from './jobs/case-reminders.ts';
import { registerHousekeeping, scheduleHousekeeping } from './jobs/housekeeping.ts';
import { createJobQueue } from './jobs/pgboss-queue.ts';
import { registerMail } from './mail/outbox.ts';
import { registerSbomMatch } from './services/affected.ts';
import { upgradeToSealed } from './services/at-rest-upgrade.ts';
import { registerAuditCheckpoints, scheduleCheckpoint } from './services/audit-checkpoints.ts';
import { registerCordJobs } from './services/cords.ts';
import { registerFeedJobs, syncEnvFeeds } from './services/feeds.ts';
import { loadSigningKey, openKeyring } from './services/instance-keys.ts';
import { stopWarmUp } from './services/package-intern.ts';
import { registerReleaseJobs } from './services/release.ts';
import { registerTentJobs } from './services/tents.ts';
import { registerWebhookJobs } from './services/webhook-delivery.ts';
import { lockDataDir } from './store/data-dir-lock.ts';
import { type Database, openDatabase } from './store/database.ts';
import { migrateToLatest } from './store/migrate.ts';

export interface Village {
  ctx: AppContext;
  server: FastifyInstance;
  /** Demo logins when demo data is on (VILLAGE_DEMO), for printing at start. */
  demoLogins: DemoLogin[];
  /** Stops accepting requests, lets running jobs finish, closes the database. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  /** An already open database (tests); otherwise opened from the configuration. */
  database?: Database;
  log?: Logger;
  /** Listen on config.port; tests use inject() and leave this false. */
  listen?: boolean;
  jobPollingSeconds?: number;
}

export async function startVillage(config: Config, opts: StartOptions = {}): Promise<Village> {
  const log = opts.log ?? createLogger(config.logLevel);
  const unlock = !opts.database && !config.databaseUrl ? lockDataDir(config.dataDir) : () => undefined;
  let database: Database | undefined;
  try {
    database =
      opts.database ??
      (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: config.dbPoolMax }));
    // Servers starting together on one PostgreSQL database set up the schema one at a time
    // (migrations, then the job tables and queues), under a session lock.
    const db = database;
    const releaseStartupLock = await startupLock(db);
    const { ctx, jobs, mail } = await (async () => {
      try {
        const migrated = await migrateToLatest(db.db);
        if (migrated.applied.length) log.info({ migrations: migrated.applied }, 'database migrated');
        const jobs = createJobQueue({
          database: db,
          log,
          workers: config.workers,
          ...(opts.jobPollingSeconds ? { pollingIntervalSeconds: opts.jobPollingSeconds } : {}),
        });
        const clock = opts.clock ?? systemClock;
        const keyring = openKeyring(config);
        const signing = await loadSigningKey(db.db, keyring, config, clock.now());
        const ctx: AppContext = { config, database: db, db: db.db, clock, log, jobs, keys: { keyring, signing } };
        // Encryption at rest: seal what an older database holds in plaintext (once; then quick).
        await upgradeToSealed(ctx, db.db, log);
        registerHousekeeping(ctx);
        const mail = registerMail(ctx);
        registerCaseReminders(ctx);
        registerTentJobs(ctx);
        registerReleaseJobs(ctx);
        registerSbomMatch(ctx);
        registerWebhookJobs(ctx);
        registerAuditCheckpoints(ctx);
        registerCordJobs(ctx);
        registerFeedJobs(ctx);
        // The queue takes jobs from here; its workers start polling once the server is ready.
        await jobs.prepare();
        await scheduleCheckpoint(ctx);
        if (config.feeds) await syncEnvFeeds(ctx, config.feeds);
        return { ctx, jobs, mail };
      } finally {
        await releaseStartupLock();
      }
    })();
    const stopHousekeeping = scheduleHousekeeping(ctx);

    // Demo data goes in before the server listens, so the printed logins work at once.
    const demoLogins = config.demo ? await seedDemo(ctx) : [];
    let ready = false;
    const server = await buildServer(ctx, { ready: () => ready });
    if (opts.listen) await server.listen({ port: config.port, host: config.host });
    else await server.ready();
    // A server that runs jobs loads the release's document validators soon after it starts
    // listening (not before: the first requests come first), so a release does not wait for them.
    const warmUp =
      opts.listen && config.workers
        ? setTimeout(() => {
            warmDocumentValidation().catch((err: unknown) => log.warn({ err }, 'loading the document validators failed'));
          }, 3000)
        : undefined;
    warmUp?.unref();
    ready = true;
    jobs.start().catch((err: unknown) => log.error({ err }, 'the job workers did not start'));

    let stopping: Promise<void> | undefined;
    const ownDatabase = !opts.database;
    return {
      ctx,
      server,
      demoLogins,
      stop: () => {
        stopping ??= (async () => {
          ready = false;
          if (warmUp) clearTimeout(warmUp);
          stopHousekeeping();
          await server.close();
          await jobs.stop();
          await mail.close();
          await stopWarmUp(ctx.db);
          if (ownDatabase) await db.close();
          unlock();
        })();
        return stopping;
      },
    };
  } catch (e) {
    if (database && !opts.database) await database.close().catch(() => undefined);
    unlock();
    throw e;
  }
}

const STARTUP_LOCK = 0x76696c6c; // "vill"

/** A session-level advisory lock on a PostgreSQL server; the embedded database serves one process. */
async function startupLock(database: Database): Promise<() => Promise<void>> {
  if (database.engine !== 'postgres') return async () => undefined;
  const client = await database.pool.connect();
  await client.query('SELECT pg_advisory_lock($1)', [STARTUP_LOCK]);
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    try {
      await client.query('SELECT pg_advisory_unlock($1)', [STARTUP_LOCK]);
      client.release();
    } catch (e) {
      client.release(e instanceof Error ? e : true);
    }
  };
}
