// Purging a case (crypto-shredding): its data key, and the keys of the reports merged into it,
// are destroyed, so everything sealed under them (titles, texts, messages, artifacts,
// statements, briefing packets, report attachments) can never be read again, from the database
// or from any backup of it. The sealed rows stay, unreadable, with the case's skeleton (ids,
// states, dates, participants, the timeline's entries): the record that the case existed and
// was purged, by whom and why. Reads of a purged case's content answer 410.
import type { Kysely } from 'kysely';
import type { AppContext, RequestMeta } from '../context.ts';
import { problems } from '../problem.ts';
import type { DB } from '../store/schema.ts';
import { auditCase } from './cases.ts';
import { caseOwner, contentPurged, destroyDataKeys, type KeyOwner, reportOwner } from './data-keys.ts';
import { addTimeline } from './timeline.ts';

export interface PurgeResult {
  caseId: string;
  purgedAt: Date;
  /** How many data keys were destroyed: the case's and its reports'. */
  keysDestroyed: number;
  reports: string[];
}

export async function purgeCase(ctx: AppContext, meta: RequestMeta, caseId: string, reason: string): Promise<PurgeResult> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const c = await trx.selectFrom('cases').select(['ref', 'purged_at']).where('id', '=', caseId).forUpdate().executeTakeFirst();
    if (!c) throw problems.notFound('case');
    if (c.purged_at) throw problems.conflict(`Case ${c.ref} was purged already.`);
    const reports = await trx.selectFrom('reports').select(['id', 'ref']).where('case_id', '=', caseId).execute();
    const owners: KeyOwner[] = [caseOwner(caseId), ...reports.map((r) => reportOwner(r.id))];
    const keysDestroyed = await destroyDataKeys(ctx, trx, owners, now);
    await trx
      .updateTable('cases')
      .set({ purged_at: now, purge_reason: reason, closed_at: now, updated_at: now })
      .where('id', '=', caseId)
      .execute();
    // Closed with nothing left to tell: no tent opens (its briefing could not be written).
    await trx.updateTable('case_tents').set({ scheduled_at: null, updated_at: now }).where('case_id', '=', caseId).execute();
    await addTimeline(trx, meta, {
      caseId,
      at: now,
      kind: 'case.purged',
      summary: `Case ${c.ref} purged`,
      audience: 'coordinator',
    });
    await auditCase(ctx, trx, meta, 'case.purge', caseId, {
      ref: c.ref,
      reason,
      reports: reports.map((r) => r.ref),
      keysDestroyed,
    });
    return { caseId, purgedAt: now, keysDestroyed, reports: reports.map((r) => r.ref) };
  });
}

/** Throws 410 when the case was purged: every read of its content goes through here (authorizeCase). */
export async function assertNotPurged(db: Kysely<DB>, caseId: string): Promise<void> {
  const c = await db.selectFrom('cases').select('purged_at').where('id', '=', caseId).executeTakeFirst();
  if (c?.purged_at) throw contentPurged('case');
}
