// EM DFA against δ^em in CERTCC/Vultron docs/topics/process_models/em/formal_model.md (transcribed).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EM_ACTIONS, EM_STATES, type EmAction, type EmState, emAllowed, emMessage, emRun, emTransition } from './em.ts';

// N → pP | ε;  P → pP | rN | aA;  A → pR | tX;  R → pR | aA | rA | tX;  X → ε
const EXPECTED: Record<EmState, Partial<Record<EmAction, EmState>>> = {
  N: { propose: 'P' },
  P: { propose: 'P', reject: 'N', accept: 'A' },
  A: { propose: 'R', terminate: 'X' },
  R: { propose: 'R', accept: 'A', reject: 'A', terminate: 'X' },
  X: {},
};

const pairs = EM_STATES.flatMap((s) => EM_ACTIONS.map((a) => [s, a] as const));
const allowedPairs = pairs.filter(([s, a]) => EXPECTED[s][a] !== undefined);
const refusedPairs = pairs.filter(([s, a]) => EXPECTED[s][a] === undefined);

describe('EM state machine', () => {
  it('has the ten transitions of the specification table', () => {
    expect(allowedPairs).toHaveLength(10);
  });

  it.each(allowedPairs)('%s --%s--> allowed', (s, a) => {
    expect(emTransition(s, a)).toEqual({ ok: true, state: EXPECTED[s][a] });
  });

  it.each(refusedPairs)('%s --%s--> refused with a reason, state unchanged', (s, a) => {
    const r = emTransition(s, a);
    expect(r.ok).toBe(false);
    expect(r.state).toBe(s);
    if (!r.ok) expect(r.reason).toMatch(/\S/);
  });

  it.each(EM_STATES)('emAllowed(%s) lists exactly the allowed actions', (s) => {
    expect(new Set(emAllowed(s))).toEqual(new Set(Object.keys(EXPECTED[s])));
  });

  it('names the message for each transition (revisions use EV / EC / EJ)', () => {
    expect(emMessage('N', 'propose')).toBe('EP');
    expect(emMessage('P', 'propose')).toBe('EP');
    expect(emMessage('P', 'accept')).toBe('EA');
    expect(emMessage('P', 'reject')).toBe('ER');
    expect(emMessage('A', 'propose')).toBe('EV');
    expect(emMessage('R', 'accept')).toBe('EC');
    expect(emMessage('R', 'reject')).toBe('EJ');
    expect(emMessage('A', 'terminate')).toBe('ET');
    expect(emMessage('R', 'terminate')).toBe('ET');
    expect(emMessage('X', 'propose')).toBeNull();
  });

  it('rejecting a revision keeps the embargo Active; rejecting a proposal returns to None', () => {
    expect(emRun('papr')).toEqual({ ok: true, state: 'A' });
    expect(emRun('pr')).toEqual({ ok: true, state: 'N' });
  });

  it('accepts the complete histories the docs list and nothing after eXited', () => {
    for (const h of ['pr', 'pat', 'ppr', 'ppat', 'papt', 'prpr', 'pappt', 'paprt', 'prpapt', 'pappat']) {
      const r = emRun(h);
      expect(r.ok && ['N', 'X'].includes(r.state)).toBe(true);
    }
    expect(emRun('patp').ok).toBe(false);
    const r = emTransition('X', 'propose');
    expect(!r.ok && r.reason).toMatch(/eXited/);
  });

  it('property: every accepted history that ends in a final state matches the docs’ regular expression', () => {
    const complete = /^(p+r)*(p+a(p+[ar])*p*t)?$/;
    fc.assert(
      fc.property(fc.array(fc.constantFrom('p', 'a', 'r', 't'), { maxLength: 14 }), (syms) => {
        const r = emRun(syms.join(''));
        if (r.ok && (r.state === 'N' || r.state === 'X')) expect(syms.join('')).toMatch(complete);
        if (syms.join('').match(complete)) expect(r.ok).toBe(true);
      }),
    );
  });
});
