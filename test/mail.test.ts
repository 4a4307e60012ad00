// Outgoing mail end to end: queueMail() in a service transaction, the 'mail.send' job, a real
// SMTP server (test/support/smtp-sink.ts) and a real database on either engine. Most tests use
// a job queue with 1 s retry backoff, so SMTP retries fit in a test.
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.ts';
import type { AppContext } from '../src/context.ts';
import { createJobQueue, jobId } from '../src/jobs/pgboss-queue.ts';
import { createSmtpMailer, type Mailer, toMailSendError } from '../src/mail/mailer.ts';
import { MAIL_JOB, messageIdFor, queueMail, registerMail } from '../src/mail/outbox.ts';
import {
  caseInvitation,
  deadlineReminder,
  escalationToCoordinator,
  newMessageNotification,
  reporterAcknowledgement,
} from '../src/mail/templates.ts';
import { openInstanceKeys } from '../src/services/instance-keys.ts';
import { startTestVillage, testConfig } from './support/app.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';
import { type SmtpSink, startSmtpSink, waitFor } from './support/smtp-sink.ts';

const PUBLIC_URL = 'http://localhost:8080';
const site = { publicUrl: PUBLIC_URL };

interface Harness {
  ctx: AppContext;
  database: TestDatabase;
  logs: string[];
  close(): Promise<void>;
}

async function startHarness(opts: { env?: Record<string, string>; mailer?: Mailer | null } = {}): Promise<Harness> {
  const database = await createTestDatabase();
  const logs: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const config = testConfig(opts.env ?? {});
  const jobs = createJobQueue({
    database,
    log,
    pollingIntervalSeconds: 0.2,
    retryDelaySeconds: 1,
    maintenanceIntervalSeconds: 1,
    stopTimeoutMs: 5000,
  });
  const keys = await openInstanceKeys(database.db, config, new Date());
  const ctx: AppContext = { config, database, db: database.db, clock: new ManualClock(new Date()), log, jobs, keys };
  const mail = registerMail(ctx, opts.mailer !== undefined ? { mailer: opts.mailer } : {});
  await jobs.start();
  return {
    ctx,
    database,
    logs,
    async close() {
      await jobs.stop();
      await mail.close();
      await database.drop();
    },
  };
}

async function row(h: Harness, key: string) {
  return h.ctx.db.selectFrom('mail_outbox').selectAll().where('key', '=', key).executeTakeFirst();
}

async function jobState(h: Harness, key: string): Promise<string | undefined> {
  const r = await sql<{ state: string }>`
    SELECT state::text AS state FROM pgboss.job WHERE name = ${MAIL_JOB} AND id = ${jobId(MAIL_JOB, key)}::uuid
  `.execute(h.ctx.db);
  return r.rows[0]?.state;
}

function mail(key: string, extra: Partial<Parameters<typeof queueMail>[2]> = {}) {
  return {
    key,
    to: `alice.${key.replace(/[^a-z0-9]/gi, '')}@vendor.example`,
    subject: `Subject ${key}`,
    text: `Body of ${key}`,
    // No case content: sent signed in clear to these keyless recipients (test/pgp-mail.test.ts
    // covers encryption and withheld content).
    tlp: 'GREEN' as const,
    ...extra,
  };
}

let sink: SmtpSink;

beforeAll(async () => {
  sink = await startSmtpSink();
});

afterAll(async () => {
  await sink?.close();
});

describe('mail outbox (SMTP)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ env: { VILLAGE_SMTP_URL: sink.url } });
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  beforeEach(() => {
    sink.reset();
  });

  it('sends a message queued in a committed transaction, with a stable Message-ID', async () => {
    const t = caseInvitation(site, {
      caseRef: 'VIL-2026-0001',
      caseId: 'c-1',
      orgName: 'Acme Routers',
      invitedBy: 'Village CERT',
    });
    const to = 'alice@acme.example';
    const queued = await h.ctx.db
      .transaction()
      .execute((trx) => queueMail(h.ctx, trx, { key: 'invite:c-1:u-1', to, kind: 'case.invitation', tlp: 'GREEN', ...t }));
    expect(queued).toBe(true);
    const [m] = await sink.waitForMessages(1);
    if (!m) throw new Error('no message');
    expect(m.to).toEqual([to]);
    expect(m.from).toBe('village@localhost');
    expect(m.headers.from).toBe('Village <village@localhost>');
    expect(m.subject).toBe(t.subject);
    expect(m.text.trimEnd()).toBe(t.text.trimEnd());
    expect(m.text).toContain(`${PUBLIC_URL}/cases/c-1`);
    expect(m.messageId).toBe(messageIdFor('invite:c-1:u-1', PUBLIC_URL));
    expect(m.messageId).toMatch(/^<[0-9a-f]{32}\.mail@localhost>$/);
    expect(m.headers['auto-submitted']).toBe('auto-generated');

    await waitFor(async () => (await row(h, 'invite:c-1:u-1'))?.state === 'sent', 5000, 'sent');
    const r = await row(h, 'invite:c-1:u-1');
    expect(r).toMatchObject({
      state: 'sent',
      kind: 'case.invitation',
      attempts: 1,
      uncertain_attempts: 0,
      message_id: m.messageId,
      body_sealed: null, // cleared once final: it may carry private links
      last_error: null,
      protection: 'signed', // no key for alice: GREEN goes out in clear, signed by the instance
      protected_to: null,
    });
    expect(r?.smtp_response).toContain(m.queueId);
    expect(r?.finished_at).toBeInstanceOf(Date);
    await waitFor(async () => (await jobState(h, 'invite:c-1:u-1')) === 'completed', 5000, 'job completion');
  });

  it('sends nothing for a transaction that rolled back', async () => {
    await expect(
      h.ctx.db.transaction().execute(async (trx) => {
        expect(await queueMail(h.ctx, trx, mail('rolled-back'))).toBe(true);
        throw new Error('service failed');
      }),
    ).rejects.toThrow('service failed');
    await queueMail(h.ctx, h.ctx.db, mail('after-rollback'));
    await sink.waitFor((ms) => ms.some((m) => m.subject === 'Subject after-rollback'));
    await sleep(500);
    expect(sink.messages.map((m) => m.subject)).toEqual(['Subject after-rollback']);
    expect(await row(h, 'rolled-back')).toBeUndefined();
    expect(await jobState(h, 'rolled-back')).toBeUndefined();
  });

  it('sends a key once, however often it is queued', async () => {
    expect(await queueMail(h.ctx, h.ctx.db, mail('twice'))).toBe(true);
    expect(await queueMail(h.ctx, h.ctx.db, mail('twice', { subject: 'Another subject' }))).toBe(false);
    const inOne = await h.ctx.db
      .transaction()
      .execute(async (trx) => [await queueMail(h.ctx, trx, mail('same-trx')), await queueMail(h.ctx, trx, mail('same-trx'))]);
    expect(inOne).toEqual([true, false]);
    await sink.waitForMessages(2);
    await waitFor(async () => (await row(h, 'twice'))?.state === 'sent', 5000, 'sent');
    // After it was sent, too.
    expect(await queueMail(h.ctx, h.ctx.db, mail('twice'))).toBe(false);
    await queueMail(h.ctx, h.ctx.db, mail('dedupe-marker'));
    await sink.waitFor((ms) => ms.some((m) => m.subject === 'Subject dedupe-marker'));
    await sleep(300);
    expect(sink.messages.map((m) => m.subject).sort()).toEqual(['Subject dedupe-marker', 'Subject same-trx', 'Subject twice']);
  });

  it('retries a transient (4xx) refusal with backoff and delivers once', async () => {
    sink.failNext(1, 451);
    const t0 = Date.now();
    await queueMail(h.ctx, h.ctx.db, mail('transient'));
    const [m] = await sink.waitForMessages(1, 15_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900); // the job queue's backoff
    expect(m?.subject).toBe('Subject transient');
    expect(sink.attempts).toBe(2);
    await waitFor(async () => (await row(h, 'transient'))?.state === 'sent', 5000, 'sent');
    expect(await row(h, 'transient')).toMatchObject({ state: 'sent', attempts: 2, uncertain_attempts: 0, last_error: null });
    await sleep(1500);
    expect(sink.messages).toHaveLength(1);
  });

  it('marks a permanent (5xx) refusal failed and does not retry it', async () => {
    sink.failNext(1, 550, { message: 'No such user <alice.permanent@vendor.example>' });
    sink.failNext(1, 553, { at: 'rcpt' });
    await queueMail(h.ctx, h.ctx.db, mail('permanent'));
    await waitFor(async () => (await row(h, 'permanent'))?.state === 'failed', 10_000, 'failed');
    await queueMail(h.ctx, h.ctx.db, mail('permanent-rcpt'));
    await waitFor(async () => (await row(h, 'permanent-rcpt'))?.state === 'failed', 10_000, 'failed');
    await sleep(2500); // longer than the first retry's backoff
    expect(sink.messages).toEqual([]);
    expect(sink.attempts).toBe(2);
    const r = await row(h, 'permanent');
    expect(r).toMatchObject({ state: 'failed', attempts: 1, uncertain_attempts: 0, body_sealed: null });
    expect(r?.last_error).toContain('550');
    expect(r?.last_error).not.toContain('alice.permanent@'); // server replies echo addresses
    expect(await row(h, 'permanent-rcpt')).toMatchObject({ state: 'failed', attempts: 1 });
    expect(await jobState(h, 'permanent')).toBe('completed');
  });

  it('resends with the same Message-ID after a crash between the server accepting and the outbox recording it', async () => {
    // The outbox as a crashed run leaves it: claimed ('sending', attempt 1) long ago, never finished.
    await h.ctx.db.transaction().execute(async (trx) => {
      await queueMail(h.ctx, trx, mail('crashed'));
      await sql`UPDATE mail_outbox SET state = 'sending', attempts = 1, last_attempt_at = now() - interval '1 hour' WHERE key = 'crashed'`.execute(
        trx,
      );
    });
    const [m] = await sink.waitForMessages(1);
    expect(m?.messageId).toBe(messageIdFor('crashed', PUBLIC_URL));
    await waitFor(async () => (await row(h, 'crashed'))?.state === 'sent', 5000, 'sent');
    // Detectable: two attempts, one of unknown outcome, so the receiver may hold two copies.
    expect(await row(h, 'crashed')).toMatchObject({ state: 'sent', attempts: 2, uncertain_attempts: 1 });
    expect(h.logs.some((l) => l.includes('unknown outcome') && l.includes('"key":"crashed"'))).toBe(true);
  });

  it('leaves a fresh claim alone (another run may be mid-send) until its lease expires', async () => {
    await h.ctx.db.transaction().execute(async (trx) => {
      await queueMail(h.ctx, trx, mail('in-flight'));
      await sql`UPDATE mail_outbox SET state = 'sending', attempts = 1, last_attempt_at = now() WHERE key = 'in-flight'`.execute(
        trx,
      );
    });
    await sleep(2000);
    expect(sink.attempts).toBe(0);
    expect(await row(h, 'in-flight')).toMatchObject({ state: 'sending', attempts: 1 });
    await sql`UPDATE mail_outbox SET last_attempt_at = now() - interval '1 hour' WHERE key = 'in-flight'`.execute(h.ctx.db);
    await sink.waitForMessages(1, 15_000);
    await waitFor(async () => (await row(h, 'in-flight'))?.state === 'sent', 5000, 'sent');
    expect(await row(h, 'in-flight')).toMatchObject({ attempts: 2, uncertain_attempts: 1 });
  });

  it('rejects malformed mail before writing anything', async () => {
    await expect(queueMail(h.ctx, h.ctx.db, mail('bad-to', { to: 'Alice <alice@x.example>' }))).rejects.toThrow(/address/);
    await expect(queueMail(h.ctx, h.ctx.db, mail('bad-to2', { to: 'a@b.example, c@d.example' }))).rejects.toThrow(/address/);
    await expect(queueMail(h.ctx, h.ctx.db, mail(''))).rejects.toThrow(/key/);
    await expect(queueMail(h.ctx, h.ctx.db, mail('bad-subject', { subject: '  ' }))).rejects.toThrow(/subject/);
    expect(await row(h, 'bad-to')).toBeUndefined();
    // A subject never spans lines (no header injection).
    await queueMail(h.ctx, h.ctx.db, mail('folded', { subject: 'one\r\nBcc: eve@evil.example' }));
    const [m] = await sink.waitForMessages(1);
    expect(m?.subject).toBe('one Bcc: eve@evil.example');
    expect(m?.headers.bcc).toBeUndefined();
    expect(m?.to).toEqual(['alice.folded@vendor.example']);
  });

  it('logs keys and recipient domains, never addresses, subjects or bodies', async () => {
    const text = h.logs.join('\n');
    expect(text).toContain('"toDomain":"vendor.example"');
    expect(text).toContain('mail sent');
    expect(text).not.toMatch(/alice[^"]*@/);
    expect(text).not.toContain('Body of');
    expect(text).not.toContain('Subject ');
    expect(text).not.toContain('Acme Routers');
  });
});

describe('mail outbox, connection lost mid-delivery', () => {
  it('retries, and records that the message may have arrived twice (same Message-ID)', async () => {
    sink.reset();
    const h = await startHarness({ mailer: createSmtpMailer({ url: sink.url, socketTimeoutMs: 500 }) });
    try {
      sink.stallNext(1); // the server takes the message in and never answers
      await queueMail(h.ctx, h.ctx.db, mail('stalled'));
      await sink.waitForMessages(1, 15_000);
      await waitFor(async () => (await row(h, 'stalled'))?.state === 'sent', 5000, 'sent');
      expect(await row(h, 'stalled')).toMatchObject({ state: 'sent', attempts: 2, uncertain_attempts: 1, last_error: null });
      expect(sink.stalled).toHaveLength(1);
      expect(sink.stalled[0]?.messageId).toBe(sink.messages[0]?.messageId);
      expect(sink.stalled[0]?.headers.date).toBe(sink.messages[0]?.headers.date);
    } finally {
      await h.close();
    }
  });
});

describe('mail disabled', () => {
  it('records queued mail as skipped and completes the job', async () => {
    sink.reset();
    const h = await startHarness();
    try {
      expect(h.ctx.config.smtpUrl).toBeUndefined();
      const disabledLines = h.logs.filter((l) => l.includes('mail disabled'));
      expect(disabledLines).toHaveLength(1);
      expect(await queueMail(h.ctx, h.ctx.db, mail('nowhere'))).toBe(true);
      await waitFor(async () => (await row(h, 'nowhere'))?.state === 'skipped', 5000, 'skipped');
      expect(await row(h, 'nowhere')).toMatchObject({ state: 'skipped', attempts: 0, body_sealed: null });
      await waitFor(async () => (await jobState(h, 'nowhere')) === 'completed', 5000, 'job completion');
      expect(sink.attempts).toBe(0);
    } finally {
      await h.close();
    }
  });
});

describe('startTestVillage with VILLAGE_SMTP_URL', () => {
  it('delivers mail through the app-registered job', async () => {
    sink.reset();
    const v = await startTestVillage({ env: { VILLAGE_SMTP_URL: sink.url } });
    try {
      const t = newMessageNotification(v.ctx.config, { caseRef: 'VIL-2026-0002', caseId: 'c-2' });
      await v.db
        .transaction()
        .execute((trx) => queueMail(v.ctx, trx, { key: 'msg:c-2:1:u-2', to: 'bob@cert.example', tlp: 'GREEN', ...t }));
      const [m] = await sink.waitForMessages(1);
      expect(m?.subject).toBe('[Village] VIL-2026-0002: a new message is waiting');
      expect(m?.text).toContain('Sign in to read it');
    } finally {
      await v.close();
    }
  });
});

describe('templates', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  const all = [
    caseInvitation(site, { caseRef: 'VIL-1', caseId: 'c 1', orgName: 'Acme\r\nBcc: x', invitedBy: 'CERT' }),
    newMessageNotification(site, { caseRef: 'VIL-1', caseId: 'c1' }),
    deadlineReminder(site, {
      caseRef: 'VIL-1',
      caseId: 'c1',
      what: 'vendor response',
      due: new Date('2026-03-04T12:00:00Z'),
      now,
    }),
    escalationToCoordinator(site, { caseRef: 'VIL-1', caseId: 'c1', reason: 'no vendor response for 14 days' }),
    reporterAcknowledgement(site, { reportRef: 'R-7', replyUrl: `${PUBLIC_URL}/reply/secret-token` }),
  ];

  it('are single-line subjects and texts that link to this instance', () => {
    for (const t of all) {
      expect(t.subject).not.toMatch(/[\r\n]/);
      expect(t.subject.startsWith('[Village] ')).toBe(true);
      expect(t.text).toContain(PUBLIC_URL);
    }
    expect(all[0]?.text).toContain(`${PUBLIC_URL}/cases/c%201`);
    expect(all[2]?.subject).toBe('[Village] VIL-1: vendor response is due in 3 days');
    expect(all[4]?.text).toContain(`${PUBLIC_URL}/reply/secret-token`);
  });

  it('say a message is waiting without carrying it', () => {
    const t = newMessageNotification(site, { caseRef: 'VIL-9', caseId: 'c9' });
    expect(t.text).toMatch(/sign in to read/i);
    expect(t.text).not.toMatch(/TLP/);
  });

  it('refuse a reply link to another site', () => {
    expect(() => reporterAcknowledgement(site, { reportRef: 'R', replyUrl: 'https://evil.example/reply/x' })).toThrow(
      /this instance/,
    );
    expect(() => reporterAcknowledgement(site, { reportRef: 'R', replyUrl: `${PUBLIC_URL}.evil.example/x` })).toThrow(
      /this instance/,
    );
  });

  it('describe past deadlines', () => {
    const t = deadlineReminder(site, {
      caseRef: 'V',
      caseId: 'c',
      what: 'embargo end',
      due: new Date('2026-02-28T12:00:00Z'),
      now,
    });
    expect(t.subject).toBe('[Village] V: embargo end was due 1 day ago');
  });
});

describe('SMTP error classification', () => {
  it('is permanent only for a 5xx refusal of the recipient or message, and uncertain only without a reply', () => {
    expect(toMailSendError({ message: '550 no', code: 'EMESSAGE', responseCode: 550, permanent: true })).toMatchObject({
      permanent: true,
      uncertain: false,
    });
    expect(toMailSendError({ message: '535 auth', code: 'EAUTH', responseCode: 535, permanent: true })).toMatchObject({
      permanent: false,
      uncertain: false,
    });
    expect(toMailSendError({ message: '451 later', code: 'EMESSAGE', responseCode: 451, permanent: false })).toMatchObject({
      permanent: false,
      uncertain: false,
    });
    expect(toMailSendError({ message: 'refused', code: 'ESOCKET', originalCode: 'ECONNREFUSED' })).toMatchObject({
      uncertain: false,
    });
    expect(toMailSendError({ message: 'closed', code: 'ECONNECTION' })).toMatchObject({ permanent: false, uncertain: true });
    expect(toMailSendError({ message: 'timeout', code: 'ETIMEDOUT', timeoutType: 'SOCKET_TIMEOUT' })).toMatchObject({
      uncertain: true,
    });
    expect(toMailSendError({ message: '550 <bob@x.example> unknown' }).message).toBe('550 <…@x.example> unknown');
  });
});
