// Vultron case state: per participant Vendor aware, Fix ready, Fix deployed; per case Public
// aware, eXploit public, Attacks observed. Only transitions the model allows are accepted, and
// the history is scored against the protocol's desiderata.
import type { AppContext, RequestMeta } from '../context.ts';
import type { CaseRelation } from '../domain/policy.ts';
import {
  csApplyWithCauses,
  csCombine,
  type DesiderataScore,
  type HistoryEvent,
  type PublicEvent,
  pxaFromFlags,
  scoreDesiderata,
  type VendorEvent,
  vfdApply,
  vfdFromFlags,
} from '../domain/vultron/index.ts';
import { problems } from '../problem.ts';
import { auditCase } from './cases.ts';
import { addTimeline } from './timeline.ts';

const VENDOR_COLUMN = { V: 'vendor_aware_at', F: 'fix_ready_at', D: 'fix_deployed_at' } as const;
const PUBLIC_COLUMN = { P: 'public_aware_at', X: 'exploit_public_at', A: 'attacks_observed_at' } as const;
const EVENT_NAME = {
  V: 'Vendor aware',
  F: 'Fix ready',
  D: 'Fix deployed',
  P: 'Public aware',
  X: 'Exploit public',
  A: 'Attacks observed',
} as const;

/** A participant's V, F or D. Illegal moves (fix deployed before ready) change nothing. */
export async function setVendorFlag(
  ctx: AppContext,
  meta: RequestMeta,
  rel: CaseRelation,
  orgId: string,
  event: VendorEvent,
): Promise<string> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const p = await trx
      .selectFrom('case_participants')
      .select(['id', 'role', 'vendor_aware_at', 'fix_ready_at', 'fix_deployed_at'])
      .where('case_id', '=', rel.caseId)
      .where('org_id', '=', orgId)
      .where('removed_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
    if (!p) throw problems.notFound('participant');
    if (p.role !== 'vendor') throw problems.conflict('Vendor flags belong to vendor participants.');
    const vfd = vfdFromFlags({ vendorAware: !!p.vendor_aware_at, fixReady: !!p.fix_ready_at, fixDeployed: !!p.fix_deployed_at });
    if (!vfd.ok) throw problems.conflict(vfd.reason);
    const next = vfdApply(vfd.state, event);
    if (!next.ok) throw problems.conflict(next.reason);
    await trx
      .updateTable('case_participants')
      .set({ [VENDOR_COLUMN[event]]: now })
      .where('id', '=', p.id)
      .execute();
    await addTimeline(trx, meta, {
      caseId: rel.caseId,
      at: now,
      kind: 'case-state.vendor',
      summary: `${EVENT_NAME[event]} (${vfd.state} → ${next.state})`,
      data: { orgId, event, from: vfd.state, to: next.state },
    });
    await auditCase(ctx, trx, meta, 'case.state', rel.caseId, { orgId, event }, orgId);
    return next.state;
  });
}

/** The case's P, X or A; an exploit made public also makes the public aware (X ⇒ P). */
export async function setPublicFlag(ctx: AppContext, meta: RequestMeta, rel: CaseRelation, event: PublicEvent): Promise<string> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const c = await trx
      .selectFrom('cases')
      .select(['public_aware_at', 'exploit_public_at', 'attacks_observed_at'])
      .where('id', '=', rel.caseId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const pxa = pxaFromFlags({
      publicAware: !!c.public_aware_at,
      exploitPublic: !!c.exploit_public_at,
      attacksObserved: !!c.attacks_observed_at,
    });
    // Checked against the vendor-aware substate: the case-level dimension on its own.
    const r = csApplyWithCauses(csCombine('VFD', pxa), event);
    if (!r.ok) throw problems.conflict(r.reason);
    const set: Record<string, Date> = {};
    for (const e of r.applied) if (e === 'P' || e === 'X' || e === 'A') set[PUBLIC_COLUMN[e]] = now;
    await trx
      .updateTable('cases')
      .set({ ...set, updated_at: now })
      .where('id', '=', rel.caseId)
      .execute();
    const to = r.state.slice(3);
    await addTimeline(trx, meta, {
      caseId: rel.caseId,
      at: now,
      kind: 'case-state.public',
      summary: `${r.applied.map((e) => EVENT_NAME[e]).join(', ')} (${pxa} → ${to})`,
      data: { events: r.applied, from: pxa, to },
    });
    await auditCase(ctx, trx, meta, 'case.state', rel.caseId, { events: r.applied });
    return to;
  });
}

/** The case history (V/F/D per vendor, P/X/A per case) scored against Vultron's desiderata. */
export async function caseDesiderata(ctx: AppContext, caseId: string): Promise<DesiderataScore> {
  const c = await ctx.db
    .selectFrom('cases')
    .select(['public_aware_at', 'exploit_public_at', 'attacks_observed_at'])
    .where('id', '=', caseId)
    .executeTakeFirstOrThrow();
  const parts = await ctx.db
    .selectFrom('case_participants')
    .select(['org_id', 'vendor_aware_at', 'fix_ready_at', 'fix_deployed_at'])
    .where('case_id', '=', caseId)
    .where('role', '=', 'vendor')
    .where('removed_at', 'is', null)
    .execute();
  const history: HistoryEvent[] = [];
  for (const p of parts) {
    if (p.vendor_aware_at) history.push({ event: 'V', participant: p.org_id, at: p.vendor_aware_at });
    if (p.fix_ready_at) history.push({ event: 'F', participant: p.org_id, at: p.fix_ready_at });
    if (p.fix_deployed_at) history.push({ event: 'D', participant: p.org_id, at: p.fix_deployed_at });
  }
  if (c.public_aware_at) history.push({ event: 'P', at: c.public_aware_at });
  if (c.exploit_public_at) history.push({ event: 'X', at: c.exploit_public_at });
  if (c.attacks_observed_at) history.push({ event: 'A', at: c.attacks_observed_at });
  // Order by time; at equal times, causes first (V before F before D, P before X before A).
  const rank = { V: 0, F: 1, D: 2, P: 3, X: 4, A: 5 } as const;
  history.sort((a, b) => a.at.getTime() - b.at.getTime() || rank[a.event] - rank[b.event]);
  return scoreDesiderata(history, { participants: parts.map((p) => p.org_id) });
}
