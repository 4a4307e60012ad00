import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { excerpt, rng, samplePacket } from '../../../bench/briefing-corpus.ts';
import { type BriefingPacket, renderBriefingText } from '../../services/briefing.ts';
import {
  BRIEFING_SLOT_LIST,
  CandidateTable,
  normalizeText,
  observe,
  phrase,
  SymbolCache,
  slotSymbol,
  threshold,
  traceObservations,
  weave,
} from './index.ts';

const SECRET = new Uint8Array(32).map((_, i) => i * 7 + 1);
const ids = (n: number) => Array.from({ length: n }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
const copyFor = (p: BriefingPacket, id: string, secret = SECRET) =>
  renderBriefingText(
    { ...p, recipient: { ...p.recipient, orgId: id, orgName: `Org ${id.slice(-4)}` } },
    { secret, recipientId: id },
  );

/** What a leaker's copy-paste may do to text: re-wrap, change case, add spaces and blank lines. */
function mangle(text: string, r: () => number): string {
  let t = text.replace(/\n/g, r() < 0.5 ? ' ' : '\n\n');
  if (r() < 0.3) t = t.toUpperCase();
  if (r() < 0.3) t = t.replace(/ /g, '  ');
  if (r() < 0.3) t = t.replace(/ /g, '\u00a0');
  return t;
}

describe('normalizeText', () => {
  it('folds case, whitespace, compatibility forms and curly quotes', () => {
    expect(normalizeText('  Participants\u2019\n\n STATEMENTS:\t\uff21 ')).toBe("participants' statements: a");
  });
});

describe('slot tables', () => {
  it('offer distinct alternatives for every slot', () => {
    for (const s of BRIEFING_SLOT_LIST) {
      expect(s.alts.length).toBeGreaterThanOrEqual(2);
      if (s.kind === 'phrase') expect(new Set(s.alts.map(normalizeText)).size).toBe(s.alts.length);
    }
  });
  it('give every recipient the first alternative when unmarked, and a keyed symbol when marked', () => {
    const slot = phrase('t', 1, ['one', 'two', 'three', 'four']);
    expect(weave(['a ', { slot }, ' b c'])).toBe('a one b c');
    const sym = slotSymbol(SECRET, 'r1', 't|b', 4);
    expect(weave(['a ', { slot }, ' b c'], { secret: SECRET, recipientId: 'r1' })).toBe(`a ${slot.alts[sym]} b c`);
  });
});

describe('briefing fingerprints', () => {
  it('keep every fact of the packet in every copy', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.uuid(), (seed, id) => {
        const p = samplePacket(seed);
        const text = copyFor(p, id);
        for (const v of p.vulnerabilities) {
          expect(text).toContain(v.title);
          if (v.cveId) expect(text).toContain(v.cveId);
          if (v.cvss31) expect(text).toContain(`${v.cvss31.score} `);
          if (v.cvss31) expect(text).toContain(v.cvss31.vector);
          for (const a of v.affectedProducts) expect(text).toContain(a.productName);
        }
        for (const s of p.statements ?? []) expect(text).toContain(`${s.organization} `);
        for (const e of p.timeline) expect(text).toContain(e.summary);
        expect(text).not.toMatch(/undefined|null|NaN/);
      }),
      { numRuns: 40 },
    );
  });

  it('are read back in full from a whole copy, after re-wrapping and case changes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 0, max: 49 }), fc.integer(), (seed, who, mseed) => {
        const cands = ids(50);
        const id = cands[who] as string;
        const text = mangle(copyFor(samplePacket(seed), id), rng(mseed));
        const obs = observe(text, BRIEFING_SLOT_LIST);
        const cache = new SymbolCache(SECRET);
        // Every observed slot shows this recipient's symbol: nothing is misread.
        for (const o of obs) expect(cache.symbol(id, o.key, o.k)).toBe(o.alt);
        expect(obs.length).toBeGreaterThan(30);
        const v = traceObservations(obs, new CandidateTable(SECRET, cands));
        expect(v.verdict).toBe('identified');
        if (v.verdict === 'identified') expect(v.recipientId).toBe(id);
      }),
      { numRuns: 40 },
    );
  });

  it('survive partial excerpts: what is read is never misread', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 5, max: 400 }), fc.integer(), (seed, words, xseed) => {
        const id = 'recipient-a';
        const r = rng(xseed);
        const ex = excerpt(copyFor(samplePacket(seed), id), words, r, 20 + Math.floor(r() * 80));
        if (!ex) return;
        const cache = new SymbolCache(SECRET);
        for (const o of observe(mangle(ex, r), BRIEFING_SLOT_LIST)) expect(cache.symbol(id, o.key, o.k)).toBe(o.alt);
      }),
      { numRuns: 200 },
    );
  });

  it('never accuse an organization that did not receive the excerpted copy', () => {
    // 100 traces against 200 innocent candidates each: the bound allows 1e-6 per trace.
    const table = new CandidateTable(SECRET, ids(200));
    const r = rng(42);
    let identified = 0;
    for (let i = 0; i < 100; i++) {
      const p = samplePacket(1000 + i);
      const ex = excerpt(copyFor(p, 'the-leaker'), 300, r) ?? copyFor(p, 'the-leaker');
      const v = traceObservations(observe(ex, BRIEFING_SLOT_LIST), table);
      if (v.verdict !== 'insufficient') identified++;
    }
    expect(identified).toBe(0);
  });

  it('do not accuse when the secret is not the one the copy was made with', () => {
    const cands = ids(20);
    const text = copyFor(samplePacket(7), cands[3] as string, new Uint8Array(32).fill(9));
    const v = traceObservations(observe(text, BRIEFING_SLOT_LIST), new CandidateTable(SECRET, cands));
    expect(v.verdict).toBe('insufficient');
  });

  it('answer "insufficient evidence" for a short excerpt', () => {
    const cands = ids(1000);
    const text = copyFor(samplePacket(3), cands[5] as string);
    const ex = excerpt(text, 12, rng(1)) as string;
    const v = traceObservations(observe(ex, BRIEFING_SLOT_LIST), new CandidateTable(SECRET, cands));
    expect(v.verdict).toBe('insufficient');
    expect(v.evidence.threshold).toBeCloseTo(threshold(1000), 9);
    expect(threshold(1000)).toBeCloseTo(Math.log(1e9), 9);
  });

  it('name one of the colluders, or several, when two copies are mixed', () => {
    const cands = ids(100);
    const p = samplePacket(11);
    const a = copyFor(p, cands[1] as string).split('\n');
    const b = copyFor(p, cands[2] as string).split('\n');
    const mixed = a.map((line, i) => (i % 2 ? line : (b[i] ?? ''))).join('\n');
    const v = traceObservations(observe(mixed, BRIEFING_SLOT_LIST), new CandidateTable(SECRET, cands));
    if (v.verdict === 'identified') expect([cands[1], cands[2]]).toContain(v.recipientId);
    if (v.verdict === 'several') for (const id of v.recipientIds) expect([cands[1], cands[2]]).toContain(id);
  });
});
