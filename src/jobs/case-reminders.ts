// Invitations that go unacknowledged: a reminder to the participant when the case's
// acknowledgement window has passed, then, one window later, an escalation to the coordinator.
import type { AppContext } from '../context.ts';
import { ACK_CHECK_JOB } from '../services/cases.ts';
import { notifyEscalation, notifyReminder } from '../services/notify.ts';
import { addTimeline } from '../services/timeline.ts';

interface AckCheck {
  participantId: string;
  stage: 'remind' | 'escalate';
}

export function registerCaseReminders(ctx: AppContext): void {
  ctx.jobs.register<AckCheck>(ACK_CHECK_JOB, async (job) => {
    const { participantId, stage } = job.data;
    await job.once(async (trx) => {
      const p = await trx
        .selectFrom('case_participants as p')
        .innerJoin('cases as c', 'c.id', 'p.case_id')
        .innerJoin('organizations as o', 'o.id', 'p.org_id')
        .select([
          'p.case_id',
          'p.org_id',
          'p.acknowledged_at',
          'p.removed_at',
          'p.invited_at',
          'c.ack_hours',
          'c.ref',
          'c.closed_at',
          'o.name',
        ])
        .where('p.id', '=', participantId)
        .executeTakeFirst();
      // Acknowledged, removed, or the case is closed: nothing to chase.
      if (!p || p.acknowledged_at || p.removed_at || p.closed_at) return;
      const now = ctx.clock.now();
      if (stage === 'remind') {
        await trx.updateTable('case_participants').set({ reminded_at: now }).where('id', '=', participantId).execute();
        await addTimeline(trx, null, {
          caseId: p.case_id,
          at: now,
          kind: 'participant.reminded',
          summary: `${p.name} reminded to acknowledge the invitation`,
          data: { orgId: p.org_id },
          audience: 'org',
          audienceOrgId: p.org_id,
        });
        await notifyReminder(ctx, trx, {
          caseId: p.case_id,
          caseRef: p.ref,
          orgId: p.org_id,
          due: new Date(p.invited_at.getTime() + p.ack_hours * 3600_000),
          key: job.key,
        });
        await ctx.jobs.enqueue(
          trx,
          ACK_CHECK_JOB,
          { participantId, stage: 'escalate' },
          {
            key: `${job.key}:escalate`,
            runAt: new Date(now.getTime() + p.ack_hours * 3600_000),
          },
        );
      } else {
        await trx.updateTable('case_participants').set({ escalated_at: now }).where('id', '=', participantId).execute();
        await addTimeline(trx, null, {
          caseId: p.case_id,
          at: now,
          kind: 'participant.escalated',
          summary: `${p.name} has not acknowledged; escalated to the coordinator`,
          data: { orgId: p.org_id },
          audience: 'coordinator',
        });
        await notifyEscalation(ctx, trx, { caseId: p.case_id, caseRef: p.ref, orgName: p.name, key: job.key });
      }
    });
  });
}
