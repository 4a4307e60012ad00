// Embargo management on Vultron's EM model. The negotiation is an append-only list of events
// per case; the domain reducer (src/domain/vultron/embargo.ts) decides what each event means,
// and the case row keeps the resulting EM state and release date for queries.
import { type Kysely, type Selectable, sql } from 'kysely';
import type { AppContext, RequestMeta } from '../context.ts';
import type { CaseRelation, UserActor } from '../domain/policy.ts';
import {
  applyEmbargoEvent,
  type EmbargoContext,
  type EmbargoEvent,
  type EmbargoView,
  reduceEmbargo,
  type TerminationReason,
} from '../domain/vultron/index.ts';
import { problems } from '../problem.ts';
import type { DB } from '../store/schema.ts';
import type { EmbargoEventsTable } from '../store/schema-cases.ts';
import { auditCase } from './cases.ts';
import { SYSTEM_META, scheduleDateCords } from './cords.ts';
import { notifyCase } from './notify.ts';
import { assertNotReleased } from './release-state.ts';
import { rescheduleTents } from './tents.ts';
import { addTimeline } from './timeline.ts';

export const DEFAULT_EMBARGO_DAYS = 45;
export const MAX_EMBARGO_DAYS = 90;

interface CaseEmbargoSetting {
  coordinatorOrgId: string;
  createdAt: Date;
  defaultDays: number;
  maxDays: number;
  participants: string[];
}

async function settings(trx: Kysely<DB>, caseId: string): Promise<CaseEmbargoSetting> {
  const c = await trx
    .selectFrom('cases as c')
    .leftJoin('communities as m', 'm.id', 'c.community_id')
    .select(['c.coordinator_org_id', 'c.created_at', 'm.default_embargo_days', 'm.max_embargo_days'])
    .where('c.id', '=', caseId)
    .executeTakeFirstOrThrow();
  // Everyone who was ever a participant: the negotiation record does not change when someone
  // leaves (their past answers stay valid); routes stop removed participants from acting.
  const parts = await trx
    .selectFrom('case_participants')
    .select('org_id')
    .where('case_id', '=', caseId)
    .where('role', '!=', 'coordinator')
    .execute();
  return {
    coordinatorOrgId: c.coordinator_org_id,
    createdAt: c.created_at,
    defaultDays: c.default_embargo_days ?? DEFAULT_EMBARGO_DAYS,
    maxDays: c.max_embargo_days ?? MAX_EMBARGO_DAYS,
    participants: parts.map((p) => p.org_id),
  };
}

function domainContext(s: CaseEmbargoSetting, now: Date): EmbargoContext {
  // The maximum embargo is counted from when the case was opened.
  return {
    caseOwner: s.coordinatorOrgId,
    participants: s.participants,
    now,
    maxEmbargoDays: s.maxDays,
    embargoWindowStart: s.createdAt,
  };
}

async function loadEvents(trx: Kysely<DB>, caseId: string): Promise<EmbargoEvent[]> {
  const rows = await trx.selectFrom('embargo_events').selectAll().where('case_id', '=', caseId).orderBy('seq').execute();
  return rows.map(toEvent);
}

type EmbargoRow = Selectable<EmbargoEventsTable>;

function toEvent(r: EmbargoRow): EmbargoEvent {
  switch (r.kind) {
    case 'propose':
      return {
        type: 'propose',
        proposalId: r.proposal_id ?? r.id,
        by: r.org_id,
        at: r.at,
        releaseAt: r.release_at ?? r.at,
        ...(r.invitees ? { invitees: r.invitees } : {}),
      };
    case 'invite':
      return { type: 'invite', proposalId: r.proposal_id ?? '', by: r.org_id, at: r.at, invitees: r.invitees ?? [] };
    case 'accept':
      return { type: 'accept', proposalId: r.proposal_id ?? '', by: r.org_id, at: r.at };
    case 'reject':
      return {
        type: 'reject',
        proposalId: r.proposal_id ?? '',
        by: r.org_id,
        at: r.at,
        ...(r.reason ? { reason: r.reason } : {}),
      };
    case 'terminate':
      return {
        type: 'terminate',
        by: r.org_id,
        at: r.at,
        reason: (r.reason ?? 'other') as TerminationReason,
        ...(r.detail ? { detail: r.detail } : {}),
      };
  }
  throw new Error(`unknown embargo event kind ${String((r as { kind: unknown }).kind)}`);
}

export async function embargoView(ctx: AppContext, caseId: string): Promise<EmbargoView> {
  const s = await settings(ctx.db, caseId);
  return reduceEmbargo(await loadEvents(ctx.db, caseId), domainContext(s, ctx.clock.now())).view;
}

export type EmbargoAction =
  | { type: 'propose'; releaseAt?: Date | undefined }
  | { type: 'accept'; proposalId: string }
  | { type: 'reject'; proposalId: string; reason?: string | undefined }
  | { type: 'terminate'; reason: TerminationReason; detail?: string | undefined };

const SUMMARY: Record<EmbargoAction['type'], string> = {
  propose: 'proposed an embargo',
  accept: 'accepted embargo terms',
  reject: 'rejected embargo terms',
  terminate: 'ended the embargo',
};

/**
 * Applies one embargo action for the actor's organization. The domain reducer refuses what the
 * EM model forbids (nothing is written then); accepted events are stored, the case's EM state and
 * release date follow, and every participant sees it on the timeline.
 */
export async function actOnEmbargo(
  ctx: AppContext,
  meta: RequestMeta,
  actor: UserActor,
  rel: CaseRelation,
  action: EmbargoAction,
): Promise<EmbargoView> {
  return ctx.db
    .transaction()
    .execute((trx) => applyEmbargoAction(ctx, trx, meta, { orgId: actor.orgId, userId: actor.userId }, rel, action));
}

/**
 * actOnEmbargo in the caller's transaction, for an organization acting in the case (the
 * coordinator's organization when Village acts for it, as a parachute cord does, with no user).
 * `notify: false` leaves telling the participants to the caller.
 */
export async function applyEmbargoAction(
  ctx: AppContext,
  trx: Kysely<DB>,
  meta: RequestMeta | null,
  actor: { orgId: string; userId: string | null },
  rel: Pick<CaseRelation, 'caseId' | 'coordinatorOrgId'>,
  action: EmbargoAction,
  opts: { notify?: boolean } = {},
): Promise<EmbargoView> {
  const now = ctx.clock.now();
  {
    // Lock the case row: embargo events of one case are applied one at a time.
    await trx.selectFrom('cases').select('id').where('id', '=', rel.caseId).forUpdate().executeTakeFirstOrThrow();
    await assertNotReleased(trx, rel.caseId);
    const s = await settings(trx, rel.caseId);
    const dctx = domainContext(s, now);
    const before = reduceEmbargo(await loadEvents(trx, rel.caseId), dctx).view;
    const proposalId = action.type === 'propose' ? crypto.randomUUID() : action.type === 'terminate' ? null : action.proposalId;
    const releaseAt =
      action.type === 'propose' ? (action.releaseAt ?? new Date(now.getTime() + s.defaultDays * 86_400_000)) : null;
    let event: EmbargoEvent;
    switch (action.type) {
      case 'propose':
        event = { type: 'propose', proposalId: proposalId as string, by: actor.orgId, at: now, releaseAt: releaseAt as Date };
        break;
      case 'accept':
        event = { type: 'accept', proposalId: action.proposalId, by: actor.orgId, at: now };
        break;
      case 'reject':
        event = {
          type: 'reject',
          proposalId: action.proposalId,
          by: actor.orgId,
          at: now,
          ...(action.reason ? { reason: action.reason } : {}),
        };
        break;
      case 'terminate':
        if (actor.orgId !== rel.coordinatorOrgId) throw problems.forbidden('Only the case coordinator ends an embargo.');
        event = {
          type: 'terminate',
          by: actor.orgId,
          at: now,
          reason: action.reason,
          ...(action.detail ? { detail: action.detail } : {}),
        };
        break;
    }
    const step = applyEmbargoEvent(before, event, dctx);
    if (!step.ok) throw problems.conflict(step.reason);
    const after = step.view;
    const seq = Number(
      (
        await trx
          .selectFrom('embargo_events')
          .select((eb) => eb.fn.coalesce(eb.fn.max('seq'), eb.lit(0)).as('n'))
          .where('case_id', '=', rel.caseId)
          .executeTakeFirstOrThrow()
      ).n,
    );
    await trx
      .insertInto('embargo_events')
      .values({
        case_id: rel.caseId,
        seq: seq + 1,
        at: now,
        kind: action.type,
        org_id: actor.orgId,
        user_id: actor.userId,
        proposal_id: proposalId,
        release_at: releaseAt,
        invitees: null,
        reason: action.type === 'reject' ? (action.reason ?? null) : action.type === 'terminate' ? action.reason : null,
        detail: action.type === 'terminate' ? (action.detail ?? null) : null,
      })
      .execute();
    await trx
      .updateTable('cases')
      .set({
        em_state: after.state,
        release_at: after.releaseAt,
        embargo_ended_reason: after.termination
          ? `${after.termination.reason}${after.termination.detail ? `: ${after.termination.detail}` : ''}`
          : null,
        updated_at: now,
      })
      .where('id', '=', rel.caseId)
      .execute();
    if ((before.releaseAt?.getTime() ?? null) !== (after.releaseAt?.getTime() ?? null)) {
      await rescheduleTents(ctx, trx, rel.caseId, before.releaseAt, after.releaseAt, now);
      await scheduleDateCords(ctx, trx, rel.caseId);
    }
    const summary = `${SUMMARY[action.type]}${releaseAt ? ` (release ${releaseAt.toISOString()})` : ''}; embargo ${before.state} → ${after.state}`;
    await addTimeline(trx, meta && meta.actor.type === 'user' ? meta : null, {
      caseId: rel.caseId,
      at: now,
      kind: `embargo.${action.type}`,
      summary,
      data: {
        proposalId,
        from: before.state,
        to: after.state,
        releaseAt: after.releaseAt?.toISOString() ?? null,
        notice: step.notice,
      },
    });
    await auditCase(
      ctx,
      trx,
      meta ?? SYSTEM_META,
      `embargo.${action.type}`,
      rel.caseId,
      {
        proposalId,
        from: before.state,
        to: after.state,
      },
      meta ? undefined : rel.coordinatorOrgId,
    );
    if (opts.notify !== false && (before.state !== after.state || action.type === 'propose')) {
      await notifyCase(ctx, trx, {
        caseId: rel.caseId,
        what: action.type === 'terminate' ? 'the embargo has ended' : 'the embargo negotiation has moved',
        key: `embargo:${rel.caseId}:${seq + 1}`,
        exceptOrgId: actor.orgId,
      });
    }
    return after;
  }
}

/**
 * The release ends the embargo (if one is still running) on behalf of the case owner: the end is
 * recorded as an embargo event (reason "other", detail "released") when the EM model allows it,
 * and the case's EM state becomes eXited with the release date set to `now`. Idempotent.
 */
export async function endEmbargoAtRelease(trx: Kysely<DB>, caseId: string, now: Date): Promise<void> {
  const s = await settings(trx, caseId);
  const dctx = domainContext(s, now);
  const events = await loadEvents(trx, caseId);
  const before = reduceEmbargo(events, dctx).view;
  if (before.state !== 'X' && before.state !== 'N') {
    const event: EmbargoEvent = { type: 'terminate', by: s.coordinatorOrgId, at: now, reason: 'other', detail: 'released' };
    const step = applyEmbargoEvent(before, event, dctx);
    if (step.ok) {
      await trx
        .insertInto('embargo_events')
        .values({
          case_id: caseId,
          seq: events.length + 1,
          at: now,
          kind: 'terminate',
          org_id: s.coordinatorOrgId,
          user_id: null,
          proposal_id: null,
          release_at: null,
          invitees: null,
          reason: 'other',
          detail: 'released',
        })
        .execute();
    }
  }
  // An embargo that had already ended (a cord, a leak) keeps the reason it ended for.
  await trx
    .updateTable('cases')
    .set((eb) => ({
      em_state: 'X',
      release_at: now,
      embargo_ended_reason: eb.fn.coalesce('embargo_ended_reason', sql<string>`'other: released'`),
      updated_at: now,
    }))
    .where('id', '=', caseId)
    .execute();
}
