// The component index "who is affected" reads (src/services/component-index.ts): uploads leave
// their components in the inbox, replacements leave tombstones, merges expand the one into
// sbom_components and posting lists and apply the other. Whatever the state, what queries read
// (inbox, pending rows, postings, less tombstoned SBOMs) holds exactly the kept occurrence of each
// live SBOM and package version that sbom_components records once merged, and queries answer the
// same before and after a merge. Job workers are off here, so merges run only when the test says.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeComponents, inboxPending, joinPending } from '../src/domain/component-inbox.ts';
import { decodeHits, encodePending } from '../src/domain/postings.ts';
import { inboxMatch } from '../src/services/affected.ts';
import { mergeAndTidy, mergeComponentIndex } from '../src/services/component-index.ts';
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
 * What queries read (posting rows, pending rows and inbox rows, less tombstoned SBOMs) as one
 * entry per SBOM and package version: "sbom|pv|depth|chain".
 */
async function indexEntries(): Promise<string[]> {
  const dead = await sql<{ s: number }>`SELECT sbom_id AS s FROM component_tombstones`.execute(v.db);
  const ordered = await sql<{ pv: number; n: number; e: Buffer; c: Buffer }>`
    SELECT pv_id AS pv, n, entries AS e, chains AS c FROM component_postings`.execute(v.db);
  const pendingRows = await sql<{ pv: number; s: number; d: number; c: Buffer }>`
    SELECT pv_id AS pv, sbom_id AS s, depth AS d, path AS c FROM component_pending`.execute(v.db);
  const inbox = await sql<{ s: number; c: Buffer }>`SELECT sbom_id AS s, components AS c FROM component_inbox`.execute(v.db);
  const all = new Set<number>();
  for (const r of inbox.rows) for (const pv of decodeComponents(r.c).pv) all.add(pv);
  const hits = decodeHits(
    ordered.rows.map((o) => ({ pvId: o.pv, n: o.n, entries: o.e, chains: o.c })),
    joinPending([
      {
        records: encodePending(pendingRows.rows.map((o) => ({ pvId: o.pv, sbomId: o.s, depth: o.d }))),
        chains: Buffer.concat(pendingRows.rows.map((o) => o.c)),
      },
      ...inbox.rows.map((r) => inboxPending(r.s, decodeComponents(r.c), all, true)),
    ]),
    new Set(dead.rows.map((d) => d.s)),
  );
  const got: string[] = [];
  for (let i = 0; i < hits.sbomId.length; i++) {
    const at = hits.chainAt?.[i] as number;
    const chain = Array.from(hits.chains?.subarray(at, at + (hits.depth[i] as number) - 1) ?? []);
    got.push(`${hits.sbomId[i]}|${hits.pvId[i]}|${hits.depth[i]}|${chain.join('.')}`);
  }
  return got.sort();
}

/**
 * The kept occurrence (the shallowest, then the first listed) per live SBOM and package version,
 * with its chain, as sbom_components records it: "sbom|pv|depth|chain".
 */
async function keptOccurrences(): Promise<string[]> {
  const want = await sql<{ k: string }>`
    SELECT DISTINCT ON (c.sbom_id, c.pv_id) c.sbom_id || '|' || c.pv_id || '|' || c.depth || '|' || encode(c.path, 'hex') AS k
    FROM sbom_components c JOIN sboms s ON s.id = c.sbom_id ORDER BY c.sbom_id, c.pv_id, c.depth, c.idx`.execute(v.db);
  const hex = (k: string) => {
    const [s, pv, d, h] = k.split('|') as [string, string, string, string];
    const ids = Array.from({ length: h.length / 8 }, (_, j) => Buffer.from(h.slice(8 * j, 8 * j + 8), 'hex').readInt32BE(0));
    return `${s}|${pv}|${d}|${ids.join('.')}`;
  };
  return want.rows.map((w) => hex(w.k)).sort();
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
  it('holds exactly the kept occurrences, merged or not, and answers the same either way', async () => {
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
      const before = await indexEntries();
      // Rows of at most 3 entries, and compactions once 2 are partly filled: both happen here.
      compacted += (await mergeComponentIndex(v.db, { capacity: 3, maxOpen: 2 })).compacted;
      const left = await sql<{ i: number; p: number; t: number; orphans: number }>`
        SELECT (SELECT count(*) FROM component_inbox)::int4 AS i, (SELECT count(*) FROM component_pending)::int4 AS p,
               (SELECT count(*) FROM component_tombstones)::int4 AS t,
               (SELECT count(*) FROM sbom_components c WHERE NOT EXISTS (SELECT 1 FROM sboms s WHERE s.id = c.sbom_id))::int4 AS orphans`.execute(
        v.db,
      );
      expect(left.rows[0]).toEqual({ i: 0, p: 0, t: 0, orphans: 0 });
      const kept = await keptOccurrences();
      expect(kept.length).toBeGreaterThan(0);
      expect(before).toEqual(kept);
      expect(await indexEntries()).toEqual(kept);
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
    // Replaced while still in the inbox.
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
  it('finds the same inbox rows by either filter (pairwise overlap, or a hashed probe per id)', async () => {
    const juice = readFileSync(JUICE, 'utf8');
    const laravel = readFileSync(join(DIR, 'laravel-7.12.0.cdx.json'), 'utf8');
    for (const [version, body] of [
      ['12.0.0', juice],
      ['12.0.1', laravel],
    ] as const) {
      const r = await upload(version, body);
      expect(r.statusCode, r.body).toBe(200);
    }
    const inbox = await sql<{
      s: number;
      pv: number[];
    }>`SELECT sbom_id AS s, pv_ids AS pv FROM component_inbox ORDER BY sbom_id`.execute(v.db);
    expect(inbox.rows).toHaveLength(2);
    const [a, b] = inbox.rows as [{ s: number; pv: number[] }, { s: number; pv: number[] }];
    const onlyA = a.pv.filter((x) => !b.pv.includes(x));
    const asks = [[], [0], [a.pv[0] as number], onlyA.slice(0, 100), [...a.pv, ...b.pv], [-1, onlyA[1] as number]];
    for (const ids of asks) {
      const pick = async (few: number) =>
        (
          await sql<{
            s: number;
          }>`SELECT sbom_id AS s FROM component_inbox WHERE ${inboxMatch(ids, few)} ORDER BY sbom_id`.execute(v.db)
        ).rows.map((r) => r.s);
      const want = inbox.rows.filter((r) => r.pv.some((x) => ids.includes(x))).map((r) => r.s);
      expect(await pick(Number.POSITIVE_INFINITY)).toEqual(want);
      expect(await pick(-1)).toEqual(want);
    }
    // One upload per merge here: two merges, and the inbox is empty.
    expect(await mergeAndTidy(v.db, { expandAtMost: 1 })).toMatchObject({ expanded: 2 });
    const left = await sql<{ n: number }>`SELECT count(*)::int4 AS n FROM component_inbox`.execute(v.db);
    expect(left.rows[0]?.n).toBe(0);
  });
});
