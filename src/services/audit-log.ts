// Reading an organization's audit entries: those about it, and those its users did that concern no other organization.
import type { AppContext } from '../context.ts';

export interface AuditEntryView {
  seq: string;
  at: Date;
  actorUserId: string | null;
  actorOrgId: string | null;
  subjectOrgId: string | null;
  action: string;
  objectType: string;
  objectId: string | null;
  requestId: string | null;
  details: unknown;
  hash: string;
}

export async function listOrgAudit(
  ctx: AppContext,
  orgId: string,
  page: { beforeSeq?: string | undefined; limit: number },
): Promise<AuditEntryView[]> {
  let q = ctx.db
    .selectFrom('audit_log')
    .selectAll()
    // Entries about the organization, and its own users' entries that concern no other organization
    // (an operator's work in another organization belongs to that organization's log).
    .where((eb) =>
      eb.or([eb('subject_org_id', '=', orgId), eb.and([eb('subject_org_id', 'is', null), eb('actor_org_id', '=', orgId)])]),
    )
    .orderBy('seq', 'desc')
    .limit(page.limit);
  if (page.beforeSeq) q = q.where('seq', '<', page.beforeSeq);
  const rows = await q.execute();
  return rows.map((r) => ({
    seq: r.seq,
    at: new Date(r.at),
    actorUserId: r.actor_user_id,
    actorOrgId: r.actor_org_id,
    subjectOrgId: r.subject_org_id,
    action: r.action,
    objectType: r.object_type,
    objectId: r.object_id,
    requestId: r.request_id,
    details: r.details,
    hash: r.hash,
  }));
}
