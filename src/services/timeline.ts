// The case timeline: one entry for everything that happened in a case, written in the same
// transaction as the change it describes, with an audience that limits who sees it.
import type { Kysely } from 'kysely';
import type { RequestMeta } from '../context.ts';
import { actorIds } from '../context.ts';
import type { DB } from '../store/schema.ts';
import type { Tlp } from '../store/schema-cases.ts';

export interface TimelineEntry {
  caseId: string;
  at: Date;
  kind: string;
  summary: string;
  data?: Record<string, unknown>;
  audience?: 'all' | 'coordinator' | 'org';
  audienceOrgId?: string | null;
  /** The label of the item the entry is about (default CLEAR: case facts every participant sees). */
  tlp?: Tlp;
}

export async function addTimeline(trx: Kysely<DB>, meta: RequestMeta | null, e: TimelineEntry): Promise<void> {
  const ids = meta ? actorIds(meta) : { actorUserId: null, actorOrgId: null };
  await trx
    .insertInto('case_events')
    .values({
      case_id: e.caseId,
      at: e.at,
      actor_user_id: ids.actorUserId,
      actor_org_id: ids.actorOrgId,
      kind: e.kind,
      summary: e.summary,
      data: JSON.stringify(e.data ?? {}),
      audience: e.audience ?? 'all',
      audience_org_id: e.audienceOrgId ?? null,
      tlp: e.tlp ?? 'CLEAR',
    })
    .execute();
}
