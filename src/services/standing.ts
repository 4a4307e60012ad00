// When an organization is ejected or suspended from a community: access ends at once (the case
// gate reads the membership on every request, so nothing needs revoking), every case of the
// community it was in records it, and each case's coordinator learns what it had seen — the parts
// of the case it read (from the audit log) and the briefing packets it was sent.
import { type Kysely, sql } from 'kysely';
import type { AppContext } from '../context.ts';
import type { DB } from '../store/schema.ts';
import type { MembershipEffect } from './communities.ts';
import { notifyStandingChange } from './notify.ts';
import { addTimeline } from './timeline.ts';

export interface CaseExposure {
  caseId: string;
  ref: string;
  participantSince: Date;
  reads: Array<{ part: string; count: number; first: string; last: string }>;
  briefings: Array<{ tentId: string; at: Date }>;
}

/** What an organization had seen of some cases: reads from the audit log, and briefing packets. */
export async function exposure(
  trx: Kysely<DB>,
  orgId: string,
  cases: Array<{ id: string; ref: string; since: Date }>,
): Promise<CaseExposure[]> {
  if (cases.length === 0) return [];
  const ids = cases.map((c) => c.id);
  const reads = await trx
    .selectFrom('audit_log')
    .select([
      'object_id',
      sql<string>`coalesce(details ->> 'part', 'case')`.as('part'),
      (eb) => eb.fn.countAll<string>().as('n'),
      (eb) => eb.fn.min('at').as('first'),
      (eb) => eb.fn.max('at').as('last'),
    ])
    .where('actor_org_id', '=', orgId)
    .where('action', '=', 'case.read')
    .where('object_type', '=', 'case')
    .where('object_id', 'in', ids)
    .groupBy(['object_id', sql`coalesce(details ->> 'part', 'case')`])
    .execute();
  const briefings = await trx
    .selectFrom('briefing_packets')
    .select(['case_id', 'tent_id', 'created_at'])
    .where('org_id', '=', orgId)
    .where('case_id', 'in', ids)
    .orderBy('created_at')
    .execute();
  return cases.map((c) => ({
    caseId: c.id,
    ref: c.ref,
    participantSince: c.since,
    reads: reads
      .filter((r) => r.object_id === c.id)
      .map((r) => ({ part: r.part, count: Number(r.n), first: String(r.first), last: String(r.last) }))
      .sort((a, b) => a.part.localeCompare(b.part)),
    briefings: briefings.filter((b) => b.case_id === c.id).map((b) => ({ tentId: b.tent_id, at: b.created_at })),
  }));
}

/** The community's cases an organization takes part in (or ever took part in), open or closed. */
async function memberCases(trx: Kysely<DB>, communityId: string, orgId: string, opts: { includeRemoved?: boolean } = {}) {
  let q = trx
    .selectFrom('case_participants as p')
    .innerJoin('cases as c', 'c.id', 'p.case_id')
    .select(['c.id', 'c.ref', 'p.invited_at as since'])
    .where('c.community_id', '=', communityId)
    .where('p.org_id', '=', orgId)
    .where('p.role', '!=', 'coordinator')
    .orderBy('c.ref');
  if (!opts.includeRemoved) q = q.where('p.removed_at', 'is', null);
  return q.execute();
}

/** An organization's exposure across a community's cases (for the stewards). */
export async function communityExposure(db: Kysely<DB>, communityId: string, orgId: string): Promise<CaseExposure[]> {
  return db
    .transaction()
    .execute(async (trx) => exposure(trx, orgId, await memberCases(trx, communityId, orgId, { includeRemoved: true })));
}

/** The membership effect: record ejection and suspension in every case, and tell the coordinators. */
export function standingEffect(ctx: AppContext): MembershipEffect {
  return async (trx, e) => {
    if (e.to !== 'ejected' && e.to !== 'suspended') return;
    const now = ctx.clock.now();
    const org = await trx.selectFrom('organizations').select('name').where('id', '=', e.orgId).executeTakeFirstOrThrow();
    const cases = await memberCases(trx, e.communityId, e.orgId);
    const seen = await exposure(trx, e.orgId, cases);
    for (const x of seen) {
      await addTimeline(trx, null, {
        caseId: x.caseId,
        at: now,
        kind: `participant.${e.to}`,
        summary: `${org.name} was ${e.to} from the community and no longer has access to the case`,
        data: { orgId: e.orgId },
        // Everyone in the case learns that a party left; only the coordinator learns why and what it saw.
        audience: e.to === 'ejected' ? 'all' : 'coordinator',
      });
      await addTimeline(trx, null, {
        caseId: x.caseId,
        at: now,
        kind: 'participant.exposure',
        summary: `What ${org.name} had seen: ${x.reads.length ? x.reads.map((r) => `${r.part} ×${r.count}`).join(', ') : 'no reads on record'}; ${x.briefings.length} briefing packet(s)`,
        data: {
          orgId: e.orgId,
          reason: e.reason,
          reads: x.reads,
          briefings: x.briefings.map((b) => ({ tentId: b.tentId, at: b.at.toISOString() })),
        },
        audience: 'coordinator',
      });
      await notifyStandingChange(ctx, trx, {
        caseId: x.caseId,
        orgName: org.name,
        change: e.to,
        key: `${x.caseId}:${e.orgId}:${now.getTime()}`,
      });
    }
    // Ejection also ends the participations: a later readmission does not bring the cases back
    // (the coordinator invites the organization again if it wants to). Suspension keeps them.
    if (e.to === 'ejected' && cases.length) {
      await trx
        .updateTable('case_participants')
        .set({ removed_at: now })
        .where('org_id', '=', e.orgId)
        .where(
          'case_id',
          'in',
          cases.map((c) => c.id),
        )
        .where('removed_at', 'is', null)
        .execute();
    }
  };
}
