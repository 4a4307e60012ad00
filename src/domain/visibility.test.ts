// The whole visibility decision, as routes make it: tents (scheduled, moved with the release date,
// opened by a scheduler that runs late or early, or opened early by the coordinator), membership
// standing (suspension, ejection) and TLP, through decide() and mayReadCaseItem(). fast-check
// generates communities, cases, tents, schedules, ejections and clock times, and checks that no
// participant ever reads any part of a case before its tent opened, above its ceiling, or after
// it was ejected or while suspended.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Tlp } from '../store/schema-cases.ts';
import { type CaseRelation, decide, mayReadCaseItem, type UserActor } from './policy.ts';
import {
  openDue,
  openEarly,
  orgTentAccess,
  recompute,
  scheduledOpening,
  type Tent,
  type TentSpec,
  tentContains,
} from './tents.ts';
import { TLP_ORDER, tlpWithin } from './tlp-order.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const ORGS = ['org-a', 'org-b', 'org-c', 'org-d'] as const;
const TAGS = ['core', 'partner', 'enabler', 'fix-provider', 'government-cert'] as const;
const ARTIFACTS = ['art-1', 'art-2', 'art-3'] as const;
const COORDINATOR = 'org-coordinator';

const tlp = fc.constantFrom(...TLP_ORDER);
const time = fc.integer({ min: 0, max: 120 * DAY }).map((ms) => new Date(T0 + ms));

const spec = (id: string) =>
  fc.record({
    id: fc.constant(id),
    name: fc.constant(id),
    members: fc.record({
      orgIds: fc.subarray([...ORGS]),
      tiers: fc.subarray([...TAGS, '*']),
    }),
    opens: fc.oneof(
      fc.record({ kind: fc.constant('absolute' as const), at: time }),
      fc.record({ kind: fc.constant('relative' as const), offsetDays: fc.integer({ min: -30, max: 0 }) }),
      fc.constant({ kind: 'immediately' as const }),
    ),
    tlpCeiling: tlp,
    artifacts: fc.oneof(fc.constant('all' as const), fc.subarray([...ARTIFACTS])),
  }) as fc.Arbitrary<TentSpec>;

type Step =
  | { at: Date; kind: 'tick' }
  | { at: Date; kind: 'move'; release: Date | null }
  | { at: Date; kind: 'early'; tent: number };

const world = fc.record({
  specs: fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => spec(`t${i}`)))),
  release: fc.option(time, { nil: null }),
  steps: fc.array(
    fc.oneof(
      fc.record({ at: time, kind: fc.constant('tick' as const) }),
      fc.record({ at: time, kind: fc.constant('move' as const), release: fc.option(time, { nil: null }) }),
      fc.record({ at: time, kind: fc.constant('early' as const), tent: fc.integer({ min: 0, max: 4 }) }),
    ),
    { maxLength: 30 },
  ) as fc.Arbitrary<Step[]>,
  tags: fc.record(
    Object.fromEntries(ORGS.map((o) => [o, fc.subarray([...TAGS])])) as Record<(typeof ORGS)[number], fc.Arbitrary<string[]>>,
  ),
  ejectedAt: fc.record(
    Object.fromEntries(ORGS.map((o) => [o, fc.option(time, { nil: null })])) as Record<string, fc.Arbitrary<Date | null>>,
  ),
  suspended: fc.record(
    Object.fromEntries(ORGS.map((o) => [o, fc.option(fc.tuple(time, time), { nil: null })])) as Record<
      string,
      fc.Arbitrary<[Date, Date] | null>
    >,
  ),
  ceiling: fc.record(Object.fromEntries(ORGS.map((o) => [o, tlp])) as Record<string, fc.Arbitrary<Tlp>>),
  now: time,
  item: fc.record({ tlp, artifactId: fc.option(fc.constantFrom(...ARTIFACTS), { nil: null }) }),
});

interface Opening {
  at: Date;
  early: boolean;
  /** The tent's scheduled time under the release date in force when it opened. */
  scheduled: Date | null;
}

/** Runs the case's history up to `now`: the scheduler's ticks, release moves, early openings. */
function simulate(w: WorldValue) {
  let tents: Tent[] = w.specs.map((s) => ({ spec: s, state: { openedAt: null } }));
  let release = w.release;
  const openings = new Map<string, Opening>();
  const caseOpened = new Date(T0);
  const record = (ids: string[], at: Date, early: boolean) => {
    for (const id of ids) {
      const t = tents.find((x) => x.spec.id === id);
      if (t && !openings.has(id)) openings.set(id, { at, early, scheduled: scheduledOpening(t.spec, release, caseOpened) });
    }
  };
  const steps = [...w.steps].filter((s) => s.at.getTime() <= w.now.getTime()).sort((a, b) => a.at.getTime() - b.at.getTime());
  for (const s of steps) {
    if (s.kind === 'tick') {
      const r = openDue(tents, release, s.at);
      tents = r.tents;
      record(r.opened, s.at, false);
    } else if (s.kind === 'move') {
      const r = recompute(tents, release, s.release, s.at);
      release = s.release;
      tents = r.tents.map((t) => ({ spec: t.spec, state: t.state }));
      record(r.due, s.at, false);
    } else {
      const t = tents[s.tent];
      if (!t) continue;
      const r = openEarly(t.state, s.at, 'coordinator-user', 'reason');
      if (r.ok) {
        tents = tents.map((x, i) => (i === s.tent ? { spec: x.spec, state: r.state } : x));
        record([t.spec.id], s.at, true);
      }
    }
  }
  return { tents, openings };
}
type WorldValue = typeof world extends fc.Arbitrary<infer T> ? T : never;

const actorOf = (orgId: string): UserActor => ({
  type: 'user',
  userId: `${orgId}-user`,
  orgId,
  orgRole: 'member',
  orgKind: 'vendor',
  isOperator: false,
  via: 'session',
  scopes: null,
});

describe('visibility through tents, standing and TLP (property-based)', () => {
  it('no participant reads before its tent opened, above its ceiling, after ejection or while suspended', () => {
    const seen = { sees: 0, reads: 0, hidden: 0 };
    fc.assert(
      fc.property(world, (w) => {
        const { tents, openings } = simulate(w);
        for (const org of ORGS) {
          const ejected = w.ejectedAt[org] !== null && (w.ejectedAt[org] as Date).getTime() <= w.now.getTime();
          const s = w.suspended[org];
          const suspended =
            s !== null && s !== undefined && s[0].getTime() <= w.now.getTime() && w.now.getTime() < s[1].getTime();
          const tags = w.tags[org];
          const rel: CaseRelation = {
            caseId: 'case',
            coordinatorOrgId: COORDINATOR,
            participant: { orgId: org, role: 'other', tlpCeiling: w.ceiling[org] as Tlp, removed: false },
            gate: {
              tents: orgTentAccess(org, tags, tents, w.now, { ejected, suspended }),
              standing: ejected ? 'ejected' : suspended ? 'suspended' : 'admitted',
              ndaPending: null,
            },
          };
          const actor = actorOf(org);
          const sees = decide(actor, 'case.read', { type: 'case', relation: rel }).allow;
          const reads = mayReadCaseItem(actor, rel, {
            tlp: w.item.tlp,
            audience: 'all',
            audienceOrgId: null,
            authorOrgId: COORDINATOR,
            artifactId: w.item.artifactId,
          });
          // Nothing of a case one may not see, not even one item.
          if (!sees) {
            expect(reads).toBe(false);
            seen.hidden++;
            continue;
          }
          seen.sees++;
          if (reads) seen.reads++;
          // Whoever sees the case is in good standing and in a tent that opened by now, no sooner than planned.
          expect(ejected || suspended).toBe(false);
          const open = tents.filter(
            (t) => tentContains(t.spec, org, tags) && t.state.openedAt && t.state.openedAt.getTime() <= w.now.getTime(),
          );
          expect(open.length).toBeGreaterThan(0);
          for (const t of open) {
            const o = openings.get(t.spec.id);
            expect(o).toBeDefined();
            if (o && !o.early) expect(o.scheduled !== null && o.scheduled.getTime() <= o.at.getTime()).toBe(true);
          }
          if (reads) {
            // One open tent allows the label and the artifact, and the participant ceiling allows the label.
            expect(tlpWithin(w.item.tlp, w.ceiling[org] as Tlp)).toBe(true);
            const allowing = open.filter(
              (t) =>
                tlpWithin(w.item.tlp, t.spec.tlpCeiling) &&
                (w.item.artifactId === null || t.spec.artifacts === 'all' || t.spec.artifacts.includes(w.item.artifactId)),
            );
            expect(allowing.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 2000 },
    );
    // The generators reach every outcome often, so the property is not vacuous.
    expect(Math.min(seen.sees, seen.reads, seen.hidden)).toBeGreaterThan(200);
  });

  it('the coordinator always sees its case; an outsider never does', () => {
    fc.assert(
      fc.property(world, (w) => {
        const { tents } = simulate(w);
        const coordinating: CaseRelation = {
          caseId: 'case',
          coordinatorOrgId: COORDINATOR,
          participant: null,
          gate: {
            tents: orgTentAccess(COORDINATOR, [], tents, w.now, { ejected: false, suspended: false }),
            standing: null,
            ndaPending: null,
          },
        };
        expect(decide(actorOf(COORDINATOR), 'case.read', { type: 'case', relation: coordinating }).allow).toBe(true);
        const outsider: CaseRelation = { ...coordinating, participant: null };
        expect(decide(actorOf('org-outside'), 'case.read', { type: 'case', relation: outsider }).allow).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
