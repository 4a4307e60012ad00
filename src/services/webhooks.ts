// Webhook subscriptions and their deliveries. Operators subscribe for the whole instance; an
// organization's admins subscribe for their organization. Events are enqueued as one delivery
// job per matching subscription in the caller's transaction (emitWebhookEvent); the job itself is
// in webhook-delivery.ts. The secret is shown once, at creation or rotation, and kept wrapped by
// the key-encryption key (Village needs it back to sign).
import { randomBytes, randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type Kysely, sql } from 'kysely';
import { type AppContext, actorIds, type RequestMeta } from '../context.ts';
import { type Actor, decide, scopeDecision } from '../domain/policy.ts';
import { checkWebhookUrl, isRefusedAddress } from '../domain/webhook-address.ts';
import { problems } from '../problem.ts';
import type { DB } from '../store/schema.ts';
import type { DeliveryStatus, WebhookEventType } from '../store/schema-webhooks.ts';
import { auditObject } from './audit-log.ts';

export const WEBHOOK_EVENTS = ['advisory.published', 'advisory.updated', 'ping'] as const satisfies readonly WebhookEventType[];
export type { WebhookEventType };
export const WEBHOOK_DELIVER_JOB = 'webhook.deliver';

/** What a delivery job carries: which delivery, which redelivery round, which attempt it makes. */
export interface DeliveryJobData {
  deliveryId: string;
  round: number;
  attempt: number;
}

export interface SubscriptionView {
  id: string;
  /** null: instance-wide. */
  orgId: string | null;
  url: string;
  events: WebhookEventType[];
  description: string;
  /** The secret's first characters, to tell secrets apart. */
  secretHint: string;
  createdAt: Date;
  secretRotatedAt: Date | null;
  /** Until when the secret before the last rotation also signs deliveries (null: it does not). */
  previousSecretExpiresAt: Date | null;
}

export interface AttemptView {
  attempt: number;
  at: Date;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  outcome: 'delivered' | 'retry' | 'failed';
}

export interface DeliveryView {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: WebhookEventType;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastDurationMs: number | null;
  createdAt: Date;
  lastAttemptAt: Date | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  log: AttemptView[];
}

type SubscriptionRow = {
  id: string;
  org_id: string | null;
  url: string;
  events: WebhookEventType[];
  description: string;
  secret_hint: string;
  created_at: Date;
  secret_rotated_at: Date | null;
  previous_secret_expires_at: Date | null;
};

const SUBSCRIPTION_COLUMNS = [
  'id',
  'org_id',
  'url',
  'events',
  'description',
  'secret_hint',
  'created_at',
  'secret_rotated_at',
  'previous_secret_expires_at',
] as const;

function view(r: SubscriptionRow): SubscriptionView {
  return {
    id: r.id,
    orgId: r.org_id,
    url: r.url,
    events: r.events,
    description: r.description,
    secretHint: r.secret_hint,
    createdAt: new Date(r.created_at),
    secretRotatedAt: r.secret_rotated_at ? new Date(r.secret_rotated_at) : null,
    previousSecretExpiresAt: r.previous_secret_expires_at ? new Date(r.previous_secret_expires_at) : null,
  };
}

const secretAad = (subscriptionId: string) => `webhook:${subscriptionId}`;
const newSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;
const hintOf = (secret: string) => `${secret.slice(0, 10)}…`;

/** The subscription's signing secret, unwrapped. */
export async function subscriptionSecret(
  ctx: AppContext,
  row: { id: string; secret_wrapped: Buffer; kek_id: string },
): Promise<string> {
  const raw = await ctx.keys.keyring.unwrap({ kekId: row.kek_id, wrapped: row.secret_wrapped }, secretAad(row.id));
  return raw.toString('utf8');
}

/**
 * Checks a subscription URL: its form (checkWebhookUrl) and, unless private targets are allowed,
 * every address its host resolves to. Delivery checks the addresses again at connect time, so a
 * name that later resolves to a private address is refused then too.
 */
export async function validateWebhookUrl(ctx: AppContext, raw: string): Promise<string> {
  const allow = ctx.config.webhooks.allowPrivate;
  const bad = (message: string) =>
    problems.badRequest(`The webhook URL is not acceptable: ${message}.`, [{ field: 'body.url', message }]);
  const checked = checkWebhookUrl(raw, allow);
  if (!checked.ok) throw bad(checked.reason);
  const host = checked.url.hostname.replace(/^\[|\]$/g, '');
  if (!allow && !isIP(host)) {
    let addresses: Array<{ address: string }>;
    try {
      addresses = await lookup(host, { all: true, verbatim: true });
    } catch {
      throw bad(`the host ${host} does not resolve`);
    }
    const refused = addresses.find((a) => isRefusedAddress(a.address));
    if (refused) throw bad(`${host} resolves to ${refused.address}, a loopback, private or special-purpose address`);
  }
  return checked.url.toString();
}

/** Who may manage a subscription: operators the instance's, an organization's admins (and operators) its own. */
export async function authorizeWebhook(ctx: AppContext, actor: Actor, subscriptionId: string): Promise<SubscriptionView> {
  if (actor.type !== 'user') throw actor.type === 'anonymous' ? problems.unauthorized() : problems.notFound('webhook');
  // A token is refused on scope before the subscription is looked up, so it learns nothing.
  const scoped = [scopeDecision(actor, 'webhook.org'), scopeDecision(actor, 'webhook.instance')];
  if (!scoped.some((d) => d.allow)) throw problems.forbidden('token lacks scope org:write or instance:admin');
  const row = await ctx.db
    .selectFrom('webhook_subscriptions')
    .select(SUBSCRIPTION_COLUMNS)
    .where('id', '=', subscriptionId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw problems.notFound('webhook');
  const d = row.org_id
    ? decide(actor, 'webhook.org', { type: 'organization', id: row.org_id })
    : decide(actor, 'webhook.instance', { type: 'instance' });
  if (!d.allow) {
    // An instance-wide subscription, or another organization's, does not exist for the caller.
    const own = row.org_id !== null && row.org_id === actor.orgId;
    throw d.reveal && own ? problems.forbidden(d.reason) : problems.notFound('webhook');
  }
  return view(row);
}

export interface CreateSubscriptionInput {
  url: string;
  events: WebhookEventType[];
  description?: string | undefined;
}

/** A new subscription; the answer carries the secret, which is never shown again. */
export async function createSubscription(
  ctx: AppContext,
  meta: RequestMeta,
  orgId: string | null,
  input: CreateSubscriptionInput,
): Promise<SubscriptionView & { secret: string }> {
  const url = await validateWebhookUrl(ctx, input.url);
  const events = [...new Set(input.events)];
  const id = randomUUID();
  const secret = newSecret();
  const w = await ctx.keys.keyring.wrap(Buffer.from(secret, 'utf8'), secretAad(id));
  const now = ctx.clock.now();
  const row = await ctx.db.transaction().execute(async (trx) => {
    if (orgId) {
      const org = await trx.selectFrom('organizations').select('id').where('id', '=', orgId).executeTakeFirst();
      if (!org) throw problems.notFound('organization');
    }
    const r = await trx
      .insertInto('webhook_subscriptions')
      .values({
        id,
        org_id: orgId,
        url,
        events,
        description: input.description ?? '',
        secret_wrapped: w.wrapped,
        kek_id: w.kekId,
        secret_hint: hintOf(secret),
        created_by: actorIds(meta).actorUserId,
        created_at: now,
      })
      .returning(SUBSCRIPTION_COLUMNS)
      .executeTakeFirstOrThrow();
    await auditObject(
      ctx,
      trx,
      meta,
      { type: 'webhook', id },
      'webhook.create',
      { url, events, scope: orgId ?? 'instance' },
      orgId,
    );
    return r;
  });
  return { ...view(row), secret };
}

export async function listSubscriptions(ctx: AppContext, orgId: string | null): Promise<SubscriptionView[]> {
  if (orgId) {
    const org = await ctx.db.selectFrom('organizations').select('id').where('id', '=', orgId).executeTakeFirst();
    if (!org) throw problems.notFound('organization');
  }
  const rows = await ctx.db
    .selectFrom('webhook_subscriptions')
    .select(SUBSCRIPTION_COLUMNS)
    .where((eb) => (orgId ? eb('org_id', '=', orgId) : eb('org_id', 'is', null)))
    .where('deleted_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(view);
}

/** Deletes a subscription; its pending deliveries stand down at their next attempt. */
export async function deleteSubscription(ctx: AppContext, meta: RequestMeta, sub: SubscriptionView): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('webhook_subscriptions').set({ deleted_at: ctx.clock.now() }).where('id', '=', sub.id).execute();
    await auditObject(ctx, trx, meta, { type: 'webhook', id: sub.id }, 'webhook.delete', { url: sub.url }, sub.orgId);
  });
}

/**
 * A new secret, signing every delivery attempt from now on (pending retries too). For
 * `overlapHours` the previous secret signs as well (a second signature in the header), so the
 * receiver can switch over without refusing deliveries; 0 ends the old secret at once.
 */
export async function rotateSecret(
  ctx: AppContext,
  meta: RequestMeta,
  sub: SubscriptionView,
  overlapHours = 24,
): Promise<SubscriptionView & { secret: string }> {
  const secret = newSecret();
  const w = await ctx.keys.keyring.wrap(Buffer.from(secret, 'utf8'), secretAad(sub.id));
  const now = ctx.clock.now();
  const row = await ctx.db.transaction().execute(async (trx) => {
    const old = await trx
      .selectFrom('webhook_subscriptions')
      .select(['secret_wrapped', 'kek_id'])
      .where('id', '=', sub.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const overlap = overlapHours > 0;
    const r = await trx
      .updateTable('webhook_subscriptions')
      .set({
        secret_wrapped: w.wrapped,
        kek_id: w.kekId,
        secret_hint: hintOf(secret),
        secret_rotated_at: now,
        previous_secret_wrapped: overlap ? old.secret_wrapped : null,
        previous_kek_id: overlap ? old.kek_id : null,
        previous_secret_expires_at: overlap ? new Date(now.getTime() + overlapHours * 3_600_000) : null,
      })
      .where('id', '=', sub.id)
      .returning(SUBSCRIPTION_COLUMNS)
      .executeTakeFirstOrThrow();
    await auditObject(ctx, trx, meta, { type: 'webhook', id: sub.id }, 'webhook.rotate_secret', { overlapHours }, sub.orgId);
    return r;
  });
  return { ...view(row), secret };
}

function eventBody(eventId: string, type: WebhookEventType, at: Date, data: Record<string, unknown>): string {
  return JSON.stringify({ id: eventId, type, createdAt: at.toISOString(), data });
}

async function insertDelivery(
  ctx: AppContext,
  trx: Kysely<DB>,
  subscriptionId: string,
  eventId: string,
  type: WebhookEventType,
  body: string,
  now: Date,
): Promise<string | null> {
  const row = await trx
    .insertInto('webhook_deliveries')
    .values({
      subscription_id: subscriptionId,
      event_id: eventId,
      event_type: type,
      body,
      status: 'pending',
      created_at: now,
      next_attempt_at: now,
    })
    .onConflict((oc) => oc.columns(['event_id', 'subscription_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!row) return null;
  const data: DeliveryJobData = { deliveryId: row.id, round: 1, attempt: 1 };
  // Idempotency: one job per (event, subscription).
  await ctx.jobs.enqueue(trx, WEBHOOK_DELIVER_JOB, data, { key: `${eventId}:${subscriptionId}` });
  return row.id;
}

export interface EmitOptions {
  /**
   * The organizations the event concerns (e.g. an advisory's coordinator and vendors): their
   * subscriptions receive it, beside every instance-wide subscription. Default: none.
   */
  orgIds?: readonly string[];
  /** A stable event id, so that emitting the same event again (a rerun) delivers nothing new. */
  eventId?: string;
}

/**
 * Enqueues one delivery of `event` to every live subscription that wants it, in the caller's
 * transaction: they are sent when (and only if) the caller commits. Returns the event id and how
 * many deliveries were enqueued (0 when the event id was emitted before).
 */
export async function emitWebhookEvent(
  ctx: AppContext,
  trx: Kysely<DB>,
  event: Exclude<WebhookEventType, 'ping'>,
  payload: Record<string, unknown>,
  opts: EmitOptions = {},
): Promise<{ eventId: string; deliveries: number }> {
  const eventId = opts.eventId ?? randomUUID();
  const now = ctx.clock.now();
  const orgIds = [...new Set(opts.orgIds ?? [])];
  const subs = await trx
    .selectFrom('webhook_subscriptions')
    .select('id')
    .where('deleted_at', 'is', null)
    .where(sql<boolean>`${event} = ANY(events)`)
    .where((eb) => (orgIds.length ? eb.or([eb('org_id', 'is', null), eb('org_id', 'in', orgIds)]) : eb('org_id', 'is', null)))
    .orderBy('id')
    .execute();
  const body = eventBody(eventId, event, now, payload);
  let deliveries = 0;
  for (const s of subs) if (await insertDelivery(ctx, trx, s.id, eventId, event, body, now)) deliveries++;
  return { eventId, deliveries };
}

/** A ping to one subscription (whatever events it wants), to check the receiver. */
export async function sendPing(ctx: AppContext, meta: RequestMeta, sub: SubscriptionView): Promise<DeliveryView> {
  const eventId = randomUUID();
  const now = ctx.clock.now();
  const id = await ctx.db.transaction().execute(async (trx) => {
    const body = eventBody(eventId, 'ping', now, { subscriptionId: sub.id, message: 'Village webhook test' });
    const deliveryId = await insertDelivery(ctx, trx, sub.id, eventId, 'ping', body, now);
    await auditObject(ctx, trx, meta, { type: 'webhook', id: sub.id }, 'webhook.ping', { eventId }, sub.orgId);
    return deliveryId;
  });
  if (!id) throw new Error('a fresh ping event collided');
  return getDelivery(ctx, sub.id, id);
}

/** Sends a finished delivery again, as a new round of attempts with the same event id and body. */
export async function redeliver(
  ctx: AppContext,
  meta: RequestMeta,
  sub: SubscriptionView,
  deliveryId: string,
): Promise<DeliveryView> {
  await ctx.db.transaction().execute(async (trx) => {
    const d = await trx
      .selectFrom('webhook_deliveries')
      .select(['id', 'event_id', 'status', 'attempts', 'round'])
      .where('id', '=', deliveryId)
      .where('subscription_id', '=', sub.id)
      .forUpdate()
      .executeTakeFirst();
    if (!d) throw problems.notFound('delivery');
    if (d.status === 'pending') throw problems.conflict('This delivery is still being attempted.');
    const round = d.round + 1;
    const now = ctx.clock.now();
    await trx
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', round, next_attempt_at: now })
      .where('id', '=', d.id)
      .execute();
    const data: DeliveryJobData = { deliveryId: d.id, round, attempt: d.attempts + 1 };
    await ctx.jobs.enqueue(trx, WEBHOOK_DELIVER_JOB, data, { key: `${d.event_id}:${sub.id}:round-${round}` });
    await auditObject(
      ctx,
      trx,
      meta,
      { type: 'webhook', id: sub.id },
      'webhook.redeliver',
      { deliveryId: d.id, round },
      sub.orgId,
    );
  });
  return getDelivery(ctx, sub.id, deliveryId);
}

type DeliveryRow = {
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: WebhookEventType;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  created_at: Date;
  last_attempt_at: Date | null;
  next_attempt_at: Date | null;
  delivered_at: Date | null;
};

const DELIVERY_COLUMNS = [
  'id',
  'subscription_id',
  'event_id',
  'event_type',
  'status',
  'attempts',
  'last_status_code',
  'last_error',
  'last_duration_ms',
  'created_at',
  'last_attempt_at',
  'next_attempt_at',
  'delivered_at',
] as const;

const dateOrNull = (d: Date | null) => (d ? new Date(d) : null);

async function withLog(ctx: AppContext, rows: DeliveryRow[]): Promise<DeliveryView[]> {
  const ids = rows.map((r) => r.id);
  const attempts = ids.length
    ? await ctx.db
        .selectFrom('webhook_attempts')
        .selectAll()
        .where('delivery_id', 'in', ids)
        .orderBy('delivery_id')
        .orderBy('attempt')
        .execute()
    : [];
  return rows.map((r) => ({
    id: r.id,
    subscriptionId: r.subscription_id,
    eventId: r.event_id,
    eventType: r.event_type,
    status: r.status,
    attempts: r.attempts,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    lastDurationMs: r.last_duration_ms,
    createdAt: new Date(r.created_at),
    lastAttemptAt: dateOrNull(r.last_attempt_at),
    nextAttemptAt: dateOrNull(r.next_attempt_at),
    deliveredAt: dateOrNull(r.delivered_at),
    log: attempts
      .filter((a) => a.delivery_id === r.id)
      .map((a) => ({
        attempt: a.attempt,
        at: new Date(a.at),
        statusCode: a.status_code,
        error: a.error,
        durationMs: a.duration_ms,
        outcome: a.outcome,
      })),
  }));
}

export async function listDeliveries(ctx: AppContext, sub: SubscriptionView, limit: number): Promise<DeliveryView[]> {
  const rows = await ctx.db
    .selectFrom('webhook_deliveries')
    .select(DELIVERY_COLUMNS)
    .where('subscription_id', '=', sub.id)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return withLog(ctx, rows);
}

export async function getDelivery(ctx: AppContext, subscriptionId: string, deliveryId: string): Promise<DeliveryView> {
  const row = await ctx.db
    .selectFrom('webhook_deliveries')
    .select(DELIVERY_COLUMNS)
    .where('id', '=', deliveryId)
    .where('subscription_id', '=', subscriptionId)
    .executeTakeFirst();
  if (!row) throw problems.notFound('delivery');
  const [v] = await withLog(ctx, [row]);
  if (!v) throw problems.notFound('delivery');
  return v;
}
