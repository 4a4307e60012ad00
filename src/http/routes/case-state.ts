// A case's embargo negotiation (Vultron EM), its case state (CS flags) and the desiderata table.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { EmbargoView } from '../../domain/vultron/index.ts';
import { TERMINATION_REASONS } from '../../domain/vultron/index.ts';
import { problems } from '../../problem.ts';
import { auditCaseRead, authorizeCase } from '../../services/case-access.ts';
import { caseDesiderata, setPublicFlag, setVendorFlag } from '../../services/case-state.ts';
import { actOnEmbargo, embargoView } from '../../services/embargo.ts';
import { authorize, metaOf } from '../auth.ts';
import { authErrors, isoOrNull, ProblemSchema, Timestamp } from '../schemas.ts';

const CaseParams = z.strictObject({ id: z.uuid() });
const ProposalParams = z.strictObject({ id: z.uuid(), proposalId: z.uuid() });

const ProposalOut = z.object({
  id: z.string(),
  kind: z.enum(['proposal', 'revision']),
  proposer: z.string(),
  proposedAt: Timestamp,
  releaseAt: Timestamp,
  status: z.string(),
  decidedAt: Timestamp.nullable(),
  acceptedBy: z.array(z.string()),
  rejectedBy: z.array(z.string()),
  responses: z.array(
    z.object({
      participant: z.string(),
      decision: z.enum(['accepted', 'rejected']),
      at: Timestamp,
      reason: z.string().optional(),
    }),
  ),
});
const EmbargoOut = z.object({
  state: z.enum(['N', 'P', 'A', 'R', 'X']),
  history: z.string().describe("EM transitions taken, in Vultron's shorthand"),
  releaseAt: Timestamp.nullable(),
  active: ProposalOut.nullable(),
  pending: ProposalOut.nullable(),
  proposals: z.array(ProposalOut),
  consent: z.record(z.string(), z.object({ state: z.string(), terms: z.string().nullable(), since: Timestamp.nullable() })),
  termination: z
    .object({ by: z.string(), at: Timestamp, reason: z.string(), detail: z.string().nullable(), early: z.boolean() })
    .nullable(),
});

type Proposal = NonNullable<EmbargoView['active']>;
const proposalOut = (p: Proposal) => ({
  id: p.id,
  kind: p.kind,
  proposer: p.proposer,
  proposedAt: p.proposedAt.toISOString(),
  releaseAt: p.releaseAt.toISOString(),
  status: p.status,
  decidedAt: isoOrNull(p.decidedAt),
  acceptedBy: p.acceptedBy,
  rejectedBy: p.rejectedBy,
  responses: p.responses.map((r) => ({
    participant: r.participant,
    decision: r.decision,
    at: r.at.toISOString(),
    ...(r.reason ? { reason: r.reason } : {}),
  })),
});
export const embargoOut = (v: EmbargoView) => ({
  state: v.state,
  history: v.history,
  releaseAt: isoOrNull(v.releaseAt),
  active: v.active ? proposalOut(v.active) : null,
  pending: v.pending ? proposalOut(v.pending) : null,
  proposals: v.proposals.map(proposalOut),
  consent: Object.fromEntries(
    Object.entries(v.consent).map(([k, c]) => [k, { state: c.state, terms: c.terms, since: isoOrNull(c.since) }]),
  ),
  termination: v.termination ? { ...v.termination, at: v.termination.at.toISOString() } : null,
});

export const caseStateRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['embargo'];
    const respond = { 200: EmbargoOut, 409: ProblemSchema, ...authErrors };

    app.get(
      '/cases/:id/embargo',
      {
        schema: {
          tags,
          summary: 'The embargo: state, release date and the whole negotiation',
          params: CaseParams,
          response: { 200: EmbargoOut, ...authErrors },
        },
      },
      async (req) => {
        await authorizeCase(ctx, req.actor, 'case.read', req.params.id);
        await auditCaseRead(ctx, metaOf(req), req.params.id, 'embargo');
        return embargoOut(await embargoView(ctx, req.params.id));
      },
    );

    app.post(
      '/cases/:id/embargo/proposals',
      {
        schema: {
          tags,
          summary: "Propose a release date (or a revision of the active one); defaults to the community's default embargo",
          params: CaseParams,
          body: z.strictObject({ releaseAt: Timestamp.optional() }).default({}),
          response: respond,
        },
      },
      async (req) => {
        const actor = authorize(req, 'case.list', { type: 'instance' });
        const rel = await authorizeCase(ctx, actor, 'case.participate', req.params.id);
        const releaseAt = req.body.releaseAt ? new Date(req.body.releaseAt) : undefined;
        return embargoOut(await actOnEmbargo(ctx, metaOf(req), actor, rel, { type: 'propose', releaseAt }));
      },
    );

    app.post(
      '/cases/:id/embargo/proposals/:proposalId/accept',
      {
        schema: {
          tags,
          summary: "Accept proposed terms (the coordinator's acceptance makes them active)",
          params: ProposalParams,
          response: respond,
        },
      },
      async (req) => {
        const actor = authorize(req, 'case.list', { type: 'instance' });
        const rel = await authorizeCase(ctx, actor, 'case.participate', req.params.id);
        return embargoOut(
          await actOnEmbargo(ctx, metaOf(req), actor, rel, { type: 'accept', proposalId: req.params.proposalId }),
        );
      },
    );

    app.post(
      '/cases/:id/embargo/proposals/:proposalId/reject',
      {
        schema: {
          tags,
          summary: 'Reject proposed terms, saying why',
          params: ProposalParams,
          body: z.strictObject({ reason: z.string().trim().min(1).max(2000).optional() }).default({}),
          response: respond,
        },
      },
      async (req) => {
        const actor = authorize(req, 'case.list', { type: 'instance' });
        const rel = await authorizeCase(ctx, actor, 'case.participate', req.params.id);
        return embargoOut(
          await actOnEmbargo(ctx, metaOf(req), actor, rel, {
            type: 'reject',
            proposalId: req.params.proposalId,
            reason: req.body.reason,
          }),
        );
      },
    );

    app.post(
      '/cases/:id/embargo/terminate',
      {
        schema: {
          tags,
          summary: 'End the embargo early, saying why (coordinator)',
          params: CaseParams,
          body: z.strictObject({ reason: z.enum(TERMINATION_REASONS), detail: z.string().trim().min(1).max(2000).optional() }),
          response: respond,
        },
      },
      async (req) => {
        const actor = authorize(req, 'case.list', { type: 'instance' });
        const rel = await authorizeCase(ctx, actor, 'case.manage', req.params.id);
        return embargoOut(
          await actOnEmbargo(ctx, metaOf(req), actor, rel, {
            type: 'terminate',
            reason: req.body.reason,
            detail: req.body.detail,
          }),
        );
      },
    );

    app.post(
      '/cases/:id/state',
      {
        schema: {
          tags: ['cases'],
          summary:
            'Record a Vultron case-state event: V, F or D for a vendor (its own, or any as coordinator); P, X or A for the case (coordinator)',
          params: CaseParams,
          body: z.strictObject({ event: z.enum(['V', 'F', 'D', 'P', 'X', 'A']), orgId: z.uuid().optional() }),
          response: { 200: z.object({ state: z.string() }), 409: ProblemSchema, ...authErrors },
        },
      },
      async (req) => {
        const actor = authorize(req, 'case.list', { type: 'instance' });
        const { event, orgId } = req.body;
        if (event === 'P' || event === 'X' || event === 'A') {
          const rel = await authorizeCase(ctx, actor, 'case.manage', req.params.id);
          return { state: await setPublicFlag(ctx, metaOf(req), rel, event) };
        }
        const rel = await authorizeCase(ctx, actor, 'case.state', req.params.id);
        const target = orgId ?? actor.orgId;
        if (target !== actor.orgId && actor.orgId !== rel.coordinatorOrgId)
          throw problems.forbidden('Vendors record their own fix status.');
        return { state: await setVendorFlag(ctx, metaOf(req), rel, target, event) };
      },
    );

    app.get(
      '/cases/:id/desiderata',
      {
        schema: {
          tags: ['cases'],
          summary:
            "The case history scored against Vultron's desiderata (vendor aware before public, fix ready before public, …)",
          params: CaseParams,
          response: {
            200: z.object({
              rows: z.array(
                z.object({
                  id: z.string(),
                  description: z.string(),
                  scope: z.enum(['participant', 'case']),
                  participant: z.string().nullable(),
                  status: z.enum(['met', 'missed', 'undetermined']),
                  beforeAt: Timestamp.nullable(),
                  afterAt: Timestamp.nullable(),
                  simultaneous: z.boolean(),
                }),
              ),
              summary: z.array(
                z.object({ id: z.string(), met: z.number().int(), missed: z.number().int(), undetermined: z.number().int() }),
              ),
            }),
            ...authErrors,
          },
        },
      },
      async (req) => {
        await authorizeCase(ctx, req.actor, 'case.read', req.params.id);
        await auditCaseRead(ctx, metaOf(req), req.params.id, 'desiderata');
        const score = await caseDesiderata(ctx, req.params.id);
        if (!score.ok) throw problems.conflict(score.reason);
        return {
          rows: score.rows.map((r) => ({
            id: r.id,
            description: r.description,
            scope: r.scope,
            participant: r.participant,
            status: r.status,
            beforeAt: isoOrNull(r.beforeAt),
            afterAt: isoOrNull(r.afterAt),
            simultaneous: r.simultaneous,
          })),
          summary: score.summary,
        };
      },
    );
  };
