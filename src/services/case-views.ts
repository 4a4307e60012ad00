// What a case looks like to one organization: the coordinator sees everything; a participant
// sees the case, the participants, the embargo, and the items its audience and TLP ceiling allow.
import { type Kysely, sql } from 'kysely';
import type { AppContext } from '../context.ts';
import { type Actor, type CaseGate, type CaseRelation, caseListScope, decide, mayReadCaseItem } from '../domain/policy.ts';
import type { DB } from '../store/schema.ts';
import type { EmState, ParticipantRole, RmState, Tlp } from '../store/schema-cases.ts';
import { loadGates } from './case-gates.ts';
import { caseBox } from './data-keys.ts';

/** A case's title and summary, opened (throws 410 when the case was purged). */
export async function caseText(
  ctx: Pick<AppContext, 'keys'>,
  db: Kysely<DB>,
  caseId: string,
): Promise<{ title: string; summary: string }> {
  const c = await db
    .selectFrom('cases')
    .select(['title_sealed', 'summary_sealed'])
    .where('id', '=', caseId)
    .executeTakeFirstOrThrow();
  const box = await caseBox(ctx, db, caseId);
  return { title: box.text('cases.title', caseId, c.title_sealed), summary: box.text('cases.summary', caseId, c.summary_sealed) };
}

/** A case's title, or '(purged)' when its data key was destroyed: for lists and notices. */
export async function caseTitleOrPurged(ctx: Pick<AppContext, 'keys'>, db: Kysely<DB>, caseId: string): Promise<string> {
  try {
    return (await caseText(ctx, db, caseId)).title;
  } catch (e) {
    if ((e as { status?: number }).status === 410) return '(purged)';
    throw e;
  }
}

export interface ParticipantView {
  orgId: string;
  orgName: string;
  role: ParticipantRole;
  rmState: RmState;
  tlpCeiling: Tlp;
  vendorAwareAt: Date | null;
  fixReadyAt: Date | null;
  fixDeployedAt: Date | null;
  invitedAt: Date;
  acknowledgedAt: Date | null;
  removedAt: Date | null;
}

export interface CaseView {
  id: string;
  ref: string;
  title: string;
  summary: string;
  coordinatorOrgId: string;
  communityId: string | null;
  emState: EmState;
  releaseAt: Date | null;
  embargoEndedReason: string | null;
  publicAwareAt: Date | null;
  exploitPublicAt: Date | null;
  attacksObservedAt: Date | null;
  ackHours: number;
  closedAt: Date | null;
  createdAt: Date;
  myRole: ParticipantRole;
  participants: ParticipantView[];
}

export async function getCaseView(ctx: AppContext, actor: Actor, rel: CaseRelation): Promise<CaseView> {
  const c = await ctx.db.selectFrom('cases').selectAll().where('id', '=', rel.caseId).executeTakeFirstOrThrow();
  const coordinating = actor.type === 'user' && actor.orgId === rel.coordinatorOrgId;
  let pq = ctx.db
    .selectFrom('case_participants as p')
    .innerJoin('organizations as o', 'o.id', 'p.org_id')
    .select([
      'p.org_id',
      'o.name',
      'p.role',
      'p.rm_state',
      'p.tlp_ceiling',
      'p.vendor_aware_at',
      'p.fix_ready_at',
      'p.fix_deployed_at',
      'p.invited_at',
      'p.acknowledged_at',
      'p.removed_at',
    ])
    .where('p.case_id', '=', rel.caseId)
    .orderBy('p.invited_at');
  // Participants see who else is in the case, but not who was removed.
  if (!coordinating) pq = pq.where('p.removed_at', 'is', null);
  const parts = await pq.execute();
  const text = await caseText(ctx, ctx.db, c.id);
  return {
    id: c.id,
    ref: c.ref,
    title: text.title,
    summary: text.summary,
    coordinatorOrgId: c.coordinator_org_id,
    communityId: c.community_id,
    emState: c.em_state,
    releaseAt: c.release_at,
    embargoEndedReason: c.embargo_ended_reason,
    publicAwareAt: c.public_aware_at,
    exploitPublicAt: c.exploit_public_at,
    attacksObservedAt: c.attacks_observed_at,
    ackHours: c.ack_hours,
    closedAt: c.closed_at,
    createdAt: c.created_at,
    myRole: coordinating ? 'coordinator' : (rel.participant?.role ?? 'other'),
    participants: parts.map((p) => ({
      orgId: p.org_id,
      orgName: p.name,
      role: p.role,
      rmState: p.rm_state,
      tlpCeiling: p.tlp_ceiling,
      vendorAwareAt: p.vendor_aware_at,
      fixReadyAt: p.fix_ready_at,
      fixDeployedAt: p.fix_deployed_at,
      invitedAt: p.invited_at,
      acknowledgedAt: p.acknowledged_at,
      removedAt: p.removed_at,
    })),
  };
}

export interface CaseSummary {
  id: string;
  ref: string;
  title: string;
  emState: EmState;
  releaseAt: Date | null;
  myRole: ParticipantRole;
  closedAt: Date | null;
  nextDeadline: Date | null;
  nextDeadlineKind: string | null;
  pendingAcks: number;
  /** Set when the case is listed but unreadable until the user accepts this NDA version (its title is withheld). */
  ndaRequired: { communityId: string; version: number; hash: string } | null;
}

/**
 * The cases an organization coordinates or takes part in, with each case's next deadline:
 * the earliest unacknowledged invitation's due time, or the release date.
 */
export async function listCases(ctx: AppContext, actor: Actor, opts: { open?: boolean | undefined }): Promise<CaseSummary[]> {
  const scope = caseListScope(actor);
  if (!scope) return [];
  const { rows } = await sql<{
    id: string;
    ref: string;
    em_state: EmState;
    release_at: Date | null;
    closed_at: Date | null;
    coordinator_org_id: string;
    community_id: string | null;
    my_role: ParticipantRole;
    next_ack_due: Date | null;
    pending_acks: string;
  }>`
    SELECT c.id, c.ref, c.em_state, c.release_at, c.closed_at, c.coordinator_org_id, c.community_id, me.role AS my_role,
           (SELECT min(p.invited_at + make_interval(hours => c.ack_hours))
              FROM case_participants p
             WHERE p.case_id = c.id AND p.acknowledged_at IS NULL AND p.removed_at IS NULL) AS next_ack_due,
           (SELECT count(*) FROM case_participants p
             WHERE p.case_id = c.id AND p.acknowledged_at IS NULL AND p.removed_at IS NULL) AS pending_acks
      FROM cases c
      JOIN case_participants me ON me.case_id = c.id AND me.org_id = ${scope.orgId} AND me.removed_at IS NULL
     WHERE (${opts.open ?? false} = false OR c.closed_at IS NULL)
     ORDER BY c.created_at DESC`.execute(ctx.db);
  // Tents, community standing and the NDA decide, through the policy module, which of these the
  // actor sees: a case whose tent is not open for it yet is not listed at all.
  const gates =
    actor.type === 'user'
      ? await loadGates(
          ctx.db,
          rows.map((r) => ({ caseId: r.id, communityId: r.community_id, role: r.my_role })),
          { orgId: scope.orgId, userId: actor.userId },
          ctx.clock.now(),
        )
      : new Map<string, CaseGate>();
  type Nda = CaseSummary['ndaRequired'];
  const visible = rows.flatMap((r): Array<(typeof rows)[number] & { title: string; ndaRequired: Nda }> => {
    const gate = gates.get(r.id);
    const relation: CaseRelation = {
      caseId: r.id,
      coordinatorOrgId: r.coordinator_org_id,
      participant: { orgId: scope.orgId, role: r.my_role, tlpCeiling: 'CLEAR', removed: false },
      ...(gate ? { gate } : {}),
    };
    const read = decide(actor, 'case.read', { type: 'case', relation });
    if (read.allow) return [{ ...r, title: '', ndaRequired: null }];
    if (read.nda) return [{ ...r, title: '', ndaRequired: read.nda }];
    return [];
  });
  // Titles are sealed: opened only for the cases the actor may read.
  for (const r of visible) if (!r.ndaRequired) r.title = await caseTitleOrPurged(ctx, ctx.db, r.id);
  return visible.map((r) => {
    const coordinating = r.coordinator_org_id === scope.orgId;
    // Only the coordinator chases acknowledgements; everyone works towards the release date.
    const candidates: Array<[Date, string]> = [];
    if (coordinating && r.next_ack_due) candidates.push([new Date(r.next_ack_due), 'acknowledgement due']);
    if (r.release_at) candidates.push([new Date(r.release_at), 'release']);
    candidates.sort((a, b) => a[0].getTime() - b[0].getTime());
    const next = candidates[0];
    return {
      id: r.id,
      ref: r.ref,
      title: r.title,
      emState: r.em_state,
      releaseAt: r.release_at,
      myRole: r.my_role,
      closedAt: r.closed_at,
      nextDeadline: next ? next[0] : null,
      nextDeadlineKind: next ? next[1] : null,
      pendingAcks: coordinating ? Number(r.pending_acks) : 0,
      ndaRequired: r.ndaRequired,
    };
  });
}

export interface TimelineView {
  id: string;
  at: Date;
  kind: string;
  summary: string;
  actorOrgId: string | null;
  data: unknown;
}

/** The case timeline as the actor's organization may see it. */
export async function caseTimeline(ctx: AppContext, actor: Actor, rel: CaseRelation): Promise<TimelineView[]> {
  const rows = await ctx.db.selectFrom('case_events').selectAll().where('case_id', '=', rel.caseId).orderBy('id').execute();
  return rows
    .filter((e) =>
      mayReadCaseItem(actor, rel, {
        tlp: e.tlp,
        audience: e.audience,
        audienceOrgId: e.audience_org_id,
        authorOrgId: e.actor_org_id,
      }),
    )
    .map((e) => ({ id: e.id, at: e.at, kind: e.kind, summary: e.summary, actorOrgId: e.actor_org_id, data: e.data }));
}
