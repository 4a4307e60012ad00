// The component index "who is affected" reads (src/services/component-index.ts): uploads add
// pending rows, replacements leave tombstones, merges pack both into posting lists. Whatever the
// state, the index holds exactly the kept occurrence of each SBOM and package version that
// sbom_components records, and queries answer the same before and after a merge. Job workers are
// off here, so merges run only when the test says.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHits, encodePending } from '../src/domain/postings.ts';
import { mergeComponentIndex } from '../src/services/component-index.ts';
import { makeOrg, makeUser, type Session, signIn, startTestVillage, type TestVillage } from './support/app.ts';

const DIR = join(import.meta.dirname, '../../shared/data/sbom/cyclonedx');
const JUICE = join(DIR, 'juice-shop-11.1.2.cdx.json');

let v: TestVillage;
let coord: Session;
let vendor: Session;
const ids = { a: '', juice: '', caseId: '' };

const upload = (version: string, body: string) =>
  vendor.request({
    method: 'PUT',
    url: `/api/v1/orgs/${ids.a}/products/${ids.juice}/sboms/${version}`,
    headers: { 'content-type': 'application/vnd.cyclonedx+json' },
    payload: body,
  });

/**
 * The component index (posting rows and pending rows, less tombstoned SBOMs) holds exactly one
 * entry per SBOM and package version, at the occurrence sbom_components says is kept (the
 * shallowest, then the first listed), with its chain.
 */
async function expectIndexMatchesComponents() {
  const dead = await sql<{ s: number }>`SELECT sbom_id AS s FROM component_tombstones`.execute(v.db);
  const ordered = await sql<{ pv: number; n: number; e: Buffer; c: Buffer }>`
    SELECT pv_id AS pv, n, entries AS e, chains AS c FROM component_postings`.execute(v.db);
  const pendingRows = await sql<{ pv: number; s: number; d: number; c: Buffer }>`
    SELECT pv_id AS pv, sbom_id AS s, depth AS d, path AS c FROM component_pending`.execute(v.db);
  const hits = decodeHits(
    ordered.rows.map((o) => ({ pvId: o.pv, n: o.n, entries: o.e, chains: o.c })),
    {
      records: encodePending(pendingRows.rows.map((o) => ({ pvId: o.pv, sbomId: o.s, depth: o.d }))),
      chains: Buffer.concat(pendingRows.rows.map((o) => o.c)),
    },
    new Set(dead.rows.map((d) => d.s)),
  );
  const got: string[] = [];
  for (let i = 0; i < hits.sbomId.length; i++) {
    const at = hits.chainAt?.[i] as number;
    const chain = Array.from(hits.chains?.subarray(at, at + (hits.depth[i] as number) - 1) ?? []);
    got.push(`${hits.sbomId[i]}|${hits.pvId[i]}|${hits.depth[i]}|${chain.join('.')}`);
  }
  const want = await sql<{ k: string }>`
    SELECT DISTINCT ON (sbom_id, pv_id) sbom_id || '|' || pv_id || '|' || depth || '|' || encode(path, 'hex') AS k
    FROM sbom_components ORDER BY sbom_id, pv_id, depth, idx`.execute(v.db);
  const hex = (k: string) => {
    const [s, pv, d, h] = k.split('|') as [string, string, string, string];
    const ids = Array.from({ length: h.length / 8 }, (_, j) => Buffer.from(h.slice(8 * j, 8 * j + 8), 'hex').readInt32BE(0));
    return `${s}|${pv}|${d}|${ids.join('.')}`;
  };
  expect(got.sort()).toEqual(want.rows.map((w) => hex(w.k)).sort());
}

beforeAll(async () => {
  v = await startTestVillage({ workers: false });
  ids.a = (await makeOrg(v, 'vendor-a')).id;
  const c = (await makeOrg(v, 'cert', 'coordinator')).id;
  await makeUser(v, c, 'coord@cert.example');
  await makeUser(v, ids.a, 'psirt@a.example');
  coord = await signIn(v, 'coord@cert.example');
  vendor = await signIn(v, 'psirt@a.example');
  const p = await vendor.request({ method: 'POST', url: `/api/v1/orgs/${ids.a}/products`, payload: { name: 'Juice Shop' } });
  expect(p.statusCode, p.body).toBe(201);
  ids.juice = (p.json() as { id: string }).id;
  const k = await coord.request({ method: 'POST', url: '/api/v1/cases', payload: { title: 'Prototype pollution' } });
  expect(k.statusCode, k.body).toBe(201);
  ids.caseId = (k.json() as { id: string }).id;
});
afterAll(async () => v?.close());

describe('the component index', () => {
  it('holds exactly the kept occurrences, merged or pending, and answers the same either way', async () => {
    const ask = async () => {
      const r = await coord.request({
        method: 'POST',
        url: `/api/v1/cases/${ids.caseId}/affected`,
        payload: { components: [{ purl: 'pkg:npm/lodash', events: [{ introduced: '0' }] }], paths: true },
      });
      expect(r.statusCode, r.body).toBe(200);
      return (r.json() as { results: unknown[] }).results;
    };
    let compacted = 0;
    const step = async (change: () => Promise<void>) => {
      await change();
      const pending = await ask();
      await expectIndexMatchesComponents();
      // Rows of at most 3 entries, and compactions once 2 are partly filled: both happen here.
      compacted += (await mergeComponentIndex(v.db, { capacity: 3, maxOpen: 2 })).compacted;
      const left = await sql<{ p: number; t: number }>`
        SELECT (SELECT count(*) FROM component_pending)::int4 AS p, (SELECT count(*) FROM component_tombstones)::int4 AS t`.execute(
        v.db,
      );
      expect(left.rows[0]).toEqual({ p: 0, t: 0 });
      await expectIndexMatchesComponents();
      const sizes = await sql<{ max: number; open: number }>`
        SELECT (SELECT max(n) FROM component_postings)::int4 AS max,
               (SELECT max(c) FROM (SELECT count(*) AS c FROM component_postings WHERE n < 3 GROUP BY pv_id) x)::int4 AS open`.execute(
        v.db,
      );
      expect(sizes.rows[0]?.max).toBeLessThanOrEqual(3);
      expect(sizes.rows[0]?.open ?? 0).toBeLessThanOrEqual(2);
      expect(await ask()).toEqual(pending);
      return pending;
    };
    const juice = readFileSync(JUICE, 'utf8');
    const laravel = readFileSync(join(DIR, 'laravel-7.12.0.cdx.json'), 'utf8');
    const put = (version: string, body: string) => async () => {
      const r = await upload(version, body);
      expect(r.statusCode, r.body).toBe(200);
    };
    await step(put('11.1.2', juice));
    const withJuice = await step(put('11.1.3', juice));
    expect(withJuice.length).toBeGreaterThan(0);
    // Replaced after its entries were merged: hidden at once, removed by the merge.
    expect(await step(put('11.1.3', laravel))).not.toEqual(withJuice);
    // Replaced while still pending.
    await put('11.1.4', juice)();
    await step(put('11.1.4', laravel));
    // Enough copies that package versions span several rows; then one removed from the middle.
    for (const version of ['11.1.5', '11.1.6', '11.1.7', '11.1.8']) await step(put(version, juice));
    const spread = await sql<{
      rows: number;
    }>`SELECT max(c)::int4 AS rows FROM (SELECT count(*) AS c FROM component_postings GROUP BY pv_id) x`.execute(v.db);
    expect(spread.rows[0]?.rows).toBeGreaterThanOrEqual(2);
    expect(compacted).toBeGreaterThan(0);
    await step(put('11.1.6', laravel));
  });

  it('lists a package named without a version as possibly affected, whatever the range', async () => {
    const bom = {
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      version: 1,
      metadata: { component: { type: 'application', 'bom-ref': 'app', name: 'Gadget', version: '2.0' } },
      components: [
        { type: 'library', 'bom-ref': 'a', name: 'left-pad', purl: 'pkg:npm/left-pad' },
        { type: 'library', 'bom-ref': 'b', name: 'left-pad', version: '1.3.0', purl: 'pkg:npm/left-pad@1.3.0' },
      ],
      dependencies: [{ ref: 'app', dependsOn: ['a', 'b'] }],
    };
    const r = await upload('2.0', JSON.stringify(bom));
    expect(r.statusCode, r.body).toBe(200);
    const ask = async (events: unknown[]) => {
      const a = await coord.request({
        method: 'POST',
        url: `/api/v1/cases/${ids.caseId}/affected`,
        payload: { components: [{ purl: 'pkg:npm/left-pad', events }] },
      });
      expect(a.statusCode, a.body).toBe(200);
      return (a.json() as { results: Array<{ component: string; versionKnown: boolean; productVersion: string }> }).results.map(
        (x) => [x.productVersion, x.component, x.versionKnown],
      );
    };
    expect(await ask([{ introduced: '0' }, { fixed: '1.0.0' }])).toEqual([['2.0', 'pkg:npm/left-pad', false]]);
    expect(await ask([{ introduced: '1.3.0' }])).toEqual([
      ['2.0', 'pkg:npm/left-pad', false],
      ['2.0', 'pkg:npm/left-pad@1.3.0', true],
    ]);
    await mergeComponentIndex(v.db);
    expect(await ask([{ introduced: '1.3.0' }])).toHaveLength(2);
  });
});
