import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CaseFacts,
  type CaseFactsInput,
  CaseFactsSchema,
  type Cord,
  CordListSchema,
  CordSchema,
  containsKeyword,
  cordSetHash,
  cordsAcknowledged,
  decideFiring,
  dueDateCords,
  type FiredCord,
  impliedCsEvent,
  matchSignal,
  packageIdentity,
  type Signal,
  type SignalInput,
  SignalSchema,
} from './cords.ts';

const T0 = new Date('2026-03-01T00:00:00Z');

const cord = (c: unknown): Cord => CordSchema.parse(c);

const CORDS: Cord[] = [
  cord({ id: 'x', kind: 'exploit-public', action: 'release-now' }),
  cord({ id: 'a', kind: 'attacks-observed', action: 'alert' }),
  cord({ id: 'leak', kind: 'leak-detected', action: 'open-next-tent' }),
  cord({
    id: 'kev',
    kind: 'feed-match',
    action: 'alert',
    watch: { cveIds: ['cve-2026-1234'], purls: ['pkg:npm/left-pad@1.0.0'], keywords: ['Frobnicator'] },
    feeds: [{ source: 'kev' }, { source: 'rss', url: 'https://example.org/feed.xml' }],
  }),
  cord({ id: 'date', kind: 'date-reached', action: 'release-now', at: '2026-04-01T00:00:00Z' }),
];

const facts = (over: Partial<CaseFactsInput> = {}): CaseFacts =>
  CaseFactsSchema.parse({
    caseId: 'case-1',
    cveIds: ['CVE-2026-1234'],
    affected: [{ purl: 'pkg:npm/left-pad', range: 'vers:npm/<1.3.0' }],
    keywords: ['frobnicator'],
    embargo: 'A',
    cords: CORDS,
    participants: ['org-a', 'org-b'],
    acks: [],
    ...over,
  });

const signal = (over: Partial<SignalInput> & Pick<SignalInput, 'source'>): Signal =>
  SignalSchema.parse({ id: 's1', kind: 'mention', at: T0, cveIds: [], purls: [], text: '', ...over });

const kev = (over: Partial<SignalInput> = {}): Signal =>
  signal({
    id: 'kev:CVE-2026-1234',
    kind: 'attacks-observed',
    source: {
      kind: 'kev',
      catalogVersion: '2026.03.01',
      vendorProject: 'V',
      product: 'P',
      knownRansomwareCampaignUse: false,
      notes: '',
    },
    cveIds: ['CVE-2026-1234'],
    ...over,
  });

const person = (kind: Signal['kind'], caseId = 'case-1'): Signal =>
  signal({ kind, source: { kind: 'person', caseId, orgId: 'org-a', userId: 'u1', evidence: { text: 'seen on a forum' } } });

const ids = (fired: FiredCord[]) => fired.map((f) => f.cord.id).sort();

describe('schemas', () => {
  it('normalises CVE ids and rejects bad purls and empty watches', () => {
    const c = cord(CORDS[3]);
    expect(c.kind === 'feed-match' && c.watch.cveIds).toEqual(['CVE-2026-1234']);
    expect(() => cord({ id: 'f', kind: 'feed-match', action: 'alert', watch: {}, feeds: [{ source: 'kev' }] })).toThrow(/term/);
    expect(() =>
      cord({ id: 'f', kind: 'feed-match', action: 'alert', watch: { purls: ['left-pad'] }, feeds: [{ source: 'kev' }] }),
    ).toThrow(/package URL/);
    expect(() => CordListSchema.parse([CORDS[0], CORDS[0]])).toThrow(/unique/);
    expect(() => cord({ id: 'z', kind: 'sunspots', action: 'alert' })).toThrow();
  });
});

describe('matchSignal', () => {
  it('fires the claim cord of a person signal in the case, and nothing for another case', () => {
    expect(ids(matchSignal(person('exploit-public'), facts()))).toEqual(['x']);
    expect(matchSignal(person('exploit-public'), facts())[0]?.reasons).toEqual([{ by: 'case' }]);
    expect(ids(matchSignal(person('leak-detected'), facts()))).toEqual(['leak']);
    expect(matchSignal(person('exploit-public', 'case-2'), facts())).toEqual([]);
    expect(matchSignal(person('mention'), facts())).toEqual([]);
  });

  it('a KEV entry for the case fires attacks-observed and the feed-match cord watching KEV', () => {
    const fired = matchSignal(kev(), facts());
    expect(ids(fired)).toEqual(['a', 'kev']);
    expect(fired.find((f) => f.cord.id === 'kev')?.reasons).toEqual([{ by: 'cve', value: 'CVE-2026-1234' }]);
  });

  it('matches purls on package identity, ignoring version and qualifiers', () => {
    const s = kev({ cveIds: [], purls: ['pkg:npm/left-pad@1.2.0?foo=bar', 'not a purl'] });
    const fired = matchSignal(s, facts());
    expect(ids(fired)).toEqual(['a', 'kev']);
    expect(fired[0]?.reasons).toEqual([{ by: 'purl', value: 'pkg:npm/left-pad' }]);
    // A version outside the case's vers range does not concern the case; the cord's own watch has no range.
    expect(ids(matchSignal(kev({ cveIds: [], purls: ['pkg:npm/left-pad@9.9.9'] }), facts()))).toEqual(['kev']);
    // Without a version, or with a free-text range, identity is enough.
    expect(ids(matchSignal(kev({ cveIds: [], purls: ['pkg:npm/left-pad'] }), facts()))).toEqual(['a', 'kev']);
    const freeText = facts({ affected: [{ purl: 'pkg:npm/left-pad', range: 'before 1.3' }] });
    expect(ids(matchSignal(kev({ cveIds: [], purls: ['pkg:npm/left-pad@9.9.9'] }), freeText))).toEqual(['a', 'kev']);
    expect(matchSignal(kev({ cveIds: [], purls: ['pkg:npm/right-pad@1.0.0'] }), facts())).toEqual([]);
  });

  it('matches keywords as whole words, case-insensitively', () => {
    const rss = (text: string, feedUrl = 'https://example.org/feed.xml') =>
      signal({ source: { kind: 'rss', feedUrl, itemId: 'g1' }, text });
    expect(ids(matchSignal(rss('New FROBNICATOR 0-day!'), facts()))).toEqual(['kev']);
    expect(matchSignal(rss('frobnicators are fine'), facts())).toEqual([]);
    // A feed the cord does not watch.
    expect(matchSignal(rss('frobnicator', 'https://other.example/feed'), facts())).toEqual([]);
    // An OSV record is not watched by this cord.
    expect(matchSignal(signal({ source: { kind: 'osv', recordId: 'GHSA-x' }, cveIds: ['CVE-2026-1234'] }), facts())).toEqual([]);
  });

  it('containsKeyword handles punctuation and phrases', () => {
    expect(containsKeyword('log4j-core 2.14 affected', 'log4j-core')).toBe(true);
    expect(containsKeyword('xlog4j-core', 'log4j-core')).toBe(false);
    expect(containsKeyword('the  Remote\nCode execution', 'remote code')).toBe(true);
    expect(containsKeyword('a.b(c)', 'b(c)')).toBe(true);
    expect(containsKeyword('ÉCLAIR', 'éclair')).toBe(true);
    expect(containsKeyword('éclairs', 'éclair')).toBe(false);
  });

  it('never fires date-reached cords from a signal', () => {
    expect(ids(matchSignal(kev({ text: 'date' }), facts()))).not.toContain('date');
  });
});

describe('impliedCsEvent', () => {
  it('maps exploit-public to X and attacks-observed to A', () => {
    expect(impliedCsEvent({ kind: 'exploit-public' })).toBe('X');
    expect(impliedCsEvent({ kind: 'attacks-observed' })).toBe('A');
    expect(impliedCsEvent({ kind: 'leak-detected' })).toBeNull();
    expect(impliedCsEvent({ kind: 'mention' })).toBeNull();
  });
});

describe('dueDateCords', () => {
  it('returns date cords at or before now', () => {
    expect(dueDateCords(CORDS, new Date('2026-03-31T23:59:59.999Z'))).toEqual([]);
    expect(ids(dueDateCords(CORDS, new Date('2026-04-01T00:00:00Z')))).toEqual(['date']);
  });
});

describe('decideFiring', () => {
  const base = { alreadyFired: [], embargo: 'A' as const, agreed: true, signalId: 's1', now: T0 };
  const fire = (...cordIds: string[]): FiredCord[] =>
    cordIds.map((id) => ({ cord: CORDS.find((c) => c.id === id) as Cord, reasons: [{ by: 'case' as const }] }));

  it('release-now subsumes alert; records say so', () => {
    const d = decideFiring({ ...base, fired: fire('x', 'a', 'leak') });
    expect(d.actions).toEqual([
      { action: 'release-now', cordIds: ['x', 'a'] },
      { action: 'open-next-tent', cordIds: ['leak'] },
    ]);
    expect(d.records.find((r) => r.cordId === 'a')).toMatchObject({ did: 'release-now', note: 'subsumed-by-release', at: T0 });
  });

  it('several cords asking the same action give one action', () => {
    const d = decideFiring({ ...base, fired: [...fire('a'), ...fire('kev'), ...fire('a')] });
    expect(d.actions).toEqual([{ action: 'alert', cordIds: ['a', 'kev'] }]);
    expect(d.records).toHaveLength(2);
  });

  it('a cord fires once', () => {
    expect(decideFiring({ ...base, alreadyFired: ['x'], fired: fire('x') })).toEqual({ actions: [], records: [] });
  });

  it('release-now alerts instead when no embargo is in force or cords are not agreed', () => {
    expect(decideFiring({ ...base, embargo: 'X', fired: fire('x') }).records[0]).toMatchObject({
      did: 'alert',
      note: 'no-embargo-in-force',
    });
    expect(decideFiring({ ...base, embargo: 'R', fired: fire('x') }).actions).toEqual([
      { action: 'release-now', cordIds: ['x'] },
    ]);
    const d = decideFiring({ ...base, agreed: false, fired: fire('x', 'a') });
    expect(d.actions).toEqual([{ action: 'alert', cordIds: ['x', 'a'] }]);
    expect(d.records[0]?.note).toBe('cords-not-acknowledged');
  });
});

describe('cordsAcknowledged', () => {
  it('lists who has not acknowledged the current set; a change needs new acknowledgements', () => {
    const h = cordSetHash(CORDS);
    expect(cordsAcknowledged(CORDS, ['org-a', 'org-b'], [{ orgId: 'org-a', cordSetHash: h }])).toEqual({
      hash: h,
      pending: ['org-b'],
      complete: false,
    });
    const all = [
      { orgId: 'org-a', cordSetHash: h },
      { orgId: 'org-b', cordSetHash: h },
    ];
    expect(cordsAcknowledged(CORDS, ['org-a', 'org-b'], all).complete).toBe(true);
    const changed = CORDS.map((c) => (c.id === 'a' ? { ...c, action: 'release-now' as const } : c));
    expect(cordsAcknowledged(changed, ['org-a', 'org-b'], all).pending).toEqual(['org-a', 'org-b']);
  });

  it('the hash ignores the order of cords and of watched terms, and letter case of CVE ids', () => {
    const reordered = [...CORDS].reverse().map((c) =>
      c.kind === 'feed-match'
        ? cord({
            ...c,
            watch: { cveIds: ['CVE-2026-1234'], purls: ['pkg:npm/left-pad@1.0.0'], keywords: ['frobnicator'] },
            feeds: [...c.feeds].reverse(),
          })
        : c,
    );
    expect(cordSetHash(reordered)).toBe(cordSetHash(CORDS));
    expect(cordSetHash([])).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('properties', () => {
  const cveArb = fc
    .tuple(fc.integer({ min: 1999, max: 2099 }), fc.integer({ min: 1000, max: 9_999_999 }))
    .map(([y, n]) => `CVE-${y}-${n}`);
  const caseArb = fc.mixedCase(fc.constant('cve')).chain((prefix) => fc.tuple(fc.constant(prefix), cveArb));

  it('a signal naming a watched CVE in any letter case matches; unrelated ids never do', () => {
    fc.assert(
      fc.property(caseArb, fc.array(cveArb, { maxLength: 5 }), ([prefix, watched], others) => {
        fc.pre(!others.includes(watched));
        const c = cord({
          id: 'fm',
          kind: 'feed-match',
          action: 'alert',
          watch: { cveIds: [watched] },
          feeds: [{ source: 'kev' }],
        });
        const attacks = cord({ id: 'a', kind: 'attacks-observed', action: 'alert' });
        const f = facts({ cveIds: [watched], cords: [c, attacks], keywords: [], affected: [] });
        const named = `${prefix}${watched.slice(3)}`;
        expect(ids(matchSignal(kev({ cveIds: [named, ...others] }), f))).toEqual(['a', 'fm']);
        expect(matchSignal(kev({ cveIds: others }), f)).toEqual([]);
      }),
    );
  });

  it('firing is idempotent: the same signal again fires nothing new', () => {
    const signalArb = fc.record({
      kind: fc.constantFrom('exploit-public', 'attacks-observed', 'leak-detected', 'mention') as fc.Arbitrary<Signal['kind']>,
      cve: fc.boolean(),
      text: fc.constantFrom('', 'frobnicator', 'nothing'),
    });
    fc.assert(
      fc.property(signalArb, fc.constantFrom('N', 'A', 'X') as fc.Arbitrary<'N' | 'A' | 'X'>, (s, embargo) => {
        const sig = kev({ kind: s.kind, cveIds: s.cve ? ['CVE-2026-1234'] : [], text: s.text });
        const f = facts({ embargo });
        const input = { embargo, agreed: true, signalId: sig.id, now: T0 };
        const first = decideFiring({ ...input, fired: matchSignal(sig, f), alreadyFired: [] });
        const again = decideFiring({ ...input, fired: matchSignal(sig, f), alreadyFired: first.records.map((r) => r.cordId) });
        expect(again).toEqual({ actions: [], records: [] });
        // Every fired cord is on the record exactly once.
        expect(new Set(first.records.map((r) => r.cordId)).size).toBe(first.records.length);
      }),
    );
  });
});

it('packageIdentity drops version, qualifiers and subpath', () => {
  expect(packageIdentity('pkg:maven/org.apache/commons@1.0?type=jar#sub')).toBe('pkg:maven/org.apache/commons');
  expect(packageIdentity('nope')).toBeNull();
});

describe('release-date cords and case terms', () => {
  it('a release-date cord is due at the release date, and never without one', () => {
    const c = cord({ id: 'rd', kind: 'date-reached', action: 'release-now', at: 'release-date' });
    const release = new Date('2026-05-01T00:00:00Z');
    expect(dueDateCords([c], new Date('2026-06-01T00:00:00Z'))).toEqual([]);
    expect(dueDateCords([c], new Date('2026-04-30T00:00:00Z'), release)).toEqual([]);
    expect(dueDateCords([c], release, release)).toEqual([{ cord: c, reasons: [{ by: 'date', at: release }] }]);
    // Moving the release date does not change what was agreed.
    expect(cordSetHash([c])).toBe(cordSetHash([cord({ ...c })]));
  });

  it('a watch of the case terms matches the case CVE ids, packages and keywords', () => {
    const c = cord({ id: 'ct', kind: 'feed-match', action: 'alert', watch: { caseTerms: true }, feeds: [{ source: 'kev' }] });
    expect(() =>
      cord({ id: 'e', kind: 'feed-match', action: 'alert', watch: { caseTerms: false }, feeds: [{ source: 'kev' }] }),
    ).toThrow(/term/);
    const f = facts({ cords: [c] });
    expect(matchSignal(kev({ kind: 'mention' }), f)[0]?.reasons).toEqual([{ by: 'cve', value: 'CVE-2026-1234' }]);
    expect(matchSignal(kev({ kind: 'mention', cveIds: [], text: 'the Frobnicator' }), f)[0]?.reasons).toEqual([
      { by: 'keyword', value: 'frobnicator' },
    ]);
    expect(matchSignal(kev({ kind: 'mention', cveIds: ['CVE-2026-9999'] }), f)).toEqual([]);
    expect(cordSetHash([c])).not.toBe(
      cordSetHash([
        cord({
          id: 'ct',
          kind: 'feed-match',
          action: 'alert',
          watch: { caseTerms: true, cveIds: ['CVE-2026-1111'] },
          feeds: [{ source: 'kev' }],
        }),
      ]),
    );
  });
});
