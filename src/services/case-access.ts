// Loads what the policy module needs to decide about a case: the case's coordinator and the
// actor organization's participation. Every case route and query goes through here.
import type { Kysely } from 'kysely';
import type { AppContext, RequestMeta } from '../context.ts';
import type { CaseRelation } from '../domain/policy.ts';
import { type Action, type Actor, decide, scopeDecision } from '../domain/policy.ts';
import { problems } from '../problem.ts';
import type { DB } from '../store/schema.ts';
import { loadGates } from './case-gates.ts';
import { assertNotPurged } from './case-purge.ts';
import { auditCase } from './cases.ts';

/**
 * The organization's standing in a case: its participation and, when the case has a community or
 * tents, the gate they put on it (for `userId`'s NDA acceptance; null skips that check).
 */
export async function loadCaseRelation(
  db: Kysely<DB>,
  caseId: string,
  who: { orgId: string; userId: string | null },
  now: Date,
): Promise<CaseRelation | undefined> {
  const row = await db
    .selectFrom('cases as c')
    .leftJoin('case_participants as p', (j) => j.onRef('p.case_id', '=', 'c.id').on('p.org_id', '=', who.orgId))
    .select(['c.id', 'c.coordinator_org_id', 'c.community_id', 'p.org_id', 'p.role', 'p.tlp_ceiling', 'p.removed_at'])
    .where('c.id', '=', caseId)
    .executeTakeFirst();
  if (!row) return undefined;
  const rel: CaseRelation = {
    caseId: row.id,
    coordinatorOrgId: row.coordinator_org_id,
    participant:
      row.org_id && row.role && row.tlp_ceiling
        ? { orgId: row.org_id, role: row.role, tlpCeiling: row.tlp_ceiling, removed: row.removed_at !== null }
        : null,
  };
  // Outsiders are refused on participation alone; the gate matters to those in the case.
  if (!rel.participant && rel.coordinatorOrgId !== who.orgId) return rel;
  const gates = await loadGates(db, [{ caseId: row.id, communityId: row.community_id, role: row.role }], who, now);
  const gate = gates.get(row.id);
  return gate ? { ...rel, gate } : rel;
}

/**
 * Authorizes an action on a case. An unknown case and a case the actor is not in give the
 * same 404, so nobody learns that a case exists.
 */
export async function authorizeCase(ctx: AppContext, actor: Actor, action: Action, caseId: string): Promise<CaseRelation> {
  if (actor.type !== 'user') throw actor.type === 'anonymous' ? problems.unauthorized() : problems.notFound('case');
  // A token without the scope is refused before the case is looked up: same answer either way.
  const scoped = scopeDecision(actor, action);
  if (!scoped.allow) throw problems.forbidden(scoped.reason);
  const rel = await loadCaseRelation(ctx.db, caseId, { orgId: actor.orgId, userId: actor.userId }, ctx.clock.now());
  if (!rel) throw problems.notFound('case');
  const d = decide(actor, action, { type: 'case', relation: rel });
  if (!d.allow) {
    if (d.nda) throw problems.ndaRequired(d.reason, d.nda);
    throw d.reveal ? problems.forbidden(d.reason) : problems.notFound('case');
  }
  // Only those who may act on the case learn that it was purged.
  await assertNotPurged(ctx.db, caseId);
  return rel;
}

/** Every read of embargoed case material is an audit entry: who read which part of which case. */
export async function auditCaseRead(ctx: AppContext, meta: RequestMeta, caseId: string, part: string): Promise<void> {
  await ctx.db.transaction().execute((trx) => auditCase(ctx, trx, meta, 'case.read', caseId, { part }));
}
