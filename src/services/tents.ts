// A case's tents in the database: the coordinator's list, their schedule (moving with the
// release date), and their opening, which is a durable job: grant access, send each organization
// its briefing packet, and record it in the timeline and the audit log, all in one transaction.
import type { Kysely } from 'kysely';
import type { AppContext, RequestMeta } from '../context.ts';
import { actorIds } from '../context.ts';
import { GovCertPolicySchema } from '../domain/community.ts';
import type { CaseRelation, UserActor } from '../domain/policy.ts';
import {
  defaultTentTemplate,
  EVERYONE_TIER,
  openEarly,
  orgTentAccess,
  orgTentTags,
  recompute,
  scheduledOpening,
  TENT_TIERS,
  type Tent,
  type TentSpec,
  tentContains,
} from '../domain/tents.ts';
import { problems } from '../problem.ts';
import { appendAudit } from '../store/audit.ts';
import type { DB } from '../store/schema.ts';
import { composeBriefing, loadBriefingSource } from './briefing.ts';
import { loadTents } from './case-gates.ts';
import { ACK_CHECK_JOB, auditCase } from './cases.ts';
import { caseBox } from './data-keys.ts';
import { watermarkFor } from './leak-tracing.ts';
import { notifyBriefing } from './notify.ts';
import { addTimeline } from './timeline.ts';

export const TENT_OPEN_JOB = 'tent.open';

export interface TentView {
  id: string;
  name: string;
  members: { orgIds: string[]; tiers: string[] };
  opens: TentSpec['opens'];
  tlpCeiling: TentSpec['tlpCeiling'];
  artifacts: TentSpec['artifacts'];
  openedAt: Date | null;
  openedEarly: { at: Date; by: string; reason: string } | null;
  /** The next planned opening of a closed tent; null when open, or while it has no time. */
  scheduledAt: Date | null;
}

function view(t: Tent, scheduledAt: Date | null): TentView {
  return {
    id: t.spec.id,
    name: t.spec.name,
    members: t.spec.members,
    opens: t.spec.opens,
    tlpCeiling: t.spec.tlpCeiling,
    artifacts: t.spec.artifacts,
    openedAt: t.state.openedAt,
    openedEarly: t.state.openedEarly ?? null,
    scheduledAt: t.state.openedAt ? null : scheduledAt,
  };
}

/** Every tent of a case, with its schedule under the current release date. */
async function tentViews(db: Kysely<DB>, caseId: string): Promise<TentView[]> {
  const c = await db.selectFrom('cases').select(['release_at', 'created_at']).where('id', '=', caseId).executeTakeFirstOrThrow();
  const tents = (await loadTents(db, [caseId])).get(caseId) ?? [];
  return tents.map((t) => view(t, scheduledOpening(t.spec, c.release_at, c.created_at)));
}

/**
 * The tents as the actor may see them: the coordinator sees every tent and its schedule; a
 * participant sees only the open tents it is in (who else is in which tent is not its business).
 */
export async function listTents(ctx: AppContext, actor: UserActor, rel: CaseRelation): Promise<TentView[]> {
  const all = await tentViews(ctx.db, rel.caseId);
  if (actor.orgId === rel.coordinatorOrgId) return all;
  const mine = new Set(rel.gate?.tents?.grants.map((g) => g.tentId) ?? []);
  return all
    .filter((t) => mine.has(t.id))
    .map((t) => ({ ...t, members: { orgIds: t.members.orgIds.filter((o) => o === actor.orgId), tiers: t.members.tiers } }));
}

async function enqueueOpening(ctx: AppContext, trx: Kysely<DB>, caseId: string, tentId: string, at: Date): Promise<void> {
  await ctx.jobs.enqueue(
    trx,
    TENT_OPEN_JOB,
    { caseId, tentId },
    {
      key: `${caseId}:${tentId}:${at.toISOString()}`,
      runAt: at,
      deadlineOrder: true,
    },
  );
}

/** The community's default tents for a new case (nothing when the case has no community). */
export async function applyTemplate(
  ctx: AppContext,
  trx: Kysely<DB>,
  caseId: string,
  communityId: string,
  now: Date,
): Promise<void> {
  const c = await trx
    .selectFrom('communities')
    .select('government_certs')
    .where('id', '=', communityId)
    .executeTakeFirstOrThrow();
  const specs = defaultTentTemplate(GovCertPolicySchema.parse(c.government_certs));
  await writeTents(ctx, trx, null, caseId, specs, now);
}

/**
 * Replaces a case's tent list. Tents keep their state by id: an open tent stays open (its members,
 * ceiling and artifacts may change and count from the next request); a closed tent takes the
 * schedule of its new spec, and opens at once if that time has come.
 */
export async function replaceTents(
  ctx: AppContext,
  meta: RequestMeta,
  rel: CaseRelation,
  specs: TentSpec[],
): Promise<TentView[]> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await trx.selectFrom('cases').select('id').where('id', '=', rel.caseId).forUpdate().executeTakeFirstOrThrow();
    await writeTents(ctx, trx, meta, rel.caseId, specs, now);
  });
  return tentViews(ctx.db, rel.caseId);
}

async function writeTents(
  ctx: AppContext,
  trx: Kysely<DB>,
  meta: RequestMeta | null,
  caseId: string,
  specs: TentSpec[],
  now: Date,
): Promise<void> {
  const c = await trx.selectFrom('cases').select(['release_at', 'created_at']).where('id', '=', caseId).executeTakeFirstOrThrow();
  const before = (await loadTents(trx, [caseId])).get(caseId) ?? [];
  const known = await orgsExist(
    trx,
    specs.flatMap((s) => s.members.orgIds),
  );
  const unknown = specs.flatMap((s) => s.members.orgIds).filter((o) => !known.has(o));
  if (unknown.length) {
    throw problems.badRequest('A tent names an organization that does not exist.', [
      { field: 'body.tents', message: `unknown organization(s): ${[...new Set(unknown)].join(', ')}` },
    ]);
  }
  const removed = before.filter((t) => !specs.some((s) => s.id === t.spec.id)).map((t) => t.spec.id);
  if (removed.length) await trx.deleteFrom('case_tents').where('case_id', '=', caseId).where('tent_id', 'in', removed).execute();
  const due: string[] = [];
  for (const [position, spec] of specs.entries()) {
    const prev = before.find((t) => t.spec.id === spec.id);
    const open = prev?.state.openedAt ?? null;
    const at = open ? null : scheduledOpening(spec, c.release_at, c.created_at);
    const values = { position, spec: JSON.stringify(spec), scheduled_at: at, updated_at: now };
    if (prev)
      await trx.updateTable('case_tents').set(values).where('case_id', '=', caseId).where('tent_id', '=', spec.id).execute();
    else
      await trx
        .insertInto('case_tents')
        .values({ case_id: caseId, tent_id: spec.id, created_at: now, ...values })
        .execute();
    if (!open && at) {
      if (at.getTime() <= now.getTime()) due.push(spec.id);
      else await enqueueOpening(ctx, trx, caseId, spec.id, at);
    }
  }
  await addTimeline(trx, meta, {
    caseId,
    at: now,
    kind: 'tents.updated',
    summary: `Tents set: ${specs.map((s) => s.name).join(', ') || 'none'}`,
    data: { tents: specs.map((s) => s.id), removed },
    audience: 'coordinator',
  });
  if (meta) await auditCase(ctx, trx, meta, 'case.tents_update', caseId, { tents: specs.map((s) => s.id), removed });
  for (const id of due) await openTentTx(ctx, trx, caseId, id, now, null);
}

async function orgsExist(trx: Kysely<DB>, ids: string[]): Promise<Set<string>> {
  const uuids = [...new Set(ids)].filter((i) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(i));
  if (uuids.length === 0) return new Set();
  const rows = await trx.selectFrom('organizations').select('id').where('id', 'in', uuids).execute();
  return new Set(rows.map((r) => r.id));
}

/**
 * The release date moved: closed tents follow it (and open now if their new time has passed);
 * open tents stay open. Called in the transaction that moved the date.
 */
export async function rescheduleTents(
  ctx: AppContext,
  trx: Kysely<DB>,
  caseId: string,
  oldRelease: Date | null,
  newRelease: Date | null,
  now: Date,
): Promise<void> {
  const tents = (await loadTents(trx, [caseId])).get(caseId) ?? [];
  if (tents.length === 0) return;
  const c = await trx.selectFrom('cases').select('created_at').where('id', '=', caseId).executeTakeFirstOrThrow();
  const r = recompute(tents, oldRelease, newRelease, now);
  const moved = r.tents.filter((t) => t.moved && t.state.openedAt === null);
  for (const t of r.tents) {
    const due = r.due.includes(t.spec.id);
    if (t.state.openedAt !== null && !due) continue; // open tents no longer follow the release
    const at = scheduledOpening(t.spec, newRelease, c.created_at);
    await trx
      .updateTable('case_tents')
      .set({ scheduled_at: at, updated_at: now })
      .where('case_id', '=', caseId)
      .where('tent_id', '=', t.spec.id)
      .where('opened_at', 'is', null)
      .execute();
    if (at && !due) await enqueueOpening(ctx, trx, caseId, t.spec.id, at);
  }
  if (moved.length) {
    await addTimeline(trx, null, {
      caseId,
      at: now,
      kind: 'tents.rescheduled',
      summary: `Release date moved; ${moved.length} tent(s) move with it`,
      data: {
        releaseAt: newRelease?.toISOString() ?? null,
        tents: moved.map((t) => ({
          id: t.spec.id,
          from: t.previousAt?.toISOString() ?? null,
          to: t.scheduledAt?.toISOString() ?? null,
        })),
      },
      audience: 'coordinator',
    });
  }
  for (const id of r.due) await openTentTx(ctx, trx, caseId, id, now, null);
}

/** The coordinator opens a closed tent ahead of its schedule, with a reason. */
export async function openTentEarly(
  ctx: AppContext,
  meta: RequestMeta,
  actor: UserActor,
  rel: CaseRelation,
  tentId: string,
  reason: string,
): Promise<TentView[]> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await trx.selectFrom('cases').select('id').where('id', '=', rel.caseId).forUpdate().executeTakeFirstOrThrow();
    const tent = ((await loadTents(trx, [rel.caseId])).get(rel.caseId) ?? []).find((t) => t.spec.id === tentId);
    if (!tent) throw problems.notFound('tent');
    const step = openEarly(tent.state, now, actor.userId, reason);
    if (!step.ok) throw problems.conflict(step.reason);
    await openTentTx(ctx, trx, rel.caseId, tentId, now, { by: actor.userId, reason: reason.trim(), meta });
  });
  return listTents(ctx, actor, rel);
}

/**
 * Opens one tent, once: records the opening, brings in the organizations it names (community
 * members by tier or function, and organizations by id), and sends each organization in it a
 * briefing packet of what the tent lets it see. Returns false when the tent was open already.
 */
export async function openTentTx(
  ctx: AppContext,
  trx: Kysely<DB>,
  caseId: string,
  tentId: string,
  now: Date,
  early: { by: string; reason: string; meta: RequestMeta } | null,
): Promise<boolean> {
  // Openings of one case are taken one at a time (lock order: the case row, then its tents), so
  // two tents opening together never race to bring in the same organization.
  await trx.selectFrom('cases').select('id').where('id', '=', caseId).forUpdate().executeTakeFirst();
  const opened = await trx
    .updateTable('case_tents')
    .set({
      opened_at: now,
      opened_early: early ? JSON.stringify({ at: now.toISOString(), by: early.by, reason: early.reason }) : null,
      updated_at: now,
    })
    .where('case_id', '=', caseId)
    .where('tent_id', '=', tentId)
    .where('opened_at', 'is', null)
    .returning('scheduled_at')
    .executeTakeFirst();
  if (!opened) return false;
  const c = await trx
    .selectFrom('cases')
    .select(['ref', 'coordinator_org_id', 'community_id', 'ack_hours', 'closed_at'])
    .where('id', '=', caseId)
    .executeTakeFirstOrThrow();
  const tents = (await loadTents(trx, [caseId])).get(caseId) ?? [];
  const tent = tents.find((t) => t.spec.id === tentId);
  if (!tent) return false;
  const members = await tentOrganizations(trx, caseId, c.community_id, c.coordinator_org_id, tent.spec);
  const joined: string[] = [];
  const briefed: string[] = [];
  // What the packets are made from is the same for everyone in the tent: load it once.
  const source = members.length ? await loadBriefingSource(ctx, trx, caseId) : null;
  const withoutThis = tents.map((t) => (t.spec.id === tentId ? { spec: t.spec, state: { openedAt: null } } : t));
  for (const m of members) {
    if (m.removed) continue; // the coordinator took it out of the case
    let participantId = m.participantId;
    if (!participantId) {
      participantId = (
        await trx
          .insertInto('case_participants')
          .values({
            case_id: caseId,
            org_id: m.orgId,
            role: 'other',
            rm_state: 'R',
            tlp_ceiling: tent.spec.tlpCeiling,
            invited_at: now,
            via_tent: tentId,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
      joined.push(m.orgId);
    }
    const tags = orgTentTags({ tier: m.tier, functions: m.functions, caseRole: m.role, country: m.country });
    const access = orgTentAccess(m.orgId, tags, tents, now, { ejected: false, suspended: false });
    if (!source) continue;
    const ceiling = m.role === null ? tent.spec.tlpCeiling : m.tlpCeiling;
    const packet = composeBriefing(source, { orgId: m.orgId, orgName: m.orgName }, access, ceiling, now);
    const stored = await trx
      .insertInto('briefing_packets')
      .values({
        case_id: caseId,
        tent_id: tentId,
        org_id: m.orgId,
        content_sealed: (await caseBox(ctx, trx, caseId)).sealJson(
          'briefing_packets.content',
          `${caseId}:${tentId}:${m.orgId}`,
          packet,
        ),
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['case_id', 'tent_id', 'org_id']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!stored) continue;
    briefed.push(m.orgId);
    // Its copy of the text will carry its fingerprint: it is a candidate when a leak is traced.
    await watermarkFor(ctx, trx, caseId, m.orgId, 'briefing');
    await addTimeline(trx, null, {
      caseId,
      at: now,
      kind: 'tent.joined',
      summary: `Your organization is in tent “${tent.spec.name}”; a briefing packet is waiting`,
      data: { tentId, briefing: stored.id },
      audience: 'org',
      audienceOrgId: m.orgId,
    });
    await notifyBriefing(ctx, trx, {
      caseId,
      caseRef: c.ref,
      orgId: m.orgId,
      orgName: m.orgName,
      tentName: tent.spec.name,
      key: `${caseId}:${tentId}`,
    });
    // The acknowledgement clock starts when the organization can first see the case.
    const before = orgTentAccess(m.orgId, tags, withoutThis, now, { ejected: false, suspended: false });
    if (!m.acknowledged && !c.closed_at && !before.open) {
      await ctx.jobs.enqueue(
        trx,
        ACK_CHECK_JOB,
        { participantId, stage: 'remind' },
        { key: `${participantId}:${now.getTime()}:remind`, runAt: new Date(now.getTime() + c.ack_hours * 3600_000) },
      );
    }
  }
  const lag = opened.scheduled_at ? now.getTime() - opened.scheduled_at.getTime() : null;
  await addTimeline(trx, early?.meta ?? null, {
    caseId,
    at: now,
    kind: 'tent.opened',
    summary: `Tent “${tent.spec.name}” opened${early ? ` early: ${early.reason}` : ''}; ${briefed.length} organization(s) briefed`,
    data: { tentId, joined, briefed, early: early ? { by: early.by, reason: early.reason } : null, lagMs: early ? null : lag },
    audience: 'coordinator',
  });
  const ids = early ? actorIds(early.meta) : { actorUserId: null, actorOrgId: null };
  await appendAudit(trx, {
    at: now,
    ...ids,
    subjectOrgId: c.coordinator_org_id,
    action: early ? 'tent.open_early' : 'tent.open',
    objectType: 'case',
    objectId: caseId,
    requestId: early?.meta.requestId ?? `job:${TENT_OPEN_JOB}`,
    details: { tentId, joined, briefed, ...(early ? { reason: early.reason } : {}) },
  });
  return true;
}

interface TentOrg {
  orgId: string;
  orgName: string;
  participantId: string | null;
  role: 'reporter' | 'coordinator' | 'vendor' | 'other' | null;
  tlpCeiling: 'CLEAR' | 'GREEN' | 'AMBER' | 'AMBER+STRICT' | 'RED';
  removed: boolean;
  acknowledged: boolean;
  tier: string | null;
  functions: string[];
  country: string | null;
}

/**
 * Who a tent holds: participants it contains (by id, tier, function or role), organizations it
 * names by id, and the community's admitted members whose tier or functions it names. The
 * everyone tier means everyone already in the case, never the whole community.
 */
async function tentOrganizations(
  trx: Kysely<DB>,
  caseId: string,
  communityId: string | null,
  coordinatorOrgId: string,
  spec: TentSpec,
): Promise<TentOrg[]> {
  const parts = await trx
    .selectFrom('case_participants as p')
    .innerJoin('organizations as o', 'o.id', 'p.org_id')
    .select(['p.id', 'p.org_id', 'p.role', 'p.tlp_ceiling', 'p.removed_at', 'p.acknowledged_at', 'o.country', 'o.name'])
    .where('p.case_id', '=', caseId)
    .execute();
  const members = communityId
    ? await trx
        .selectFrom('community_members as m')
        .innerJoin('organizations as o', 'o.id', 'm.org_id')
        .select(['m.org_id', 'm.state', 'm.tier', 'm.functions', 'o.country', 'o.name'])
        .where('m.community_id', '=', communityId)
        .execute()
    : [];
  const standing = new Map(members.map((m) => [m.org_id, m]));
  const out = new Map<string, TentOrg>();
  /** Tier and functions count only while the organization is an admitted member. */
  const membership = (orgId: string) => {
    const m = standing.get(orgId);
    return m?.state === 'admitted' ? { tier: m.tier, functions: m.functions } : { tier: null, functions: [] };
  };
  const barred = (orgId: string) => {
    const state = standing.get(orgId)?.state;
    return state === 'ejected' || state === 'suspended';
  };
  /**
   * A participant is held by whatever the tent names. An organization not yet in the case joins
   * only when named, or by a tier or function: never by `*` (everyone already in the case) nor as
   * a fix provider (the vendors of this case, not the community's vendors at large).
   */
  const holds = (o: TentOrg) => {
    const tags = orgTentTags({ tier: o.tier, functions: o.functions, caseRole: o.role, country: o.country });
    if (o.participantId !== null) return tentContains(spec, o.orgId, tags);
    return (
      spec.members.orgIds.includes(o.orgId) ||
      spec.members.tiers.some((t) => t !== EVERYONE_TIER && t !== TENT_TIERS.fixProvider && tags.includes(t))
    );
  };
  const consider = (o: TentOrg) => {
    if (o.orgId === coordinatorOrgId || out.has(o.orgId) || barred(o.orgId)) return;
    if (holds(o)) out.set(o.orgId, o);
  };
  const newcomer = (r: { id: string; name: string; country: string | null }): TentOrg => ({
    orgId: r.id,
    orgName: r.name,
    participantId: null,
    role: null,
    tlpCeiling: spec.tlpCeiling,
    removed: false,
    acknowledged: false,
    ...membership(r.id),
    country: r.country,
  });
  for (const p of parts) {
    consider({
      orgId: p.org_id,
      orgName: p.name,
      participantId: p.id,
      role: p.role,
      tlpCeiling: p.tlp_ceiling,
      removed: p.removed_at !== null,
      acknowledged: p.acknowledged_at !== null,
      ...membership(p.org_id),
      country: p.country,
    });
  }
  for (const m of members) if (m.state === 'admitted') consider(newcomer({ id: m.org_id, name: m.name, country: m.country }));
  const named = spec.members.orgIds.filter((o) => !out.has(o) && o !== coordinatorOrgId && !parts.some((p) => p.org_id === o));
  if (named.length) {
    const rows = await trx.selectFrom('organizations').select(['id', 'country', 'name']).where('id', 'in', named).execute();
    for (const r of rows) if (!barred(r.id)) out.set(r.id, newcomer(r));
  }
  return [...out.values()];
}

/** Opens one tent if its time has come (the job, and the sweep). */
export async function openIfDue(ctx: AppContext, trx: Kysely<DB>, caseId: string, tentId: string): Promise<boolean> {
  const now = ctx.clock.now();
  await trx.selectFrom('cases').select('id').where('id', '=', caseId).forUpdate().executeTakeFirst();
  const row = await trx
    .selectFrom('case_tents')
    .select(['scheduled_at', 'opened_at'])
    .where('case_id', '=', caseId)
    .where('tent_id', '=', tentId)
    .forUpdate()
    .executeTakeFirst();
  if (!row || row.opened_at || !row.scheduled_at || row.scheduled_at.getTime() > now.getTime()) return false;
  return openTentTx(ctx, trx, caseId, tentId, now, null);
}

/**
 * Opens every tent whose time has come, each in its own transaction: the safety net behind the
 * per-tent jobs (a job that ran before its time, a clock that was behind). Returns how many opened.
 */
export async function openDueTents(ctx: AppContext, limit = 500): Promise<number> {
  const due = await ctx.db
    .selectFrom('case_tents')
    .select(['case_id', 'tent_id'])
    .where('opened_at', 'is', null)
    .where('scheduled_at', '<=', ctx.clock.now())
    .orderBy('scheduled_at')
    .limit(limit)
    .execute();
  let n = 0;
  for (const d of due) if (await ctx.db.transaction().execute((trx) => openIfDue(ctx, trx, d.case_id, d.tent_id))) n++;
  return n;
}

export function registerTentJobs(ctx: AppContext): void {
  ctx.jobs.register<{ caseId: string; tentId: string }>(
    TENT_OPEN_JOB,
    async (job) => {
      await job.once((trx) => openIfDue(ctx, trx, job.data.caseId, job.data.tentId));
    },
    // Tents open on time: the queue is polled often, and several openings (of different cases) run at once.
    { pollingIntervalSeconds: 0.2, concurrency: 8 },
  );
}
