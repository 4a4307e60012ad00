// The durable, idempotent mail outbox. A service calls queueMail() inside its own transaction:
// the message row (mail_outbox) and its 'mail.send' job commit or roll back with the change
// that caused them, and the caller's key makes a repeat a no-op. The job sends the message.
//
// SMTP cannot join a database transaction, so "sent exactly once" is approached, not promised:
//  - before talking to the server the row is claimed ('sending', attempts + 1), after the
//    server's 250 it is marked 'sent' with the server's reply and message id;
//  - a run that finds the row still 'sending' (the previous run crashed between SMTP and the
//    database, or lost its connection mid-delivery) counts an uncertain attempt: the row then
//    shows that the message may have been delivered twice;
//  - every attempt carries the same Message-ID and Date, derived from the key and the row, so
//    a receiver can drop such a duplicate;
//  - a claim younger than the lease is left alone (another run may be mid-send).
// SMTP 4xx and connection errors are retried by the job queue with backoff; a 5xx refusal of
// the recipient or the message is final ('failed', no retry). Without VILLAGE_SMTP_URL mail is
// disabled and jobs record 'skipped'. At send time each message is protected with the keys as
// they are then (src/mail/protect.ts): PGP/MIME encrypted to the recipient's key and signed by
// the instance, or signed only (CLEAR/GREEN to a recipient without a key), or, for AMBER and
// above without a key, withheld (a signed notice to sign in instead); the row records which.
// Logs carry keys, states and recipient domains only: never addresses, subjects or bodies.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Kysely, sql } from 'kysely';
import type { AppContext } from '../context.ts';
import type { JobContext } from '../jobs/queue.ts';
import { mailBox } from '../services/data-keys.ts';
import { mailKeyFor } from '../services/pgp-keys.ts';
import type { DB, MailState } from '../store/schema.ts';
import type { Tlp } from '../store/schema-cases.ts';
import { createSmtpMailer, domainOf, type Mailer, MailSendError, redactAddresses } from './mailer.ts';
import { identityTransform, type ProtectedMail, planMail, type RecipientBodyTransform } from './protect.ts';
import { createMailSealer, type MailSealer } from './protect-pool.ts';

export const MAIL_JOB = 'mail.send';
/** Retries after the first attempt (job backoff from 30 s doubling: about two hours in all). */
export const MAIL_RETRY_LIMIT = 8;
/** A 'sending' claim younger than this is taken to be still in flight. Above the mailer's send timeout. */
export const DEFAULT_LEASE_SECONDS = 300;
/** Messages one process encrypts, signs and sends at once. */
export const MAIL_CONCURRENCY = 4;

const ADDRESS =
  /^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$/;
const KIND = /^[a-z0-9][a-z0-9._-]{0,49}$/;
const MAX_TEXT = 100_000;
const FINAL: ReadonlySet<MailState> = new Set(['sent', 'failed', 'skipped']);

export interface QueueMailInput {
  /**
   * Idempotency key: one message per key, ever (e.g. `case-invite:${caseId}:${userId}`).
   * 1-200 characters. A second queueMail() with the same key does nothing and returns false.
   */
  key: string;
  /** One bare address (user@example.org); one message per recipient keeps addresses private. */
  to: string;
  subject: string;
  text: string;
  replyTo?: string;
  /** A label for operators, e.g. the template name ('case.invitation'). */
  kind?: string;
  /** Not sent before this time. */
  runAt?: Date;
  /**
   * The highest TLP label of anything in the message. AMBER and above are never sent in clear:
   * a recipient without a usable OpenPGP key gets a notice to sign in instead. Default AMBER
   * (fail safe): say CLEAR or GREEN only for mail that carries nothing more restricted.
   */
  tlp?: Tlp;
  /** Mail to the reporter of this report: encrypted to the report's key when it has one. */
  reportId?: string;
}

/** The stable Message-ID for a key on this instance (publicUrl's host is the right-hand side). */
export function messageIdFor(key: string, publicUrl: string): string {
  const host = new URL(publicUrl).hostname || 'localhost';
  const h = createHash('sha256').update(`village-mail\0${key}`).digest('hex').slice(0, 32);
  return `<${h}.mail@${host}>`;
}

function checkAddress(what: string, a: string): void {
  if (a.length > 320 || !ADDRESS.test(a)) throw new Error(`queueMail: ${what} must be one plain e-mail address`);
}

/**
 * Writes the message to the outbox and enqueues its 'mail.send' job, inside `trx` (the caller's
 * transaction; on a plain Kysely it opens one). Returns false when the key was queued before.
 */
export async function queueMail(
  ctx: Pick<AppContext, 'config' | 'jobs' | 'log' | 'keys'>,
  trx: Kysely<DB>,
  mail: QueueMailInput,
): Promise<boolean> {
  if (!trx.isTransaction) return trx.transaction().execute((t) => queueMail(ctx, t, mail));
  const key = mail.key;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: keys are printable
  if (key.length < 1 || key.length > 200 || /[\u0000-\u001f\u007f]/.test(key)) {
    throw new Error('queueMail: key must be 1-200 printable characters');
  }
  checkAddress('to', mail.to);
  if (mail.replyTo !== undefined) checkAddress('replyTo', mail.replyTo);
  if (mail.kind !== undefined && !KIND.test(mail.kind)) throw new Error('queueMail: kind must match [a-z0-9._-]');
  const subject = mail.subject.replace(/[\r\n\t]+/g, ' ').trim();
  if (subject.length < 1 || subject.length > 300) throw new Error('queueMail: subject must be 1-300 characters');
  if (mail.text.length > MAX_TEXT) throw new Error(`queueMail: text over ${MAX_TEXT} characters`);

  const inserted = await trx
    .insertInto('mail_outbox')
    .values({
      key,
      kind: mail.kind ?? null,
      message_id: messageIdFor(key, ctx.config.publicUrl),
      to_address: mail.to,
      reply_to: mail.replyTo ?? null,
      subject,
      // Sealed under the instance mail key: the text may carry private links (and is cleared once final).
      body_sealed: (await mailBox(ctx, trx)).seal('mail_outbox.body_text', key, mail.text),
      tlp: mail.tlp ?? 'AMBER',
      report_id: mail.reportId ?? null,
    })
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('key')
    .executeTakeFirst();
  if (!inserted) return false;
  const enqueued = await ctx.jobs.enqueue(
    trx,
    MAIL_JOB,
    {},
    { key, retryLimit: MAIL_RETRY_LIMIT, ...(mail.runAt ? { runAt: mail.runAt } : {}) },
  );
  if (!enqueued) {
    // The job key ran before although the outbox had no row (rows deleted by hand): never send twice.
    await trx
      .updateTable('mail_outbox')
      .set({ state: 'skipped', body_sealed: null, last_error: 'job key already used', finished_at: sql`now()` })
      .where('key', '=', key)
      .execute();
    ctx.log.warn({ job: MAIL_JOB, key }, 'mail key was already used by a job; not sent');
    return false;
  }
  ctx.log.debug({ job: MAIL_JOB, key, toDomain: domainOf(mail.to) }, 'mail queued');
  return true;
}

export interface RegisterMailOptions {
  /** Send through this instead of SMTP from config.smtpUrl; null: mail disabled whatever the configuration says. */
  mailer?: Mailer | null;
  leaseSeconds?: number;
  /** Per-recipient text fingerprinting (watermarks): see RecipientBodyTransform in protect.ts. */
  bodyTransform?: RecipientBodyTransform;
  /** How many messages one process encrypts and sends at once (default 4). */
  concurrency?: number;
  /** Where messages are signed and encrypted; default worker threads per config.mailThreads. */
  sealer?: MailSealer;
}

export interface MailHandle {
  /** undefined when mail is disabled. */
  mailer: Mailer | undefined;
  /** Closes the mailer's pooled connections (they also close themselves when idle). */
  close(): Promise<void>;
}

/** Registers the 'mail.send' job handler (before jobs.start()); logs once whether mail is enabled. */
export function registerMail(ctx: AppContext, opts: RegisterMailOptions = {}): MailHandle {
  const mailer =
    opts.mailer === null
      ? undefined
      : (opts.mailer ?? (ctx.config.smtpUrl ? createSmtpMailer({ url: ctx.config.smtpUrl }) : undefined));
  if (mailer) ctx.log.info({ smtp: mailer.description, from: domainOf(ctx.config.mailFrom) }, 'mail enabled');
  else ctx.log.info('mail disabled: VILLAGE_SMTP_URL is not set; queued mail is recorded as skipped, not sent');
  const leaseSeconds = opts.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  const transform = opts.bodyTransform ?? identityTransform;
  const sealer =
    opts.sealer ?? createMailSealer({ signingKey: ctx.keys.signing.privateKey, threads: mailer ? ctx.config.mailThreads : 0 });
  // Enough messages in flight to keep every sealing thread busy while others wait on SMTP.
  const concurrency = opts.concurrency ?? Math.max(MAIL_CONCURRENCY, 4 * sealer.threads);
  ctx.jobs.register<Record<string, never>>(MAIL_JOB, (job) => deliver(ctx, mailer, sealer, leaseSeconds, transform, job), {
    concurrency,
  });
  return {
    mailer,
    close: async () => {
      await Promise.all([mailer?.close(), sealer.close()]);
    },
  };
}

async function finish(
  db: Kysely<DB>,
  key: string,
  state: 'sent' | 'failed' | 'skipped',
  fields: {
    last_error?: string | null;
    smtp_response?: string;
    server_message_id?: string | null;
    uncertain?: boolean;
    protection?: ProtectedMail['protection'];
    protected_to?: string | null;
  },
  claimedAttempts?: number,
): Promise<boolean> {
  let q = db
    .updateTable('mail_outbox')
    .set({
      state,
      body_sealed: null,
      finished_at: sql`now()`,
      ...(fields.last_error !== undefined ? { last_error: fields.last_error } : {}),
      ...(fields.smtp_response !== undefined ? { smtp_response: fields.smtp_response } : {}),
      ...(fields.server_message_id !== undefined ? { server_message_id: fields.server_message_id } : {}),
      ...(fields.uncertain ? { uncertain_attempts: sql`uncertain_attempts + 1` } : {}),
      ...(fields.protection !== undefined ? { protection: fields.protection, protected_to: fields.protected_to ?? null } : {}),
    })
    .where('key', '=', key);
  q =
    claimedAttempts === undefined
      ? q.where('state', 'in', ['queued', 'sending'])
      : q.where('state', '=', 'sending').where('attempts', '=', claimedAttempts);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

async function deliver(
  ctx: AppContext,
  mailer: Mailer | undefined,
  sealer: MailSealer,
  leaseSeconds: number,
  transform: RecipientBodyTransform,
  job: JobContext<unknown>,
): Promise<void> {
  const { key } = job;
  const db = ctx.db;
  const row = await db.selectFrom('mail_outbox').select(['state', 'to_address']).where('key', '=', key).executeTakeFirst();
  if (!row) {
    ctx.log.warn({ job: MAIL_JOB, key }, 'no outbox row for this mail job; nothing to send');
    return;
  }
  const fields = { job: MAIL_JOB, key, toDomain: domainOf(row.to_address), attempt: job.attempt };
  if (FINAL.has(row.state)) return; // a repeated run of a finished message

  if (!mailer) {
    if (await finish(db, key, 'skipped', { last_error: 'mail disabled (no VILLAGE_SMTP_URL)' })) {
      ctx.log.info(fields, 'mail skipped: mail is disabled');
    }
    return;
  }

  // Claim: a queued row, or one left 'sending' longer than the lease (that attempt's outcome is unknown).
  const claimed = await db
    .updateTable('mail_outbox')
    .set({
      state: 'sending',
      attempts: sql`attempts + 1`,
      uncertain_attempts: sql`uncertain_attempts + (CASE WHEN state = 'sending' THEN 1 ELSE 0 END)`,
      last_attempt_at: sql`now()`,
    })
    .where('key', '=', key)
    .where((eb) =>
      eb.or([
        eb('state', '=', 'queued'),
        eb.and([
          eb('state', '=', 'sending'),
          eb('last_attempt_at', '<', sql<Date>`now() - make_interval(secs => ${leaseSeconds})`),
        ]),
      ]),
    )
    .returning([
      'to_address',
      'reply_to',
      'subject',
      'body_sealed',
      'message_id',
      'created_at',
      'attempts',
      'uncertain_attempts',
      'kind',
      'tlp',
      'report_id',
    ])
    .executeTakeFirst();
  if (!claimed) {
    const now = await db.selectFrom('mail_outbox').select('state').where('key', '=', key).executeTakeFirst();
    if (!now || FINAL.has(now.state)) return;
    throw new Error('another attempt at this mail may still be in flight; retrying later');
  }
  if (row.state === 'sending') {
    ctx.log.warn(
      { ...fields, attempts: claimed.attempts },
      'previous mail attempt has an unknown outcome; resending with the same Message-ID',
    );
  }
  if (claimed.body_sealed === null) throw new Error('outbox row has no body'); // excluded by a CHECK constraint
  const text = (await mailBox(ctx, db)).text('mail_outbox.body_text', key, claimed.body_sealed);

  // Encrypted to the recipient's key as it is now, signed by the instance (src/mail/protect.ts).
  // A failure here is not an SMTP error: the job queue retries it.
  const now = ctx.clock.now();
  const recipientKey = await mailKeyFor(db, claimed.to_address, claimed.report_id, now);
  const plan = await planMail(
    {
      from: ctx.config.mailFrom,
      to: claimed.to_address,
      replyTo: claimed.reply_to ?? undefined,
      subject: claimed.subject,
      text,
      messageId: claimed.message_id,
      date: claimed.created_at,
      tlp: claimed.tlp,
      toReporter: claimed.report_id !== null,
      headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
    },
    {
      publicUrl: ctx.config.publicUrl,
      transform,
      recipient: { key, kind: claimed.kind },
      hasRecipientKey: recipientKey !== null,
    },
  );
  const built = await sealer.seal(plan, { recipientKey, now });
  const protection = { protection: built.protection, protected_to: built.protectedTo };

  try {
    const info = await mailer.send({
      from: ctx.config.mailFrom,
      to: claimed.to_address,
      messageId: claimed.message_id,
      raw: built.raw,
    });
    // The message is out; recording that must not fail on a passing database error.
    for (let i = 0; ; i++) {
      try {
        const recorded = await finish(
          db,
          key,
          'sent',
          { last_error: null, smtp_response: info.response, server_message_id: info.serverMessageId ?? null, ...protection },
          claimed.attempts,
        );
        if (!recorded) ctx.log.warn(fields, 'mail sent, but its outbox row changed meanwhile');
        break;
      } catch (err) {
        if (i >= 2) throw err;
        await sleep(500 * (i + 1));
      }
    }
    ctx.log.info({ ...fields, smtp: info.response, protection: built.protection }, 'mail sent');
  } catch (err) {
    if (!(err instanceof MailSendError)) throw err;
    const detail = redactAddresses(err.message);
    const uncertain = err.uncertain;
    if (err.permanent) {
      await finish(db, key, 'failed', { last_error: detail, uncertain }, claimed.attempts);
      ctx.log.warn({ ...fields, smtpCode: err.responseCode, err: detail }, 'mail refused permanently; not retried');
      return;
    }
    if (job.attempt > MAIL_RETRY_LIMIT) {
      await finish(db, key, 'failed', { last_error: detail, uncertain }, claimed.attempts);
      ctx.log.error({ ...fields, smtpCode: err.responseCode, err: detail }, 'mail failed; no retries left');
      throw new Error(detail);
    }
    await db
      .updateTable('mail_outbox')
      .set({
        state: 'queued',
        last_error: detail,
        ...(uncertain ? { uncertain_attempts: sql`uncertain_attempts + 1` } : {}),
      })
      .where('key', '=', key)
      .where('state', '=', 'sending')
      .where('attempts', '=', claimed.attempts)
      .execute();
    // The job queue logs this (message only) and retries with backoff.
    throw new Error(`${uncertain ? 'outcome unknown' : 'not delivered'}: ${detail}`);
  }
}

/** The text of a queued message, opened (null once the message is final and its body cleared). */
export async function outboxText(ctx: Pick<AppContext, 'keys'>, db: Kysely<DB>, key: string): Promise<string | null> {
  const row = await db.selectFrom('mail_outbox').select('body_sealed').where('key', '=', key).executeTakeFirst();
  if (!row?.body_sealed) return null;
  return (await mailBox(ctx, db)).text('mail_outbox.body_text', key, row.body_sealed);
}
