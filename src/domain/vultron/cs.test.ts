// CS DFA against δ^cs as transcribed from CERTCC/Vultron docs/topics/process_models/cs/transitions.md
// (one typo corrected: the docs' "VFdPxA → X VFDPXA" is VFdPXA, per the transition table in
// measuring_cvd/desirable_histories.md).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CS_EVENTS,
  CS_MESSAGES,
  CS_STATES,
  type CsEvent,
  type CsState,
  csAllowed,
  csApply,
  csApplyWithCauses,
  csCombine,
  csFromFlags,
  csMatches,
  csRun,
  csSplit,
  pxaApply,
  vfdApply,
} from './cs.ts';

const GRAMMAR = `
vfdpxa V Vfdpxa P vfdPxa X vfdpXa A vfdpxA
vfdpxA V VfdpxA P vfdPxA X vfdpXA
vfdpXa P vfdPXa
vfdpXA P vfdPXA
vfdPxa V VfdPxa
vfdPxA V VfdPxA
vfdPXa V VfdPXa
vfdPXA V VfdPXA
Vfdpxa F VFdpxa P VfdPxa X VfdpXa A VfdpxA
VfdpxA F VFdpxA P VfdPxA X VfdpXA
VfdpXa P VfdPXa
VfdpXA P VfdPXA
VfdPxa F VFdPxa X VfdPXa A VfdPxA
VfdPxA F VFdPxA X VfdPXA
VfdPXa F VFdPXa A VfdPXA
VfdPXA F VFdPXA
VFdpxa D VFDpxa P VFdPxa X VFdpXa A VFdpxA
VFdpxA D VFDpxA P VFdPxA X VFdpXA
VFdpXa P VFdPXa
VFdpXA P VFdPXA
VFdPxa D VFDPxa X VFdPXa A VFdPxA
VFdPxA D VFDPxA X VFdPXA
VFdPXa D VFDPXa A VFdPXA
VFdPXA D VFDPXA
VFDpxa P VFDPxa X VFDpXa A VFDpxA
VFDpxA P VFDPxA X VFDpXA
VFDpXa P VFDPXa
VFDpXA P VFDPXA
VFDPxa X VFDPXa A VFDPxA
VFDPxA X VFDPXA
VFDPXa A VFDPXA
VFDPXA`;

const DELTA = new Map<CsState, Map<CsEvent, CsState>>();
for (const line of GRAMMAR.trim().split('\n')) {
  const [from, ...rest] = line.trim().split(/\s+/) as [CsState, ...string[]];
  const out = new Map<CsEvent, CsState>();
  for (let i = 0; i < rest.length; i += 2) out.set(rest[i] as CsEvent, rest[i + 1] as CsState);
  DELTA.set(from, out);
}

function reachable(): Set<CsState> {
  const seen = new Set<CsState>(['vfdpxa']);
  const queue: CsState[] = ['vfdpxa'];
  for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
    for (const next of DELTA.get(s)?.values() ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

const pairs = CS_STATES.flatMap((s) => CS_EVENTS.map((e) => [s, e] as const));
const allowedPairs = pairs.filter(([s, e]) => DELTA.get(s)?.has(e));
const refusedPairs = pairs.filter(([s, e]) => !DELTA.get(s)?.has(e));

describe('CS state machine', () => {
  it('has the 32 states of Q^cs, all reachable from vfdpxa', () => {
    expect(CS_STATES).toHaveLength(32);
    expect(new Set(CS_STATES)).toEqual(new Set(DELTA.keys()));
    expect(reachable()).toEqual(new Set(CS_STATES));
  });

  it.each(allowedPairs)('%s --%s--> allowed', (s, e) => {
    expect(csApply(s, e)).toEqual({ ok: true, state: DELTA.get(s)?.get(e) });
  });

  it.each(refusedPairs)('%s --%s--> refused with a reason, state unchanged', (s, e) => {
    const r = csApply(s, e);
    expect(r.ok).toBe(false);
    expect(r.state).toBe(s);
    if (!r.ok) expect(r.reason).toMatch(/\S/);
  });

  it.each(CS_STATES)('csAllowed(%s) matches the grammar', (s) => {
    expect(new Set(csAllowed(s))).toEqual(new Set(DELTA.get(s)?.keys()));
  });

  it('each transition raises exactly one letter', () => {
    for (const [s, e] of allowedPairs) {
      const r = csApply(s, e);
      const to = r.state;
      const diff = [...s].filter((ch, i) => ch !== to[i]);
      expect(diff).toHaveLength(1);
      expect(to).toContain(e);
    }
  });

  it('refuses fix deployed before fix ready, and fix ready before vendor awareness', () => {
    const d = csApply('Vfdpxa', 'D');
    expect(!d.ok && d.reason).toMatch(/requires Fix Readiness \(F\)/);
    const f = csApply('vfdpxa', 'F');
    expect(!f.ok && f.reason).toMatch(/requires Vendor Awareness \(V\)/);
    expect(csRun('VDF').ok).toBe(false);
    expect(csRun('VFD')).toEqual({ ok: true, state: 'VFDpxa' });
  });

  it('exploit public implies public aware; public aware implies vendor aware next', () => {
    const a = csApply('VfdpXa', 'A');
    expect(!a.ok && a.reason).toMatch(/only transition is P/);
    const x = csApply('vfdPxa', 'X');
    expect(!x.ok && x.reason).toMatch(/only transition is V/);
    expect(csApplyWithCauses('vfdpxa', 'X')).toEqual({ ok: true, state: 'VfdPXa', applied: ['X', 'P', 'V'] });
    expect(csApplyWithCauses('VFdpxA', 'X')).toEqual({ ok: true, state: 'VFdPXA', applied: ['X', 'P'] });
    expect(csApplyWithCauses('Vfdpxa', 'F')).toEqual({ ok: true, state: 'VFdpxa', applied: ['F'] });
  });

  it('attacks do not imply public awareness', () => {
    expect(csRun('VA')).toEqual({ ok: true, state: 'VfdpxA' });
    expect(csAllowed('VfdpxA')).toEqual(['F', 'P', 'X']);
  });

  it('refuses events that already happened and malformed states', () => {
    expect(csApply('Vfdpxa', 'V').ok).toBe(false);
    expect(csApply('vFdpxa' as CsState, 'V').ok).toBe(false);
    expect(csApply('vfdpx' as CsState, 'V').ok).toBe(false);
    expect(csApply('vfdpxa', 'Q' as CsEvent).ok).toBe(false);
  });

  it('combines a participant’s vendor flags with the case flags', () => {
    expect(csCombine('VFd', 'pxa')).toBe('VFdpxa');
    expect(csSplit('VfdPXa')).toEqual({ vfd: 'Vfd', pxa: 'PXa' });
    expect(
      csFromFlags(
        { vendorAware: true, fixReady: true, fixDeployed: false },
        { publicAware: true, exploitPublic: false, attacksObserved: true },
      ),
    ).toEqual({ ok: true, state: 'VFdPxA' });
    const bad = csFromFlags(
      { vendorAware: true, fixReady: false, fixDeployed: true },
      { publicAware: false, exploitPublic: false, attacksObserved: false },
    );
    expect(bad.ok).toBe(false);
    expect(() => csCombine('vFd' as never, 'pxa')).toThrow();
    expect(csMatches('VFdPxa', 'VFdP..')).toBe(true);
    expect(csMatches('VFdPxa', '···p··')).toBe(false);
  });

  it('runs the two dimensions separately for multi-party cases', () => {
    expect(vfdApply('vfd', 'V')).toEqual({ ok: true, state: 'Vfd' });
    expect(vfdApply('Vfd', 'D').ok).toBe(false);
    expect(vfdApply('VFd', 'D')).toEqual({ ok: true, state: 'VFD' });
    expect(vfdApply('vfd', 'P' as never).ok).toBe(false);
    expect(pxaApply('pxa', 'X')).toEqual({ ok: true, state: 'pXa' });
    expect(pxaApply('pXa', 'A').ok).toBe(false);
    expect(pxaApply('pXa', 'P')).toEqual({ ok: true, state: 'PXa' });
    expect(pxaApply('pxA', 'X')).toEqual({ ok: true, state: 'pXA' });
    expect(pxaApply('PXA', 'A').ok).toBe(false);
    expect(pxaApply('pxa', 'V' as never).ok).toBe(false);
  });

  it('maps events to CS messages', () => {
    expect(CS_MESSAGES).toEqual({ V: 'CV', F: 'CF', D: 'CD', P: 'CP', X: 'CX', A: 'CA' });
  });

  it('property: any event sequence accepted by csApply stays on the docs’ graph and reaches a state of Q^cs', () => {
    const inModel = reachable();
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...CS_EVENTS), { maxLength: 20 }), (events) => {
        let s: CsState = 'vfdpxa';
        for (const e of events) {
          const r = csApply(s, e);
          if (r.ok) expect(DELTA.get(s)?.get(e)).toBe(r.state);
          else expect(DELTA.get(s)?.has(e)).toBe(false);
          s = r.state;
          expect(inModel.has(s)).toBe(true);
        }
      }),
    );
  });

  it('property: csApplyWithCauses never rests in ···pX· or v··P··', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...CS_EVENTS), { maxLength: 20 }), (events) => {
        let s: CsState = 'vfdpxa';
        for (const e of events) {
          const r = csApplyWithCauses(s, e);
          if (r.ok) s = r.state;
          expect(csMatches(s, '...pX.') || csMatches(s, 'v..P..')).toBe(false);
        }
      }),
    );
  });
});
