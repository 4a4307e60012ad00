import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CaseFactsSchema, matchSignal, SignalSchema } from '../domain/cords.ts';
import { KevError, kevSignals, kevSignalsSince, parseKevCatalog, parseKevText } from './kev.ts';

const SHARED = '/work/shared/data/kev/known_exploited_vulnerabilities.json';

const entry = (over: Record<string, unknown> = {}) => ({
  cveID: 'CVE-2026-1234',
  vendorProject: 'Acme',
  product: 'Frobnicator',
  vulnerabilityName: 'Acme Frobnicator Buffer Overflow',
  dateAdded: '2026-03-02',
  shortDescription: 'A buffer overflow.',
  requiredAction: 'Patch.',
  dueDate: '2026-03-23',
  knownRansomwareCampaignUse: 'Known',
  notes: 'https://acme.example/advisory',
  cwes: ['CWE-787'],
  ...over,
});

const catalog = (vulnerabilities: unknown[]) => ({
  title: 'CISA Catalog of Known Exploited Vulnerabilities',
  catalogVersion: '2026.03.02',
  dateReleased: '2026-03-02T17:04:19.9796Z',
  count: vulnerabilities.length,
  vulnerabilities,
});

describe('parseKevCatalog', () => {
  it('turns each entry into an attacks-observed signal', () => {
    const [s] = kevSignals(parseKevCatalog(catalog([entry()])));
    expect(s).toEqual({
      id: 'kev:CVE-2026-1234',
      kind: 'attacks-observed',
      source: {
        kind: 'kev',
        catalogVersion: '2026.03.02',
        vendorProject: 'Acme',
        product: 'Frobnicator',
        knownRansomwareCampaignUse: true,
        notes: 'https://acme.example/advisory',
      },
      at: new Date('2026-03-02T00:00:00Z'),
      cveIds: ['CVE-2026-1234'],
      purls: [],
      text: 'Acme Frobnicator: Acme Frobnicator Buffer Overflow\nA buffer overflow.\nhttps://acme.example/advisory',
    });
    expect(SignalSchema.parse(s)).toEqual(s);
  });

  it('accepts entries without the optional fields', () => {
    const { knownRansomwareCampaignUse, notes, cwes, ...bare } = entry();
    const [s] = kevSignals(parseKevCatalog(catalog([bare])));
    expect(s?.source).toMatchObject({ knownRansomwareCampaignUse: false, notes: '' });
  });

  it('refuses what the schema refuses, saying where', () => {
    expect(() => parseKevCatalog(catalog([entry({ cveID: 'cve-2026-1234' })]))).toThrow(/vulnerabilities\.0\.cveID/);
    expect(() => parseKevCatalog(catalog([entry({ dateAdded: '02/03/2026' })]))).toThrow(KevError);
    expect(() => parseKevCatalog(catalog([entry({ cwes: ['787'] })]))).toThrow(/cwes/);
    const { dueDate, ...noDue } = entry();
    expect(() => parseKevCatalog(catalog([noDue]))).toThrow(/dueDate/);
    expect(() => parseKevCatalog({ vulnerabilities: [] })).toThrow(/catalogVersion/);
    expect(() => parseKevText('{"catalogVersion": ')).toThrow(/not JSON/);
  });

  it('yields only entries added on or after the day of the last poll', () => {
    const c = parseKevCatalog(catalog([entry({ cveID: 'CVE-2026-0001', dateAdded: '2026-03-01' }), entry()]));
    expect(kevSignalsSince(c, new Date('2026-03-02T15:00:00Z')).map((s) => s.id)).toEqual(['kev:CVE-2026-1234']);
    expect(kevSignalsSince(c, new Date('2026-03-01T00:00:00Z'))).toHaveLength(2);
    expect(kevSignalsSince(c, new Date('2026-03-03T00:00:00Z'))).toEqual([]);
  });
});

describe.skipIf(!existsSync(SHARED))('the published catalogue (shared copy)', () => {
  const cat = parseKevText(readFileSync(SHARED, 'utf8'));
  const signals = kevSignals(cat);

  it('parses every entry into a valid signal', () => {
    expect(cat.vulnerabilities).toHaveLength(cat.count);
    expect(signals).toHaveLength(cat.count);
    for (const s of signals) SignalSchema.parse(s);
    expect(new Set(signals.map((s) => s.id)).size).toBe(signals.length);
  });

  it('carries the entry facts', () => {
    const git = signals.find((s) => s.id === 'kev:CVE-2025-48384');
    expect(git?.source).toMatchObject({ kind: 'kev', vendorProject: 'Git', product: 'Git', catalogVersion: cat.catalogVersion });
    expect(git?.at).toEqual(new Date('2025-08-25T00:00:00Z'));
    const known = cat.vulnerabilities.filter((v) => v.knownRansomwareCampaignUse === 'Known').length;
    expect(signals.filter((s) => s.source.kind === 'kev' && s.source.knownRansomwareCampaignUse)).toHaveLength(known);
  });

  it('polling since a day returns exactly the entries of that day and later', () => {
    const since = new Date('2025-08-01T12:00:00Z');
    const expected = cat.vulnerabilities.filter((v) => v.dateAdded >= '2025-08-01').length;
    expect(expected).toBeGreaterThan(0);
    expect(kevSignalsSince(cat, since)).toHaveLength(expected);
  });

  it('an entry fires the attacks-observed cord of a case naming its CVE', () => {
    const facts = CaseFactsSchema.parse({
      caseId: 'c',
      cveIds: ['cve-2025-48384'],
      affected: [],
      keywords: [],
      embargo: 'A',
      cords: [{ id: 'a', kind: 'attacks-observed', action: 'release-now' }],
      participants: [],
      acks: [],
    });
    const fired = signals.flatMap((s) => matchSignal(s, facts).map((f) => [s.id, f.cord.id]));
    expect(fired).toEqual([['kev:CVE-2025-48384', 'a']]);
  });
});
