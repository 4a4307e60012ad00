import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emRun } from './em.ts';
import {
  applyEmbargoEvent,
  type EmbargoContext,
  type EmbargoEvent,
  embargoDue,
  embargoNegotiationZone,
  embargoTeardown,
  emptyEmbargo,
  isEmbargoAdherent,
  latestAllowedReleaseAt,
  reduceEmbargo,
  validateEmbargoProposal,
} from './embargo.ts';

const T0 = Date.UTC(2026, 2, 1);
const day = (n: number) => new Date(T0 + n * 86_400_000);
const hour = (n: number) => new Date(T0 + n * 3_600_000);

// coord owns the case (Village's coordinator); finder reported; v1 and v2 are vendors.
const ctx: EmbargoContext = { caseOwner: 'coord', participants: ['finder', 'v1', 'v2'] };

const propose = (proposalId: string, by: string, at: Date, releaseAt: Date, extra: Partial<EmbargoEvent> = {}): EmbargoEvent =>
  ({ type: 'propose', proposalId, by, at, releaseAt, ...extra }) as EmbargoEvent;
const accept = (proposalId: string, by: string, at: Date): EmbargoEvent => ({ type: 'accept', proposalId, by, at });
const reject = (proposalId: string, by: string, at: Date): EmbargoEvent => ({ type: 'reject', proposalId, by, at });

function run(events: EmbargoEvent[], c: EmbargoContext = ctx) {
  return reduceEmbargo(events, c);
}

describe('embargo reducer: proposals and acceptance', () => {
  it('starts at None with everyone Unbound', () => {
    const v = emptyEmbargo(ctx);
    expect(v.state).toBe('N');
    expect(Object.keys(v.consent).sort()).toEqual(['coord', 'finder', 'v1', 'v2']);
    expect(Object.values(v.consent).every((c) => c.state === 'Unbound')).toBe(true);
  });

  it('propose → owner accepts → Active with the proposed release date', () => {
    const { view, rejected } = run([propose('e1', 'finder', day(0), day(90)), accept('e1', 'coord', day(1))]);
    expect(rejected).toEqual([]);
    expect(view.state).toBe('A');
    expect(view.history).toBe('pa');
    expect(view.releaseAt).toEqual(day(90));
    expect(view.active?.id).toBe('e1');
    expect(view.active?.status).toBe('active');
    expect(view.pending).toBeNull();
    expect(view.active?.acceptedBy).toEqual(['coord']);
    expect(view.consent.coord?.state).toBe('Signatory');
    // The proposal invited everyone but the proposer; the vendors have not answered yet.
    expect(view.consent.v1).toMatchObject({ state: 'Invited', terms: 'e1', respondBy: day(7) });
    expect(view.consent.finder?.state).toBe('Unbound');
    expect(isEmbargoAdherent(view, 'coord')).toBe(true);
    expect(isEmbargoAdherent(view, 'v1')).toBe(false);
  });

  it('a vendor accepting does not activate the embargo; the Case Owner’s accept does', () => {
    const s1 = run([propose('e1', 'finder', day(0), day(60)), accept('e1', 'v1', day(1))]).view;
    expect(s1.state).toBe('P');
    expect(s1.consent.v1?.state).toBe('Signatory');
    expect(s1.pending?.acceptedBy).toEqual(['v1']);

    const s2 = applyEmbargoEvent(s1, accept('e1', 'coord', day(2)), ctx);
    expect(s2.ok && s2.view.state).toBe('A');
    expect(s2.ok && s2.view.consent.v1?.state).toBe('Signatory');
    expect(s2.ok && s2.view.active?.acceptedBy).toEqual(['v1', 'coord']);
  });

  it('a vendor rejecting records Declined and leaves the proposal open', () => {
    const { view } = run([propose('e1', 'finder', day(0), day(60)), reject('e1', 'v2', day(1))]);
    expect(view.state).toBe('P');
    expect(view.consent.v2).toMatchObject({ state: 'Declined', timedOut: false });
    expect(view.pending?.rejectedBy).toEqual(['v2']);
  });

  it('the Case Owner rejecting returns to None and unbinds everyone', () => {
    const { view } = run([propose('e1', 'finder', day(0), day(60)), accept('e1', 'v1', day(1)), reject('e1', 'coord', day(2))]);
    expect(view.state).toBe('N');
    expect(view.history).toBe('pr');
    expect(view.proposals[0]?.status).toBe('rejected');
    expect(Object.values(view.consent).every((c) => c.state === 'Unbound')).toBe(true);
  });

  it('a proposer may withdraw its own unaccepted proposal', () => {
    const { view } = run([propose('e1', 'v1', day(0), day(30)), reject('e1', 'v1', day(1))]);
    expect(view.state).toBe('N');
    expect(view.proposals[0]?.status).toBe('withdrawn');
  });

  it('a further proposal supersedes the outstanding one', () => {
    const { view, rejected } = run([
      propose('e1', 'finder', day(0), day(90)),
      accept('e1', 'v1', day(1)),
      propose('e2', 'v1', day(2), day(45)),
      accept('e2', 'coord', day(3)),
    ]);
    expect(rejected).toEqual([]);
    expect(view.history).toBe('ppa');
    expect(view.proposals.map((p) => p.status)).toEqual(['superseded', 'active']);
    expect(view.releaseAt).toEqual(day(45));
    // v1 signed e1 only; e2 proposed by v1 itself does not count as v1's acceptance.
    expect(view.consent.v1).toMatchObject({ state: 'Lapsed', terms: 'e1' });
    expect(view.consent.finder).toMatchObject({ state: 'Invited', terms: 'e2' });
  });
});

describe('embargo reducer: revisions', () => {
  const base: EmbargoEvent[] = [
    propose('e1', 'finder', day(0), day(45)),
    accept('e1', 'coord', day(1)),
    accept('e1', 'v1', day(1)),
    accept('e1', 'finder', day(1)),
  ];

  it('proposing against an Active embargo opens a revision and lapses the Signatories', () => {
    const { view } = run([...base, propose('e2', 'v1', day(5), day(90))]);
    expect(view.state).toBe('R');
    expect(view.pending?.kind).toBe('revision');
    expect(view.releaseAt).toEqual(day(45));
    expect(Object.values(view.consent).some((c) => c.state === 'Signatory')).toBe(false);
    // The proposer was lapsed, not invited; the rest were invited to the revision.
    expect(view.consent.v1).toMatchObject({ state: 'Lapsed', terms: 'e1' });
    expect(view.consent.coord).toMatchObject({ state: 'Invited', terms: 'e2' });
  });

  it('propose → accept → revise → reject revision keeps the old date and restores the Signatories', () => {
    const { view, rejected } = run([...base, propose('e2', 'v1', day(5), day(90)), reject('e2', 'coord', day(6))]);
    expect(rejected).toEqual([]);
    expect(view.state).toBe('A');
    expect(view.history).toBe('papr');
    expect(view.releaseAt).toEqual(day(45));
    expect(view.active?.id).toBe('e1');
    expect(view.proposals.find((p) => p.id === 'e2')?.status).toBe('rejected');
    for (const p of ['coord', 'v1', 'finder']) expect(view.consent[p]).toMatchObject({ state: 'Signatory', terms: 'e1' });
    // v2 never answered; its invitation to the terms that stand (e1) is open again.
    expect(view.consent.v2).toMatchObject({ state: 'Invited', terms: 'e1', respondBy: day(7) });
  });

  it('someone invited only to a revision that is rejected is left Unbound', () => {
    const { view } = run([
      ...base,
      propose('e2', 'v1', day(5), day(90), { invitees: ['coord', 'v3'] }),
      reject('e2', 'coord', day(6)),
    ]);
    expect(view.consent.v3).toMatchObject({ state: 'Unbound', terms: null });
  });

  it('accepting a revision replaces the terms; those who have not accepted them are invited or lapsed', () => {
    const { view } = run([
      ...base,
      propose('e2', 'v1', day(5), day(90)),
      accept('e2', 'v1', day(5)),
      accept('e2', 'coord', day(6)),
    ]);
    expect(view.state).toBe('A');
    expect(view.history).toBe('papa');
    expect(view.releaseAt).toEqual(day(90));
    expect(view.proposals.map((p) => [p.id, p.status])).toEqual([
      ['e1', 'replaced'],
      ['e2', 'active'],
    ]);
    expect(view.consent.v1).toMatchObject({ state: 'Signatory', terms: 'e2' });
    expect(view.consent.coord).toMatchObject({ state: 'Signatory', terms: 'e2' });
    expect(view.consent.finder).toMatchObject({ state: 'Invited', terms: 'e2' });
  });

  it('a participant rejecting a revision does not end the embargo', () => {
    const { view } = run([...base, propose('e2', 'v1', day(5), day(90)), reject('e2', 'finder', day(5))]);
    expect(view.state).toBe('R');
    expect(view.releaseAt).toEqual(day(45));
    expect(view.consent.finder?.state).toBe('Declined');
  });
});

describe('embargo reducer: termination', () => {
  const active: EmbargoEvent[] = [
    propose('e1', 'finder', day(0), day(45)),
    accept('e1', 'coord', day(1)),
    accept('e1', 'v1', day(2)),
  ];

  it('termination → eXited, everyone Unbound, reason recorded', () => {
    const { view, rejected } = run([
      ...active,
      { type: 'terminate', by: 'coord', at: day(20), reason: 'public-awareness', detail: 'blog post' },
    ]);
    expect(rejected).toEqual([]);
    expect(view.state).toBe('X');
    expect(view.history).toBe('pat');
    expect(view.termination).toEqual({ by: 'coord', at: day(20), reason: 'public-awareness', detail: 'blog post', early: true });
    expect(view.active).toBeNull();
    expect(view.releaseAt).toBeNull();
    expect(view.proposals[0]?.status).toBe('ended');
    expect(Object.values(view.consent).every((c) => c.state === 'Unbound')).toBe(true);
  });

  it('termination can happen with a revision open', () => {
    const { view } = run([
      ...active,
      propose('e2', 'v1', day(5), day(90)),
      { type: 'terminate', by: 'coord', at: day(45), reason: 'expired' },
    ]);
    expect(view.history).toBe('papt');
    expect(view.termination?.early).toBe(false);
    expect(view.proposals.map((p) => p.status)).toEqual(['ended', 'abandoned']);
  });

  it('no proposals, acceptances or terminations after eXited', () => {
    const { view, rejected } = run([
      ...active,
      { type: 'terminate', by: 'coord', at: day(10), reason: 'attacks-observed' },
      propose('e3', 'v1', day(11), day(40)),
      accept('e1', 'v2', day(11)),
      { type: 'terminate', by: 'coord', at: day(12), reason: 'other' },
    ]);
    expect(view.state).toBe('X');
    expect(rejected.map((r) => r.index)).toEqual([4, 5, 6]);
    expect(rejected[0]?.reason).toMatch(/eXited/);
  });

  it('only the Case Owner may terminate, with a known reason, from Active or Revise', () => {
    const r1 = run([...active, { type: 'terminate', by: 'v1', at: day(10), reason: 'other' }]);
    expect(r1.rejected[0]?.reason).toMatch(/Case Owner/);
    const r2 = run([...active, { type: 'terminate', by: 'coord', at: day(10), reason: 'bored' as never }]);
    expect(r2.rejected[0]?.reason).toMatch(/reason/);
    const r3 = run([propose('e1', 'finder', day(0), day(45)), { type: 'terminate', by: 'coord', at: day(1), reason: 'other' }]);
    expect(r3.rejected[0]?.reason).toMatch(/rejected, not terminated/);
  });

  it('embargoDue says when the release date has come', () => {
    const { view } = run(active);
    expect(embargoDue(view, day(44))).toBe(false);
    expect(embargoDue(view, day(45))).toBe(true);
    expect(embargoDue(emptyEmbargo(ctx), day(45))).toBe(false);
  });
});

describe('embargo reducer: consent details', () => {
  it('pocket veto: an unanswered invitation lapses to Declined; a late accept is still honoured', () => {
    const events = [propose('e1', 'finder', day(0), day(60)), accept('e1', 'coord', day(1))];
    const late = run(events, { ...ctx, now: day(8) }).view;
    expect(late.consent.v1).toMatchObject({ state: 'Declined', timedOut: true, since: day(7) });
    const { view, rejected } = run([...events, accept('e1', 'v1', day(9))]);
    expect(rejected).toEqual([]);
    expect(view.consent.v1).toMatchObject({ state: 'Signatory', terms: 'e1', timedOut: false });
  });

  it('a too-short respond-by is extended to the 72-hour minimum', () => {
    const { view } = run([propose('e1', 'finder', day(0), day(60), { respondBy: hour(1) })]);
    expect(view.consent.v1?.respondBy).toEqual(hour(72));
  });

  it('an explicitly Declined participant must be invited again before accepting', () => {
    const base = [propose('e1', 'finder', day(0), day(60)), accept('e1', 'coord', day(1)), reject('e1', 'v2', day(2))];
    const r1 = run([...base, accept('e1', 'v2', day(3))]);
    expect(r1.rejected[0]?.reason).toMatch(/invited again/);
    const r2 = run([
      ...base,
      { type: 'invite', proposalId: 'e1', by: 'coord', at: day(3), invitees: ['v2'] },
      accept('e1', 'v2', day(4)),
    ]);
    expect(r2.rejected).toEqual([]);
    expect(r2.view.consent.v2?.state).toBe('Signatory');
  });

  it('inviting a new participant to the existing embargo; Signatories are not re-invited', () => {
    const base = [propose('e1', 'finder', day(0), day(60)), accept('e1', 'coord', day(1))];
    const r = run([...base, { type: 'invite', proposalId: 'e1', by: 'coord', at: day(2), invitees: ['v3'] }], {
      caseOwner: 'coord',
    });
    expect(r.view.consent.v3).toMatchObject({ state: 'Invited', terms: 'e1' });
    const again = run([...base, { type: 'invite', proposalId: 'e1', by: 'coord', at: day(2), invitees: ['coord'] }]);
    expect(again.rejected[0]?.reason).toMatch(/Signatory/);
  });

  it('accepting stale terms invites the participant to the current terms instead', () => {
    const { view, notices, rejected } = run([
      propose('e1', 'finder', day(0), day(90)),
      propose('e2', 'v1', day(1), day(45)),
      accept('e2', 'coord', day(2)),
      accept('e1', 'v2', day(3)),
    ]);
    expect(rejected).toEqual([]);
    expect(notices[0]?.notice).toMatch(/superseded/);
    expect(view.consent.v2).toMatchObject({ state: 'Invited', terms: 'e2' });
  });

  it('a signatory may withdraw consent from the active embargo; the Case Owner may not (it terminates instead)', () => {
    const base = [propose('e1', 'finder', day(0), day(60)), accept('e1', 'coord', day(1)), accept('e1', 'v1', day(2))];
    const r = run([...base, reject('e1', 'v1', day(3)), reject('e1', 'coord', day(3))]);
    expect(r.view.state).toBe('A');
    expect(r.view.consent.v1?.state).toBe('Declined');
    expect(r.view.active?.rejectedBy).toEqual(['v1']);
    expect(r.rejected.map((x) => x.index)).toEqual([4]);
  });

  it('refuses strangers, duplicate ids, past and over-long release dates', () => {
    const r = run(
      [
        propose('e1', 'mallory', day(0), day(30)),
        propose('e1', 'finder', day(0), day(-1)),
        propose('e1', 'finder', day(0), day(120)),
        propose('e1', 'finder', day(0), day(30)),
        propose('e1', 'v1', day(1), day(40)),
        accept('nope', 'coord', day(2)),
      ],
      { ...ctx, maxEmbargoDays: 90 },
    );
    expect(r.rejected.map((x) => x.index)).toEqual([0, 1, 2, 4, 5]);
    expect(r.rejected.map((x) => x.reason)).toEqual([
      expect.stringMatching(/not a Participant/),
      expect.stringMatching(/not in the future/),
      expect.stringMatching(/maximum embargo of 90 days/),
      expect.stringMatching(/already exists/),
      expect.stringMatching(/unknown proposal/),
    ]);
    expect(r.view.state).toBe('P');
  });

  it('counts the maximum from the embargo window start when given', () => {
    const c = { ...ctx, maxEmbargoDays: 90, embargoWindowStart: day(-30) };
    expect(run([propose('e1', 'finder', day(0), day(70))], c).rejected).toHaveLength(1);
    expect(run([propose('e1', 'finder', day(0), day(60))], c).rejected).toHaveLength(0);
  });

  it('a refused event returns the same view object', () => {
    const v = emptyEmbargo(ctx);
    const r = applyEmbargoEvent(v, accept('e1', 'coord', day(0)), ctx);
    expect(r.ok).toBe(false);
    expect(r.view).toBe(v);
  });
});

describe('embargo helpers', () => {
  it('validateEmbargoProposal', () => {
    expect(validateEmbargoProposal({ releaseAt: day(10), now: day(0) })).toEqual({ ok: true });
    expect(validateEmbargoProposal({ releaseAt: day(0), now: day(0) }).ok).toBe(false);
    expect(validateEmbargoProposal({ releaseAt: day(91), now: day(0), maxEmbargoDays: 90 }).ok).toBe(false);
    expect(validateEmbargoProposal({ releaseAt: day(90), now: day(0), maxEmbargoDays: 90 })).toEqual({ ok: true });
    expect(validateEmbargoProposal({ releaseAt: day(5), now: day(0), maxEmbargoDays: 0 }).ok).toBe(false);
    expect(validateEmbargoProposal({ releaseAt: new Date(Number.NaN), now: day(0) }).ok).toBe(false);
    expect(latestAllowedReleaseAt(day(0), 45)).toEqual(day(45));
  });

  it('embargoNegotiationZone follows the habitable zone of em/negotiating.md', () => {
    expect(embargoNegotiationZone('Vfdpxa').zone).toBe('allowed');
    expect(embargoNegotiationZone('vfdpxa').zone).toBe('allowed');
    expect(embargoNegotiationZone('VFdpxa').zone).toBe('brief-only');
    expect(embargoNegotiationZone('VFDpxa').zone).toBe('discouraged');
    expect(embargoNegotiationZone('VfdPxa').zone).toBe('forbidden');
    expect(embargoNegotiationZone('VFdpXa').zone).toBe('forbidden');
    expect(embargoNegotiationZone('VfdpxA').zone).toBe('forbidden');
  });

  it('embargoTeardown: SHALL on P or X, SHOULD on A', () => {
    expect(embargoTeardown('VfdPxa')).toEqual({ level: 'shall', reason: 'public-awareness' });
    expect(embargoTeardown('VfdpXa')).toEqual({ level: 'shall', reason: 'exploit-public' });
    expect(embargoTeardown('VfdpxA')).toEqual({ level: 'should', reason: 'attacks-observed' });
    expect(embargoTeardown('VFdpxa')).toBeNull();
  });
});

describe('embargo reducer: properties', () => {
  const people = ['coord', 'finder', 'v1', 'v2'];
  const ids = ['e1', 'e2', 'e3', 'e4'];
  const eventArb: fc.Arbitrary<EmbargoEvent> = fc.oneof(
    fc.record({
      type: fc.constant('propose' as const),
      proposalId: fc.constantFrom(...ids),
      by: fc.constantFrom(...people),
      releaseDays: fc.integer({ min: -5, max: 200 }),
    }),
    fc.record({
      type: fc.constantFrom('accept' as const, 'reject' as const),
      proposalId: fc.constantFrom(...ids),
      by: fc.constantFrom(...people),
    }),
    fc.record({
      type: fc.constant('invite' as const),
      proposalId: fc.constantFrom(...ids),
      by: fc.constantFrom(...people),
      who: fc.constantFrom(...people),
    }),
    fc.record({ type: fc.constant('terminate' as const), by: fc.constantFrom(...people) }),
  ) as unknown as fc.Arbitrary<EmbargoEvent>;

  // Give each generated event a strictly later time, one day apart.
  function timed(raw: EmbargoEvent[]): EmbargoEvent[] {
    return raw.map((e, i) => {
      const at = day(i);
      const r = e as unknown as Record<string, unknown>;
      if (e.type === 'propose')
        return { type: 'propose', proposalId: e.proposalId, by: e.by, at, releaseAt: day(i + (r.releaseDays as number)) };
      if (e.type === 'invite') return { type: 'invite', proposalId: e.proposalId, by: e.by, at, invitees: [r.who as string] };
      if (e.type === 'terminate') return { type: 'terminate', by: e.by, at, reason: 'other' };
      return { ...e, at };
    });
  }

  it('the EM history is always a valid run ending in the reported state; Signatories only hold terms in play', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 25 }), (raw) => {
        const c: EmbargoContext = { caseOwner: 'coord', participants: people, maxEmbargoDays: 120 };
        let view = emptyEmbargo(c);
        for (const e of timed(raw)) {
          const before = structuredClone(view);
          const step = applyEmbargoEvent(view, e, c);
          if (!step.ok) {
            expect(step.view).toBe(view);
            expect(view).toEqual(before);
            continue;
          }
          view = step.view;
          const em = emRun(view.history);
          expect(em).toEqual({ ok: true, state: view.state });
          const inPlay = new Set([view.active?.id, view.pending?.id].filter(Boolean));
          for (const consent of Object.values(view.consent)) {
            if (consent.state === 'Signatory') expect(inPlay.has(consent.terms ?? '')).toBe(true);
          }
          if (view.state === 'A' || view.state === 'R') expect(view.releaseAt).toEqual(view.active?.releaseAt);
          else expect(view.releaseAt).toBeNull();
          if (view.state === 'X') {
            expect(
              applyEmbargoEvent(view, { type: 'propose', proposalId: 'zz', by: 'coord', at: day(99), releaseAt: day(100) }, c).ok,
            ).toBe(false);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
