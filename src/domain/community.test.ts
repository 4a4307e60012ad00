// Trust communities: settings schemas, NDA versions, the membership lifecycle and visibility.
// The transition tables below are transcribed from the feature text, not derived from the module.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AdmissionRule,
  AdmissionRuleSchema,
  type CommunityActor,
  type CommunityRoster,
  CommunitySettingsSchema,
  EMPTY_MEMBERSHIP,
  EmbargoBoundsSchema,
  embargoDays,
  GovCertPolicySchema,
  govCertNotifyAt,
  MEMBERSHIP_ALLOWED,
  MEMBERSHIP_EVENTS,
  MEMBERSHIP_STATES,
  type Membership,
  type MembershipEvent,
  type MembershipEventType,
  type MembershipHistoryEntry,
  type MembershipState,
  memberMaySee,
  membershipStep,
  type NdaAcceptance,
  ndaHash,
  ndaVersion,
  needsNdaAcceptance,
  quorumNeeded,
  reduceMembership,
  staticRoster,
} from './community.ts';

// ---------------------------------------------------------------------------------------------
// Fixtures: applicant X; members A, B, C; N is not a member. Stewards s1 (A), s2 (B), s3 (C), sx (X).

const APPLICANT = 'org-x';
const who = (userId: string, orgId: string): CommunityActor => ({ userId, orgId });
const X = who('ux', APPLICANT);
const A = who('ua', 'org-a');
const B = who('ub', 'org-b');
const C = who('uc', 'org-c');
const N = who('un', 'org-n');
const S1 = who('s1', 'org-a');
const S2 = who('s2', 'org-b');
const S3 = who('s3', 'org-c');
const SX = who('sx', APPLICANT);
const roster = staticRoster({ memberOrgIds: ['org-a', 'org-b', 'org-c'], stewardUserIds: ['s1', 's2', 's3', 'sx'] });

const T0 = Date.parse('2030-01-01T00:00:00Z');
let clock = 0;
const at = () => new Date(T0 + ++clock * 60_000);
type Ev = { type: MembershipEventType; by: CommunityActor; reason?: string; vote?: 'yes' | 'no' };
const ev = (type: MembershipEventType, by: CommunityActor, extra: Omit<Ev, 'type' | 'by'> = {}): MembershipEvent =>
  ({ type, by, at: at(), ...extra }) as MembershipEvent;

const SPONSORS_2_APPROVAL: AdmissionRule = { kind: 'sponsors', sponsors: 2, stewardApproval: true };
const VOTE_2: AdmissionRule = { kind: 'steward-vote', quorum: { kind: 'count', count: 2 } };
const manual = { autoAdmit: false };

function run(events: MembershipEvent[], rule: AdmissionRule, r: CommunityRoster = roster, autoAdmit = true) {
  return reduceMembership(events, rule, r, { autoAdmit });
}
function build(events: MembershipEvent[], rule: AdmissionRule, autoAdmit = false): Membership {
  const m = run(events, rule, roster, autoAdmit);
  expect(m.refused).toEqual([]);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Settings

const SETTINGS = {
  charter: 'We coordinate vulnerabilities in industrial control systems.',
  tiers: ['core', 'partner', 'observer'],
  embargo: { defaultDays: 45, maxDays: 90 },
  admission: { kind: 'sponsors', sponsors: 2, stewardApproval: true },
  governmentCerts: {
    certs: [
      { kind: 'country', country: 'DE' },
      { kind: 'org', orgId: '7b0e1c1e-2f55-4f4e-9d0e-111111111111' },
    ],
    notify: { when: 'release-minus-days', days: 7 },
  },
};

describe('community settings schemas', () => {
  it('accepts a complete community', () => {
    expect(CommunitySettingsSchema.parse(SETTINGS)).toEqual(SETTINGS);
  });

  it.each([
    ['default embargo above the maximum', { embargo: { defaultDays: 91, maxDays: 90 } }],
    ['no tiers', { tiers: [] }],
    ['duplicate tiers', { tiers: ['core', 'core'] }],
    ['empty charter', { charter: '   ' }],
    ['unknown admission kind', { admission: { kind: 'lottery' } }],
    ['zero sponsors and no approval', { admission: { kind: 'sponsors', sponsors: 0, stewardApproval: false } }],
    ['quorum fraction above 1', { admission: { kind: 'steward-vote', quorum: { kind: 'fraction', fraction: 1.5 } } }],
    ['quorum count of 0', { admission: { kind: 'steward-vote', quorum: { kind: 'count', count: 0 } } }],
    [
      'lower-case country code',
      { governmentCerts: { certs: [{ kind: 'country', country: 'de' }], notify: { when: 'at-open' } } },
    ],
    ['release-minus-days without days', { governmentCerts: { certs: [], notify: { when: 'release-minus-days' } } }],
    ['unknown notify time', { governmentCerts: { certs: [], notify: { when: 'whenever' } } }],
  ])('rejects %s', (_name, patch) => {
    expect(CommunitySettingsSchema.safeParse({ ...SETTINGS, ...patch }).success).toBe(false);
  });

  it('admission rules: both kinds, count and fraction quorums', () => {
    for (const rule of [
      { kind: 'sponsors', sponsors: 2, stewardApproval: true },
      { kind: 'sponsors', sponsors: 0, stewardApproval: true },
      { kind: 'steward-vote', quorum: { kind: 'count', count: 3 } },
      { kind: 'steward-vote', quorum: { kind: 'fraction', fraction: 0.5 } },
    ]) {
      expect(AdmissionRuleSchema.parse(rule)).toEqual(rule);
    }
  });

  it('embargo bounds: default equal to the maximum is fine', () => {
    expect(EmbargoBoundsSchema.safeParse({ defaultDays: 90, maxDays: 90 }).success).toBe(true);
  });

  it('embargoDays: default when unasked, refused above the maximum', () => {
    const bounds = { defaultDays: 45, maxDays: 90 };
    expect(embargoDays(bounds)).toEqual({ ok: true, state: 45 });
    expect(embargoDays(bounds, 90)).toEqual({ ok: true, state: 90 });
    expect(embargoDays(bounds, 91).ok).toBe(false);
    expect(embargoDays(bounds, 0).ok).toBe(false);
    expect(embargoDays(bounds, 1.5).ok).toBe(false);
  });

  it('govCertNotifyAt: at open, days before release (not before open), at release', () => {
    const openedAt = new Date('2030-01-01T00:00:00Z');
    const releaseAt = new Date('2030-03-01T00:00:00Z');
    const policy = (notify: unknown) => GovCertPolicySchema.parse({ certs: [{ kind: 'country', country: 'FR' }], notify });
    expect(govCertNotifyAt(policy({ when: 'at-open' }), { openedAt, releaseAt })).toEqual(openedAt);
    expect(govCertNotifyAt(policy({ when: 'at-release' }), { openedAt, releaseAt })).toEqual(releaseAt);
    expect(govCertNotifyAt(policy({ when: 'release-minus-days', days: 7 }), { openedAt, releaseAt })).toEqual(
      new Date('2030-02-22T00:00:00Z'),
    );
    expect(govCertNotifyAt(policy({ when: 'release-minus-days', days: 365 }), { openedAt, releaseAt })).toEqual(openedAt);
    expect(govCertNotifyAt(policy({ when: 'release-minus-days', days: 7 }), { openedAt, releaseAt: null })).toBeNull();
    expect(govCertNotifyAt(policy({ when: 'at-release' }), { openedAt, releaseAt: null })).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// NDA

describe('NDA versions', () => {
  it('ndaHash is SHA-256 hex (known vectors)', () => {
    expect(ndaHash('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(ndaHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('ndaHash normalises CRLF to LF and Unicode to NFC', () => {
    expect(ndaHash('line one\r\nline two\r\n')).toBe(ndaHash('line one\nline two\n'));
    expect(ndaHash('Caf\u0065\u0301')).toBe(ndaHash('Caf\u00e9'));
    expect(ndaHash('a\nb')).not.toBe(ndaHash('a\n\nb'));
    expect(ndaHash('a\rb')).not.toBe(ndaHash('a\nb'));
  });

  it('ndaVersion numbers versions and refuses an unchanged or empty text', () => {
    const v1 = ndaVersion('Keep it secret.\r\n', new Date(T0));
    expect(v1.ok).toBe(true);
    if (!v1.ok || !v1.state) throw new Error('unreachable');
    expect(v1.state).toMatchObject({ version: 1, text: 'Keep it secret.\n', hash: ndaHash('Keep it secret.\n') });
    expect(ndaVersion('Keep it secret.\n', new Date(T0 + 1), v1.state)).toMatchObject({ ok: false, state: v1.state });
    expect(ndaVersion(' \r\n ', new Date(T0 + 1), v1.state).ok).toBe(false);
    const v2 = ndaVersion('Keep it very secret.', new Date(T0 + 2), v1.state);
    expect(v2.ok && v2.state?.version).toBe(2);
  });

  it('a user must accept, and re-accept after a new version, before the next read', () => {
    const v1 = ndaHash('NDA v1');
    const v2 = ndaHash('NDA v2');
    const acceptances: NdaAcceptance[] = [];
    expect(needsNdaAcceptance(v1, acceptances, 'alice')).toBe(true);
    acceptances.push({ userId: 'alice', versionHash: v1, at: new Date(T0) });
    expect(needsNdaAcceptance(v1, acceptances, 'alice')).toBe(false);
    expect(needsNdaAcceptance(v1, acceptances, 'bob')).toBe(true); // someone else's acceptance does not count
    // A new version is published: alice's acceptance of v1 no longer suffices.
    expect(needsNdaAcceptance(v2, acceptances, 'alice')).toBe(true);
    expect(memberMaySee('admitted', !needsNdaAcceptance(v2, acceptances, 'alice')).may).toBe(false);
    acceptances.push({ userId: 'alice', versionHash: v2, at: new Date(T0 + 1) });
    expect(needsNdaAcceptance(v2, acceptances, 'alice')).toBe(false);
    expect(memberMaySee('admitted', !needsNdaAcceptance(v2, acceptances, 'alice')).may).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Membership: every state × every event

type From = MembershipState | 'none';
// Transcribed from the feature text: which events each state admits, and where they lead.
const LIFECYCLE: Record<From, Partial<Record<MembershipEventType, MembershipState>>> = {
  none: { apply: 'applied' },
  applied: { sponsor: 'sponsored', approve: 'applied', vote: 'applied', admit: 'admitted' },
  sponsored: { sponsor: 'sponsored', approve: 'sponsored', vote: 'sponsored', admit: 'admitted' },
  admitted: { suspend: 'suspended', eject: 'ejected' },
  suspended: { reinstate: 'admitted', eject: 'ejected' },
  ejected: { readmit: 'applied' },
};

describe('membership lifecycle table', () => {
  it('MEMBERSHIP_ALLOWED matches the lifecycle', () => {
    for (const t of MEMBERSHIP_EVENTS) {
      const expected = (Object.keys(LIFECYCLE) as From[]).filter((s) => LIFECYCLE[s][t] !== undefined);
      expect([...MEMBERSHIP_ALLOWED[t]].sort()).toEqual(expected.sort());
    }
  });

  // A well-formed event of each type: right actor, a reason, a vote.
  const wellFormed: Record<MembershipEventType, () => MembershipEvent> = {
    apply: () => ev('apply', X),
    sponsor: () => ev('sponsor', C),
    approve: () => ev('approve', S2),
    vote: () => ev('vote', S3, { vote: 'yes' }),
    admit: () => ev('admit', S1),
    suspend: () => ev('suspend', S1, { reason: 'missed the NDA renewal' }),
    reinstate: () => ev('reinstate', S1),
    eject: () => ev('eject', S1, { reason: 'leaked an embargoed report' }),
    readmit: () => ev('readmit', S1),
  };

  // Sponsors rule (2 sponsors + approval), manual admission. "applied" has an approval but no
  // sponsors (rule unmet); "sponsored" has both sponsors and an approval (rule met).
  const sponsorPrefixes: Record<From, () => MembershipEvent[]> = {
    none: () => [],
    applied: () => [ev('apply', X), ev('approve', S1)],
    sponsored: () => [ev('apply', X), ev('sponsor', A), ev('sponsor', B), ev('approve', S1)],
    admitted: () => [...sponsorPrefixes.sponsored(), ev('admit', S1)],
    suspended: () => [...sponsorPrefixes.admitted(), ev('suspend', S1, { reason: 'audit' })],
    ejected: () => [...sponsorPrefixes.admitted(), ev('eject', S1, { reason: 'breach' })],
  };
  // What differs from the lifecycle under this rule: no votes; admission refused while unmet.
  const sponsorRefusedByRule: Partial<Record<From, MembershipEventType[]>> = { applied: ['vote', 'admit'], sponsored: ['vote'] };

  // Steward vote (quorum 2), manual admission. "applied" has one yes vote (below quorum);
  // "sponsored" is unreachable under this rule, since it has no sponsorship.
  const votePrefixes: Partial<Record<From, () => MembershipEvent[]>> = {
    none: () => [],
    applied: () => [ev('apply', X), ev('vote', S1, { vote: 'yes' })],
    admitted: () => [ev('apply', X), ev('vote', S1, { vote: 'yes' }), ev('vote', S2, { vote: 'yes' }), ev('admit', S1)],
  };
  votePrefixes.suspended = () => [...(votePrefixes.admitted?.() ?? []), ev('suspend', S1, { reason: 'audit' })];
  votePrefixes.ejected = () => [...(votePrefixes.admitted?.() ?? []), ev('eject', S1, { reason: 'breach' })];
  const voteRefusedByRule: Partial<Record<From, MembershipEventType[]>> = { applied: ['sponsor', 'approve', 'admit'] };

  const cases = (
    prefixes: Partial<Record<From, () => MembershipEvent[]>>,
    byRule: Partial<Record<From, MembershipEventType[]>>,
  ): [From, MembershipEventType, MembershipState | null][] =>
    (Object.keys(prefixes) as From[]).flatMap((s) =>
      MEMBERSHIP_EVENTS.map((t): [From, MembershipEventType, MembershipState | null] => {
        const to = LIFECYCLE[s][t];
        return [s, t, to && !byRule[s]?.includes(t) ? to : null];
      }),
    );

  describe.each([
    ['sponsors rule', SPONSORS_2_APPROVAL, sponsorPrefixes, sponsorRefusedByRule],
    ['steward-vote rule', VOTE_2, votePrefixes, voteRefusedByRule],
  ] as const)('%s', (_name, rule, prefixes, byRule) => {
    const table = cases(prefixes, byRule);
    it('covers every reachable state × every event', () => {
      expect(table).toHaveLength(Object.keys(prefixes).length * MEMBERSHIP_EVENTS.length);
      expect(table.some(([, , to]) => to !== null)).toBe(true);
    });

    it.each(table)('%s --%s--> %s', (from, type, to) => {
      const m = build(prefixes[from]?.() ?? [], rule);
      expect(m.state ?? 'none').toBe(from);
      const r = membershipStep(m, wellFormed[type](), rule, roster, manual);
      if (to === null) {
        expect(r.ok).toBe(false);
        expect(r.state).toBe(m); // nothing moved
        if (!r.ok) expect(r.reason).toMatch(new RegExp(`^${type}: \\S`));
      } else {
        expect(r.ok).toBe(true);
        expect(r.state.state).toBe(to);
        const last = r.state.history.at(-1);
        expect(last).toMatchObject({ type, from: m.state, to });
        expect(last?.why).toMatch(/\S/);
        expect(r.state.history).toHaveLength(m.history.length + 1);
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Membership: the rules and the refusals

const reasonOf = (m: { refused: { reason: string }[] }, i = 0) => m.refused[i]?.reason ?? '';

describe('sponsors rule', () => {
  it('two sponsors and a steward approval admit (derived), recording who, when and why', () => {
    const events = [ev('apply', X, { reason: 'we make PLCs' }), ev('sponsor', A), ev('sponsor', B)];
    const before = run(events, SPONSORS_2_APPROVAL);
    expect(before.state).toBe('sponsored'); // sponsors alone are not enough
    const approve = ev('approve', S3, { reason: 'known vendor' });
    const m = run([...events, approve], SPONSORS_2_APPROVAL);
    expect(m.refused).toEqual([]);
    expect(m.orgId).toBe(APPLICANT);
    expect(m.state).toBe('admitted');
    expect(m.sponsors.map((s) => s.orgId)).toEqual(['org-a', 'org-b']);
    expect(m.approvals).toEqual([{ by: S3, at: approve.at }]);
    expect(m.history.map((h) => [h.type, h.from, h.to, h.by.userId])).toEqual([
      ['apply', null, 'applied', 'ux'],
      ['sponsor', 'applied', 'sponsored', 'ua'],
      ['sponsor', 'sponsored', 'sponsored', 'ub'],
      ['approve', 'sponsored', 'sponsored', 's3'],
      ['admit', 'sponsored', 'admitted', 's3'],
    ]);
    expect(m.history[0]?.why).toBe('we make PLCs');
    expect(m.history[3]?.why).toBe('known vendor');
    expect(m.history[4]).toMatchObject({ derived: true, at: approve.at });
    expect(m.history[4]?.why).toMatch(/2 sponsor\(s\) and a steward's approval/);
  });

  it('approval before the sponsors also counts; the last sponsor completes the rule', () => {
    const m = run([ev('apply', X), ev('approve', S1), ev('sponsor', A), ev('sponsor', B)], SPONSORS_2_APPROVAL);
    expect(m.state).toBe('admitted');
    expect(m.history.at(-1)).toMatchObject({ type: 'admit', derived: true, by: B });
  });

  it('without steward approval, the sponsors alone admit', () => {
    const m = run([ev('apply', X), ev('sponsor', A), ev('sponsor', B)], {
      kind: 'sponsors',
      sponsors: 2,
      stewardApproval: false,
    });
    expect(m.state).toBe('admitted');
  });

  it('with zero sponsors, the steward approval alone admits; sponsorship is refused', () => {
    const rule: AdmissionRule = { kind: 'sponsors', sponsors: 0, stewardApproval: true };
    const m = run([ev('apply', X), ev('sponsor', A), ev('approve', S1)], rule);
    expect(reasonOf(m)).toMatch(/does not admit by sponsorship/);
    expect(m.state).toBe('admitted');
  });

  it('refuses a sponsor that is not a member, the applicant itself, and a double sponsorship', () => {
    const m = run([ev('apply', X), ev('sponsor', N), ev('sponsor', X), ev('sponsor', A), ev('sponsor', A)], SPONSORS_2_APPROVAL);
    expect(m.refused.map((r) => r.index)).toEqual([1, 2, 4]);
    expect(reasonOf(m, 0)).toMatch(/org-n is not an admitted member/);
    expect(reasonOf(m, 1)).toMatch(/cannot sponsor itself/);
    expect(reasonOf(m, 2)).toMatch(/already sponsored/);
    expect(m.sponsors.map((s) => s.orgId)).toEqual(['org-a']);
  });

  it('a different user of the same sponsoring organization is still a double sponsorship', () => {
    const m = run([ev('apply', X), ev('sponsor', A), ev('sponsor', S1)], SPONSORS_2_APPROVAL);
    expect(reasonOf(m)).toMatch(/already sponsored/);
  });

  it('refuses approval by a non-steward, by a steward of the applicant, twice by one steward, and under a rule without it', () => {
    const m = run([ev('apply', X), ev('approve', A), ev('approve', SX), ev('sponsor', A), ev('approve', S1)], {
      kind: 'sponsors',
      sponsors: 2,
      stewardApproval: true,
    });
    expect(reasonOf(m, 0)).toMatch(/only a steward/);
    expect(reasonOf(m, 1)).toMatch(/own organization/);
    const twice = run([ev('apply', X), ev('approve', S1), ev('approve', S1)], SPONSORS_2_APPROVAL);
    expect(reasonOf(twice)).toMatch(/already approved/);
    const none = run([ev('apply', X), ev('approve', S1)], { kind: 'sponsors', sponsors: 1, stewardApproval: false });
    expect(reasonOf(none)).toMatch(/no steward approval/);
  });

  it('explicit admission: refused before the rule is met, with what is missing; accepted after', () => {
    const early = run([ev('apply', X), ev('sponsor', A), ev('admit', S1)], SPONSORS_2_APPROVAL, roster, false);
    expect(early.state).toBe('sponsored');
    expect(reasonOf(early)).toMatch(/not met: missing 1 more sponsor\(s\) of 2; a steward's approval/);
    const notSteward = run(
      [ev('apply', X), ev('sponsor', A), ev('sponsor', B), ev('approve', S1), ev('admit', A)],
      SPONSORS_2_APPROVAL,
      roster,
      false,
    );
    expect(notSteward.state).toBe('sponsored');
    expect(reasonOf(notSteward)).toMatch(/only a steward may admit/);
    const m = run(
      [ev('apply', X), ev('sponsor', A), ev('sponsor', B), ev('approve', S1), ev('admit', S2, { reason: 'welcome' })],
      SPONSORS_2_APPROVAL,
      roster,
      false,
    );
    expect(m.state).toBe('admitted');
    expect(m.history.at(-1)).toMatchObject({ type: 'admit', by: S2, why: 'welcome' });
    expect(m.history.at(-1)?.derived).toBeUndefined();
  });

  it('a sponsor that stopped being a member no longer counts towards the rule', () => {
    const cutoff = T0 + 1_000_000_000;
    const r: CommunityRoster = {
      ...roster,
      isMember: (orgId, when) => (orgId === 'org-b' ? when.getTime() < cutoff : roster.isMember(orgId, when)),
    };
    const late = (e: MembershipEvent): MembershipEvent => ({ ...e, at: new Date(cutoff + e.at.getTime() - T0) });
    const events = [ev('apply', X), ev('sponsor', A), ev('sponsor', B), late(ev('approve', S1))];
    const m = run(events, SPONSORS_2_APPROVAL, r);
    expect(m.state).toBe('sponsored');
    const m2 = run([...events, late(ev('admit', S1))], SPONSORS_2_APPROVAL, r, false);
    expect(reasonOf(m2)).toMatch(/1 more sponsor/);
  });
});

describe('steward-vote rule', () => {
  it('a count quorum with a yes majority admits', () => {
    const one = run([ev('apply', X), ev('vote', S1, { vote: 'yes' })], VOTE_2);
    expect(one.state).toBe('applied');
    const m = run([ev('apply', X), ev('vote', S1, { vote: 'yes' }), ev('vote', S2, { vote: 'yes' })], VOTE_2);
    expect(m.state).toBe('admitted');
    expect(m.votes.map((v) => [v.by.userId, v.vote])).toEqual([
      ['s1', 'yes'],
      ['s2', 'yes'],
    ]);
    expect(m.history.at(-2)).toMatchObject({ type: 'vote', vote: 'yes' });
    expect(m.history.at(-1)).toMatchObject({ type: 'admit', derived: true });
  });

  it('a quorum without a yes majority does not admit; a later yes can tip it', () => {
    const events = [ev('apply', X), ev('vote', S1, { vote: 'yes' }), ev('vote', S2, { vote: 'no' })];
    const tied = run(events, VOTE_2);
    expect(tied.state).toBe('applied');
    const admit = run([...events, ev('admit', S1)], VOTE_2, roster, false);
    expect(reasonOf(admit)).toMatch(/majority of yes votes \(1 yes, 1 no\)/);
    expect(run([...events, ev('vote', S3, { vote: 'yes' })], VOTE_2).state).toBe('admitted');
  });

  it('a fraction quorum is counted against all stewards', () => {
    const rule: AdmissionRule = { kind: 'steward-vote', quorum: { kind: 'fraction', fraction: 0.75 } };
    expect(quorumNeeded(rule.quorum, 4)).toBe(3);
    expect(quorumNeeded({ kind: 'fraction', fraction: 0.01 }, 4)).toBe(1);
    expect(quorumNeeded({ kind: 'count', count: 5 }, 4)).toBe(5);
    const two = [ev('apply', X), ev('vote', S1, { vote: 'yes' }), ev('vote', S2, { vote: 'yes' })];
    expect(run(two, rule).state).toBe('applied');
    expect(run([...two, ev('vote', S3, { vote: 'no' })], rule).state).toBe('admitted');
  });

  it('refuses votes by non-stewards, by a steward of the applicant, twice by one steward, and under the sponsors rule', () => {
    const m = run(
      [
        ev('apply', X),
        ev('vote', A, { vote: 'yes' }),
        ev('vote', SX, { vote: 'yes' }),
        ev('vote', S1, { vote: 'yes' }),
        ev('vote', S1, { vote: 'no' }),
      ],
      VOTE_2,
    );
    expect(m.refused.map((r) => r.index)).toEqual([1, 2, 4]);
    expect(reasonOf(m, 0)).toMatch(/only a steward may vote/);
    expect(reasonOf(m, 1)).toMatch(/own organization/);
    expect(reasonOf(m, 2)).toMatch(/already voted/);
    expect(reasonOf(run([ev('apply', X), ev('vote', S1, { vote: 'yes' })], SPONSORS_2_APPROVAL))).toMatch(
      /does not admit by steward vote/,
    );
    expect(reasonOf(run([ev('apply', X), ev('vote', S1, { vote: 'maybe' as 'yes' })], VOTE_2))).toMatch(/yes or no/);
  });
});

describe('suspension, ejection and readmission', () => {
  const admitted = () => [ev('apply', X), ev('sponsor', A), ev('sponsor', B), ev('approve', S1)];

  it('suspend and eject need a steward and a reason', () => {
    for (const type of ['suspend', 'eject'] as const) {
      const m = run(
        [...admitted(), ev(type, S1), ev(type, S1, { reason: '  ' }), ev(type, A, { reason: 'x' })],
        SPONSORS_2_APPROVAL,
      );
      expect(m.state).toBe('admitted');
      expect(m.refused.map((r) => r.reason)).toEqual([
        `${type}: a reason is required`,
        `${type}: a reason is required`,
        `${type}: only a steward may ${type}`,
      ]);
    }
  });

  it('suspend, reinstate, eject from suspended; the reasons are kept', () => {
    const m = run(
      [
        ...admitted(),
        ev('suspend', S1, { reason: 'under review' }),
        ev('reinstate', S2, { reason: 'cleared' }),
        ev('suspend', S1, { reason: 'again' }),
        ev('eject', S3, { reason: 'leak' }),
      ],
      SPONSORS_2_APPROVAL,
    );
    expect(m.refused).toEqual([]);
    expect(m.state).toBe('ejected');
    expect(m.history.slice(-4).map((h: MembershipHistoryEntry) => [h.type, h.to, h.by.userId, h.why])).toEqual([
      ['suspend', 'suspended', 's1', 'under review'],
      ['reinstate', 'admitted', 's2', 'cleared'],
      ['suspend', 'suspended', 's1', 'again'],
      ['eject', 'ejected', 's3', 'leak'],
    ]);
  });

  it('an ejected organization needs a readmission and the whole rule again', () => {
    const ejected = [...admitted(), ev('eject', S1, { reason: 'leak' })];
    const stuck = run([...ejected, ev('reinstate', S1), ev('admit', S1), ev('apply', X), ev('sponsor', C)], SPONSORS_2_APPROVAL);
    expect(stuck.state).toBe('ejected');
    expect(stuck.refused).toHaveLength(4);
    expect(reasonOf(stuck)).toMatch(/ejected; only readmit/);

    const readmitted = run([...ejected, ev('readmit', X, { reason: 'new security team' })], SPONSORS_2_APPROVAL);
    expect(readmitted.state).toBe('applied');
    expect(readmitted.sponsors).toEqual([]);
    expect(readmitted.approvals).toEqual([]);
    // The old sponsors may sponsor again; one sponsor plus approval is not enough.
    const partial = run([...ejected, ev('readmit', S2), ev('sponsor', A), ev('approve', S1)], SPONSORS_2_APPROVAL);
    expect(partial.state).toBe('sponsored');
    const again = run(
      [...ejected, ev('readmit', S2), ev('sponsor', A), ev('approve', S1), ev('sponsor', C)],
      SPONSORS_2_APPROVAL,
    );
    expect(again.state).toBe('admitted');
    expect(again.history.filter((h) => h.to === 'admitted')).toHaveLength(2);
  });

  it('readmission is started by a steward or the organization itself, no one else', () => {
    const m = run([...admitted(), ev('eject', S1, { reason: 'leak' }), ev('readmit', A)], SPONSORS_2_APPROVAL);
    expect(m.state).toBe('ejected');
    expect(reasonOf(m)).toMatch(/steward or the organization itself/);
  });
});

describe('reduceMembership', () => {
  it('starts empty, and an event before applying is refused', () => {
    expect(run([], SPONSORS_2_APPROVAL)).toEqual({ ...EMPTY_MEMBERSHIP, refused: [] });
    const m = run([ev('sponsor', A)], SPONSORS_2_APPROVAL);
    expect(m.state).toBeNull();
    expect(reasonOf(m)).toMatch(/has not applied/);
  });

  it('refuses a second application and events older than the last step', () => {
    const first = ev('apply', X);
    const m = run([first, ev('apply', X), { ...ev('sponsor', A), at: new Date(first.at.getTime() - 1) }], SPONSORS_2_APPROVAL);
    expect(m.refused.map((r) => r.index)).toEqual([1, 2]);
    expect(reasonOf(m, 0)).toMatch(/already has a membership/);
    expect(reasonOf(m, 1)).toMatch(/time goes backwards/);
  });

  it('refused events leave everything as it was and the fold carries on', () => {
    const m = run([ev('apply', X), ev('eject', S1, { reason: 'x' }), ev('sponsor', A)], SPONSORS_2_APPROVAL);
    expect(m.refused).toHaveLength(1);
    expect(m.refused[0]).toMatchObject({ index: 1 });
    expect(m.state).toBe('sponsored');
  });
});

describe('memberMaySee', () => {
  it.each([
    ['admitted', true, true],
    ['admitted', false, false],
    ...(['applied', 'sponsored', 'suspended', 'ejected'] as const).flatMap((s) => [
      [s, true, false] as const,
      [s, false, false] as const,
    ]),
    [null, true, false],
  ] as const)('%s, NDA accepted %s → %s', (state, nda, may) => {
    const r = memberMaySee(state, nda);
    expect(r.may).toBe(may);
    expect(r.reason).toMatch(/\S/);
  });

  it('covers every membership state', () => {
    for (const s of MEMBERSHIP_STATES) expect(memberMaySee(s, true).may).toBe(s === 'admitted');
  });

  it('ejection takes effect at once', () => {
    const m = run([ev('apply', X), ev('sponsor', A), ev('sponsor', B), ev('approve', S1)], SPONSORS_2_APPROVAL);
    expect(memberMaySee(m.state, true).may).toBe(true);
    const r = membershipStep(m, ev('eject', S1, { reason: 'leak' }), SPONSORS_2_APPROVAL, roster);
    expect(memberMaySee(r.state.state, true)).toEqual({ may: false, reason: 'the organization was ejected' });
  });
});

// ---------------------------------------------------------------------------------------------
// Property: admission only on a fresh satisfaction of the rule

const STEWARDS = new Set(['s1', 's2', 's3', 'sx']);
const MEMBERS = new Set(['org-a', 'org-b', 'org-c']);

/** Whether the rule holds on the recorded history since the latest application, computed from the history alone. */
function ruleHeldOn(history: readonly MembershipHistoryEntry[], rule: AdmissionRule, applicant: string): boolean {
  const start = history.findLastIndex((h) => h.type === 'apply' || h.type === 'readmit');
  const since = history.slice(start + 1);
  if (rule.kind === 'sponsors') {
    const sponsors = new Set(
      since.filter((h) => h.type === 'sponsor' && MEMBERS.has(h.by.orgId) && h.by.orgId !== applicant).map((h) => h.by.orgId),
    );
    const approved = since.some((h) => h.type === 'approve' && STEWARDS.has(h.by.userId) && h.by.orgId !== applicant);
    return sponsors.size >= rule.sponsors && (!rule.stewardApproval || approved);
  }
  const votes = new Map<string, string>();
  for (const h of since) {
    if (h.type === 'vote' && STEWARDS.has(h.by.userId) && h.by.orgId !== applicant && !votes.has(h.by.userId))
      votes.set(h.by.userId, h.vote ?? '');
  }
  const yes = [...votes.values()].filter((v) => v === 'yes').length;
  const needed = rule.quorum.kind === 'count' ? rule.quorum.count : Math.max(1, Math.ceil(rule.quorum.fraction * STEWARDS.size));
  return votes.size >= needed && yes > votes.size - yes;
}

const ACTORS = [X, A, B, C, N, S1, S2, S3, SX, who('ua2', 'org-a')];
const arbEvent = fc.record({
  type: fc.oneof(
    { arbitrary: fc.constantFrom('sponsor' as const, 'approve' as const, 'vote' as const), weight: 6 },
    { arbitrary: fc.constantFrom(...MEMBERSHIP_EVENTS), weight: 5 },
  ),
  by: fc.constantFrom(...ACTORS),
  reason: fc.oneof(
    { arbitrary: fc.constantFrom(undefined, '', '  '), weight: 1 },
    { arbitrary: fc.constant('because'), weight: 2 },
  ),
  vote: fc.constantFrom('yes' as const, 'no' as const),
  dt: fc.integer({ min: -2, max: 60 }),
});
const arbRule: fc.Arbitrary<AdmissionRule> = fc.oneof(
  fc
    .record({ kind: fc.constant('sponsors' as const), sponsors: fc.integer({ min: 0, max: 3 }), stewardApproval: fc.boolean() })
    .filter((r) => r.sponsors > 0 || r.stewardApproval),
  fc.record({
    kind: fc.constant('steward-vote' as const),
    quorum: fc.record({ kind: fc.constant('count' as const), count: fc.integer({ min: 1, max: 4 }) }),
  }),
  fc.record({
    kind: fc.constant('steward-vote' as const),
    quorum: fc.record({ kind: fc.constant('fraction' as const), fraction: fc.double({ min: 0.1, max: 1, noNaN: true }) }),
  }),
);

type RawEvent = { type: MembershipEventType; by: CommunityActor; reason?: string | undefined; vote: 'yes' | 'no'; dt: number };
const toEvents = (raw: readonly RawEvent[]): MembershipEvent[] => {
  let t = T0;
  return raw.map(({ type, by, reason, vote, dt }) => {
    t += dt * 60_000;
    const e = { type, by, at: new Date(t), ...(reason === undefined ? {} : { reason }), ...(type === 'vote' ? { vote } : {}) };
    return e as MembershipEvent;
  });
};
const fixed = (type: MembershipEventType, by: CommunityActor, reason?: string): RawEvent => ({
  type,
  by,
  reason,
  vote: 'yes',
  dt: 1,
});

/**
 * Replays the events one step at a time and checks, at every accepted step: the history is a
 * chain; every admission (from applied or sponsored) has the rule satisfied by what was recorded
 * since the latest application, and none happens between an ejection and a readmission; only an
 * admitted organization may see anything. Returns how often admissions and readmissions happened.
 */
function checkSequence(rule: AdmissionRule, autoAdmit: boolean, events: readonly MembershipEvent[]) {
  let admissions = 0;
  let readmissions = 0;
  let m = EMPTY_MEMBERSHIP;
  let ejectedAwaitingReadmit = false;
  for (const e of events) {
    const r = membershipStep(m, e, rule, roster, { autoAdmit });
    if (!r.ok) {
      expect(r.state).toBe(m);
      continue;
    }
    const history = [...m.history];
    for (const h of r.state.history.slice(m.history.length)) {
      history.push(h);
      expect(h.from).toBe(history.at(-2)?.to ?? null);
      if (h.to === 'admitted' && (h.from === 'applied' || h.from === 'sponsored')) {
        admissions++;
        expect(ejectedAwaitingReadmit).toBe(false);
        expect(ruleHeldOn(history, rule, r.state.orgId ?? '')).toBe(true);
      }
      if (h.to === 'ejected') ejectedAwaitingReadmit = true;
      if (h.type === 'readmit') {
        readmissions++;
        ejectedAwaitingReadmit = false;
      }
    }
    m = r.state;
    if (ejectedAwaitingReadmit) expect(m.state).toBe('ejected');
    expect(memberMaySee(m.state, true).may).toBe(m.state === 'admitted');
  }
  expect(reduceMembership(events, rule, roster, { autoAdmit }).state).toBe(m.state);
  return { admissions, readmissions };
}

describe('membership properties', () => {
  it('never admits without the rule satisfied at that moment (random sequences, random rules)', () => {
    let admissions = 0;
    fc.assert(
      fc.property(arbRule, fc.boolean(), fc.array(arbEvent, { maxLength: 60, size: 'max' }), (rule, autoAdmit, raw) => {
        admissions += checkSequence(rule, autoAdmit, toEvents([fixed('apply', X), ...raw])).admissions;
      }),
      { numRuns: 1000 },
    );
    expect(admissions).toBeGreaterThan(50); // the generator does reach admission
  });

  it('an ejected organization is not admitted again until a readmission and a fresh satisfaction of the rule', () => {
    let readmitted = 0;
    // Start from an organization admitted by sponsors A and B with S1's approval, then ejected:
    // the same sponsors and approver are the likeliest to (wrongly) count twice.
    const prefix = [
      fixed('apply', X),
      fixed('sponsor', A),
      fixed('sponsor', B),
      fixed('approve', S1),
      fixed('admit', S3), // refused when admission is automatic (already admitted), admits otherwise
      fixed('eject', S2, 'leak'),
    ];
    fc.assert(
      fc.property(fc.boolean(), fc.array(arbEvent, { maxLength: 40, size: 'max' }), (autoAdmit, raw) => {
        const events = toEvents([...prefix, ...raw]);
        const { admissions } = checkSequence(SPONSORS_2_APPROVAL, autoAdmit, events);
        expect(reduceMembership(events.slice(0, prefix.length), SPONSORS_2_APPROVAL, roster, { autoAdmit }).state).toBe(
          'ejected',
        );
        if (admissions > 1) readmitted++;
      }),
      { numRuns: 1000 },
    );
    expect(readmitted).toBeGreaterThan(5); // some sequences do reach a second admission
  });
});
