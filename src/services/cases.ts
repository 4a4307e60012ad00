// Cases: opened from reports by a coordinator, with participants (each with its own Vultron
// report-management state and vendor case-state flags) and case-wide flags.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AppContext, RequestMeta } from '../context.ts';
import type { UserActor } from '../domain/policy.ts';
import { type RmAction, rmNext } from '../domain/report-states.ts';
import { problems } from '../problem.ts';
import type { DB } from '../store/schema.ts';
import type { ParticipantRole, RmState, Tlp } from '../store/schema-cases.ts';
import { auditObject } from './audit-log.ts';
import { loadGates } from './case-gates.ts';
import { caseOwner, createDataKey } from './data-keys.ts';
import { notifyInvited } from './notify.ts';
import { nextRef, setReportState } from './reports.ts';
import { applyTemplate } from './tents.ts';
import { addTimeline } from './timeline.ts';

/** An audit entry about a case. */
export function auditCase(
  ctx: AppContext,
  trx: Kysely<DB>,
  meta: RequestMeta,
  action: string,
  caseId: string,
  details?: Record<string, unknown>,
  subjectOrgId?: string | null,
): Promise<void> {
  return auditObject(ctx, trx, meta, { type: 'case', id: caseId }, action, details, subjectOrgId);
}

export interface OpenCaseInput {
  title: string;
  summary?: string | undefined;
  reportIds: string[];
  communityId?: string | undefined;
  ackHours?: number | undefined;
}

/** Opens a case from one or more reports; the reports are accepted into it (Vultron RM: A). */
export async function openCase(
  ctx: AppContext,
  meta: RequestMeta,
  actor: UserActor,
  input: OpenCaseInput,
): Promise<{ id: string; ref: string }> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    if (input.communityId) {
      const c = await trx.selectFrom('communities').select('id').where('id', '=', input.communityId).executeTakeFirst();
      if (!c) throw problems.badRequest('No such community.', [{ field: 'body.communityId', message: 'unknown community' }]);
    }
    const reports = input.reportIds.length
      ? await trx
          .selectFrom('reports')
          .select(['id', 'ref', 'rm_state', 'case_id'])
          .where('id', 'in', input.reportIds)
          .forUpdate()
          .execute()
      : [];
    if (reports.length !== new Set(input.reportIds).size) {
      throw problems.badRequest('A report does not exist.', [{ field: 'body.reportIds', message: 'unknown report' }]);
    }
    for (const r of reports) {
      if (r.case_id) throw problems.conflict(`Report ${r.ref} is already in a case; merge instead.`);
      if (!rmNext(r.rm_state, 'accept').ok && r.rm_state !== 'A') {
        throw problems.conflict(`Report ${r.ref} is in state ${r.rm_state}; validate it before opening a case.`);
      }
    }
    const ref = await nextRef(trx, 'case_ref_seq', 'VC', now);
    const id = randomUUID();
    // Each case has its own data key; its text is sealed under it (docs/encryption-at-rest.md).
    const box = await createDataKey(ctx, trx, caseOwner(id), now);
    const c = await trx
      .insertInto('cases')
      .values({
        id,
        ref,
        title_sealed: box.seal('cases.title', id, input.title),
        summary_sealed: box.seal('cases.summary', id, input.summary ?? ''),
        coordinator_org_id: actor.orgId,
        community_id: input.communityId ?? null,
        ack_hours: input.ackHours ?? 72,
        created_at: now,
        updated_at: now,
      })
      .returning(['id', 'ref'])
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('case_participants')
      .values({ case_id: c.id, org_id: actor.orgId, role: 'coordinator', rm_state: 'A', invited_at: now, acknowledged_at: now })
      .execute();
    for (const r of reports) {
      await trx.updateTable('reports').set({ case_id: c.id, updated_at: now }).where('id', '=', r.id).execute();
      if (r.rm_state !== 'A') await setReportState(ctx, trx, meta, r.id, r.rm_state, 'A', 'accept', `opened case ${ref}`);
    }
    await addTimeline(trx, meta, {
      caseId: c.id,
      at: now,
      kind: 'case.opened',
      summary: `Case ${ref} opened${reports.length ? ` from ${reports.map((r) => r.ref).join(', ')}` : ''}`,
      data: { reports: reports.map((r) => r.ref) },
    });
    await auditCase(ctx, trx, meta, 'case.open', c.id, { ref, reports: reports.map((r) => r.ref) });
    // A case in a community starts with the community's tents; the coordinator adjusts them.
    if (input.communityId) await applyTemplate(ctx, trx, c.id, input.communityId, now);
    return c;
  });
}

/** Merges a report into an existing case (a duplicate or a related finding). */
export async function mergeReport(ctx: AppContext, meta: RequestMeta, reportId: string, caseId: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const r = await trx
      .selectFrom('reports')
      .select(['ref', 'rm_state', 'case_id'])
      .where('id', '=', reportId)
      .forUpdate()
      .executeTakeFirst();
    if (!r) throw problems.notFound('report');
    if (r.case_id) throw problems.conflict(`Report ${r.ref} is already in a case.`);
    const next = r.rm_state === 'A' ? { ok: true as const, state: 'A' as RmState } : rmNext(r.rm_state, 'accept');
    if (!next.ok) throw problems.conflict(`Report ${r.ref} is in state ${r.rm_state}; validate it before merging.`);
    await trx.updateTable('reports').set({ case_id: caseId, updated_at: now }).where('id', '=', reportId).execute();
    if (r.rm_state !== 'A') await setReportState(ctx, trx, meta, reportId, r.rm_state, 'A', 'accept', 'merged into a case');
    await addTimeline(trx, meta, {
      caseId,
      at: now,
      kind: 'report.merged',
      summary: `Report ${r.ref} merged into the case`,
      audience: 'coordinator',
    });
    await auditCase(ctx, trx, meta, 'case.merge_report', caseId, { report: r.ref });
  });
}

export interface ParticipantInput {
  orgId: string;
  role: Exclude<ParticipantRole, 'coordinator'>;
  tlpCeiling?: Tlp | undefined;
}

/**
 * Invites an organization into the case. It has received the report (Vultron RM: Received);
 * a vendor is now aware (CS: V). An acknowledgement is due within the case's ack window:
 * a reminder, then an escalation, are scheduled as durable jobs.
 */
export async function addParticipant(
  ctx: AppContext,
  meta: RequestMeta,
  caseId: string,
  input: ParticipantInput,
): Promise<string> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const org = await trx.selectFrom('organizations').select(['id', 'name']).where('id', '=', input.orgId).executeTakeFirst();
    if (!org) throw problems.badRequest('No such organization.', [{ field: 'body.orgId', message: 'unknown organization' }]);
    const existing = await trx
      .selectFrom('case_participants')
      .select(['id', 'removed_at', 'via_tent'])
      .where('case_id', '=', caseId)
      .where('org_id', '=', input.orgId)
      .executeTakeFirst();
    // An organization a tent brought in may be invited in its own right (say, as a vendor).
    if (existing && !existing.removed_at && !existing.via_tent) throw problems.conflict(`${org.name} is already a participant.`);
    const values = {
      role: input.role,
      rm_state: 'R' as RmState,
      tlp_ceiling: input.tlpCeiling ?? ('RED' as Tlp),
      vendor_aware_at: input.role === 'vendor' ? now : null,
      invited_at: now,
      acknowledged_at: null,
      reminded_at: null,
      escalated_at: null,
      removed_at: null,
      via_tent: null,
    };
    const id = existing
      ? (
          await trx
            .updateTable('case_participants')
            .set(values)
            .where('id', '=', existing.id)
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id
      : (
          await trx
            .insertInto('case_participants')
            .values({ case_id: caseId, org_id: input.orgId, ...values })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id;
    const c = await trx
      .selectFrom('cases')
      .select(['ack_hours', 'ref', 'community_id'])
      .where('id', '=', caseId)
      .executeTakeFirstOrThrow();
    // With tents, an organization learns of the case only when a tent containing it opens: until
    // then it is not told, and its acknowledgement clock does not run (the opening starts both).
    const gate = (
      await loadGates(trx, [{ caseId, communityId: c.community_id, role: input.role }], { orgId: org.id, userId: null }, now)
    ).get(caseId);
    const waiting = gate?.tents ? !gate.tents.open : false;
    await addTimeline(trx, meta, {
      caseId,
      at: now,
      kind: 'participant.invited',
      summary: `${org.name} invited as ${input.role}${waiting ? '; it joins when a tent containing it opens' : ''}`,
      data: { orgId: org.id, role: input.role, tlpCeiling: values.tlp_ceiling, waiting },
      ...(waiting ? { audience: 'coordinator' as const } : {}),
    });
    await auditCase(ctx, trx, meta, 'case.participant_add', caseId, { orgId: org.id, role: input.role, waiting }, org.id);
    if (waiting) return id;
    await ctx.jobs.enqueue(
      trx,
      ACK_CHECK_JOB,
      { participantId: id, stage: 'remind' },
      {
        key: `${id}:${now.getTime()}:remind`,
        runAt: new Date(now.getTime() + c.ack_hours * 3600_000),
      },
    );
    await notifyInvited(ctx, trx, { caseId, caseRef: c.ref, orgId: org.id, participantId: id, at: now });
    return id;
  });
}

export const ACK_CHECK_JOB = 'case.ack-check';

export async function removeParticipant(
  ctx: AppContext,
  meta: RequestMeta,
  caseId: string,
  orgId: string,
  reason: string,
): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const p = await trx
      .updateTable('case_participants')
      .set({ removed_at: now })
      .where('case_id', '=', caseId)
      .where('org_id', '=', orgId)
      .where('removed_at', 'is', null)
      .where('role', '!=', 'coordinator')
      .returning('id')
      .executeTakeFirst();
    if (!p) throw problems.notFound('participant');
    await addTimeline(trx, meta, {
      caseId,
      at: now,
      kind: 'participant.removed',
      summary: 'A participant was removed',
      data: { orgId, reason },
    });
    await auditCase(ctx, trx, meta, 'case.participant_remove', caseId, { orgId, reason }, orgId);
  });
}

/**
 * A participant moves its own report-management state (Vultron RM). Any move by the
 * participant counts as acknowledging the invitation.
 */
export async function participantRm(
  ctx: AppContext,
  meta: RequestMeta,
  caseId: string,
  orgId: string,
  action: RmAction,
): Promise<RmState> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const p = await trx
      .selectFrom('case_participants')
      .select(['id', 'rm_state', 'acknowledged_at'])
      .where('case_id', '=', caseId)
      .where('org_id', '=', orgId)
      .where('removed_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
    if (!p) throw problems.notFound('participant');
    const next = rmNext(p.rm_state, action);
    if (!next.ok) throw problems.conflict(next.reason);
    await trx
      .updateTable('case_participants')
      .set({ rm_state: next.state, acknowledged_at: p.acknowledged_at ?? now })
      .where('id', '=', p.id)
      .execute();
    await addTimeline(trx, meta, {
      caseId,
      at: now,
      kind: 'participant.rm',
      summary: `Report management: ${p.rm_state} → ${next.state} (${action})`,
      data: { orgId, from: p.rm_state, to: next.state, action },
    });
    await auditCase(ctx, trx, meta, 'case.rm_transition', caseId, { orgId, from: p.rm_state, to: next.state, action }, orgId);
    return next.state;
  });
}

/** Acknowledges an invitation without changing the report-management state. */
export async function acknowledge(ctx: AppContext, meta: RequestMeta, caseId: string, orgId: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const p = await trx
      .updateTable('case_participants')
      .set({ acknowledged_at: now })
      .where('case_id', '=', caseId)
      .where('org_id', '=', orgId)
      .where('removed_at', 'is', null)
      .where('acknowledged_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!p) return;
    await addTimeline(trx, meta, {
      caseId,
      at: now,
      kind: 'participant.acknowledged',
      summary: 'Invitation acknowledged',
      data: { orgId },
    });
    await auditCase(ctx, trx, meta, 'case.acknowledge', caseId, { orgId }, orgId);
  });
}
