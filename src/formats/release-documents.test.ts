import { describe, expect, it } from 'vitest';
import { buildCsaf } from './csaf.ts';
import { buildCveRecords, instanceOrgId } from './cve-record.ts';
import { validateCsaf, validateCveRecord, validateOsv } from './document-validation.ts';
import { buildOsvRecords, osvEcosystem } from './osv.ts';
import { csafFileName, csafUrl, type ReleaseSnapshot } from './release-snapshot.ts';
import { readRange } from './version-ranges.ts';

const ACME = '00000000-0000-4000-8000-00000000000a';
const GLOBEX = '00000000-0000-4000-8000-00000000000b';
const INITECH = '00000000-0000-4000-8000-00000000000c';

function sampleSnapshot(): ReleaseSnapshot {
  return {
    advisoryId: 'VC-2026-0007',
    title: 'Heap overflow in the widget parser',
    summary: 'A crafted widget overflows the parser heap.',
    publisher: { name: 'Example CERT', namespace: 'https://village.example' },
    baseUrl: 'https://village.example',
    initialReleaseDate: '2026-05-01T12:00:00.000Z',
    currentReleaseDate: '2026-05-01T12:00:00.000Z',
    revisions: [{ number: '1', date: '2026-05-01T12:00:00.000Z', summary: 'Initial release' }],
    vendors: [
      { orgId: ACME, name: 'Acme' },
      { orgId: GLOBEX, name: 'Globex' },
      { orgId: INITECH, name: 'Initech' },
    ],
    vulnerabilities: [
      {
        key: 'v1',
        cveId: 'CVE-2026-1000',
        title: 'Heap overflow in parse_widget',
        description: 'parse_widget trusts the length field.',
        cweIds: ['CWE-787'],
        cvss31: { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', baseScore: 9.8 },
        cvss40: { vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', baseScore: 9.3 },
        ssvc: null,
        products: [
          {
            key: 'p1',
            vendorOrgId: ACME,
            productName: 'widget',
            purl: 'pkg:npm/widget',
            versionRange: 'vers:npm/>=1.0.0|<1.4.2',
          },
          { key: 'p2', vendorOrgId: GLOBEX, productName: 'globex-widgets', purl: 'pkg:pypi/globex-widgets', versionRange: null },
          { key: 'p3', vendorOrgId: INITECH, productName: 'Initech Router', purl: null, versionRange: 'before 7.2' },
        ],
      },
      {
        key: 'v2',
        cveId: null,
        title: 'Information leak in widget logs',
        description: '',
        cweIds: ['CWE-532'],
        cvss31: null,
        cvss40: null,
        ssvc: null,
        products: [
          { key: 'p4', vendorOrgId: ACME, productName: 'widget', purl: 'pkg:npm/widget', versionRange: 'vers:npm/<2.0.0' },
        ],
      },
    ],
    statements: [
      {
        vulnerabilityKey: 'v1',
        orgId: ACME,
        status: 'fixed',
        justification: null,
        fixedVersions: ['1.4.2'],
        remediation: null,
        publicStatement: null,
        advisoryUrl: 'https://acme.example/sa/1',
      },
      {
        vulnerabilityKey: 'v1',
        orgId: GLOBEX,
        status: 'not_affected',
        justification: 'vulnerable_code_not_present',
        fixedVersions: [],
        remediation: null,
        publicStatement: 'Globex ships its own parser.',
        advisoryUrl: null,
      },
      {
        vulnerabilityKey: 'v2',
        orgId: ACME,
        status: 'affected',
        justification: null,
        fixedVersions: [],
        remediation: 'Turn off debug logging.',
        publicStatement: null,
        advisoryUrl: null,
      },
    ],
    credits: ['Ada Lovelace'],
    generator: { name: 'Village', version: '0.1.0' },
  };
}

describe('release documents', () => {
  it('builds a CSAF 2.0 security advisory that passes the schema and every mandatory test', async () => {
    const doc = buildCsaf(sampleSnapshot());
    const r = await validateCsaf(doc);
    expect(r.problems).toEqual([]);
    expect(doc.document.tracking).toMatchObject({ id: 'VC-2026-0007', status: 'final', version: '1' });
    const v1 = doc.vulnerabilities[0];
    expect(v1.cve).toBe('CVE-2026-1000');
    expect(v1.cwe).toEqual({ id: 'CWE-787', name: 'Out-of-bounds Write' });
    expect(v1.product_status.known_affected.length).toBe(2); // Acme's range, Initech (no statement)
    expect(v1.product_status.fixed.length).toBe(1);
    expect(v1.product_status.known_not_affected.length).toBe(1);
    expect(v1.flags[0].label).toBe('vulnerable_code_not_present');
    expect(v1.remediations.find((x: { category: string }) => x.category === 'vendor_fix').url).toBe('https://acme.example/sa/1');
    expect(v1.scores[0].cvss_v3.baseSeverity).toBe('CRITICAL');
    expect(doc.vulnerabilities[1].ids[0].text).toBe('VC-2026-0007-2');
    expect(doc.document.acknowledgments[0].names).toEqual(['Ada Lovelace']);
    expect(JSON.stringify(doc.product_tree)).toContain('pkg:npm/widget@1.4.2');
  });

  it('names the failing test when a CSAF document is invalid', async () => {
    const doc = buildCsaf(sampleSnapshot());
    doc.vulnerabilities[0].product_status.known_affected.push('CSAFPID-9999');
    const r = await validateCsaf(doc);
    expect(r.valid).toBe(false);
    expect(r.problems[0]?.test).toBe('mandatoryTest_6_1_1');
    const broken = buildCsaf(sampleSnapshot());
    delete broken.document.title;
    const s = await validateCsaf(broken);
    expect(s.problems[0]).toMatchObject({ test: 'schema', path: '/document' });
  });

  it('builds revision 2 with its history', async () => {
    const snap = sampleSnapshot();
    snap.currentReleaseDate = '2026-05-03T08:00:00.000Z';
    snap.revisions.push({ number: '2', date: snap.currentReleaseDate, summary: 'Statements updated' });
    const doc = buildCsaf(snap);
    expect((await validateCsaf(doc)).problems).toEqual([]);
    expect(doc.document.tracking.version).toBe('2');
    expect(doc.document.tracking.revision_history).toHaveLength(2);
  });

  it('builds CVE JSON 5.1 records valid against the official schema', async () => {
    const recs = buildCveRecords(sampleSnapshot());
    expect(recs.map((r) => r.cveId)).toEqual(['CVE-2026-1000']);
    const rec = recs[0]?.record;
    expect((await validateCveRecord(rec)).problems).toEqual([]);
    const affected = rec?.containers.cna.affected;
    expect(affected[0]).toMatchObject({
      vendor: 'Acme',
      versions: [
        { version: '1.0.0', status: 'affected', versionType: 'semver', lessThan: '1.4.2' },
        { version: '1.4.2', status: 'unaffected' },
      ],
    });
    expect(affected[1]).toMatchObject({ vendor: 'Globex', defaultStatus: 'unaffected' });
    expect(rec?.containers.cna.metrics.map((m: object) => Object.keys(m)[2])).toEqual(['cvssV4_0', 'cvssV3_1']);
    expect(instanceOrgId('https://a.example')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('builds OSV records for package vulnerabilities, valid against the OSV schema', async () => {
    const recs = buildOsvRecords(sampleSnapshot());
    expect(recs.map((r) => r.id)).toEqual(['x_VC-2026-0007-1', 'x_VC-2026-0007-2']);
    for (const r of recs) expect((await validateOsv(r.record)).problems).toEqual([]);
    const first = recs[0]?.record;
    expect(first?.aliases).toEqual(['CVE-2026-1000']);
    // Globex said not affected: only Acme's npm package is listed.
    expect(first?.affected).toEqual([
      {
        package: { ecosystem: 'npm', name: 'widget', purl: 'pkg:npm/widget' },
        ranges: [{ type: 'SEMVER', events: [{ introduced: '1.0.0' }, { fixed: '1.4.2' }] }],
      },
    ]);
    expect(recs[1]?.record.affected[0].ranges[0].events).toEqual([{ introduced: '0' }, { fixed: '2.0.0' }]);
  });

  it('reads stored ranges and maps ecosystems', () => {
    expect(readRange('npm', 'vers:npm/>=1.0.0|<1.2.0|>=2.0.0|<=2.1.0')).toEqual({
      kind: 'intervals',
      intervals: [
        { introduced: '1.0.0', upper: { fixed: '1.2.0' } },
        { introduced: '2.0.0', upper: { lastAffected: '2.1.0' } },
      ],
      exact: [],
    });
    expect(readRange('npm', '[{"introduced":"0"},{"fixed":"3.0.0"}]')).toMatchObject({
      intervals: [{ introduced: '0', upper: { fixed: '3.0.0' } }],
    });
    expect(readRange(null, 'all before 7')).toEqual({ kind: 'text', text: 'all before 7' });
    expect(osvEcosystem('deb', 'debian')).toBe('Debian');
    expect(osvEcosystem('generic', null)).toBeNull();
    expect(csafFileName('VC-2026-0007')).toBe('vc-2026-0007.json');
    expect(csafUrl(sampleSnapshot())).toBe('https://village.example/.well-known/csaf/clear/2026/vc-2026-0007.json');
  });
});
