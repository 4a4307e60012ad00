// Who is told what by email when something happens in a case or a report. Mail is queued in
// the same transaction as the change (src/mail/outbox.ts), so it goes out exactly when the
// change commits, once per recipient. Mail never carries case content: it says that something
// is waiting and links to it behind sign-in. Each mail names the TLP label of what it carries
// (src/mail/protect.ts: AMBER and above only ever go out encrypted). The notices here carry
// references only (a case reference, organization names, a link), so they are GREEN: encrypted
// to recipients with a key, signed in clear to the others. Mail that carries case content must
// pass that content's label (queueMail defaults to AMBER).
import type { Kysely } from 'kysely';
import type { AppContext } from '../context.ts';
import { tlpWithin } from '../domain/policy.ts';
import { mayReadItem } from '../domain/tents.ts';
import { queueMail } from '../mail/outbox.ts';
import {
  briefingNotice,
  caseInvitation,
  caseUpdate,
  deadlineReminder,
  escalationToCoordinator,
  newMessageNotification,
  type RenderedMail,
  reporterAcknowledgement,
  reporterReplyNotice,
  standingChangeNotice,
} from '../mail/templates.ts';
import type { DB } from '../store/schema.ts';
import type { ParticipantRole, Tlp } from '../store/schema-cases.ts';
import { loadGates } from './case-gates.ts';

/** Active users of an organization: the recipients of its case mail. */
export async function orgRecipients(trx: Kysely<DB>, orgId: string): Promise<Array<{ id: string; email: string }>> {
  return trx
    .selectFrom('users')
    .select(['id', 'email'])
    .where('org_id', '=', orgId)
    .where('disabled_at', 'is', null)
    .orderBy('email')
    .execute();
}

/** The label of a notice that carries only references and links (see the templates). */
const REFERENCE_ONLY: Tlp = 'GREEN';

async function mailOrg(
  ctx: AppContext,
  trx: Kysely<DB>,
  orgId: string,
  key: string,
  kind: string,
  mail: RenderedMail,
  tlp: Tlp = REFERENCE_ONLY,
) {
  for (const u of await orgRecipients(trx, orgId)) {
    await queueMail(ctx, trx, { key: `${key}:${u.id}`, to: u.email, subject: mail.subject, text: mail.text, kind, tlp });
  }
}

/**
 * Whether an organization may be told about a case at all right now: not while no tent of the
 * case is open for it, nor while it is suspended or ejected from the case's community. For a
 * labelled item, one open tent must also allow its label.
 */
async function mayBeTold(
  ctx: AppContext,
  trx: Kysely<DB>,
  c: { caseId: string; community_id: string | null; coordinator_org_id: string },
  p: { org_id: string; role: ParticipantRole },
  tlp?: Tlp,
): Promise<boolean> {
  const gates = await loadGates(
    trx,
    [{ caseId: c.caseId, communityId: c.community_id, role: p.role }],
    { orgId: p.org_id, userId: null },
    ctx.clock.now(),
  );
  const gate = gates.get(c.caseId);
  if (!gate) return true;
  if (gate.standing === 'ejected' || gate.standing === 'suspended') return false;
  if (p.org_id === c.coordinator_org_id || !gate.tents) return true;
  return gate.tents.open && (tlp === undefined || mayReadItem(gate.tents, { tlp }));
}

async function caseRef(trx: Kysely<DB>, caseId: string) {
  return trx
    .selectFrom('cases as c')
    .innerJoin('organizations as o', 'o.id', 'c.coordinator_org_id')
    .select(['c.id as caseId', 'c.ref', 'c.coordinator_org_id', 'c.community_id', 'o.name as coordinator'])
    .where('c.id', '=', caseId)
    .executeTakeFirstOrThrow();
}

export async function notifyInvited(
  ctx: AppContext,
  trx: Kysely<DB>,
  e: { caseId: string; caseRef: string; orgId: string; participantId: string; at: Date },
) {
  const c = await caseRef(trx, e.caseId);
  const org = await trx.selectFrom('organizations').select('name').where('id', '=', e.orgId).executeTakeFirstOrThrow();
  const mail = caseInvitation(ctx.config, { caseRef: c.ref, caseId: e.caseId, orgName: org.name, invitedBy: c.coordinator });
  await mailOrg(ctx, trx, e.orgId, `invite:${e.participantId}:${e.at.getTime()}`, 'case.invitation', mail);
}

/** Tells every organization that may read a new message (by audience and TLP ceiling) that it is waiting. */
export async function notifyMessage(
  ctx: AppContext,
  trx: Kysely<DB>,
  e: { caseId: string; messageId: string; tlp: Tlp; audience: 'all' | 'org'; audienceOrgId: string | null; authorOrgId: string },
) {
  const c = await caseRef(trx, e.caseId);
  const parts = await trx
    .selectFrom('case_participants')
    .select(['org_id', 'role', 'tlp_ceiling'])
    .where('case_id', '=', e.caseId)
    .where('removed_at', 'is', null)
    .execute();
  const mail = newMessageNotification(ctx.config, { caseRef: c.ref, caseId: e.caseId });
  for (const p of parts) {
    if (p.org_id === e.authorOrgId) continue;
    const coordinating = p.org_id === c.coordinator_org_id;
    const addressed = e.audience === 'all' || e.audienceOrgId === p.org_id || coordinating;
    if (!addressed || !(coordinating || tlpWithin(e.tlp, p.tlp_ceiling))) continue;
    if (!(await mayBeTold(ctx, trx, c, p, e.tlp))) continue;
    // The notice names the case, not the message: reference-only, whatever the message's label.
    await mailOrg(ctx, trx, p.org_id, `message:${e.messageId}`, 'case.message', mail);
  }
}

export async function notifyReminder(
  ctx: AppContext,
  trx: Kysely<DB>,
  e: { caseId: string; caseRef: string; orgId: string; due: Date; key: string },
) {
  const mail = deadlineReminder(ctx.config, {
    caseRef: e.caseRef,
    caseId: e.caseId,
    what: 'acknowledgement of the invitation',
    due: e.due,
    now: ctx.clock.now(),
  });
  await mailOrg(ctx, trx, e.orgId, `remind:${e.key}`, 'case.reminder', mail);
}

export async function notifyEscalation(
  ctx: AppContext,
  trx: Kysely<DB>,
  e: { caseId: string; caseRef: string; orgName: string; key: string },
) {
  const c = await caseRef(trx, e.caseId);
  const mail = escalationToCoordinator(ctx.config, {
    caseRef: e.caseRef,
    caseId: e.caseId,
    reason: `${e.orgName} has not acknowledged its invitation`,
  });
  await mailOrg(ctx, trx, c.coordinator_org_id, `escalate:${e.key}`, 'case.escalation', mail);
}

/** A short notice to every participant of a case (no case content). */
export async function notifyCase(
  ctx: AppContext,
  trx: Kysely<DB>,
  e: { caseId: string; what: string; key: string; exceptOrgId?: string },
) {
  const c = await caseRef(trx, e.caseId);
  const parts = await trx
    .selectFrom('case_participants')
    .select(['org_id', 'role'])
    .where('case_id', '=', e.caseId)
    .where('removed_at', 'is', null)
    .execute();
  const mail = caseUpdate(ctx.config, { caseRef: c.ref, caseId: e.caseId, what: e.what });
  for (const p of parts) {
    if (p.org_id === e.exceptOrgId || !(await mayBeTold(ctx, trx, c, p))) continue;
    await mailOrg(ctx, trx, p.org_id, `update:${e.key}`, 'case.update', mail);
  }
}

export async function notifyReporterAck(
  ctx: AppContext,
  trx: Kysely<DB>,
  e: { reportId: string; ref: string; to: string; replyUrl: string },
) {
  const mail = reporterAcknowledgement(ctx.config, { reportRef: e.ref, replyUrl: e.replyUrl });
  await queueMail(ctx, trx, {
    key: `report-ack:${e.reportId}`,
    to: e.to,
    subject: mail.subject,
    text: mail.text,
    kind: 'report.ack',
    // The reporter's private reply link: a capability, encrypted when they gave a key, else signed.
    tlp: REFERENCE_ONLY,
    reportId: e.reportId,
  });
}

export async function notifyReporterReply(ctx: AppContext, trx: Kysely<DB>, e: { reportId: string; messageId: string }) {
  const r = await trx
    .selectFrom('reports')
    .select(['ref', 'reporter_email'])
    .where('id', '=', e.reportId)
    .executeTakeFirstOrThrow();
  const mail = reporterReplyNotice(ctx.config, { reportRef: r.ref });
  await queueMail(ctx, trx, {
    key: `report-reply:${e.messageId}`,
    to: r.reporter_email,
    subject: mail.subject,
    text: mail.text,
    kind: 'report.reply',
    tlp: REFERENCE_ONLY,
    reportId: e.reportId,
  });
}

/** A tent opened for an organization: its users are told a briefing packet waits (no content). */
export async function notifyBriefing(
  ctx: AppContext,
  trx: Kysely<DB>,
  e: { caseId: string; caseRef: string; orgId: string; orgName: string; tentName: string; key: string },
) {
  const mail = briefingNotice(ctx.config, { caseRef: e.caseRef, caseId: e.caseId, orgName: e.orgName, tentName: e.tentName });
  await mailOrg(ctx, trx, e.orgId, `briefing:${e.key}:${e.orgId}`, 'case.briefing', mail);
}

/** The coordinator of a case is told a participant was ejected or suspended from the community. */
export async function notifyStandingChange(
  ctx: AppContext,
  trx: Kysely<DB>,
  e: { caseId: string; orgName: string; change: 'ejected' | 'suspended'; key: string },
) {
  const c = await caseRef(trx, e.caseId);
  const mail = standingChangeNotice(ctx.config, { caseRef: c.ref, caseId: e.caseId, orgName: e.orgName, change: e.change });
  await mailOrg(ctx, trx, c.coordinator_org_id, `standing:${e.key}`, 'case.standing', mail);
}
