// What each CLI command does. Commands other than `serve` open the database directly;
// in embedded mode that needs the server stopped (the data directory is locked).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { startVillage } from '../app.ts';
import { systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { AppContext, RequestMeta } from '../context.ts';
import { MIN_PASSWORD_LENGTH } from '../crypto/passwords.ts';
import { randomToken } from '../crypto/secrets.ts';
import type { Scope } from '../domain/policy.ts';
import { createLogger } from '../http/logging.ts';
import { registerCaseReminders } from '../jobs/case-reminders.ts';
import { registerHousekeeping } from '../jobs/housekeeping.ts';
import { createJobQueue } from '../jobs/pgboss-queue.ts';
import type { JobQueue } from '../jobs/queue.ts';
import { type MailHandle, registerMail } from '../mail/outbox.ts';
import { registerSbomMatch } from '../services/affected.ts';
import { verifyCheckpoint } from '../services/audit-checkpoints.ts';
import { purgeCase } from '../services/case-purge.ts';
import { ensureInstanceKey } from '../services/data-keys.ts';
import { openInstanceKeys } from '../services/instance-keys.ts';
import { keyStatus, rotateKeys } from '../services/key-rotation.ts';
import { formatTrace, resolveCaseId, traceLeak } from '../services/leak-tracing.ts';
import { createOrganization, createUser } from '../services/organizations.ts';
import { caseIdFromRef, registerReleaseJobs, releaseStatus, requestRelease, runRelease } from '../services/release.ts';
import { registerTentJobs } from '../services/tents.ts';
import { createToken } from '../services/tokens.ts';
import { verifyAuditChain } from '../store/audit.ts';
import { lockDataDir } from '../store/data-dir-lock.ts';
import { type Database, openDatabase } from '../store/database.ts';
import { migrateToLatest } from '../store/migrate.ts';
import type { OrgKind, OrgRole } from '../store/schema.ts';

const out = (s: string) => process.stdout.write(`${s}\n`);

const noJobs: JobQueue = {
  enqueue: async () => {
    throw new Error('the CLI does not run jobs');
  },
  register: () => undefined,
  prepare: async () => undefined,
  start: async () => undefined,
  stop: async () => undefined,
};

/** Opens the database for a one-off command, migrated, and closes it afterwards. */
async function withContext<T>(config: Config, fn: (ctx: AppContext) => Promise<T>): Promise<T> {
  const unlock = config.databaseUrl ? () => undefined : lockDataDir(config.dataDir);
  let database: Database | undefined;
  try {
    database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 2 });
    await migrateToLatest(database.db);
    const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
    const keys = await openInstanceKeys(database.db, config, systemClock.now());
    return await fn({ config, database, db: database.db, clock: systemClock, log, jobs: noJobs, keys });
  } finally {
    await database?.close();
    unlock();
  }
}

const cliMeta = (): RequestMeta => ({ actor: { type: 'anonymous' }, requestId: `cli:${randomUUID()}` });

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export const commands = {
  /**
   * Releases a case now, in this process (the same durable steps as the coordinator's button).
   * Mail and other jobs it queues are sent by the server.
   */
  async release(config: Config, refOrId: string): Promise<void> {
    const unlock = config.databaseUrl ? () => undefined : lockDataDir(config.dataDir);
    let database: Database | undefined;
    let jobs: JobQueue | undefined;
    let mail: MailHandle | undefined;
    try {
      database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 2 });
      await migrateToLatest(database.db);
      const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
      const keys = await openInstanceKeys(database.db, config, systemClock.now());
      jobs = createJobQueue({ database, log, workers: false });
      const ctx: AppContext = { config, database, db: database.db, clock: systemClock, log, jobs, keys };
      // Every job the release may queue is known here (run later by the server's workers).
      registerHousekeeping(ctx);
      mail = registerMail(ctx);
      registerCaseReminders(ctx);
      registerTentJobs(ctx);
      registerReleaseJobs(ctx);
      registerSbomMatch(ctx);
      await jobs.start();
      const caseId = await caseIdFromRef(ctx.db, refOrId);
      if (!caseId) throw new Error(`no case "${refOrId}"`);
      await requestRelease(ctx, cliMeta(), ctx.db, caseId, { kind: 'cli' });
      const r = await runRelease(ctx, caseId, { kind: 'cli' });
      const s = await releaseStatus(ctx, caseId);
      for (const step of s.steps) out(`${step.status === 'done' ? 'done  ' : 'FAILED'} ${step.step} (revision ${step.revision})`);
      if (r.status !== 'done') {
        process.exitCode = 1;
        out(`release of ${s.advisoryId} failed: ${s.error ?? 'unknown error'}`);
      } else out(`released ${s.advisoryId}: ${s.landingPage}`);
    } finally {
      await jobs?.stop();
      await mail?.close();
      await database?.close();
      unlock();
    }
  },

  async serve(config: Config): Promise<void> {
    const started = Date.now();
    const village = await startVillage(config, { listen: true });
    const logins = village.demoLogins;
    const url = config.publicUrl;
    out('');
    out(`Village is running at ${url}  (${village.ctx.database.engine}, ready in ${Date.now() - started} ms)`);
    out(`  API reference: ${url}/docs    OpenAPI: ${url}/openapi.json`);
    if (logins.length) {
      out('  Demo logins (also in the data directory, demo-logins.txt):');
      for (const l of logins) out(`    ${l.role.padEnd(13)} ${l.email.padEnd(42)} ${l.password}`);
    }
    out('');
    let signals = 0;
    const shutdown = (sig: string) => {
      if (++signals > 1) process.exit(1);
      village.ctx.log.info({ signal: sig }, 'shutting down');
      village.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          village.ctx.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  },

  async migrate(config: Config): Promise<void> {
    const unlock = config.databaseUrl ? () => undefined : lockDataDir(config.dataDir);
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 2 });
    try {
      const r = await migrateToLatest(database.db);
      out(r.applied.length ? `applied: ${r.applied.join(', ')}` : 'the database is up to date');
    } finally {
      await database.close();
      unlock();
    }
  },

  async orgCreate(config: Config, o: { slug: string; name: string; kind: string }): Promise<void> {
    const kinds: OrgKind[] = ['coordinator', 'vendor', 'researcher', 'cert', 'other'];
    if (!kinds.includes(o.kind as OrgKind)) throw new Error(`--kind must be one of ${kinds.join(', ')}`);
    if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(o.slug))
      throw new Error('--slug: lower-case letters, digits and dashes, 2 to 63 characters');
    await withContext(config, async (ctx) => {
      const org = await createOrganization(ctx, cliMeta(), { slug: o.slug, name: o.name, kind: o.kind as OrgKind });
      out(`created organization ${org.slug} (${org.id})`);
    });
  },

  async userCreate(
    config: Config,
    o: { org: string; email: string; name: string; role: string; operator: boolean; passwordStdin: boolean },
  ): Promise<void> {
    if (o.role !== 'admin' && o.role !== 'member') throw new Error('--role must be admin or member');
    if (!/^[^\s@]+@[^\s@]+$/.test(o.email)) throw new Error('--email is not an email address');
    const password = o.passwordStdin ? await readStdin() : randomToken(15);
    if (password.length < MIN_PASSWORD_LENGTH) throw new Error(`the password needs at least ${MIN_PASSWORD_LENGTH} characters`);
    await withContext(config, async (ctx) => {
      const org = await ctx.db.selectFrom('organizations').select('id').where('slug', '=', o.org).executeTakeFirst();
      if (!org) throw new Error(`no organization with slug "${o.org}"`);
      const u = await createUser(ctx, cliMeta(), {
        orgId: org.id,
        email: o.email,
        displayName: o.name,
        orgRole: o.role as OrgRole,
        isOperator: o.operator,
        password,
      });
      out(`created user ${u.email} (${u.id})`);
      if (!o.passwordStdin) out(`initial password (shown once): ${password}`);
    });
  },

  async tokenCreate(config: Config, o: { email: string; name: string; scopes: Scope[]; days: number }): Promise<void> {
    await withContext(config, async (ctx) => {
      const u = await ctx.db
        .selectFrom('users')
        .select('id')
        .where((eb) => eb(eb.fn('lower', ['email']), '=', o.email.toLowerCase()))
        .executeTakeFirst();
      if (!u) throw new Error(`no user with email ${o.email}`);
      const { token, view } = await createToken(ctx, cliMeta(), u.id, { name: o.name, scopes: o.scopes, expiresInDays: o.days });
      out(token);
      process.stderr.write(
        `token ${view.prefix}… for ${o.email}, scopes ${view.scopes.join(',')}, expires ${view.expiresAt.toISOString()}\n`,
      );
    });
  },

  async keysStatus(config: Config): Promise<void> {
    await withContext(config, async (ctx) => {
      const st = await keyStatus(ctx.db, ctx.keys.keyring);
      out(`keyring: ${st.keyring}`);
      for (const k of st.keks) {
        const flags = [k.current ? 'current' : '', k.inKeyring ? '' : 'MISSING FROM THE KEYRING'].filter(Boolean).join(', ');
        out(`  ${k.kekId}${flags ? ` (${flags})` : ''}: wraps ${k.dataKeys} data key(s), ${k.signingKeys} signing key(s)`);
        if (!k.inKeyring) process.exitCode = 1;
      }
      out(`destroyed data keys (purged cases): ${st.destroyedDataKeys}`);
    });
  },

  async keysRotate(config: Config, o: { graceSeconds?: number; batch: number }): Promise<void> {
    await withContext(config, async (ctx) => {
      await ensureInstanceKey(ctx, ctx.db, ctx.clock.now());
      const started = Date.now();
      // With a database server, other Village servers may be running: give any that wrapped a
      // new key with the old KEK just as it changed time to commit, then sweep again.
      const graceMs = (o.graceSeconds ?? (config.databaseUrl ? 5 : 0)) * 1000;
      const r = await rotateKeys(ctx.db, ctx.keys.keyring, { batch: o.batch, graceMs, progress: out });
      out(
        `${r.resumed ? 'finished the rotation' : 'rotated'} to ${r.kekId}: re-wrapped ${r.dataKeys} data key(s) and ` +
          `${r.signingKeys} signing key(s) in ${((Date.now() - started) / 1000).toFixed(2)} s; ` +
          `retired ${r.retired.length ? r.retired.join(', ') : 'nothing'}`,
      );
    });
  },

  async casePurge(config: Config, id: string, o: { reason: string }): Promise<void> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
      throw new Error('ID must be a case id (a UUID)');
    if (!o.reason.trim()) throw new Error('--reason must not be empty');
    await withContext(config, async (ctx) => {
      const r = await purgeCase(ctx, cliMeta(), id, o.reason.trim());
      out(
        `purged case ${id} at ${r.purgedAt.toISOString()}: destroyed ${r.keysDestroyed} data key(s)` +
          `${r.reports.length ? ` (the case's and those of ${r.reports.join(', ')})` : ''}`,
      );
    });
  },

  async auditVerify(config: Config): Promise<void> {
    await withContext(config, async (ctx) => {
      const started = Date.now();
      const r = await verifyAuditChain(ctx.db);
      const secs = (Date.now() - started) / 1000;
      if (r.ok) {
        out(`audit chain OK: ${r.entries} entries verified in ${secs.toFixed(2)} s; head #${r.headSeq} ${r.headHash}`);
      } else {
        out(
          `audit chain BROKEN at entry #${r.failure.seq} (${r.failure.reason.replace(/_/g, ' ')}); ${r.entries} entries before it verified`,
        );
        process.exitCode = 1;
      }
    });
  },

  /** `village trace --case ID|REF FILE|-`: names the recipient an excerpt came from, or says the evidence is insufficient. */
  async trace(config: Config, file: string, o: { case: string; json: boolean }): Promise<void> {
    const bytes = file === '-' ? Buffer.from(await readStdin()) : fs.readFileSync(file);
    const excerpt = bytes.toString('utf8');
    if (!excerpt.trim()) throw new Error('the excerpt is empty');
    await withContext(config, async (ctx) => {
      const caseId = await resolveCaseId(ctx.db, o.case);
      if (!caseId) throw new Error(`no case "${o.case}"`);
      const r = await traceLeak(ctx, cliMeta(), caseId, excerpt, bytes);
      out(o.json ? JSON.stringify(r) : formatTrace(r));
    });
  },

  /**
   * `village audit verify-checkpoint --key KEY.asc FILE`: offline, checks a checkpoint (or an entry
   * proof, which holds its checkpoint) as fetched from the API against the instance's public key.
   */
  async auditVerifyCheckpoint(file: string, o: { key: string; seen?: string }): Promise<void> {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    const key = fs.readFileSync(o.key, 'utf8');
    const isProof = typeof doc.entry === 'string' && Array.isArray(doc.proof);
    const checkpoint = (isProof ? doc.checkpoint : doc) as { statement?: unknown; signature?: unknown; seq?: unknown };
    if (typeof checkpoint?.statement !== 'string' || typeof checkpoint.signature !== 'string')
      throw new Error('the file holds neither a checkpoint nor an entry proof');
    const seen = o.seen ? fs.readFileSync(o.seen, 'utf8').replace(/\r?\n$/, '') : undefined;
    const r = await verifyCheckpoint(
      key,
      { statement: checkpoint.statement, signature: checkpoint.signature },
      isProof ? (doc as unknown as { seq: string; entry: string; prevHash: string; proof: string[] }) : undefined,
      seen,
    );
    if (r.ok)
      out(
        isProof
          ? `entry #${String(doc.seq)} is in signed checkpoint ${String(checkpoint.seq)}: OK`
          : `checkpoint ${String(checkpoint.seq)}: signature OK`,
      );
    else {
      out(`FAILED: ${r.reason}`);
      process.exitCode = 1;
    }
  },
};
