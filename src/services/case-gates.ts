// What a case's community and tents allow an organization (and one of its users) at a moment:
// the CaseGate the policy module decides with. Loaded fresh for every request, so a suspension,
// an ejection, a new NDA version or a tent opening counts from the next request on.
import type { Kysely } from 'kysely';
import type { MembershipState } from '../domain/community.ts';
import type { CaseGate } from '../domain/policy.ts';
import { orgTentAccess, orgTentTags, type Tent, TentSpecSchema, TentStateSchema } from '../domain/tents.ts';
import type { DB } from '../store/schema.ts';
import type { ParticipantRole } from '../store/schema-cases.ts';

export interface GateSubject {
  caseId: string;
  communityId: string | null;
  /** The organization's role in the case (null: not a participant). */
  role: ParticipantRole | null;
}

interface TentRow {
  case_id: string;
  tent_id: string;
  spec: unknown;
  opened_at: Date | null;
  opened_early: unknown;
}

export function tentFromRow(r: TentRow): Tent {
  return {
    spec: TentSpecSchema.parse(r.spec),
    state: TentStateSchema.parse({ openedAt: r.opened_at, ...(r.opened_early ? { openedEarly: r.opened_early } : {}) }),
  };
}

/** The tents of some cases, in their order. */
export async function loadTents(db: Kysely<DB>, caseIds: readonly string[]): Promise<Map<string, Tent[]>> {
  const out = new Map<string, Tent[]>();
  if (caseIds.length === 0) return out;
  const rows = await db
    .selectFrom('case_tents')
    .select(['case_id', 'tent_id', 'spec', 'opened_at', 'opened_early'])
    .where('case_id', 'in', [...new Set(caseIds)])
    .orderBy('case_id')
    .orderBy('position')
    .execute();
  for (const r of rows) {
    const list = out.get(r.case_id) ?? [];
    list.push(tentFromRow(r));
    out.set(r.case_id, list);
  }
  return out;
}

export interface OrgStanding {
  state: MembershipState | null;
  tier: string | null;
  functions: string[];
}

/** An organization's membership in some communities. */
export async function loadStandings(
  db: Kysely<DB>,
  orgId: string,
  communityIds: readonly string[],
): Promise<Map<string, OrgStanding>> {
  const out = new Map<string, OrgStanding>();
  if (communityIds.length === 0) return out;
  const rows = await db
    .selectFrom('community_members')
    .select(['community_id', 'state', 'tier', 'functions'])
    .where('org_id', '=', orgId)
    .where('community_id', 'in', [...new Set(communityIds)])
    .execute();
  for (const r of rows) out.set(r.community_id, { state: r.state, tier: r.tier, functions: r.functions });
  return out;
}

/** For each community, its current NDA version when the user has not accepted it. */
async function pendingNdas(
  db: Kysely<DB>,
  userId: string,
  communityIds: readonly string[],
): Promise<Map<string, { communityId: string; version: number; hash: string }>> {
  const out = new Map<string, { communityId: string; version: number; hash: string }>();
  if (communityIds.length === 0) return out;
  const rows = await db
    .selectFrom('nda_versions as v')
    .leftJoin('nda_acceptances as a', (j) =>
      j.onRef('a.community_id', '=', 'v.community_id').onRef('a.version', '=', 'v.version').on('a.user_id', '=', userId),
    )
    .select(['v.community_id', 'v.version', 'v.hash', 'a.accepted_at'])
    .where('v.community_id', 'in', [...new Set(communityIds)])
    .where(({ eb, selectFrom }) =>
      eb(
        'v.version',
        '=',
        selectFrom('nda_versions as w')
          .select((w) => w.fn.max('w.version').as('m'))
          .whereRef('w.community_id', '=', 'v.community_id'),
      ),
    )
    .execute();
  for (const r of rows) {
    if (!r.accepted_at) out.set(r.community_id, { communityId: r.community_id, version: r.version, hash: r.hash });
  }
  return out;
}

/** Whether a gate puts no constraint at all (a case without community and tents). */
function unconstrained(g: CaseGate): boolean {
  return g.tents === null && g.standing === null && g.ndaPending === null;
}

/**
 * The gates of some cases for one organization (and, for the NDA, one user; null skips the NDA
 * check, for deciding who is told that something is waiting). Cases without a community and
 * without tents get no entry: nothing beyond participation constrains them.
 */
export async function loadGates(
  db: Kysely<DB>,
  subjects: readonly GateSubject[],
  who: { orgId: string; userId: string | null },
  now: Date,
): Promise<Map<string, CaseGate>> {
  const communities = [...new Set(subjects.map((s) => s.communityId).filter((c): c is string => c !== null))];
  // One after the other: the embedded engine serves one query at a time anyway.
  const tents = await loadTents(
    db,
    subjects.map((s) => s.caseId),
  );
  const standings = await loadStandings(db, who.orgId, communities);
  const ndas = who.userId ? await pendingNdas(db, who.userId, communities) : new Map<string, CaseGate['ndaPending']>();
  const org = await db.selectFrom('organizations').select('country').where('id', '=', who.orgId).executeTakeFirst();
  const out = new Map<string, CaseGate>();
  for (const s of subjects) {
    const standing = s.communityId ? standings.get(s.communityId) : undefined;
    const admitted = standing?.state === 'admitted';
    const caseTents = tents.get(s.caseId);
    const gate: CaseGate = {
      tents: caseTents?.length
        ? orgTentAccess(
            who.orgId,
            orgTentTags({
              tier: admitted ? standing.tier : null,
              functions: admitted ? standing.functions : [],
              caseRole: s.role,
              country: org?.country ?? null,
            }),
            caseTents,
            now,
            { ejected: standing?.state === 'ejected', suspended: standing?.state === 'suspended' },
          )
        : null,
      standing: standing?.state ?? null,
      ndaPending: s.communityId ? (ndas.get(s.communityId) ?? null) : null,
    };
    if (!unconstrained(gate)) out.set(s.caseId, gate);
  }
  return out;
}
