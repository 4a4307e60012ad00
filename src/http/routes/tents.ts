// A case's tents (who learns what, when), early openings, and the reader's briefing packet.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { caseCeiling } from '../../domain/policy.ts';
import { orgTentAccess, TentSpecListSchema, TLP_LABELS } from '../../domain/tents.ts';
import { problems } from '../../problem.ts';
import { buildBriefing, renderBriefingText } from '../../services/briefing.ts';
import { auditCaseRead, authorizeCase } from '../../services/case-access.ts';
import { watermarkFor } from '../../services/leak-tracing.ts';
import { listTents, openTentEarly, replaceTents, type TentView } from '../../services/tents.ts';
import { metaOf } from '../auth.ts';
import { authErrors, iso, isoOrNull, ProblemSchema, Timestamp } from '../schemas.ts';

const CaseParams = z.strictObject({ id: z.uuid() });
const TentParams = z.strictObject({ id: z.uuid(), tentId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/) });

const TentId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and dashes, up to 64');
const TentIn = z.strictObject({
  id: TentId,
  name: z.string().trim().min(1).max(200),
  members: z.strictObject({
    orgIds: z.array(z.uuid()).max(10_000).describe('Organizations in the tent by id'),
    tiers: z
      .array(z.string().min(1).max(100))
      .max(100)
      .describe(
        'Community tiers or functions (fix-provider, enabler, affinity-group, protection-vendor, government-cert[:CC]); "*" is everyone in the case',
      ),
  }),
  opens: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('absolute'), at: Timestamp }),
    z.strictObject({
      kind: z.literal('relative'),
      offsetDays: z.number().int().min(-366).max(0).describe('Days from the release date; −14 = two weeks before'),
    }),
    z.strictObject({ kind: z.literal('immediately') }),
  ]),
  tlpCeiling: z.enum(TLP_LABELS),
  artifacts: z.union([z.literal('all'), z.array(z.uuid()).max(10_000)]),
});

const TentOut = z.object({
  id: z.string(),
  name: z.string(),
  members: z.object({ orgIds: z.array(z.string()), tiers: z.array(z.string()) }),
  opens: z.union([
    z.object({ kind: z.literal('absolute'), at: Timestamp }),
    z.object({ kind: z.literal('relative'), offsetDays: z.number().int() }),
    z.object({ kind: z.literal('immediately') }),
  ]),
  tlpCeiling: z.enum(TLP_LABELS),
  artifacts: z.union([z.literal('all'), z.array(z.string())]),
  openedAt: Timestamp.nullable(),
  openedEarly: z.object({ at: Timestamp, by: z.string(), reason: z.string() }).nullable(),
  scheduledAt: Timestamp.nullable().describe('When a closed tent is due to open; null while it has no time'),
});
const tentOut = (t: TentView) => ({
  ...t,
  opens: t.opens.kind === 'absolute' ? { kind: 'absolute' as const, at: iso(t.opens.at) } : t.opens,
  openedAt: isoOrNull(t.openedAt),
  openedEarly: t.openedEarly ? { ...t.openedEarly, at: iso(t.openedEarly.at) } : null,
  scheduledAt: isoOrNull(t.scheduledAt),
});

export const tentRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['tents'];

    app.get(
      '/cases/:id/tents',
      {
        schema: {
          tags,
          summary: "The case's tents: all of them with their schedule for the coordinator; a participant's own open tents",
          params: CaseParams,
          response: { 200: z.array(TentOut), ...authErrors },
        },
      },
      async (req) => {
        const rel = await authorizeCase(ctx, req.actor, 'case.read', req.params.id);
        if (req.actor.type !== 'user') return [];
        return (await listTents(ctx, req.actor, rel)).map(tentOut);
      },
    );

    app.put(
      '/cases/:id/tents',
      {
        schema: {
          tags,
          summary: "Set the case's tents (coordinator); open tents stay open, closed ones take their new schedule",
          params: CaseParams,
          body: z.strictObject({ tents: z.array(TentIn).max(100) }),
          response: { 200: z.array(TentOut), 409: ProblemSchema, ...authErrors },
        },
      },
      async (req) => {
        const rel = await authorizeCase(ctx, req.actor, 'case.manage', req.params.id);
        const parsed = TentSpecListSchema.safeParse(req.body.tents);
        if (!parsed.success) {
          throw problems.badRequest('Tent ids must be unique.', [
            { field: 'body.tents', message: parsed.error.issues[0]?.message ?? 'invalid tents' },
          ]);
        }
        return (await replaceTents(ctx, metaOf(req), rel, parsed.data)).map(tentOut);
      },
    );

    app.post(
      '/cases/:id/tents/:tentId/open',
      {
        schema: {
          tags,
          summary: 'Open a tent before its time (coordinator), with a reason',
          params: TentParams,
          body: z.strictObject({ reason: z.string().trim().min(1).max(2000) }),
          response: { 200: z.array(TentOut), 409: ProblemSchema, ...authErrors },
        },
      },
      async (req) => {
        const rel = await authorizeCase(ctx, req.actor, 'case.manage', req.params.id);
        if (req.actor.type !== 'user') return [];
        return (await openTentEarly(ctx, metaOf(req), req.actor, rel, req.params.tentId, req.body.reason)).map(tentOut);
      },
    );

    app.get(
      '/cases/:id/briefing',
      {
        schema: {
          tags,
          summary: 'My briefing packet: the case as my tents let me see it, to get up to speed',
          params: CaseParams,
          response: { 200: z.object({ packet: z.record(z.string(), z.unknown()), text: z.string() }), ...authErrors },
        },
      },
      async (req) => {
        const rel = await authorizeCase(ctx, req.actor, 'case.read', req.params.id);
        const actor = req.actor;
        if (actor.type !== 'user') return { packet: {}, text: '' };
        const now = ctx.clock.now();
        const ceiling = caseCeiling(actor, rel) ?? 'CLEAR';
        // Without tents (or for the coordinator) one synthetic grant stands for the participant ceiling.
        const access =
          rel.gate?.tents && actor.orgId !== rel.coordinatorOrgId
            ? rel.gate.tents
            : orgTentAccess(
                actor.orgId,
                [],
                [
                  {
                    spec: {
                      id: 'case',
                      name: 'case',
                      members: { orgIds: [actor.orgId], tiers: [] },
                      opens: { kind: 'immediately' },
                      tlpCeiling: ceiling,
                      artifacts: 'all',
                    },
                    state: { openedAt: now },
                  },
                ],
                now,
                { ejected: false, suspended: false },
              );
        // The text carries the organization's fingerprint (docs/leak-tracing.md).
        const { packet, mark } = await ctx.db.transaction().execute(async (trx) => ({
          packet: await buildBriefing(ctx, trx, rel.caseId, actor.orgId, access, ceiling, now),
          mark: await watermarkFor(ctx, trx, rel.caseId, actor.orgId, 'briefing'),
        }));
        await auditCaseRead(ctx, metaOf(req), rel.caseId, 'briefing');
        return { packet: packet as unknown as Record<string, unknown>, text: renderBriefingText(packet, mark) };
      },
    );
  };
