// Who is told what by email when something happens in a case. Mail is queued in the same
// transaction as the change (src/mail), so it is sent exactly when the change commits.
import type { Kysely } from 'kysely';
import type { AppContext } from '../context.ts';
import type { DB } from '../store/schema.ts';
import type { Tlp } from '../store/schema-cases.ts';

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

export async function notifyInvited(_ctx: AppContext, _trx: Kysely<DB>, _e: { caseId: string; caseRef: string; orgId: string }) {}

export async function notifyMessage(
  _ctx: AppContext,
  _trx: Kysely<DB>,
  _e: { caseId: string; messageId: string; tlp: Tlp; audience: 'all' | 'org'; audienceOrgId: string | null; authorOrgId: string },
) {}

export async function notifyReminder(
  _ctx: AppContext,
  _trx: Kysely<DB>,
  _e: { caseId: string; caseRef: string; orgId: string },
) {}

export async function notifyEscalation(
  _ctx: AppContext,
  _trx: Kysely<DB>,
  _e: { caseId: string; caseRef: string; orgId: string; orgName: string },
) {}

/** A short notice to every participant of a case (no case content beyond the line given). */
export async function notifyCase(_ctx: AppContext, _trx: Kysely<DB>, _e: { caseId: string; subject: string; line: string }) {}
