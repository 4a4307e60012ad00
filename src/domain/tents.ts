// Tents: staged disclosure inside one case. Pure domain logic, no I/O; every time is passed in.
//
// A tent names who is in it (organizations by id, or community tiers), when it opens (an absolute
// instant, an offset from the embargo's release date, or immediately at case creation), and what it
// may see (a TLP ceiling and which artifacts). A community supplies a default template
// (defaultTentTemplate) which the coordinator adjusts per case.
//
// Rules kept here:
//   * A tent is open exactly when its state carries an openedAt at or before `now`. Reaching the
//     scheduled time does not by itself open anything: the scheduler (dueTents / openDue / recompute)
//     records the opening. Visibility therefore fails closed if the scheduler runs late.
//   * Opening is one-way: nothing in this module ever clears openedAt. When the release date moves,
//     unopened tents move with it; open tents stay open with their openedAt unchanged.
//   * A relative tent has no time while there is no release date; only an early opening opens it.
//   * Days are exact 24-hour spans in UTC (release − 14 days = releaseAt − 14 × 86 400 000 ms), not
//     calendar days in any time zone.
//   * Visibility is decided per tent: an item is readable when ONE open tent containing the
//     organization allows both its TLP and its artifact. Ceilings and artifact lists of different
//     tents are never combined (a RED tent limited to artifact x plus a CLEAR tent with all artifacts
//     does not let the organization read artifact y at RED). The summary ceiling (max) and artifact
//     union in TentAccess are for display only.
//   * An ejected or suspended organization sees nothing, whatever its tents.
// The coordinator's own bypass, per-item audiences and an author reading its own items stay in
// policy.ts (mayReadCaseItem); this module is the extra tent constraint on participants.
import { z } from 'zod';
import type { Tlp } from '../store/schema-cases.ts';
import type { GovCertPolicy } from './community.ts';
import { maxTlp, tlpWithin } from './tlp-order.ts';

const DAY_MS = 86_400_000;

/** TLP 2.0 labels, lowest to highest (matches policy.ts tlpWithin). */
export const TLP_LABELS = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'] as const satisfies readonly Tlp[];
export const TlpSchema = z.enum(TLP_LABELS);

/** The membership tier that matches every organization in the case. */
export const EVERYONE_TIER = '*';

/** Community tiers used by the default template. Communities may define further tiers. */
export const TENT_TIERS = {
  fixProvider: 'fix-provider',
  enabler: 'enabler',
  affinityGroup: 'affinity-group',
  protectionVendor: 'protection-vendor',
  governmentCert: 'government-cert',
  everyone: EVERYONE_TIER,
} as const;

/** Longest offset before release a relative tent may use. */
export const MAX_RELATIVE_OFFSET_DAYS = 366;

/** A Date, or an RFC 3339 timestamp with offset (as stored in JSON), parsed to a Date. */
const DateLike = z.union([z.date(), z.iso.datetime({ offset: true }).transform((s) => new Date(s))]);

const Id = z.string().min(1).max(200);

export const TentOpensSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('absolute'), at: DateLike }),
  /** Days relative to the embargo's release date; 0 = at release, −14 = fourteen days before. */
  z.strictObject({ kind: z.literal('relative'), offsetDays: z.number().int().min(-MAX_RELATIVE_OFFSET_DAYS).max(0) }),
  /** At case creation. */
  z.strictObject({ kind: z.literal('immediately') }),
]);
export type TentOpens = z.output<typeof TentOpensSchema>;

export const TentSpecSchema = z.strictObject({
  id: Id,
  name: z.string().min(1).max(200),
  members: z.strictObject({
    orgIds: z.array(Id).max(10_000),
    tiers: z.array(Id).max(100),
  }),
  opens: TentOpensSchema,
  tlpCeiling: TlpSchema,
  /** 'all', or the ids of the artifacts this tent may see. Items that are not artifacts are bound only by TLP. */
  artifacts: z.union([z.literal('all'), z.array(Id).max(10_000)]),
});
export type TentSpec = z.output<typeof TentSpecSchema>;

/** A case's tents, with unique ids. */
export const TentSpecListSchema = z
  .array(TentSpecSchema)
  .max(100)
  .refine((tents) => new Set(tents.map((t) => t.id)).size === tents.length, { message: 'tent ids must be unique' });

export const OpenedEarlySchema = z.strictObject({
  at: DateLike,
  by: Id,
  reason: z.string().trim().min(1).max(2000),
});

export const TentStateSchema = z.strictObject({
  openedAt: DateLike.nullable(),
  openedEarly: OpenedEarlySchema.optional(),
});
export type TentState = z.output<typeof TentStateSchema>;

/** One tent of a case with its state. */
export interface Tent {
  spec: TentSpec;
  state: TentState;
}

export const CLOSED: TentState = Object.freeze({ openedAt: null }) as TentState;

// ---------------------------------------------------------------------------------------------
// Template

/** Village default for government CERTs: at release (fails closed; communities opt in to earlier). */
export const DEFAULT_GOV_CERT_POLICY: GovCertPolicy = { certs: [], notify: { when: 'at-release' } };

/** The tier an organization carries when it is a government CERT of a country (see orgTentTags). */
export function governmentCertTier(country: string): string {
  return `${TENT_TIERS.governmentCert}:${country}`;
}

function govCertOpens(policy: GovCertPolicy): TentOpens {
  switch (policy.notify.when) {
    case 'at-open':
      return { kind: 'immediately' };
    case 'release-minus-days':
      return { kind: 'relative', offsetDays: -policy.notify.days };
    case 'at-release':
      return { kind: 'relative', offsetDays: 0 };
  }
}

/** Who the government-CERT tent holds: the CERTs the policy names, or every government CERT when it names none. */
function govCertMembers(policy: GovCertPolicy): TentSpec['members'] {
  if (policy.certs.length === 0) return { orgIds: [], tiers: [TENT_TIERS.governmentCert] };
  const orgIds: string[] = [];
  const tiers: string[] = [];
  for (const c of policy.certs) {
    if (c.kind === 'org') orgIds.push(c.orgId);
    else tiers.push(governmentCertTier(c.country));
  }
  return { orgIds, tiers };
}

/**
 * The tags an organization matches tent tiers with: its community trust tier, its functions in the
 * community, fix-provider when it is a vendor in the case, and government-cert:CC for a government
 * CERT of country CC.
 */
export function orgTentTags(o: {
  tier: string | null;
  functions: readonly string[];
  caseRole: string | null;
  country: string | null;
}): string[] {
  const tags = new Set<string>(o.functions);
  if (o.tier) tags.add(o.tier);
  if (o.caseRole === 'vendor') tags.add(TENT_TIERS.fixProvider);
  if (o.country && tags.has(TENT_TIERS.governmentCert)) tags.add(governmentCertTier(o.country));
  return [...tags];
}

/**
 * The five standard tents a community starts a case with; the coordinator adjusts them per case.
 * Ceilings (TLP 2.0):
 *   - fix-providers  RED    immediately      — vendors building the fix need everything, including
 *                                              reporter-only details shared for their eyes only.
 *   - enablers       AMBER  release − 14 d   — distributors, cloud providers and OEMs act inside
 *                                              their organization and on their clients' behalf
 *                                              (AMBER), not the vendor-internal RED material.
 *   - affinity       AMBER  release − 3 d    — affinity groups and protection vendors (detection,
 *                                              mitigations) need the same AMBER view to prepare.
 *   - gov-certs      GREEN  per policy       — government CERTs may warn their community (GREEN).
 *   - everyone       CLEAR  at release       — every organization in the case, public material only.
 * Every template tent sees all artifacts; the ceiling does the filtering.
 */
export function defaultTentTemplate(govCertPolicy: GovCertPolicy = DEFAULT_GOV_CERT_POLICY): TentSpec[] {
  const members = (...tiers: string[]) => ({ orgIds: [], tiers });
  return [
    {
      id: 'fix-providers',
      name: 'Fix providers',
      members: members(TENT_TIERS.fixProvider),
      opens: { kind: 'immediately' },
      tlpCeiling: 'RED',
      artifacts: 'all',
    },
    {
      id: 'enablers',
      name: 'Enablers (distributors, cloud providers, OEMs)',
      members: members(TENT_TIERS.enabler),
      opens: { kind: 'relative', offsetDays: -14 },
      tlpCeiling: 'AMBER',
      artifacts: 'all',
    },
    {
      id: 'affinity',
      name: 'Affinity groups and protection vendors',
      members: members(TENT_TIERS.affinityGroup, TENT_TIERS.protectionVendor),
      opens: { kind: 'relative', offsetDays: -3 },
      tlpCeiling: 'AMBER',
      artifacts: 'all',
    },
    {
      id: 'gov-certs',
      name: 'Government CERTs',
      members: govCertMembers(govCertPolicy),
      opens: govCertOpens(govCertPolicy),
      tlpCeiling: 'GREEN',
      artifacts: 'all',
    },
    {
      id: 'everyone',
      name: 'Everyone',
      members: members(TENT_TIERS.everyone),
      opens: { kind: 'relative', offsetDays: 0 },
      tlpCeiling: 'CLEAR',
      artifacts: 'all',
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Schedule

/**
 * When a tent is due to open: an absolute tent at its instant; an immediate tent at case creation;
 * a relative tent at releaseAt + offsetDays, or never (null) while there is no release date.
 */
export function scheduledOpening(spec: TentSpec, releaseAt: Date | null, caseOpenedAt: Date): Date | null {
  switch (spec.opens.kind) {
    case 'absolute':
      return new Date(spec.opens.at.getTime());
    case 'immediately':
      return new Date(caseOpenedAt.getTime());
    case 'relative':
      return releaseAt ? new Date(releaseAt.getTime() + spec.opens.offsetDays * DAY_MS) : null;
  }
}

/** Whether a tent's state says it is open at `now`. */
export function isTentOpen(state: TentState, now: Date): boolean {
  return state.openedAt !== null && state.openedAt.getTime() <= now.getTime();
}

function isDue(spec: TentSpec, state: TentState, releaseAt: Date | null, now: Date): boolean {
  if (state.openedAt !== null) return false;
  // An immediate tent opens at case creation, which is never after `now`: if it is still closed, it is due.
  if (spec.opens.kind === 'immediately') return true;
  const at = scheduledOpening(spec, releaseAt, now);
  return at !== null && at.getTime() <= now.getTime();
}

/** Ids of the tents that are still closed and whose scheduled time (under releaseAt) has come. */
export function dueTents(tents: readonly Tent[], releaseAt: Date | null, now: Date): string[] {
  return tents.filter((t) => isDue(t.spec, t.state, releaseAt, now)).map((t) => t.spec.id);
}

/** Opens every due tent at `now`; the scheduler's tick. Open tents are returned unchanged. */
export function openDue(tents: readonly Tent[], releaseAt: Date | null, now: Date): { tents: Tent[]; opened: string[] } {
  const opened: string[] = [];
  const out = tents.map((t) => {
    if (!isDue(t.spec, t.state, releaseAt, now)) return t;
    opened.push(t.spec.id);
    return { spec: t.spec, state: { openedAt: new Date(now.getTime()) } };
  });
  return { tents: out, opened };
}

export interface RecomputedTent extends Tent {
  /** Scheduled opening under the old release date (null: none, or an immediate tent). */
  previousAt: Date | null;
  /** Scheduled opening under the new release date (null: none, or an immediate tent). */
  scheduledAt: Date | null;
  /** Whether the scheduled time changed (false for open tents, which no longer follow the release). */
  moved: boolean;
}

/**
 * The release date moved from oldRelease to newRelease (either may be null: no release date).
 * Closed tents take their new times; a closed tent whose new time is not after `now` opens now and is
 * listed in `due`. Open tents stay open with their openedAt unchanged, wherever the release moves.
 */
export function recompute(
  tents: readonly Tent[],
  oldRelease: Date | null,
  newRelease: Date | null,
  now: Date,
): { tents: RecomputedTent[]; due: string[] } {
  const due: string[] = [];
  const out = tents.map((t): RecomputedTent => {
    const schedule = (release: Date | null) =>
      t.spec.opens.kind === 'immediately' ? null : scheduledOpening(t.spec, release, now);
    const previousAt = schedule(oldRelease);
    const scheduledAt = schedule(newRelease);
    if (t.state.openedAt !== null) return { spec: t.spec, state: t.state, previousAt, scheduledAt, moved: false };
    const moved = (previousAt?.getTime() ?? null) !== (scheduledAt?.getTime() ?? null);
    if (isDue(t.spec, t.state, newRelease, now)) {
      due.push(t.spec.id);
      return { spec: t.spec, state: { openedAt: new Date(now.getTime()) }, previousAt, scheduledAt, moved };
    }
    return { spec: t.spec, state: t.state, previousAt, scheduledAt, moved };
  });
  return { tents: out, due };
}

/** The coordinator opens a closed tent ahead of its schedule; a reason is required and recorded. */
export function openEarly(
  state: TentState,
  now: Date,
  by: string,
  reason: string,
): { ok: true; state: TentState } | { ok: false; reason: string } {
  const why = reason.trim();
  if (why.length === 0) return { ok: false, reason: 'a reason is required to open a tent early' };
  if (by.trim().length === 0) return { ok: false, reason: 'who opened the tent is required' };
  if (state.openedAt !== null) return { ok: false, reason: 'the tent is already open' };
  const at = new Date(now.getTime());
  return { ok: true, state: { openedAt: at, openedEarly: { at: new Date(now.getTime()), by, reason: why } } };
}

// ---------------------------------------------------------------------------------------------
// Visibility

/** Whether an organization with these tiers is a member of a tent. */
export function tentContains(spec: TentSpec, orgId: string, orgTiers: readonly string[]): boolean {
  if (spec.members.orgIds.includes(orgId)) return true;
  return spec.members.tiers.some((tier) => tier === EVERYONE_TIER || orgTiers.includes(tier));
}

/** The organization's standing in the case at `now`. */
export interface TentMembership {
  ejected: boolean;
  suspended: boolean;
}

/** What one open tent lets the organization see. */
export interface TentGrant {
  tentId: string;
  tlpCeiling: Tlp;
  artifacts: 'all' | ReadonlySet<string>;
}

export type TentAccess =
  | { open: false; tlpCeiling: null; artifacts: ReadonlySet<string>; grants: readonly TentGrant[] }
  | {
      open: true;
      /** Highest ceiling over the open tents containing the organization (display only). */
      tlpCeiling: Tlp;
      /** Union of their artifact lists (display only). */
      artifacts: 'all' | ReadonlySet<string>;
      /** One per open tent containing the organization; mayReadItem decides from these. */
      grants: readonly TentGrant[];
    };

const NO_ACCESS: TentAccess = Object.freeze({ open: false, tlpCeiling: null, artifacts: new Set<string>(), grants: [] });

/**
 * What an organization may see of a case at `now` through its tents. Nothing while it is ejected or
 * suspended, and nothing before a tent containing it is open.
 */
export function orgTentAccess(
  orgId: string,
  orgTiers: readonly string[],
  tents: readonly Tent[],
  now: Date,
  membership: TentMembership,
): TentAccess {
  if (membership.ejected || membership.suspended) return NO_ACCESS;
  const grants: TentGrant[] = [];
  for (const t of tents) {
    if (!isTentOpen(t.state, now) || !tentContains(t.spec, orgId, orgTiers)) continue;
    grants.push({
      tentId: t.spec.id,
      tlpCeiling: t.spec.tlpCeiling,
      artifacts: t.spec.artifacts === 'all' ? 'all' : new Set(t.spec.artifacts),
    });
  }
  const [first, ...rest] = grants;
  if (!first) return NO_ACCESS;
  let tlpCeiling = first.tlpCeiling;
  let artifacts: 'all' | Set<string> = first.artifacts === 'all' ? 'all' : new Set(first.artifacts);
  for (const g of rest) {
    tlpCeiling = maxTlp(tlpCeiling, g.tlpCeiling);
    if (artifacts === 'all') continue;
    if (g.artifacts === 'all') artifacts = 'all';
    else for (const a of g.artifacts) artifacts.add(a);
  }
  return { open: true, tlpCeiling, artifacts, grants };
}

/** An item of a case as tents see it; artifactId is set for artifacts (and items that belong to one). */
export interface TentItem {
  tlp: Tlp;
  artifactId?: string | null;
}

/** Whether one open tent allows the item: its TLP within that tent's ceiling and its artifact in that tent's list. */
export function mayReadItem(access: TentAccess, item: TentItem): boolean {
  if (!access.open) return false;
  const artifactId = item.artifactId ?? null;
  return access.grants.some(
    (g) => tlpWithin(item.tlp, g.tlpCeiling) && (artifactId === null || g.artifacts === 'all' || g.artifacts.has(artifactId)),
  );
}
