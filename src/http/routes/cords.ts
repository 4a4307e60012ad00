// Parachute cords: a case's cords (set by the coordinator, acknowledged by every participant),
// signals reported by participants, and the feeds the operator has Village poll.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { type Cord, CordListSchema, RELEASE_DATE } from '../../domain/cords.ts';
import { FeedInputSchema } from '../../domain/feed-config.ts';
import { problems } from '../../problem.ts';
import { authorizeCase } from '../../services/case-access.ts';
import { acknowledgeCords, type CordsView, cordsView, reportSignal, setCords } from '../../services/cords.ts';
import { createFeed, deleteFeed, type FeedView, listFeeds, pollNow, updateFeed } from '../../services/feeds.ts';
import { authorize, metaOf } from '../auth.ts';
import { authErrors, IdParams, Ok, ProblemSchema, Timestamp } from '../schemas.ts';

const CordId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and dashes, up to 64');
const Action = z.enum(['release-now', 'open-next-tent', 'alert']);
const FeedRef = z.discriminatedUnion('source', [
  z.strictObject({ source: z.literal('kev') }),
  z.strictObject({ source: z.literal('osv') }),
  z.strictObject({ source: z.literal('rss'), url: z.url({ protocol: /^https?$/ }).max(2000) }),
]);
const Watch = z.strictObject({
  cveIds: z.array(z.string().min(1).max(50)).max(100).optional(),
  purls: z.array(z.string().min(1).max(1000)).max(100).optional(),
  keywords: z.array(z.string().min(1).max(200)).max(100).optional(),
  caseTerms: z.boolean().optional().describe("Also the case's own CVE ids, affected packages and keywords"),
});
const CordIn = z.discriminatedUnion('kind', [
  z.strictObject({ id: CordId, action: Action, kind: z.literal('exploit-public') }),
  z.strictObject({ id: CordId, action: Action, kind: z.literal('attacks-observed') }),
  z.strictObject({ id: CordId, action: Action, kind: z.literal('leak-detected') }),
  z.strictObject({
    id: CordId,
    action: Action,
    kind: z.literal('feed-match'),
    watch: Watch,
    feeds: z.array(FeedRef).min(1).max(50),
  }),
  z.strictObject({
    id: CordId,
    action: Action,
    kind: z.literal('date-reached'),
    at: z.union([z.literal(RELEASE_DATE), Timestamp]).describe('An instant, or "release-date": the embargo\'s release date'),
  }),
]);

const CordOut = z.object({
  id: z.string(),
  kind: z.enum(['exploit-public', 'attacks-observed', 'leak-detected', 'feed-match', 'date-reached']),
  action: Action,
  watch: z
    .object({ cveIds: z.array(z.string()), purls: z.array(z.string()), keywords: z.array(z.string()), caseTerms: z.boolean() })
    .optional(),
  feeds: z.array(z.object({ source: z.enum(['kev', 'osv', 'rss']), url: z.string().optional() })).optional(),
  at: z.string().optional(),
});
const cordOut = (c: Cord) =>
  c.kind === 'date-reached' ? { ...c, at: c.at === RELEASE_DATE ? RELEASE_DATE : c.at.toISOString() } : c;

const CordsOut = z.object({
  cords: z.array(CordOut),
  keywords: z.array(z.string()),
  setHash: z.string().describe('What an acknowledgement names: SHA-256 of the canonical cord set'),
  isDefault: z.boolean(),
  updatedAt: Timestamp.nullable(),
  acknowledgement: z.object({
    mine: z.object({ required: z.boolean(), acknowledgedAt: Timestamp.nullable() }),
    complete: z.boolean(),
    pendingCount: z.number().int().nullable().describe('How many have not acknowledged: the coordinator only'),
    organizations: z
      .array(z.object({ orgId: z.string(), name: z.string(), acknowledgedAt: Timestamp.nullable() }))
      .nullable()
      .describe('Who acknowledged: the coordinator only'),
  }),
  firings: z.array(
    z.object({
      cordId: z.string(),
      at: Timestamp,
      did: Action,
      note: z.string().nullable(),
      signal: z.object({ kind: z.string(), source: z.string() }).nullable(),
    }),
  ),
  signals: z
    .array(
      z.object({
        id: z.string(),
        kind: z.string(),
        at: Timestamp,
        orgId: z.string().nullable(),
        evidence: z.object({ text: z.string(), url: z.string().optional() }).nullable(),
      }),
    )
    .describe("Participants' signals with their evidence: all of them for the coordinator, its own for a participant"),
});
const cordsOut = (v: CordsView) => ({
  cords: v.cords.map(cordOut),
  keywords: v.keywords,
  setHash: v.hash,
  isDefault: v.isDefault,
  updatedAt: v.updatedAt?.toISOString() ?? null,
  acknowledgement: {
    ...v.acknowledgement,
    mine: { ...v.acknowledgement.mine, acknowledgedAt: v.acknowledgement.mine.acknowledgedAt?.toISOString() ?? null },
    organizations:
      v.acknowledgement.organizations?.map((o) => ({ ...o, acknowledgedAt: o.acknowledgedAt?.toISOString() ?? null })) ?? null,
  },
  firings: v.firings.map((f) => ({ ...f, at: f.at.toISOString() })),
  signals: v.signals.map((x) => ({ ...x, at: x.at.toISOString() })),
});

const FeedOut = z.object({
  id: z.string(),
  kind: z.enum(['kev', 'osv', 'rss']),
  name: z.string(),
  url: z.string().nullable(),
  path: z.string().nullable(),
  intervalSeconds: z.number().int(),
  keywords: z.array(z.string()),
  enabled: z.boolean(),
  fromEnv: z.boolean(),
  lastPolledAt: Timestamp.nullable(),
  lastError: z.string().nullable(),
  lastItems: z.number().int().nullable(),
});
const feedOut = (f: FeedView) => ({ ...f, lastPolledAt: f.lastPolledAt?.toISOString() ?? null });

export const cordRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['cords'];

    app.get(
      '/cases/:id/cords',
      {
        schema: {
          tags,
          summary: "The case's parachute cords, who has acknowledged them, and which have fired",
          params: IdParams,
          response: { 200: CordsOut, ...authErrors },
        },
      },
      async (req) => {
        const rel = await authorizeCase(ctx, req.actor, 'case.read', req.params.id);
        if (req.actor.type !== 'user') throw problems.unauthorized();
        return cordsOut(await cordsView(ctx, req.actor, rel));
      },
    );

    app.put(
      '/cases/:id/cords',
      {
        schema: {
          tags,
          summary: "Set the case's parachute cords (coordinator); every participant must acknowledge the new set",
          params: IdParams,
          body: z.strictObject({
            cords: z.array(CordIn).max(50),
            keywords: z
              .array(z.string().trim().min(2).max(200))
              .max(100)
              .default([])
              .describe('Words that name the case in feeds'),
          }),
          response: { 200: CordsOut, ...authErrors },
        },
      },
      async (req) => {
        const rel = await authorizeCase(ctx, req.actor, 'case.cords', req.params.id);
        if (req.actor.type !== 'user') throw problems.unauthorized();
        const parsed = CordListSchema.safeParse(req.body.cords);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw problems.badRequest('The cords are not valid.', [
            {
              field: `body.cords${issue?.path.length ? `.${issue.path.join('.')}` : ''}`,
              message: issue?.message ?? 'invalid cords',
            },
          ]);
        }
        await setCords(ctx, metaOf(req), req.actor, rel, { cords: parsed.data, keywords: req.body.keywords });
        return cordsOut(await cordsView(ctx, req.actor, rel));
      },
    );

    app.post(
      '/cases/:id/cords/ack',
      {
        schema: {
          tags,
          summary: 'Acknowledge the current cord set for my organization (name it by its setHash)',
          params: IdParams,
          body: z.strictObject({ setHash: z.string().regex(/^[0-9a-f]{64}$/) }),
          response: { 200: CordsOut, 409: ProblemSchema, ...authErrors },
        },
      },
      async (req) => {
        const rel = await authorizeCase(ctx, req.actor, 'case.cords.ack', req.params.id);
        if (req.actor.type !== 'user') throw problems.unauthorized();
        await acknowledgeCords(ctx, metaOf(req), req.actor, rel, req.body.setHash);
        return cordsOut(await cordsView(ctx, req.actor, rel));
      },
    );

    app.post(
      '/cases/:id/signals',
      {
        schema: {
          tags,
          summary: 'Report a signal with evidence: an exploit made public, attacks observed, a leak',
          params: IdParams,
          body: z.strictObject({
            kind: z.enum(['exploit-public', 'attacks-observed', 'leak-detected']),
            evidence: z.strictObject({
              text: z.string().trim().min(1).max(10_000),
              url: z
                .url({ protocol: /^https?$/ })
                .max(2000)
                .optional(),
            }),
          }),
          response: {
            201: z.object({
              signalId: z.string(),
              fired: z.array(z.object({ cordId: z.string(), did: Action })),
            }),
            ...authErrors,
          },
        },
      },
      async (req, reply) => {
        const rel = await authorizeCase(ctx, req.actor, 'case.signal', req.params.id);
        if (req.actor.type !== 'user') throw problems.unauthorized();
        const out = await reportSignal(ctx, metaOf(req), req.actor, rel, req.body);
        return reply.code(201).send(out as { signalId: string; fired: Array<{ cordId: string; did: 'alert' }> });
      },
    );

    // Feeds: the operator's
    const feedTags = ['feeds'];
    app.get(
      '/feeds',
      {
        schema: {
          tags: feedTags,
          summary: 'Feeds polled for signals (operators)',
          response: { 200: z.array(FeedOut), ...authErrors },
        },
      },
      async (req) => {
        authorize(req, 'feed.manage', { type: 'instance' });
        return (await listFeeds(ctx)).map(feedOut);
      },
    );

    app.post(
      '/feeds',
      {
        schema: {
          tags: feedTags,
          summary: 'Add a feed: CISA KEV JSON, OSV records or RSS/Atom, from an https URL or a local file (operators)',
          body: FeedInputSchema,
          response: { 201: FeedOut, ...authErrors },
        },
      },
      async (req, reply) => {
        authorize(req, 'feed.manage', { type: 'instance' });
        return reply.code(201).send(feedOut(await createFeed(ctx, metaOf(req), req.body)));
      },
    );

    app.put(
      '/feeds/:id',
      {
        schema: {
          tags: feedTags,
          summary: 'Change a feed (operators)',
          params: IdParams,
          body: FeedInputSchema,
          response: { 200: FeedOut, ...authErrors },
        },
      },
      async (req) => {
        authorize(req, 'feed.manage', { type: 'instance' });
        return feedOut(await updateFeed(ctx, metaOf(req), req.params.id, req.body));
      },
    );

    app.delete(
      '/feeds/:id',
      {
        schema: { tags: feedTags, summary: 'Remove a feed (operators)', params: IdParams, response: { 200: Ok, ...authErrors } },
      },
      async (req) => {
        authorize(req, 'feed.manage', { type: 'instance' });
        await deleteFeed(ctx, metaOf(req), req.params.id);
        return { ok: true as const };
      },
    );

    app.post(
      '/feeds/:id/poll',
      {
        schema: {
          tags: feedTags,
          summary: 'Poll a feed now (operators); the outcome shows on the feed',
          params: IdParams,
          response: { 200: Ok, ...authErrors },
        },
      },
      async (req) => {
        authorize(req, 'feed.manage', { type: 'instance' });
        await pollNow(ctx, metaOf(req), req.params.id);
        return { ok: true as const };
      },
    );
  };
