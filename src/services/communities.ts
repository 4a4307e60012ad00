// Trust communities: settings, stewards, the versioned NDA and its acceptances, and each
// organization's membership, moved one recorded step at a time by the domain reducer
// (src/domain/community.ts). Callers have been authorized by the policy module.
import type { Kysely } from 'kysely';
import type { AppContext, RequestMeta } from '../context.ts';
import { actorIds } from '../context.ts';
import {
  type AdmissionRule,
  AdmissionRuleSchema,
  admissionProgress,
  type CommunityRoster,
  type CommunitySettings,
  type GovCertPolicy,
  GovCertPolicySchema,
  type Membership,
  type MembershipEventType,
  type MembershipState,
  membershipStep,
  ndaVersion,
} from '../domain/community.ts';
import { type Action, type Actor, type CommunityRelation, decide, scopeDecision, type UserActor } from '../domain/policy.ts';
import { problems } from '../problem.ts';
import type { DB } from '../store/schema.ts';
import { auditObject } from './audit-log.ts';

/** What a member does; tents may name these instead of organizations (src/domain/tents.ts). */
export const MEMBER_FUNCTIONS = ['fix-provider', 'enabler', 'affinity-group', 'protection-vendor', 'government-cert'] as const;

/** An audit entry about a community. */
function audit(
  ctx: AppContext,
  trx: Kysely<DB>,
  meta: RequestMeta,
  action: string,
  communityId: string,
  details?: Record<string, unknown>,
  subjectOrgId?: string | null,
): Promise<void> {
  return auditObject(ctx, trx, meta, { type: 'community', id: communityId }, action, details, subjectOrgId);
}

// ---------------------------------------------------------------------------------------------
// Access

export async function loadCommunityRelation(
  db: Kysely<DB>,
  communityId: string,
  who: { userId: string; orgId: string },
): Promise<CommunityRelation | undefined> {
  const c = await db.selectFrom('communities').select('id').where('id', '=', communityId).executeTakeFirst();
  if (!c) return undefined;
  const [steward, member] = [
    await db
      .selectFrom('community_stewards')
      .select('user_id')
      .where('community_id', '=', communityId)
      .where('user_id', '=', who.userId)
      .executeTakeFirst(),
    await db
      .selectFrom('community_members')
      .select('state')
      .where('community_id', '=', communityId)
      .where('org_id', '=', who.orgId)
      .executeTakeFirst(),
  ];
  return { communityId, isSteward: steward !== undefined, orgState: member?.state ?? null };
}

/** Authorizes an action on a community; an unknown community is a 404. */
export async function authorizeCommunity(
  ctx: AppContext,
  actor: Actor,
  action: Action,
  communityId: string,
): Promise<{ actor: UserActor; relation: CommunityRelation }> {
  if (actor.type !== 'user') throw actor.type === 'anonymous' ? problems.unauthorized() : problems.notFound('community');
  const scoped = scopeDecision(actor, action);
  if (!scoped.allow) throw problems.forbidden(scoped.reason);
  const relation = await loadCommunityRelation(ctx.db, communityId, actor);
  if (!relation) throw problems.notFound('community');
  const d = decide(actor, action, { type: 'community', relation });
  if (!d.allow) throw d.reveal ? problems.forbidden(d.reason) : problems.notFound('community');
  return { actor, relation };
}

// ---------------------------------------------------------------------------------------------
// Communities

export interface CommunityView {
  id: string;
  slug: string;
  name: string;
  charter: string;
  tiers: string[];
  embargo: { defaultDays: number; maxDays: number };
  admission: AdmissionRule;
  governmentCerts: GovCertPolicy;
  nda: { version: number; hash: string; publishedAt: Date } | null;
  members: number;
  createdAt: Date;
}

export async function listCommunities(ctx: AppContext): Promise<CommunityView[]> {
  const rows = await ctx.db.selectFrom('communities').select('id').orderBy('name').execute();
  const out: CommunityView[] = [];
  for (const r of rows) out.push(await getCommunity(ctx.db, r.id));
  return out;
}

export async function getCommunity(db: Kysely<DB>, id: string): Promise<CommunityView> {
  const c = await db.selectFrom('communities').selectAll().where('id', '=', id).executeTakeFirst();
  if (!c) throw problems.notFound('community');
  const nda = await db
    .selectFrom('nda_versions')
    .select(['version', 'hash', 'published_at'])
    .where('community_id', '=', id)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  const members = await db
    .selectFrom('community_members')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('community_id', '=', id)
    .where('state', '=', 'admitted')
    .executeTakeFirstOrThrow();
  return {
    id: c.id,
    slug: c.slug,
    name: c.name,
    charter: c.charter,
    tiers: c.tiers,
    embargo: { defaultDays: c.default_embargo_days, maxDays: c.max_embargo_days },
    admission: AdmissionRuleSchema.parse(c.admission),
    governmentCerts: GovCertPolicySchema.parse(c.government_certs),
    nda: nda ? { version: nda.version, hash: nda.hash, publishedAt: nda.published_at } : null,
    members: Number(members.n),
    createdAt: c.created_at,
  };
}

export async function createCommunity(
  ctx: AppContext,
  meta: RequestMeta,
  input: {
    slug: string;
    name: string;
    settings: CommunitySettings;
    stewardUserIds: string[];
    founderOrgIds?: string[] | undefined;
  },
): Promise<CommunityView> {
  const now = ctx.clock.now();
  const id = await ctx.db.transaction().execute(async (trx) => {
    const clash = await trx.selectFrom('communities').select('id').where('slug', '=', input.slug).executeTakeFirst();
    if (clash) throw problems.conflict(`A community with slug "${input.slug}" exists.`);
    const stewards = input.stewardUserIds.length
      ? await trx.selectFrom('users').select('id').where('id', 'in', input.stewardUserIds).execute()
      : [];
    if (stewards.length !== new Set(input.stewardUserIds).size) {
      throw problems.badRequest('A steward does not exist.', [{ field: 'body.stewardUserIds', message: 'unknown user' }]);
    }
    const s = input.settings;
    const c = await trx
      .insertInto('communities')
      .values({
        slug: input.slug,
        name: input.name,
        charter: s.charter,
        tiers: s.tiers,
        default_embargo_days: s.embargo.defaultDays,
        max_embargo_days: s.embargo.maxDays,
        admission: JSON.stringify(s.admission),
        government_certs: JSON.stringify(s.governmentCerts),
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const u of stewards) {
      await trx
        .insertInto('community_stewards')
        .values({ community_id: c.id, user_id: u.id, added_at: now, added_by: actorIds(meta).actorUserId })
        .execute();
    }
    // Founding members are admitted with the community: an admission rule needs members to sponsor.
    const founders = [...new Set(input.founderOrgIds ?? [])];
    const foundingOrgs = founders.length
      ? await trx.selectFrom('organizations').select('id').where('id', 'in', founders).execute()
      : [];
    if (foundingOrgs.length !== founders.length) {
      throw problems.badRequest('A founding member does not exist.', [
        { field: 'body.founderOrgIds', message: 'unknown organization' },
      ]);
    }
    const by = actorIds(meta);
    for (const o of foundingOrgs) {
      await trx
        .insertInto('community_members')
        .values({ community_id: c.id, org_id: o.id, state: 'admitted', tier: s.tiers[0] ?? null, since: now, updated_at: now })
        .execute();
      if (by.actorUserId && by.actorOrgId) {
        await trx
          .insertInto('membership_events')
          .values({
            community_id: c.id,
            org_id: o.id,
            type: 'admit',
            by_user_id: by.actorUserId,
            by_org_id: by.actorOrgId,
            at: now,
            reason: 'founding member',
            to_state: 'admitted',
          })
          .execute();
      }
    }
    await audit(ctx, trx, meta, 'community.create', c.id, {
      slug: input.slug,
      stewards: stewards.map((u) => u.id),
      founders: foundingOrgs.map((o) => o.id),
    });
    return c.id;
  });
  return getCommunity(ctx.db, id);
}

export async function updateCommunity(
  ctx: AppContext,
  meta: RequestMeta,
  id: string,
  patch: Partial<CommunitySettings> & { name?: string | undefined },
): Promise<CommunityView> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const c = await trx.selectFrom('communities').select(['tiers']).where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
    if (patch.tiers) {
      // A tier still held by a member cannot disappear under it.
      const held = await trx
        .selectFrom('community_members')
        .select('tier')
        .distinct()
        .where('community_id', '=', id)
        .where('tier', 'is not', null)
        .execute();
      const missing = held.map((h) => h.tier as string).filter((t) => !patch.tiers?.includes(t));
      if (missing.length) throw problems.conflict(`Tier(s) ${missing.join(', ')} are still held by members; move them first.`);
    }
    await trx
      .updateTable('communities')
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.charter !== undefined ? { charter: patch.charter } : {}),
        ...(patch.tiers ? { tiers: patch.tiers } : {}),
        ...(patch.embargo ? { default_embargo_days: patch.embargo.defaultDays, max_embargo_days: patch.embargo.maxDays } : {}),
        ...(patch.admission ? { admission: JSON.stringify(patch.admission) } : {}),
        ...(patch.governmentCerts ? { government_certs: JSON.stringify(patch.governmentCerts) } : {}),
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
    await audit(ctx, trx, meta, 'community.update', id, { fields: Object.keys(patch), previousTiers: c.tiers });
  });
  return getCommunity(ctx.db, id);
}

export async function setSteward(ctx: AppContext, meta: RequestMeta, id: string, userId: string, on: boolean): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await trx.selectFrom('communities').select('id').where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
    const u = await trx.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
    if (!u) throw problems.notFound('user');
    if (on) {
      await trx
        .insertInto('community_stewards')
        .values({ community_id: id, user_id: userId, added_at: now, added_by: actorIds(meta).actorUserId })
        .onConflict((oc) => oc.doNothing())
        .execute();
    } else {
      const left = await trx
        .selectFrom('community_stewards')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('community_id', '=', id)
        .where('user_id', '!=', userId)
        .executeTakeFirstOrThrow();
      if (Number(left.n) === 0) throw problems.conflict('A community keeps at least one steward.');
      await trx.deleteFrom('community_stewards').where('community_id', '=', id).where('user_id', '=', userId).execute();
    }
    await audit(ctx, trx, meta, on ? 'community.steward_add' : 'community.steward_remove', id, { userId });
  });
}

export async function listStewards(db: Kysely<DB>, id: string) {
  return db
    .selectFrom('community_stewards as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .innerJoin('organizations as o', 'o.id', 'u.org_id')
    .select([
      's.user_id as userId',
      'u.display_name as displayName',
      'o.id as orgId',
      'o.name as orgName',
      's.added_at as addedAt',
    ])
    .where('s.community_id', '=', id)
    .orderBy('u.display_name')
    .execute();
}

// ---------------------------------------------------------------------------------------------
// NDA

export interface NdaView {
  version: number;
  text: string;
  hash: string;
  publishedAt: Date;
  acceptedAt: Date | null;
}

export async function publishNda(ctx: AppContext, meta: RequestMeta, id: string, text: string): Promise<NdaView> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    await trx.selectFrom('communities').select('id').where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
    const prev = await trx
      .selectFrom('nda_versions')
      .selectAll()
      .where('community_id', '=', id)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    const step = ndaVersion(
      text,
      now,
      prev ? { version: prev.version, text: prev.text, hash: prev.hash, publishedAt: prev.published_at } : null,
    );
    if (!step.ok || !step.state) throw problems.conflict(step.ok ? 'The NDA text is empty.' : step.reason);
    const v = step.state;
    await trx
      .insertInto('nda_versions')
      .values({
        community_id: id,
        version: v.version,
        text: v.text,
        hash: v.hash,
        published_at: now,
        published_by: actorIds(meta).actorUserId,
      })
      .execute();
    await audit(ctx, trx, meta, 'community.nda_publish', id, { version: v.version, hash: v.hash });
    return { version: v.version, text: v.text, hash: v.hash, publishedAt: now, acceptedAt: null };
  });
}

/** The current NDA (or a given version) and whether the user accepted it. */
export async function getNda(db: Kysely<DB>, id: string, userId: string, version?: number): Promise<NdaView> {
  let q = db
    .selectFrom('nda_versions as v')
    .leftJoin('nda_acceptances as a', (j) =>
      j.onRef('a.community_id', '=', 'v.community_id').onRef('a.version', '=', 'v.version').on('a.user_id', '=', userId),
    )
    .select(['v.version', 'v.text', 'v.hash', 'v.published_at', 'a.accepted_at'])
    .where('v.community_id', '=', id);
  q = version === undefined ? q.orderBy('v.version', 'desc').limit(1) : q.where('v.version', '=', version);
  const r = await q.executeTakeFirst();
  if (!r) throw problems.notFound('NDA version');
  return { version: r.version, text: r.text, hash: r.hash, publishedAt: r.published_at, acceptedAt: r.accepted_at };
}

/**
 * A user accepts an NDA version. Only the current version can be accepted, and the caller echoes
 * its hash, so an acceptance always names the exact text that was shown.
 */
export async function acceptNda(
  ctx: AppContext,
  meta: RequestMeta,
  actor: UserActor,
  id: string,
  version: number,
  hash: string,
): Promise<NdaView> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('nda_versions')
      .select(['version', 'hash'])
      .where('community_id', '=', id)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!current || current.version < version) throw problems.notFound('NDA version');
    if (current.version !== version)
      throw problems.conflict(`Version ${version} was superseded; accept version ${current.version}.`);
    if (current.hash !== hash) throw problems.conflict('The hash does not match this NDA version; reload the text.');
    const inserted = await trx
      .insertInto('nda_acceptances')
      .values({ community_id: id, version, user_id: actor.userId, hash, accepted_at: now })
      .onConflict((oc) => oc.doNothing())
      .returning('version')
      .executeTakeFirst();
    if (inserted) await audit(ctx, trx, meta, 'community.nda_accept', id, { version, hash });
  });
  return getNda(ctx.db, id, actor.userId, version);
}

export async function listAcceptances(db: Kysely<DB>, id: string) {
  return db
    .selectFrom('nda_acceptances as a')
    .innerJoin('users as u', 'u.id', 'a.user_id')
    .innerJoin('organizations as o', 'o.id', 'u.org_id')
    .select([
      'a.version',
      'a.hash',
      'a.accepted_at as acceptedAt',
      'u.id as userId',
      'u.display_name as displayName',
      'o.id as orgId',
      'o.name as orgName',
    ])
    .where('a.community_id', '=', id)
    .orderBy('a.version', 'desc')
    .orderBy('a.accepted_at')
    .execute();
}

// ---------------------------------------------------------------------------------------------
// Membership

export interface MemberView {
  orgId: string;
  orgName: string;
  state: MembershipState;
  tier: string | null;
  functions: string[];
  since: Date | null;
  updatedAt: Date;
}

export async function listMembers(db: Kysely<DB>, id: string, opts: { onlyOrgId?: string } = {}): Promise<MemberView[]> {
  let q = db
    .selectFrom('community_members as m')
    .innerJoin('organizations as o', 'o.id', 'm.org_id')
    .select(['m.org_id', 'o.name', 'm.state', 'm.tier', 'm.functions', 'm.since', 'm.updated_at'])
    .where('m.community_id', '=', id)
    .orderBy('o.name');
  if (opts.onlyOrgId) q = q.where('m.org_id', '=', opts.onlyOrgId);
  return (await q.execute()).map((r) => ({
    orgId: r.org_id,
    orgName: r.name,
    state: r.state,
    tier: r.tier,
    functions: r.functions,
    since: r.since,
    updatedAt: r.updated_at,
  }));
}

async function roster(trx: Kysely<DB>, id: string): Promise<CommunityRoster> {
  const members = await trx
    .selectFrom('community_members')
    .select('org_id')
    .where('community_id', '=', id)
    .where('state', '=', 'admitted')
    .execute();
  const stewards = await trx.selectFrom('community_stewards').select('user_id').where('community_id', '=', id).execute();
  const m = new Set(members.map((r) => r.org_id));
  const s = new Set(stewards.map((r) => r.user_id));
  return { isMember: (o) => m.has(o), isSteward: (u) => s.has(u), stewardCount: () => s.size };
}

/**
 * The membership as recorded: state from the member row, the steps from the event log, and what
 * counts towards the admission rule since the latest application.
 */
async function recordedMembership(trx: Kysely<DB>, id: string, orgId: string): Promise<Membership> {
  const row = await trx
    .selectFrom('community_members')
    .select('state')
    .where('community_id', '=', id)
    .where('org_id', '=', orgId)
    .forUpdate()
    .executeTakeFirst();
  const events = await trx
    .selectFrom('membership_events')
    .selectAll()
    .where('community_id', '=', id)
    .where('org_id', '=', orgId)
    .orderBy('id')
    .execute();
  const m: Membership = {
    orgId: row ? orgId : null,
    state: row?.state ?? null,
    history: [],
    sponsors: [],
    approvals: [],
    votes: [],
  };
  let prev: MembershipState | null = null;
  for (const e of events) {
    const by = { userId: e.by_user_id, orgId: e.by_org_id };
    m.history.push({
      type: e.type,
      from: prev,
      to: e.to_state,
      by,
      at: e.at,
      why: e.reason ?? '',
      ...(e.derived ? { derived: true } : {}),
    });
    prev = e.to_state;
    if (e.type === 'apply' || e.type === 'readmit') {
      m.sponsors = [];
      m.approvals = [];
      m.votes = [];
    } else if (e.type === 'sponsor') m.sponsors.push({ orgId: e.by_org_id, by, at: e.at });
    else if (e.type === 'approve') m.approvals.push({ by, at: e.at });
    else if (e.type === 'vote' && e.vote) m.votes.push({ by, at: e.at, vote: e.vote });
  }
  return m;
}

export interface MembershipRecord {
  member: MemberView | null;
  history: Array<{
    type: MembershipEventType;
    to: MembershipState;
    at: Date;
    byUserId: string;
    byOrgId: string;
    reason: string | null;
    vote: 'yes' | 'no' | null;
    derived: boolean;
  }>;
  admission: { satisfied: boolean; missing: string[] } | null;
}

export async function getMembership(ctx: AppContext, id: string, orgId: string): Promise<MembershipRecord> {
  const [member] = await listMembers(ctx.db, id, { onlyOrgId: orgId });
  const events = await ctx.db
    .selectFrom('membership_events')
    .selectAll()
    .where('community_id', '=', id)
    .where('org_id', '=', orgId)
    .orderBy('id')
    .execute();
  let admission: MembershipRecord['admission'] = null;
  if (member && (member.state === 'applied' || member.state === 'sponsored')) {
    const c = await getCommunity(ctx.db, id);
    const { m, r } = await ctx.db
      .transaction()
      .execute(async (trx) => ({ m: await recordedMembership(trx, id, orgId), r: await roster(trx, id) }));
    admission = admissionProgress(m, c.admission, r, ctx.clock.now());
  }
  return {
    member: member ?? null,
    history: events.map((e) => ({
      type: e.type,
      to: e.to_state,
      at: e.at,
      byUserId: e.by_user_id,
      byOrgId: e.by_org_id,
      reason: e.reason,
      vote: e.vote,
      derived: e.derived,
    })),
    admission,
  };
}

export interface MembershipInput {
  type: MembershipEventType;
  reason?: string | undefined;
  vote?: 'yes' | 'no' | undefined;
}

/** What happens in the same transaction when a membership reaches a state. */
export type MembershipEffect = (
  trx: Kysely<DB>,
  e: { communityId: string; orgId: string; to: MembershipState; reason: string },
) => Promise<void>;

/**
 * One step of an organization's membership. The domain refuses what the lifecycle or the
 * admission rule does not allow (409, nothing written); the step and any admission it completed
 * are recorded with who, when and why, and `effect` runs in the same transaction (ejection cuts
 * access and tells coordinators).
 */
export async function membershipAction(
  ctx: AppContext,
  meta: RequestMeta,
  actor: UserActor,
  id: string,
  orgId: string,
  input: MembershipInput,
  effect?: MembershipEffect,
): Promise<MembershipRecord> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    // Membership steps of one community are taken one at a time (the roster must not move underneath).
    const c = await trx
      .selectFrom('communities')
      .select(['admission'])
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const org = await trx.selectFrom('organizations').select('id').where('id', '=', orgId).executeTakeFirst();
    if (!org) throw problems.notFound('organization');
    const rule = AdmissionRuleSchema.parse(c.admission);
    const m = await recordedMembership(trx, id, orgId);
    // apply and readmit are taken by the applicant itself; a steward may also start a readmission.
    const by = { userId: actor.userId, orgId: actor.orgId };
    if (input.type === 'apply' && actor.orgId !== orgId) throw problems.forbidden('An organization applies for itself.');
    const event = { type: input.type, by, at: now, ...(input.reason ? { reason: input.reason } : {}) } as Parameters<
      typeof membershipStep
    >[1];
    if (input.type === 'vote') {
      if (!input.vote)
        throw problems.badRequest('A vote is yes or no.', [{ field: 'body.vote', message: 'required for a vote' }]);
      (event as { vote?: 'yes' | 'no' }).vote = input.vote;
    }
    // A membership that does not exist yet belongs to the applicant.
    const subject: Membership = m.orgId ? m : { ...m, orgId: input.type === 'apply' ? orgId : null };
    const step = membershipStep(subject, event, rule, await roster(trx, id));
    if (!step.ok) throw problems.conflict(step.reason);
    const next = step.state;
    const added = next.history.slice(subject.history.length);
    for (const h of added) {
      await trx
        .insertInto('membership_events')
        .values({
          community_id: id,
          org_id: orgId,
          type: h.type,
          by_user_id: h.by.userId,
          by_org_id: h.by.orgId,
          at: h.at,
          reason: h.why,
          vote: h.vote ?? null,
          to_state: h.to,
          derived: h.derived ?? false,
        })
        .execute();
    }
    const to = next.state as MembershipState;
    const admittedNow = to === 'admitted' && m.state !== 'admitted' && m.state !== 'suspended';
    if (m.state === null) {
      await trx
        .insertInto('community_members')
        .values({ community_id: id, org_id: orgId, state: to, tier: null, updated_at: now })
        .execute();
    } else {
      await trx
        .updateTable('community_members')
        .set({
          state: to,
          updated_at: now,
          ...(admittedNow ? { since: now } : {}),
          // A readmission starts from nothing: tier and functions are given again on admission.
          ...(input.type === 'readmit' ? { tier: null, functions: [], since: null } : {}),
        })
        .where('community_id', '=', id)
        .where('org_id', '=', orgId)
        .execute();
    }
    if (admittedNow && m.state === null) {
      await trx
        .updateTable('community_members')
        .set({ since: now })
        .where('community_id', '=', id)
        .where('org_id', '=', orgId)
        .execute();
    }
    await audit(
      ctx,
      trx,
      meta,
      `community.member_${input.type}`,
      id,
      { orgId, from: m.state, to, reason: input.reason ?? null, ...(input.vote ? { vote: input.vote } : {}) },
      orgId,
    );
    if (effect && to !== m.state) await effect(trx, { communityId: id, orgId, to, reason: input.reason ?? '' });
  });
  return getMembership(ctx, id, orgId);
}

/** A steward sets a member's trust tier and functions. */
export async function updateMember(
  ctx: AppContext,
  meta: RequestMeta,
  id: string,
  orgId: string,
  patch: { tier?: string | null | undefined; functions?: string[] | undefined },
): Promise<MemberView> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const c = await trx.selectFrom('communities').select('tiers').where('id', '=', id).executeTakeFirstOrThrow();
    if (patch.tier && !c.tiers.includes(patch.tier)) {
      throw problems.badRequest(`No tier "${patch.tier}" in this community.`, [
        { field: 'body.tier', message: `one of ${c.tiers.join(', ')}` },
      ]);
    }
    const r = await trx
      .updateTable('community_members')
      .set({
        ...(patch.tier !== undefined ? { tier: patch.tier } : {}),
        ...(patch.functions ? { functions: [...new Set(patch.functions)] } : {}),
        updated_at: now,
      })
      .where('community_id', '=', id)
      .where('org_id', '=', orgId)
      .returning('org_id')
      .executeTakeFirst();
    if (!r) throw problems.notFound('member');
    await audit(ctx, trx, meta, 'community.member_update', id, { orgId, ...patch }, orgId);
  });
  const [m] = await listMembers(ctx.db, id, { onlyOrgId: orgId });
  if (!m) throw problems.notFound('member');
  return m;
}
