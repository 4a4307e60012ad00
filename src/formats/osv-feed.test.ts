import { describe, expect, it } from 'vitest';
import { matchSignal } from '../domain/cords.ts';
import { OsvError, osvPackagePurl, osvSignal, osvSignals, parseOsvText } from './osv-feed.ts';

const RECORD = {
  schema_version: '1.7.0',
  id: 'GHSA-xxxx-yyyy-zzzz',
  modified: '2026-02-01T10:00:00Z',
  published: '2026-01-31T09:00:00Z',
  aliases: ['cve-2026-1234', 'PYSEC-2026-1'],
  summary: 'Frobnicator overflow',
  details: 'A long story.',
  affected: [
    {
      package: { ecosystem: 'npm', name: '@scope/left-pad' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }],
      versions: ['1.0.0', '1.2.9'],
    },
    {
      package: {
        ecosystem: 'Maven',
        name: 'org.apache.logging.log4j:log4j-core',
        purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1',
      },
    },
    { package: { ecosystem: 'Debian:12', name: 'openssl' } },
  ],
  database_specific: { anything: true },
};

describe('OSV records', () => {
  it('reads one record, an array, or { vulns }', () => {
    const one = JSON.stringify(RECORD);
    expect(parseOsvText(one)).toHaveLength(1);
    expect(parseOsvText(`[${one},${one}]`)).toHaveLength(2);
    expect(parseOsvText(JSON.stringify({ vulns: [RECORD] }))[0]?.id).toBe(RECORD.id);
  });

  it('refuses what is not an OSV record, naming the field', () => {
    expect(() => parseOsvText('{')).toThrow(OsvError);
    expect(() => parseOsvText(JSON.stringify({ id: 'X' }))).toThrow(/modified/);
    expect(() => parseOsvText(JSON.stringify({ ...RECORD, affected: [{ ranges: [{ type: 'SEMVER', events: [] }] }] }))).toThrow(
      /events/,
    );
  });

  it('makes a mention signal naming its CVE ids and package identities', () => {
    const s = osvSignal(parseOsvText(JSON.stringify(RECORD))[0] as never);
    expect(s).toMatchObject({
      id: 'osv:GHSA-xxxx-yyyy-zzzz',
      kind: 'mention',
      source: { kind: 'osv', recordId: 'GHSA-xxxx-yyyy-zzzz' },
      cveIds: ['CVE-2026-1234'],
      purls: ['pkg:npm/%40scope/left-pad', 'pkg:maven/org.apache.logging.log4j/log4j-core'],
    });
    expect(s.at.toISOString()).toBe('2026-01-31T09:00:00.000Z');
    expect(s.text).toContain('Frobnicator overflow');
  });

  it('skips withdrawn records', () => {
    expect(
      osvSignals(parseOsvText(JSON.stringify([RECORD, { ...RECORD, id: 'W', withdrawn: '2026-02-02T00:00:00Z' }]))),
    ).toHaveLength(1);
  });

  it('derives purls from ecosystem and name', () => {
    expect(osvPackagePurl({ ecosystem: 'PyPI', name: 'requests' })).toBe('pkg:pypi/requests');
    expect(osvPackagePurl({ ecosystem: 'crates.io', name: 'serde' })).toBe('pkg:cargo/serde');
    expect(osvPackagePurl({ ecosystem: 'Go', name: 'golang.org/x/net' })).toBe('pkg:golang/golang.org/x/net');
    expect(osvPackagePurl({ ecosystem: 'Maven', name: 'no-colon' })).toBeNull();
    expect(osvPackagePurl({ ecosystem: 'Linux', name: 'Kernel' })).toBeNull();
  });

  it('matches a case by package through a feed-match cord watching OSV with the case terms', () => {
    const s = osvSignal(parseOsvText(JSON.stringify(RECORD))[0] as never);
    const fired = matchSignal(s, {
      caseId: 'c',
      cveIds: [],
      affected: [{ purl: 'pkg:npm/%40scope/left-pad@1.0.0' }],
      keywords: [],
      embargo: 'A',
      cords: [
        {
          id: 'osv',
          kind: 'feed-match',
          action: 'alert',
          watch: { cveIds: [], purls: [], keywords: [], caseTerms: true },
          feeds: [{ source: 'osv' }],
        },
      ],
      participants: [],
      acks: [],
    });
    expect(fired.map((f) => f.reasons)).toEqual([[{ by: 'purl', value: 'pkg:npm/%40scope/left-pad' }]]);
  });
});
