// Writing an audit entry for a request's action on one object, and reading an organization's
// audit entries: those about it, and those its users did that concern no other organization.
import type { Kysely } from 'kysely';
import { type AppContext, actorIds, type RequestMeta } from '../context.ts';
import { appendAudit } from '../store/audit.ts';
import type { DB } from '../store/schema.ts';

/**
 * Records what the request's actor did to one object, in the caller's transaction. The subject
 * organization defaults to the actor's own.
 */
export async function auditObject(
  ctx: AppContext,
  trx: Kysely<DB>,
  meta: RequestMeta,
  object: { type: string; id: string },
  action: string,
  details?: Record<string, unknown>,
  subjectOrgId?: string | null,
): Promise<void> {
  const ids = actorIds(meta);
  await appendAudit(trx, {
    at: ctx.clock.now(),
    ...ids,
    subjectOrgId: subjectOrgId ?? ids.actorOrgId,
    action,
    objectType: object.type,
    objectId: object.id,
    requestId: meta.requestId,
    ...(details ? { details } : {}),
  });
}

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
