// Sending one webhook delivery: POST the stored body with the signature headers, within a timeout,
// to an address checked again at connect time; then record the attempt and, on a network error,
// a timeout, a 5xx or a 429, schedule the next attempt with exponential backoff (a 429's
// Retry-After is honoured). Any other answer ends the delivery. Response bodies are never read.
// Delivery is at least once: a crash between the POST and its record repeats the POST, with the
// same event id, which receivers use to drop duplicates.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Kysely } from 'kysely';
import type { AppContext } from '../context.ts';
import { isRefusedAddress } from '../domain/webhook-address.ts';
import { signWebhook, WEBHOOK_HEADERS } from '../domain/webhook-signature.ts';
import type { DB } from '../store/schema.ts';
import { type DeliveryJobData, subscriptionSecret, WEBHOOK_DELIVER_JOB } from './webhooks.ts';

const MAX_DELAY_SECONDS = 6 * 3600;
const USER_AGENT = 'Village-Webhooks/1';

export interface PostResult {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** Seconds a 429 or 503 asked us to wait. */
  retryAfter: number | null;
  /** The target's address is refused: retrying will not help. */
  refused: boolean;
}

class RefusedAddressError extends Error {
  readonly code = 'EREFUSEDADDRESS';
}

/** A DNS lookup that refuses loopback, private and special-purpose addresses (unless allowed). */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as unknown as LookupAddress[];
      const refused = allowPrivate ? undefined : list.find((a) => isRefusedAddress(a.address));
      if (refused) return callback(new RefusedAddressError(`${hostname} resolves to a refused address`), '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      const first = list[0];
      if (!first) return callback(new Error(`${hostname} has no address`), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/** One POST; never throws. */
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  opts: { timeoutMs: number; allowPrivate: boolean },
): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: Omit<PostResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...r, durationMs: elapsed() });
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return done({ statusCode: null, error: 'invalid URL', retryAfter: null, refused: true });
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (!opts.allowPrivate && (target.protocol !== 'https:' || (isIP(host) && isRefusedAddress(host)))) {
      return done({ statusCode: null, error: 'target address refused', retryAfter: null, refused: true });
    }
    const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : null;
    if (!client) return done({ statusCode: null, error: 'unsupported scheme', retryAfter: null, refused: true });
    const req = client.request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(opts.allowPrivate),
        signal: AbortSignal.timeout(opts.timeoutMs),
        // No keep-alive pool shared across subscriptions.
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const ra = res.headers['retry-after'];
        const retryAfter = typeof ra === 'string' && /^\d{1,6}$/.test(ra.trim()) ? Number(ra.trim()) : null;
        // The answer's body is not wanted: drop it.
        res.destroy();
        done({ statusCode: status, error: null, retryAfter, refused: false });
      },
    );
    req.on('error', (e: Error & { code?: string }) => {
      if (e instanceof RefusedAddressError || e.code === 'EREFUSEDADDRESS') {
        return done({ statusCode: null, error: 'target address refused', retryAfter: null, refused: true });
      }
      const timedOut = e.name === 'AbortError' || e.name === 'TimeoutError';
      done({
        statusCode: null,
        error: timedOut ? 'timed out' : (e.code ?? e.name ?? 'network error'),
        retryAfter: null,
        refused: false,
      });
    });
    req.end(body);
  });
}

/** The delay before attempt `attempt + 1`, after attempt `attempt` failed in a retryable way. */
export function backoffSeconds(base: number, attempt: number, retryAfter: number | null): number {
  const exp = Math.min(MAX_DELAY_SECONDS, base * 2 ** (attempt - 1));
  return Math.min(MAX_DELAY_SECONDS, Math.max(exp, retryAfter ?? 0));
}

type Outcome = 'delivered' | 'retry' | 'failed';

function outcomeOf(r: PostResult, attempt: number, maxAttempts: number): Outcome {
  if (r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300) return 'delivered';
  if (r.refused) return 'failed';
  const retryable = r.statusCode === null || r.statusCode >= 500 || r.statusCode === 429;
  return retryable && attempt < maxAttempts ? 'retry' : 'failed';
}

/** Runs `effect` once in a transaction (the job's once(), or a plain transaction). */
export type RecordStep = (effect: (trx: Kysely<DB>) => Promise<void>) => Promise<void>;

/**
 * Makes the attempt a delivery job stands for, unless it is stale: the delivery is no longer
 * pending, a redelivery started another round, or this attempt was already made and recorded
 * (a rerun of the job). Returns what happened.
 */
export async function deliverWebhook(
  ctx: AppContext,
  data: DeliveryJobData,
  record: RecordStep = (effect) => ctx.db.transaction().execute(effect),
): Promise<Outcome | 'skipped'> {
  const row = await ctx.db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
    .select([
      'd.id',
      'd.event_id',
      'd.event_type',
      'd.body',
      'd.status',
      'd.attempts',
      'd.round',
      's.id as sub_id',
      's.url',
      's.secret_wrapped',
      's.kek_id',
      's.previous_secret_wrapped',
      's.previous_kek_id',
      's.previous_secret_expires_at',
      's.deleted_at',
    ])
    .where('d.id', '=', data.deliveryId)
    .executeTakeFirst();
  if (row?.status !== 'pending' || row.round !== data.round || row.attempts !== data.attempt - 1) return 'skipped';
  const cfg = ctx.config.webhooks;
  const now = ctx.clock.now();
  let result: PostResult;
  if (row.deleted_at) {
    result = { statusCode: null, error: 'subscription deleted', durationMs: 0, retryAfter: null, refused: true };
  } else {
    const secret = await subscriptionSecret(ctx, { id: row.sub_id, secret_wrapped: row.secret_wrapped, kek_id: row.kek_id });
    const timestamp = Math.floor(now.getTime() / 1000);
    let signature = signWebhook(secret, timestamp, row.body);
    // Within a rotation's overlap, the previous secret signs too.
    if (
      row.previous_secret_wrapped &&
      row.previous_kek_id &&
      row.previous_secret_expires_at &&
      new Date(row.previous_secret_expires_at).getTime() > now.getTime()
    ) {
      const previous = await subscriptionSecret(ctx, {
        id: row.sub_id,
        secret_wrapped: row.previous_secret_wrapped,
        kek_id: row.previous_kek_id,
      });
      signature += ` ${signWebhook(previous, timestamp, row.body)}`;
    }
    result = await postWebhook(
      row.url,
      {
        'user-agent': USER_AGENT,
        [WEBHOOK_HEADERS.id]: row.event_id,
        [WEBHOOK_HEADERS.event]: row.event_type,
        [WEBHOOK_HEADERS.delivery]: row.id,
        [WEBHOOK_HEADERS.timestamp]: String(timestamp),
        [WEBHOOK_HEADERS.signature]: signature,
      },
      row.body,
      { timeoutMs: cfg.timeoutMs, allowPrivate: cfg.allowPrivate },
    );
  }
  const outcome = outcomeOf(result, data.attempt, cfg.maxAttempts);
  const next =
    outcome === 'retry'
      ? new Date(now.getTime() + backoffSeconds(cfg.retrySeconds, data.attempt, result.retryAfter) * 1000)
      : null;
  await record(async (trx) => {
    const updated = await trx
      .updateTable('webhook_deliveries')
      .set({
        status: outcome === 'retry' ? 'pending' : outcome,
        attempts: data.attempt,
        last_status_code: result.statusCode,
        last_error: result.error,
        last_duration_ms: result.durationMs,
        last_attempt_at: now,
        next_attempt_at: next,
        ...(outcome === 'delivered' ? { delivered_at: now } : {}),
      })
      .where('id', '=', row.id)
      .where('round', '=', data.round)
      .where('attempts', '=', data.attempt - 1)
      .returning('id')
      .executeTakeFirst();
    if (!updated) return;
    await trx
      .insertInto('webhook_attempts')
      .values({
        delivery_id: row.id,
        attempt: data.attempt,
        at: now,
        status_code: result.statusCode,
        error: result.error,
        duration_ms: result.durationMs,
        outcome,
      })
      .execute();
    if (next) {
      const follow: DeliveryJobData = { deliveryId: row.id, round: data.round, attempt: data.attempt + 1 };
      await ctx.jobs.enqueue(trx, WEBHOOK_DELIVER_JOB, follow, {
        key: `${row.event_id}:${row.sub_id}:round-${data.round}:attempt-${data.attempt + 1}`,
        runAt: next,
      });
    }
  });
  ctx.log.info(
    { delivery: row.id, event: row.event_type, attempt: data.attempt, status: result.statusCode, outcome },
    'webhook delivery attempt',
  );
  return outcome;
}

export function registerWebhookJobs(ctx: AppContext): void {
  ctx.jobs.register<DeliveryJobData>(WEBHOOK_DELIVER_JOB, async (job) => {
    await deliverWebhook(ctx, job.data, async (effect) => {
      await job.once(effect, 'record');
    });
  });
}
