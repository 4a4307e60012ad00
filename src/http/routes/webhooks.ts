// Webhook subscriptions: instance-wide ones (operators) and an organization's (its admins);
// rotating the secret, a test ping, the delivery log and redelivery.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import {
  authorizeWebhook,
  createSubscription,
  type DeliveryView,
  deleteSubscription,
  listDeliveries,
  listSubscriptions,
  redeliver,
  rotateSecret,
  type SubscriptionView,
  sendPing,
  WEBHOOK_EVENTS,
} from '../../services/webhooks.ts';
import { authorize, metaOf } from '../auth.ts';
import { authErrors, IdParams, iso, isoOrNull, Ok, ProblemSchema, Timestamp } from '../schemas.ts';

const EventType = z.enum(WEBHOOK_EVENTS);
const SubscriptionIn = z.strictObject({
  url: z.string().min(1).max(2048).describe('https:// URL the deliveries are POSTed to'),
  events: z.array(EventType).min(1).max(WEBHOOK_EVENTS.length),
  description: z.string().trim().max(500).optional(),
});
const SubscriptionOut = z.object({
  id: z.uuid(),
  orgId: z.uuid().nullable().describe('null: instance-wide'),
  url: z.string(),
  events: z.array(EventType),
  description: z.string(),
  secretHint: z.string().describe("The secret's first characters"),
  createdAt: Timestamp,
  secretRotatedAt: Timestamp.nullable(),
  previousSecretExpiresAt: Timestamp.nullable().describe('Until then the previous secret signs too (a second signature)'),
});
const WithSecret = SubscriptionOut.extend({
  secret: z.string().describe('The signing secret: shown this once, keep it'),
});
const DeliveryOut = z.object({
  id: z.uuid(),
  subscriptionId: z.uuid(),
  eventId: z.uuid(),
  eventType: EventType,
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  lastDurationMs: z.number().int().nullable(),
  createdAt: Timestamp,
  lastAttemptAt: Timestamp.nullable(),
  nextAttemptAt: Timestamp.nullable(),
  deliveredAt: Timestamp.nullable(),
  log: z.array(
    z.object({
      attempt: z.number().int(),
      at: Timestamp,
      statusCode: z.number().int().nullable(),
      error: z.string().nullable(),
      durationMs: z.number().int(),
      outcome: z.enum(['delivered', 'retry', 'failed']),
    }),
  ),
});

const subOut = (s: SubscriptionView) => ({
  ...s,
  createdAt: iso(s.createdAt),
  secretRotatedAt: isoOrNull(s.secretRotatedAt),
  previousSecretExpiresAt: isoOrNull(s.previousSecretExpiresAt),
});
const withSecret = (s: SubscriptionView & { secret: string }) => ({ ...subOut(s), secret: s.secret });
const deliveryOut = (d: DeliveryView) => ({
  ...d,
  createdAt: iso(d.createdAt),
  lastAttemptAt: isoOrNull(d.lastAttemptAt),
  nextAttemptAt: isoOrNull(d.nextAttemptAt),
  deliveredAt: isoOrNull(d.deliveredAt),
  log: d.log.map((a) => ({ ...a, at: iso(a.at) })),
});

const DeliveryParams = z.strictObject({ id: z.uuid(), deliveryId: z.uuid() });
const DeliveriesQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) });

export const webhookRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['webhooks'];

    app.get(
      '/webhooks',
      {
        schema: {
          tags,
          summary: 'Instance-wide webhook subscriptions (operators)',
          response: { 200: z.array(SubscriptionOut), ...authErrors },
        },
      },
      async (req) => {
        authorize(req, 'webhook.instance', { type: 'instance' });
        return (await listSubscriptions(ctx, null)).map(subOut);
      },
    );

    app.post(
      '/webhooks',
      {
        schema: {
          tags,
          summary: 'Subscribe for the whole instance (operators); the answer carries the secret, shown once',
          body: SubscriptionIn,
          response: { 201: WithSecret, ...authErrors },
        },
      },
      async (req, reply) => {
        authorize(req, 'webhook.instance', { type: 'instance' });
        reply.code(201);
        return withSecret(await createSubscription(ctx, metaOf(req), null, req.body));
      },
    );

    app.get(
      '/orgs/:id/webhooks',
      {
        schema: {
          tags,
          summary: "An organization's webhook subscriptions (its admins, operators)",
          params: IdParams,
          response: { 200: z.array(SubscriptionOut), ...authErrors },
        },
      },
      async (req) => {
        authorize(req, 'webhook.org', { type: 'organization', id: req.params.id });
        return (await listSubscriptions(ctx, req.params.id)).map(subOut);
      },
    );

    app.post(
      '/orgs/:id/webhooks',
      {
        schema: {
          tags,
          summary: 'Subscribe for an organization (its admins, operators); the answer carries the secret, shown once',
          params: IdParams,
          body: SubscriptionIn,
          response: { 201: WithSecret, ...authErrors },
        },
      },
      async (req, reply) => {
        authorize(req, 'webhook.org', { type: 'organization', id: req.params.id });
        reply.code(201);
        return withSecret(await createSubscription(ctx, metaOf(req), req.params.id, req.body));
      },
    );

    app.delete(
      '/webhooks/:id',
      {
        schema: { tags, summary: 'Delete a subscription', params: IdParams, response: { 200: Ok, ...authErrors } },
      },
      async (req) => {
        const sub = await authorizeWebhook(ctx, req.actor, req.params.id);
        await deleteSubscription(ctx, metaOf(req), sub);
        return { ok: true as const };
      },
    );

    app.post(
      '/webhooks/:id/secret',
      {
        schema: {
          tags,
          summary:
            'Rotate the signing secret; the new one is shown once and signs every attempt from now on, the old one too during the overlap',
          params: IdParams,
          body: z.strictObject({
            overlapHours: z
              .number()
              .int()
              .min(0)
              .max(168)
              .default(24)
              .describe('How long the previous secret keeps signing beside the new one (0: stop at once)'),
          }),
          response: { 200: WithSecret, ...authErrors },
        },
      },
      async (req) => {
        const sub = await authorizeWebhook(ctx, req.actor, req.params.id);
        return withSecret(await rotateSecret(ctx, metaOf(req), sub, req.body.overlapHours));
      },
    );

    app.post(
      '/webhooks/:id/ping',
      {
        schema: {
          tags,
          summary: 'Send a test ping event to the subscription',
          params: IdParams,
          response: { 202: DeliveryOut, ...authErrors },
        },
      },
      async (req, reply) => {
        const sub = await authorizeWebhook(ctx, req.actor, req.params.id);
        reply.code(202);
        return deliveryOut(await sendPing(ctx, metaOf(req), sub));
      },
    );

    app.get(
      '/webhooks/:id/deliveries',
      {
        schema: {
          tags,
          summary: 'The delivery log, newest first: status, attempts, response codes and durations',
          params: IdParams,
          querystring: DeliveriesQuery,
          response: { 200: z.array(DeliveryOut), ...authErrors },
        },
      },
      async (req) => {
        const sub = await authorizeWebhook(ctx, req.actor, req.params.id);
        return (await listDeliveries(ctx, sub, req.query.limit)).map(deliveryOut);
      },
    );

    app.post(
      '/webhooks/:id/deliveries/:deliveryId/redeliver',
      {
        schema: {
          tags,
          summary: 'Send a finished delivery again (same event id and body, a fresh timestamp and signature)',
          params: DeliveryParams,
          response: { 202: DeliveryOut, 409: ProblemSchema, ...authErrors },
        },
      },
      async (req, reply) => {
        const sub = await authorizeWebhook(ctx, req.actor, req.params.id);
        reply.code(202);
        return deliveryOut(await redeliver(ctx, metaOf(req), sub, req.params.deliveryId));
      },
    );
  };
