// Trust communities: settings, stewards, the NDA and its acceptances, and the membership
// lifecycle. Every route asks the policy module through authorizeCommunity().
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import {
  AdmissionRuleSchema,
  CommunitySettingsSchema,
  EmbargoBoundsSchema,
  GovCertPolicySchema,
  MEMBERSHIP_EVENTS,
  MEMBERSHIP_STATES,
  NdaHashSchema,
  TierSchema,
} from '../../domain/community.ts';
import type { Action } from '../../domain/policy.ts';
import { problems } from '../../problem.ts';
import {
  acceptNda,
  authorizeCommunity,
  type CommunityView,
  createCommunity,
  getCommunity,
  getMembership,
  getNda,
  listAcceptances,
  listCommunities,
  listMembers,
  listStewards,
  MEMBER_FUNCTIONS,
  type MembershipRecord,
  membershipAction,
  publishNda,
  setSteward,
  updateCommunity,
  updateMember,
} from '../../services/communities.ts';
import { communityExposure, standingEffect } from '../../services/standing.ts';
import { authorize, metaOf } from '../auth.ts';
import { authErrors, iso, isoOrNull, NOTHING_TO_CHANGE, nonEmpty, Ok, ProblemSchema, Slug, Timestamp } from '../schemas.ts';

const CommunityParams = z.strictObject({ id: z.uuid() });
const MemberParams = z.strictObject({ id: z.uuid(), orgId: z.uuid() });
const StewardParams = z.strictObject({ id: z.uuid(), userId: z.uuid() });
const NdaParams = z.strictObject({ id: z.uuid(), version: z.coerce.number().int().min(1).max(1_000_000) });
const MemberFunction = z.enum(MEMBER_FUNCTIONS);

const CommunityOut = z.object({
  id: z.uuid(),
  slug: z.string(),
  name: z.string(),
  charter: z.string(),
  tiers: z.array(z.string()),
  embargo: z.object({ defaultDays: z.number().int(), maxDays: z.number().int() }),
  admission: z
    .unknown()
    .describe('The admission rule: {kind: "sponsors", sponsors, stewardApproval} or {kind: "steward-vote", quorum}'),
  governmentCerts: z
    .unknown()
    .describe('Which government CERTs are told ({certs: [{kind: "org"|"country", …}]}) and when ({notify})'),
  nda: z.object({ version: z.number().int(), hash: z.string(), publishedAt: Timestamp }).nullable(),
  members: z.number().int(),
  createdAt: Timestamp,
});
const communityOut = (c: CommunityView) => ({
  ...c,
  nda: c.nda ? { ...c.nda, publishedAt: iso(c.nda.publishedAt) } : null,
  createdAt: iso(c.createdAt),
});

const MemberOut = z.object({
  orgId: z.uuid(),
  orgName: z.string(),
  state: z.enum(MEMBERSHIP_STATES),
  tier: z.string().nullable(),
  functions: z.array(z.string()),
  since: Timestamp.nullable(),
  updatedAt: Timestamp,
});
const MembershipOut = z.object({
  member: MemberOut.nullable(),
  history: z.array(
    z.object({
      type: z.enum(MEMBERSHIP_EVENTS),
      to: z.enum(MEMBERSHIP_STATES),
      at: Timestamp,
      byUserId: z.uuid(),
      byOrgId: z.uuid(),
      reason: z.string().nullable(),
      vote: z.enum(['yes', 'no']).nullable(),
      derived: z.boolean().describe('An admission completed by this step satisfying the rule'),
    }),
  ),
  admission: z.object({ satisfied: z.boolean(), missing: z.array(z.string()) }).nullable(),
});
const memberOut = (m: Awaited<ReturnType<typeof listMembers>>[number]) => ({
  ...m,
  since: isoOrNull(m.since),
  updatedAt: iso(m.updatedAt),
});
const membershipOut = (r: MembershipRecord) => ({
  member: r.member ? memberOut(r.member) : null,
  history: r.history.map((h) => ({ ...h, at: iso(h.at) })),
  admission: r.admission,
});
const NdaOut = z.object({
  version: z.number().int(),
  text: z.string(),
  hash: z.string().describe('SHA-256 of the NFC-normalized text with LF line ends, lower-case hex'),
  publishedAt: Timestamp,
  acceptedAt: Timestamp.nullable().describe('When the signed-in user accepted this version'),
});

/** Which policy action a membership step needs: the applicant's own steps, sponsorship, or a steward's. */
function membershipActionFor(type: (typeof MEMBERSHIP_EVENTS)[number]): Action {
  if (type === 'apply') return 'community.apply';
  if (type === 'sponsor') return 'community.sponsor';
  return 'community.manage';
}

export const communityRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['communities'];

    app.get(
      '/communities',
      {
        schema: {
          tags,
          summary: 'Trust communities (names, charters, rules)',
          response: { 200: z.array(CommunityOut), ...authErrors },
        },
      },
      async (req) => {
        authorize(req, 'community.list', { type: 'instance' });
        return (await listCommunities(ctx)).map(communityOut);
      },
    );

    app.post(
      '/communities',
      {
        schema: {
          tags,
          summary: 'Create a community (operators), with its first stewards',
          body: z.strictObject({
            slug: Slug,
            name: z.string().trim().min(1).max(200),
            settings: CommunitySettingsSchema,
            stewardUserIds: z.array(z.uuid()).min(1).max(50),
            founderOrgIds: z
              .array(z.uuid())
              .max(500)
              .optional()
              .describe('Organizations admitted at creation (in the most trusted tier), so that others have sponsors'),
          }),
          response: { 201: CommunityOut, 409: ProblemSchema, ...authErrors },
        },
      },
      async (req, reply) => {
        authorize(req, 'community.create', { type: 'instance' });
        reply.code(201);
        return communityOut(await createCommunity(ctx, metaOf(req), req.body));
      },
    );

    app.get(
      '/communities/:id',
      { schema: { tags, summary: 'A community', params: CommunityParams, response: { 200: CommunityOut, ...authErrors } } },
      async (req) => {
        await authorizeCommunity(ctx, req.actor, 'community.read', req.params.id);
        return communityOut(await getCommunity(ctx.db, req.params.id));
      },
    );

    app.patch(
      '/communities/:id',
      {
        schema: {
          tags,
          summary: "Change a community's settings (stewards)",
          params: CommunityParams,
          body: z
            .strictObject({
              name: z.string().trim().min(1).max(200).optional(),
              charter: z.string().trim().min(1).max(100_000).optional(),
              tiers: z
                .array(TierSchema)
                .min(1)
                .max(20)
                .refine((t) => new Set(t).size === t.length, { message: 'tiers must be distinct' })
                .optional(),
              embargo: EmbargoBoundsSchema.optional(),
              admission: AdmissionRuleSchema.optional(),
              governmentCerts: GovCertPolicySchema.optional(),
            })
            .refine(nonEmpty, NOTHING_TO_CHANGE),
          response: { 200: CommunityOut, 409: ProblemSchema, ...authErrors },
        },
      },
      async (req) => {
        await authorizeCommunity(ctx, req.actor, 'community.manage', req.params.id);
        return communityOut(await updateCommunity(ctx, metaOf(req), req.params.id, req.body));
      },
    );

    app.get(
      '/communities/:id/stewards',
      {
        schema: {
          tags,
          summary: "The community's stewards",
          params: CommunityParams,
          response: {
            200: z.array(
              z.object({ userId: z.uuid(), displayName: z.string(), orgId: z.uuid(), orgName: z.string(), addedAt: Timestamp }),
            ),
            ...authErrors,
          },
        },
      },
      async (req) => {
        await authorizeCommunity(ctx, req.actor, 'community.read', req.params.id);
        return (await listStewards(ctx.db, req.params.id)).map((s) => ({ ...s, addedAt: iso(s.addedAt) }));
      },
    );

    app.put(
      '/communities/:id/stewards/:userId',
      {
        schema: {
          tags,
          summary: 'Make a user a steward (stewards)',
          params: StewardParams,
          response: { 200: Ok, ...authErrors },
        },
      },
      async (req) => {
        await authorizeCommunity(ctx, req.actor, 'community.manage', req.params.id);
        await setSteward(ctx, metaOf(req), req.params.id, req.params.userId, true);
        return { ok: true as const };
      },
    );

    app.delete(
      '/communities/:id/stewards/:userId',
      {
        schema: {
          tags,
          summary: 'Remove a steward (stewards; one always remains)',
          params: StewardParams,
          response: { 200: Ok, 409: ProblemSchema, ...authErrors },
        },
      },
      async (req) => {
        await authorizeCommunity(ctx, req.actor, 'community.manage', req.params.id);
        await setSteward(ctx, metaOf(req), req.params.id, req.params.userId, false);
        return { ok: true as const };
      },
    );

    app.get(
      '/communities/:id/nda',
      {
        schema: {
          tags,
          summary: 'The current NDA, and whether I accepted it',
          params: CommunityParams,
          response: { 200: NdaOut, ...authErrors },
        },
      },
      async (req) => {
        const { actor } = await authorizeCommunity(ctx, req.actor, 'community.read', req.params.id);
        const n = await getNda(ctx.db, req.params.id, actor.userId);
        return { ...n, publishedAt: iso(n.publishedAt), acceptedAt: isoOrNull(n.acceptedAt) };
      },
    );

    app.post(
      '/communities/:id/nda',
      {
        schema: {
          tags,
          summary: 'Publish a new NDA version (stewards); every user must accept it before their next read',
          params: CommunityParams,
          body: z.strictObject({ text: z.string().min(1).max(200_000) }),
          response: { 201: NdaOut, 409: ProblemSchema, ...authErrors },
        },
      },
      async (req, reply) => {
        await authorizeCommunity(ctx, req.actor, 'community.manage', req.params.id);
        const n = await publishNda(ctx, metaOf(req), req.params.id, req.body.text);
        reply.code(201);
        return { ...n, publishedAt: iso(n.publishedAt), acceptedAt: null };
      },
    );

    app.post(
      '/communities/:id/nda/:version/accept',
      {
        schema: {
          tags,
          summary: 'Accept an NDA version (a signed-in person, echoing the hash of the text shown)',
          params: NdaParams,
          body: z.strictObject({ hash: NdaHashSchema }),
          response: { 200: NdaOut, 409: ProblemSchema, ...authErrors },
        },
      },
      async (req) => {
        const { actor } = await authorizeCommunity(ctx, req.actor, 'community.accept', req.params.id);
        const n = await acceptNda(ctx, metaOf(req), actor, req.params.id, req.params.version, req.body.hash);
        return { ...n, publishedAt: iso(n.publishedAt), acceptedAt: isoOrNull(n.acceptedAt) };
      },
    );

    app.get(
      '/communities/:id/nda/acceptances',
      {
        schema: {
          tags,
          summary: 'Who accepted which NDA version, when (stewards)',
          params: CommunityParams,
          response: {
            200: z.array(
              z.object({
                version: z.number().int(),
                hash: z.string(),
                acceptedAt: Timestamp,
                userId: z.uuid(),
                displayName: z.string(),
                orgId: z.uuid(),
                orgName: z.string(),
              }),
            ),
            ...authErrors,
          },
        },
      },
      async (req) => {
        await authorizeCommunity(ctx, req.actor, 'community.manage', req.params.id);
        return (await listAcceptances(ctx.db, req.params.id)).map((a) => ({ ...a, acceptedAt: iso(a.acceptedAt) }));
      },
    );

    app.get(
      '/communities/:id/members',
      {
        schema: {
          tags,
          summary:
            'Members and applicants (stewards see all; admitted members see admitted members, and their admins open applications, to sponsor them)',
          params: CommunityParams,
          response: { 200: z.array(MemberOut), ...authErrors },
        },
      },
      async (req) => {
        const { actor, relation } = await authorizeCommunity(ctx, req.actor, 'community.members', req.params.id);
        const all = await listMembers(ctx.db, req.params.id);
        // The admins of admitted members also see open applications: they are the ones who sponsor.
        const sponsors = actor.orgRole === 'admin' && relation.orgState === 'admitted';
        const open = (state: string) => state === 'applied' || state === 'sponsored';
        return all.filter((m) => relation.isSteward || m.state === 'admitted' || (sponsors && open(m.state))).map(memberOut);
      },
    );

    app.get(
      '/communities/:id/members/:orgId',
      {
        schema: {
          tags,
          summary: "An organization's membership and its recorded history (stewards, and the organization itself)",
          params: MemberParams,
          response: { 200: MembershipOut, ...authErrors },
        },
      },
      async (req) => {
        const { actor, relation } = await authorizeCommunity(ctx, req.actor, 'community.read', req.params.id);
        // A membership is the business of the community's stewards and of the organization itself.
        if (!relation.isSteward && actor.orgId !== req.params.orgId) throw problems.notFound('member');
        return membershipOut(await getMembership(ctx, req.params.id, req.params.orgId));
      },
    );

    app.post(
      '/communities/:id/members/:orgId/events',
      {
        schema: {
          tags,
          summary: 'A membership step: apply, sponsor, approve, vote, admit, suspend, reinstate, eject, readmit',
          description:
            'apply: an admin of the organization itself. sponsor: an admin of an admitted member. The rest: stewards ' +
            '(readmit also by the organization). suspend and eject need a reason and take effect on the next request.',
          params: MemberParams,
          body: z.strictObject({
            type: z.enum(MEMBERSHIP_EVENTS),
            reason: z.string().trim().min(1).max(2000).optional(),
            vote: z.enum(['yes', 'no']).optional(),
          }),
          response: { 200: MembershipOut, 409: ProblemSchema, ...authErrors },
        },
      },
      async (req) => {
        const type = req.body.type;
        // readmit may come from the organization itself (its admin) or from a steward.
        const action =
          type === 'readmit' && req.actor.type === 'user' && req.actor.orgId === req.params.orgId
            ? 'community.apply'
            : membershipActionFor(type);
        const { actor } = await authorizeCommunity(ctx, req.actor, action, req.params.id);
        if (type === 'apply' && actor.orgId !== req.params.orgId) throw problems.forbidden('An organization applies for itself.');
        const r = await membershipAction(ctx, metaOf(req), actor, req.params.id, req.params.orgId, req.body, standingEffect(ctx));
        return membershipOut(r);
      },
    );

    app.patch(
      '/communities/:id/members/:orgId',
      {
        schema: {
          tags,
          summary: "Set a member's trust tier and functions (stewards)",
          params: MemberParams,
          body: z
            .strictObject({ tier: TierSchema.nullable().optional(), functions: z.array(MemberFunction).max(10).optional() })
            .refine(nonEmpty, NOTHING_TO_CHANGE),
          response: { 200: MemberOut, ...authErrors },
        },
      },
      async (req) => {
        await authorizeCommunity(ctx, req.actor, 'community.manage', req.params.id);
        return memberOut(await updateMember(ctx, metaOf(req), req.params.id, req.params.orgId, req.body));
      },
    );

    app.get(
      '/communities/:id/members/:orgId/exposure',
      {
        schema: {
          tags,
          summary:
            "What an organization has seen of the community's cases: reads from the audit log, briefing packets (stewards)",
          params: MemberParams,
          response: {
            200: z.array(
              z.object({
                caseId: z.uuid(),
                ref: z.string(),
                participantSince: Timestamp,
                reads: z.array(z.object({ part: z.string(), count: z.number().int(), first: z.string(), last: z.string() })),
                briefings: z.array(z.object({ tentId: z.string(), at: Timestamp })),
              }),
            ),
            ...authErrors,
          },
        },
      },
      async (req) => {
        await authorizeCommunity(ctx, req.actor, 'community.manage', req.params.id);
        const x = await communityExposure(ctx.db, req.params.id, req.params.orgId);
        return x.map((c) => ({
          ...c,
          participantSince: iso(c.participantSince),
          briefings: c.briefings.map((b) => ({ tentId: b.tentId, at: iso(b.at) })),
        }));
      },
    );
  };
