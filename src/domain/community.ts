// Trust communities: the settings a community is run by (charter, trust tiers, embargo bounds,
// admission rule, government-CERT policy), its versioned NDA, and the membership lifecycle of one
// organization in it, as a pure reducer over recorded events. No I/O; time is always passed in.
//
// Membership lifecycle (per organization, per community):
//
//   (none)    --apply-->                applied
//   applied   --sponsor-->              sponsored        (first sponsorship; sponsors rule only)
//   sponsored --sponsor-->              sponsored        (further sponsorships)
//   applied | sponsored --approve | vote--> (unchanged)  (recorded towards the rule)
//   applied | sponsored --admit-->      admitted         (only while the rule is satisfied)
//   admitted  --suspend (reason)-->     suspended
//   suspended --reinstate-->            admitted
//   admitted | suspended --eject (reason)--> ejected     (at once)
//   ejected   --readmit-->              applied          (sponsorships, approvals and votes cleared)
//
// Admission is derived: the event that completes the rule also admits (a history entry marked
// `derived`), unless the caller turns that off, in which case a steward admits explicitly.
// Every recorded step carries who did it, when and why.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { accepted, refused, type TransitionResult } from './vultron/result.ts';

// ---------------------------------------------------------------------------------------------
// Settings

export const AdmissionQuorumSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('count'), count: z.number().int().min(1).max(1000) }),
  z.strictObject({ kind: z.literal('fraction'), fraction: z.number().gt(0).max(1) }),
]);
export type AdmissionQuorum = z.infer<typeof AdmissionQuorumSchema>;

export const AdmissionRuleSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('sponsors'),
      /** Distinct admitted member organizations that must sponsor the applicant. */
      sponsors: z.number().int().min(0).max(100),
      /** Whether a steward must also approve. */
      stewardApproval: z.boolean(),
    }),
    z.strictObject({
      kind: z.literal('steward-vote'),
      /** Minimum number of steward votes cast (a count, or a fraction of all stewards); yes must outnumber no. */
      quorum: AdmissionQuorumSchema,
    }),
  ])
  .refine((r) => r.kind !== 'sponsors' || r.sponsors > 0 || r.stewardApproval, {
    message: 'an admission rule needs at least one sponsor or a steward approval',
  });
export type AdmissionRule = z.infer<typeof AdmissionRuleSchema>;

export const TierSchema = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'lower-case letters, digits and dashes, up to 32');

export const CountryCodeSchema = z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 country code');

export const GovCertTargetSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('org'), orgId: z.string().min(1) }),
  z.strictObject({ kind: z.literal('country'), country: CountryCodeSchema }),
]);
export type GovCertTarget = z.infer<typeof GovCertTargetSchema>;

export const GovCertNotifySchema = z.discriminatedUnion('when', [
  z.strictObject({ when: z.literal('at-open') }),
  z.strictObject({ when: z.literal('release-minus-days'), days: z.number().int().min(1).max(365) }),
  z.strictObject({ when: z.literal('at-release') }),
]);
export type GovCertNotify = z.infer<typeof GovCertNotifySchema>;

export const GovCertPolicySchema = z.strictObject({
  /** The national CERTs told about the community's cases: by organization, or by country. */
  certs: z.array(GovCertTargetSchema).max(200),
  notify: GovCertNotifySchema,
});
export type GovCertPolicy = z.infer<typeof GovCertPolicySchema>;

export const EmbargoBoundsSchema = z
  .strictObject({
    defaultDays: z.number().int().min(1).max(3650),
    maxDays: z.number().int().min(1).max(3650),
  })
  .refine((e) => e.defaultDays <= e.maxDays, {
    message: 'the default embargo must not exceed the maximum',
    path: ['defaultDays'],
  });
export type EmbargoBounds = z.infer<typeof EmbargoBoundsSchema>;

export const CommunitySettingsSchema = z.strictObject({
  charter: z.string().trim().min(1).max(100_000),
  /** Trust tiers, most trusted first (for example core, partner, observer). */
  tiers: z
    .array(TierSchema)
    .min(1)
    .max(20)
    .refine((t) => new Set(t).size === t.length, { message: 'tiers must be distinct' }),
  embargo: EmbargoBoundsSchema,
  admission: AdmissionRuleSchema,
  governmentCerts: GovCertPolicySchema,
});
export type CommunitySettings = z.infer<typeof CommunitySettingsSchema>;

/** Default for a community that does not say otherwise. */
export const DEFAULT_TIERS = ['core', 'partner', 'observer'] as const;

/** The embargo length a new case gets: the default when none is asked, refused above the maximum. */
export function embargoDays(bounds: EmbargoBounds, requested?: number): TransitionResult<number> {
  if (requested === undefined) return accepted(bounds.defaultDays);
  if (!Number.isInteger(requested) || requested < 1)
    return refused(bounds.defaultDays, 'embargo length must be a whole number of days ≥ 1');
  if (requested > bounds.maxDays) {
    return refused(bounds.defaultDays, `embargo of ${requested} days exceeds the community maximum of ${bounds.maxDays}`);
  }
  return accepted(requested);
}

const DAY_MS = 86_400_000;

/**
 * When the government CERTs are to be told about a case: at its opening, a number of days before
 * the planned release (never before the opening), or at release. null while the release date is
 * unknown and the policy depends on it.
 */
export function govCertNotifyAt(policy: GovCertPolicy, c: { openedAt: Date; releaseAt: Date | null }): Date | null {
  switch (policy.notify.when) {
    case 'at-open':
      return c.openedAt;
    case 'at-release':
      return c.releaseAt;
    case 'release-minus-days': {
      if (!c.releaseAt) return null;
      const t = c.releaseAt.getTime() - policy.notify.days * DAY_MS;
      return new Date(Math.max(t, c.openedAt.getTime()));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// NDA

export const NdaHashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'SHA-256, lower-case hex');

/** The NDA text as it is hashed: Unicode NFC, CRLF line ends as LF. */
export function normalizeNdaText(text: string): string {
  return text.replace(/\r\n/g, '\n').normalize('NFC');
}

/** SHA-256 (lower-case hex) of the normalized NDA text; equal texts that differ only in encoding hash alike. */
export function ndaHash(text: string): string {
  return createHash('sha256').update(normalizeNdaText(text), 'utf8').digest('hex');
}

export interface NdaVersion {
  version: number;
  text: string;
  hash: string;
  publishedAt: Date;
}

/** A new NDA version following `previous` (or the first one). */
export function ndaVersion(text: string, publishedAt: Date, previous?: NdaVersion | null): TransitionResult<NdaVersion | null> {
  if (!normalizeNdaText(text).trim()) return refused(previous ?? null, 'the NDA text is empty');
  const hash = ndaHash(text);
  if (previous && previous.hash === hash) return refused(previous, 'the NDA text is unchanged');
  return accepted({ version: (previous?.version ?? 0) + 1, text: normalizeNdaText(text), hash, publishedAt });
}

export interface NdaAcceptance {
  userId: string;
  versionHash: string;
  at: Date;
}

/** Whether `userId` must (re-)accept the NDA before the next read: no acceptance of the current version is on record. */
export function needsNdaAcceptance(currentVersionHash: string, acceptances: readonly NdaAcceptance[], userId: string): boolean {
  return !acceptances.some((a) => a.userId === userId && a.versionHash === currentVersionHash);
}

// ---------------------------------------------------------------------------------------------
// Membership

export const MEMBERSHIP_STATES = ['applied', 'sponsored', 'admitted', 'suspended', 'ejected'] as const;
export type MembershipState = (typeof MEMBERSHIP_STATES)[number];

export const MEMBERSHIP_EVENTS = [
  'apply',
  'sponsor',
  'approve',
  'vote',
  'admit',
  'suspend',
  'reinstate',
  'eject',
  'readmit',
] as const;
export type MembershipEventType = (typeof MEMBERSHIP_EVENTS)[number];

/** Who did it: the user, and the organization the user acted for. */
export interface CommunityActor {
  userId: string;
  orgId: string;
}

interface EventBase {
  by: CommunityActor;
  at: Date;
  /** Why; required for suspend and eject. */
  reason?: string;
}
export type MembershipEvent =
  | (EventBase & { type: 'apply' })
  | (EventBase & { type: 'sponsor' })
  | (EventBase & { type: 'approve' })
  | (EventBase & { type: 'vote'; vote: 'yes' | 'no' })
  | (EventBase & { type: 'admit' })
  | (EventBase & { type: 'suspend' })
  | (EventBase & { type: 'reinstate' })
  | (EventBase & { type: 'eject' })
  | (EventBase & { type: 'readmit' });

/**
 * The community around the membership, as the caller knows it at a given time: who is an
 * admitted member organization in good standing, who is a steward, how many stewards there are.
 */
export interface CommunityRoster {
  isMember(orgId: string, at: Date): boolean;
  isSteward(userId: string, at: Date): boolean;
  stewardCount(at: Date): number;
}

/** A roster that does not change over time. */
export function staticRoster(r: { memberOrgIds: Iterable<string>; stewardUserIds: Iterable<string> }): CommunityRoster {
  const members = new Set(r.memberOrgIds);
  const stewards = new Set(r.stewardUserIds);
  return {
    isMember: (orgId) => members.has(orgId),
    isSteward: (userId) => stewards.has(userId),
    stewardCount: () => stewards.size,
  };
}

export interface MembershipHistoryEntry {
  type: MembershipEventType;
  from: MembershipState | null;
  to: MembershipState;
  by: CommunityActor;
  at: Date;
  why: string;
  /** true for the admission the reducer derived from the event that completed the rule. */
  derived?: boolean;
  vote?: 'yes' | 'no';
}

export interface Membership {
  /** The organization applying; null until it applies. */
  orgId: string | null;
  /** null until the organization applies. */
  state: MembershipState | null;
  history: MembershipHistoryEntry[];
  /** Since the latest application (apply or readmit). */
  sponsors: { orgId: string; by: CommunityActor; at: Date }[];
  approvals: { by: CommunityActor; at: Date }[];
  votes: { by: CommunityActor; at: Date; vote: 'yes' | 'no' }[];
}

export interface MembershipOptions {
  /** Admit as soon as an event completes the rule (default true); otherwise a steward admits. */
  autoAdmit?: boolean;
}

export const EMPTY_MEMBERSHIP: Membership = Object.freeze({
  orgId: null,
  state: null,
  history: [],
  sponsors: [],
  approvals: [],
  votes: [],
}) as Membership;

export interface AdmissionProgress {
  satisfied: boolean;
  /** What is still missing, in words; empty when satisfied. */
  missing: string[];
}

/** Votes needed for a quorum among `stewards` stewards (at least one). */
export function quorumNeeded(q: AdmissionQuorum, stewards: number): number {
  return q.kind === 'count' ? q.count : Math.max(1, Math.ceil(q.fraction * stewards));
}

/**
 * Whether the admission rule is satisfied by what is on record, judged at `at`: a sponsorship or
 * approval counts only while its organization is still a member and its user still a steward.
 */
export function admissionProgress(m: Membership, rule: AdmissionRule, roster: CommunityRoster, at: Date): AdmissionProgress {
  const missing: string[] = [];
  if (rule.kind === 'sponsors') {
    const sponsors = m.sponsors.filter((s) => roster.isMember(s.orgId, at)).length;
    if (sponsors < rule.sponsors) missing.push(`${rule.sponsors - sponsors} more sponsor(s) of ${rule.sponsors}`);
    if (rule.stewardApproval && !m.approvals.some((a) => roster.isSteward(a.by.userId, at))) missing.push("a steward's approval");
  } else {
    const votes = m.votes.filter((v) => roster.isSteward(v.by.userId, at));
    const yes = votes.filter((v) => v.vote === 'yes').length;
    const no = votes.length - yes;
    const needed = quorumNeeded(rule.quorum, roster.stewardCount(at));
    if (votes.length < needed) missing.push(`${needed - votes.length} more steward vote(s) for a quorum of ${needed}`);
    if (yes <= no) missing.push(`a majority of yes votes (${yes} yes, ${no} no)`);
  }
  return { satisfied: missing.length === 0, missing };
}

function describeRule(rule: AdmissionRule): string {
  if (rule.kind === 'sponsors') {
    const parts = [];
    if (rule.sponsors > 0) parts.push(`${rule.sponsors} sponsor(s)`);
    if (rule.stewardApproval) parts.push("a steward's approval");
    return parts.join(' and ');
  }
  const q = rule.quorum.kind === 'count' ? `${rule.quorum.count}` : `${Math.round(rule.quorum.fraction * 100)}% of stewards`;
  return `a steward vote with a quorum of ${q} and a yes majority`;
}

const blank = (s: string | undefined): boolean => !s?.trim();

/** The states each event may be applied in ('none' = before the organization applied). */
export const MEMBERSHIP_ALLOWED: Readonly<Record<MembershipEventType, readonly (MembershipState | 'none')[]>> = {
  apply: ['none'],
  sponsor: ['applied', 'sponsored'],
  approve: ['applied', 'sponsored'],
  vote: ['applied', 'sponsored'],
  admit: ['applied', 'sponsored'],
  suspend: ['admitted'],
  reinstate: ['suspended'],
  eject: ['admitted', 'suspended'],
  readmit: ['ejected'],
};

/**
 * Applies one event. A refused event leaves the membership as it was (the same object) and says why.
 */
export function membershipStep(
  m: Membership,
  e: MembershipEvent,
  rule: AdmissionRule,
  roster: CommunityRoster,
  options: MembershipOptions = {},
): TransitionResult<Membership> {
  const no = (reason: string): TransitionResult<Membership> => refused(m, `${e.type}: ${reason}`);
  const stateName = m.state ?? 'none';
  if (!(MEMBERSHIP_EVENTS as readonly string[]).includes(e.type))
    return refused(m, `unknown membership event ${JSON.stringify(e.type)}`);
  if (!(e.at instanceof Date) || Number.isNaN(e.at.getTime())) return no('invalid time');
  const last = m.history.at(-1);
  if (last && e.at.getTime() < last.at.getTime())
    return no('time goes backwards: the event is older than the last recorded step');
  if (!MEMBERSHIP_ALLOWED[e.type].includes(stateName)) {
    const allowed = MEMBERSHIP_EVENTS.filter((t) => MEMBERSHIP_ALLOWED[t].includes(stateName));
    const why =
      stateName === 'none'
        ? 'the organization has not applied'
        : stateName === 'ejected' && e.type !== 'readmit'
          ? 'the organization is ejected; only readmit is possible'
          : e.type === 'apply'
            ? `the organization already has a membership (${stateName})`
            : `not allowed while ${stateName}`;
    return no(`${why}; allowed: ${allowed.join(', ') || 'nothing'}`);
  }
  const steward = roster.isSteward(e.by.userId, e.at);
  const applicant = m.orgId;
  const step = (
    to: MembershipState,
    why: string,
    patch: Partial<Membership> = {},
    extra: Partial<MembershipHistoryEntry> = {},
  ) => {
    const entry: MembershipHistoryEntry = { type: e.type, from: m.state, to, by: e.by, at: e.at, why, ...extra };
    return { ...m, ...patch, state: to, history: [...m.history, entry] };
  };
  /** Records an event towards the rule, then admits if it completed the rule (and auto-admission is on). */
  const towardsRule = (next: Membership): TransitionResult<Membership> => {
    if (options.autoAdmit === false) return accepted(next);
    if (!admissionProgress(next, rule, roster, e.at).satisfied) return accepted(next);
    const entry: MembershipHistoryEntry = {
      type: 'admit',
      from: next.state,
      to: 'admitted',
      by: e.by,
      at: e.at,
      why: `admission rule satisfied: ${describeRule(rule)}`,
      derived: true,
    };
    return accepted({ ...next, state: 'admitted', history: [...next.history, entry] });
  };

  switch (e.type) {
    case 'apply':
      if (!e.by.orgId) return no('an organization applies');
      return accepted({ ...step('applied', e.reason?.trim() || 'applied for membership'), orgId: e.by.orgId });
    case 'sponsor': {
      if (rule.kind !== 'sponsors' || rule.sponsors === 0) return no('this community does not admit by sponsorship');
      if (e.by.orgId === applicant) return no('an organization cannot sponsor itself');
      if (!roster.isMember(e.by.orgId, e.at)) return no(`${e.by.orgId} is not an admitted member and cannot sponsor`);
      if (m.sponsors.some((s) => s.orgId === e.by.orgId)) return no(`${e.by.orgId} has already sponsored this application`);
      const sponsors = [...m.sponsors, { orgId: e.by.orgId, by: e.by, at: e.at }];
      return towardsRule(step('sponsored', e.reason?.trim() || `sponsored by ${e.by.orgId}`, { sponsors }));
    }
    case 'approve': {
      if (rule.kind !== 'sponsors' || !rule.stewardApproval) return no("this community's admission rule has no steward approval");
      if (!steward) return no('only a steward may approve');
      if (e.by.orgId === applicant) return no("a steward cannot approve their own organization's application");
      if (m.approvals.some((a) => a.by.userId === e.by.userId)) return no('this steward has already approved');
      const approvals = [...m.approvals, { by: e.by, at: e.at }];
      return towardsRule(step(m.state ?? 'applied', e.reason?.trim() || 'approved by a steward', { approvals }));
    }
    case 'vote': {
      if (rule.kind !== 'steward-vote') return no('this community does not admit by steward vote');
      if (e.vote !== 'yes' && e.vote !== 'no') return no('a vote is yes or no');
      if (!steward) return no('only a steward may vote');
      if (e.by.orgId === applicant) return no("a steward cannot vote on their own organization's application");
      if (m.votes.some((v) => v.by.userId === e.by.userId)) return no('this steward has already voted');
      const votes = [...m.votes, { by: e.by, at: e.at, vote: e.vote }];
      return towardsRule(step(m.state ?? 'applied', e.reason?.trim() || `steward voted ${e.vote}`, { votes }, { vote: e.vote }));
    }
    case 'admit': {
      if (!steward) return no('only a steward may admit');
      const p = admissionProgress(m, rule, roster, e.at);
      if (!p.satisfied) return no(`the admission rule (${describeRule(rule)}) is not met: missing ${p.missing.join('; ')}`);
      return accepted(step('admitted', e.reason?.trim() || `admission rule satisfied: ${describeRule(rule)}`));
    }
    case 'suspend':
      if (!steward) return no('only a steward may suspend');
      if (blank(e.reason)) return no('a reason is required');
      return accepted(step('suspended', (e.reason ?? '').trim()));
    case 'reinstate':
      if (!steward) return no('only a steward may reinstate');
      return accepted(step('admitted', e.reason?.trim() || 'reinstated'));
    case 'eject':
      if (!steward) return no('only a steward may eject');
      if (blank(e.reason)) return no('a reason is required');
      return accepted(step('ejected', (e.reason ?? '').trim()));
    case 'readmit':
      if (!steward && e.by.orgId !== applicant) return no('only a steward or the organization itself may start a readmission');
      return accepted(step('applied', e.reason?.trim() || 'applied for readmission', { sponsors: [], approvals: [], votes: [] }));
  }
}

export interface MembershipRefusal {
  index: number;
  event: MembershipEvent;
  reason: string;
}

/**
 * Folds a membership's events in order. Illegal events are refused (skipped, with the reason) and
 * the fold continues with the next one.
 */
export function reduceMembership(
  events: readonly MembershipEvent[],
  rule: AdmissionRule,
  roster: CommunityRoster,
  options: MembershipOptions = {},
): Membership & { refused: MembershipRefusal[] } {
  let m = EMPTY_MEMBERSHIP;
  const refusedEvents: MembershipRefusal[] = [];
  for (const [index, event] of events.entries()) {
    const r = membershipStep(m, event, rule, roster, options);
    if (r.ok) m = r.state;
    else refusedEvents.push({ index, event, reason: r.reason });
  }
  return { ...m, refused: refusedEvents };
}

// ---------------------------------------------------------------------------------------------
// Visibility

export type MemberVisibility = { may: true; reason: string } | { may: false; reason: string };

/**
 * Whether a user of an organization with this membership state may see anything of the
 * community: only admitted members, and only once the user accepted the current NDA version.
 * Suspension and ejection take effect at once.
 */
export function memberMaySee(state: MembershipState | null, ndaAccepted: boolean): MemberVisibility {
  switch (state) {
    case 'admitted':
      return ndaAccepted
        ? { may: true, reason: 'admitted member; current NDA accepted' }
        : { may: false, reason: 'the current NDA version must be accepted first' };
    case 'suspended':
      return { may: false, reason: 'the membership is suspended' };
    case 'ejected':
      return { may: false, reason: 'the organization was ejected' };
    case 'applied':
    case 'sponsored':
      return { may: false, reason: 'the organization is not admitted yet' };
    case null:
      return { may: false, reason: 'the organization is not a member' };
    default:
      return { may: false, reason: `unknown membership state ${JSON.stringify(state)}` };
  }
}
