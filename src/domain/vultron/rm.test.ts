// RM DFA against δ^rm as written in CERTCC/Vultron docs/topics/process_models/rm/formal_model.md.
// The expected table is transcribed here, not derived from the module.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RM_ACTIONS, RM_MESSAGES, RM_STATES, type RmAction, type RmState, rmAllowed, rmNext, rmRun, rmTransition } from './rm.ts';

// S → rR;  R → vV | iI;  I → vV | cC;  V → aA | dD;  A → dD | cC;  D → aA | cC;  C → ε
const EXPECTED: Record<RmState, Partial<Record<RmAction, RmState>>> = {
  S: { receive: 'R' },
  R: { validate: 'V', invalidate: 'I' },
  I: { validate: 'V', close: 'C' },
  V: { accept: 'A', defer: 'D' },
  A: { defer: 'D', close: 'C' },
  D: { accept: 'A', close: 'C' },
  C: {},
};

const pairs = RM_STATES.flatMap((s) => RM_ACTIONS.map((a) => [s, a] as const));
const allowedPairs = pairs.filter(([s, a]) => EXPECTED[s][a] !== undefined);
const refusedPairs = pairs.filter(([s, a]) => EXPECTED[s][a] === undefined);

describe('RM state machine', () => {
  it('has exactly the eleven transitions of the docs', () => {
    expect(allowedPairs).toHaveLength(11);
    expect(refusedPairs).toHaveLength(7 * 6 - 11);
  });

  it.each(allowedPairs)('%s --%s--> allowed', (s, a) => {
    expect(rmTransition(s, a)).toEqual({ ok: true, state: EXPECTED[s][a] });
  });

  it.each(refusedPairs)('%s --%s--> refused with a reason, state unchanged', (s, a) => {
    const r = rmTransition(s, a);
    expect(r.ok).toBe(false);
    expect(r.state).toBe(s);
    if (!r.ok) expect(r.reason).toMatch(/\S/);
  });

  it.each(RM_STATES)('rmAllowed(%s) lists exactly the allowed actions', (s) => {
    expect(new Set(rmAllowed(s))).toEqual(new Set(Object.keys(EXPECTED[s])));
  });

  it('explains the pitfalls the docs call out', () => {
    const closeValid = rmTransition('V', 'close');
    expect(!closeValid.ok && closeValid.reason).toMatch(/MUST NOT close reports from Valid/);
    const invalidateValid = rmTransition('V', 'invalidate');
    expect(!invalidateValid.ok && invalidateValid.reason).toMatch(/only from Received/);
    const fromClosed = rmTransition('C', 'accept');
    expect(!fromClosed.ok && fromClosed.reason).toMatch(/final/);
  });

  it('refuses unknown states and actions', () => {
    expect(rmTransition('Z' as RmState, 'receive').ok).toBe(false);
    expect(rmTransition('S', 'triage' as RmAction).ok).toBe(false);
  });

  it('maps transitions to the RM messages', () => {
    expect(RM_MESSAGES).toEqual({ receive: 'RS', validate: 'RV', invalidate: 'RI', accept: 'RA', defer: 'RD', close: 'RC' });
  });

  it('rmNext is rmTransition', () => {
    expect(rmNext('R', 'validate')).toEqual(rmTransition('R', 'validate'));
  });

  it('accepts the 15 shortest histories the docs list, ending Closed', () => {
    const histories = 'ric rvac rvdc rivac rivdc rvadc rvdac rivadc rivdac rvadac rvdadc rivadac rivdadc rvadadc rvdadac'.split(
      ' ',
    );
    for (const h of histories) expect(rmRun(h)).toEqual({ ok: true, state: 'C' });
    expect(rmRun('rvc').ok).toBe(false);
    expect(rmRun('rvic').ok).toBe(false);
  });

  it('property: any action sequence stays inside Q^rm and refusals never move the state', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...RM_ACTIONS), { maxLength: 30 }), (actions) => {
        let s: RmState = 'S';
        for (const a of actions) {
          const r = rmTransition(s, a);
          if (r.ok) expect(r.state).toBe(EXPECTED[s][a]);
          else expect(r.state).toBe(s);
          s = r.state;
          expect(RM_STATES).toContain(s);
        }
      }),
    );
  });
});
