// Whether a case has been released: after the release's freeze step, the case's vulnerabilities,
// products and embargo no longer change (vendors' statements still may, as new revisions).
import type { Kysely } from 'kysely';
import { problems } from '../problem.ts';
import type { DB } from '../store/schema.ts';

export async function isReleased(db: Kysely<DB>, caseId: string): Promise<boolean> {
  const r = await db
    .selectFrom('release_steps')
    .select('step')
    .where('case_id', '=', caseId)
    .where('revision', '=', 1)
    .where('step', '=', 'freeze')
    .where('status', '=', 'done')
    .executeTakeFirst();
  return !!r;
}

/** Refuses an edit of a released case with a 409. */
export async function assertNotReleased(db: Kysely<DB>, caseId: string): Promise<void> {
  if (await isReleased(db, caseId))
    throw problems.conflict(
      'The case has been released: its vulnerabilities, products and embargo are frozen (statements may still change).',
    );
}
