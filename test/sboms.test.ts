// Products, SBOM uploads and "who is affected", over HTTP: the shared samples are uploaded by two
// vendors; the coordinator of a case learns who ships an affected version (direct or transitive,
// with a path) and is told when a new SBOM matches an open case; vendors learn nothing; bad and
// oversized SBOMs leave nothing behind; a new upload of a version replaces what it shipped.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSbomFile } from '../src/formats/sbom.ts';
import { outboxText } from '../src/mail/outbox.ts';
import { withVersion } from '../src/services/affected.ts';
import { makeOrg, makeUser, type Session, signIn, startTestVillage, type TestVillage } from './support/app.ts';
import { cycloneDxJsonToXml } from './support/cyclonedx-xml.ts';

const DIR = join(import.meta.dirname, '../../shared/data/sbom/cyclonedx');
const JUICE = join(DIR, 'juice-shop-11.1.2.cdx.json');
const BRIDGE = join(DIR, 'proton-bridge-1.8.0.cdx.json');
const LIMIT = 2_000_000; // juice-shop (1.9 MB) fits, keycloak (2.2 MB) does not

let v: TestVillage;
let coord: Session;
let vendorA: Session;
let vendorB: Session;
const ids = { a: '', b: '', c: '', juice: '', bridge: '', caseId: '', coordUser: '' };

async function upload(
  s: Session,
  org: string,
  product: string,
  version: string,
  body: string,
  type = 'application/vnd.cyclonedx+json',
) {
  return s.request({
    method: 'PUT',
    url: `/api/v1/orgs/${org}/products/${product}/sboms/${version}`,
    headers: { 'content-type': type },
    payload: body,
  });
}

/** SBOMs, the components they ship (merged, or still in the inbox), and packages. */
async function counts() {
  const r = await sql<{ s: string; c: string; p: string }>`
    SELECT (SELECT count(*) FROM sboms)::text AS s,
           ((SELECT count(*) FROM sbom_components c JOIN sboms s ON s.id = c.sbom_id)
            + (SELECT coalesce(sum(length(components) / 12), 0) FROM component_inbox))::text AS c,
           (SELECT count(*) FROM packages)::text AS p`.execute(v.db);
  return r.rows[0];
}

beforeAll(async () => {
  v = await startTestVillage({ env: { VILLAGE_SBOM_MAX_BYTES: String(LIMIT) } });
  ids.a = (await makeOrg(v, 'vendor-a')).id;
  ids.b = (await makeOrg(v, 'vendor-b')).id;
  ids.c = (await makeOrg(v, 'cert', 'coordinator')).id;
  ids.coordUser = (await makeUser(v, ids.c, 'coord@cert.example')).id;
  await makeUser(v, ids.a, 'psirt@a.example');
  await makeUser(v, ids.b, 'psirt@b.example');
  coord = await signIn(v, 'coord@cert.example');
  vendorA = await signIn(v, 'psirt@a.example');
  vendorB = await signIn(v, 'psirt@b.example');
  const mk = async (s: Session, org: string, name: string) => {
    const r = await s.request({ method: 'POST', url: `/api/v1/orgs/${org}/products`, payload: { name } });
    expect(r.statusCode, r.body).toBe(201);
    return (r.json() as { id: string }).id;
  };
  ids.juice = await mk(vendorA, ids.a, 'Juice Shop');
  ids.bridge = await mk(vendorB, ids.b, 'Bridge');
  const c = await coord.request({ method: 'POST', url: '/api/v1/cases', payload: { title: 'Prototype pollution' } });
  expect(c.statusCode, c.body).toBe(201);
  ids.caseId = (c.json() as { id: string }).id;
});
afterAll(async () => v?.close());

describe('products and SBOMs', () => {
  it('a product name is unique per organization', async () => {
    const r = await vendorA.request({ method: 'POST', url: `/api/v1/orgs/${ids.a}/products`, payload: { name: 'Juice Shop' } });
    expect(r.statusCode).toBe(409);
  });

  it('uploads a CycloneDX SBOM (streamed) and lists the version', async () => {
    const r = await upload(vendorA, ids.a, ids.juice, '11.1.2', readFileSync(JUICE, 'utf8'));
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({
      replaced: false,
      format: 'cyclonedx-json',
      specVersion: '1.4',
      components: 1115,
      direct: 71,
    });
    expect((r.json() as { warnings: string[] }).warnings.join()).toMatch(/cycle/);
    const p = await vendorA.request({ method: 'GET', url: `/api/v1/orgs/${ids.a}/products/${ids.juice}` });
    expect(p.json()).toMatchObject({ name: 'Juice Shop', versions: [{ version: '11.1.2', components: 1115 }] });
    const audit = await v.db.selectFrom('audit_log').select('action').where('action', '=', 'sbom.upload').execute();
    expect(audit.length).toBe(1);
  });

  it('the same SBOM as CycloneDX XML passes the XSD and replaces the version with the same components', async () => {
    const before = await counts();
    const xml = cycloneDxJsonToXml(JSON.parse(readFileSync(JUICE, 'utf8')));
    const r = await upload(vendorA, ids.a, ids.juice, '11.1.2', xml, 'application/vnd.cyclonedx+xml');
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ replaced: true, format: 'cyclonedx-xml', specVersion: '1.4', components: 1115, direct: 71 });
    expect(await counts()).toEqual(before);
  });

  it('CycloneDX XML that breaks the XSD is a 422 naming the lines and libxml2 messages, and leaves nothing behind', async () => {
    const before = await counts();
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1">
<components>
<component type="library" bom-ref="a"><name>a</name><version>1</version><purl>pkg:npm/a@1</purl></component>
<component type="gadget" bom-ref="b"><name>b</name><version>1</version><purl>pkg:npm/b@1</purl></component>
<component bom-ref="c"><name>c</name><colour>red</colour><purl>pkg:npm/c@1</purl></component>
</components>
</bom>`;
    const r = await upload(vendorA, ids.a, ids.juice, '9.9.9', xml, 'application/vnd.cyclonedx+xml');
    expect(r.statusCode, r.body).toBe(422);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.json()).toMatchObject({
      type: 'urn:village:problem:sbom-schema',
      code: 'schema',
      detail: expect.stringMatching(
        /^the document does not follow the CycloneDX 1\.5 XML schema: line 5: Element 'component', attribute 'type'/,
      ),
      errorCount: 3,
      errors: [
        { field: 'line 5', message: expect.stringMatching(/'gadget' is not an element of the set/) },
        { field: 'line 6', message: "Element 'component': The attribute 'type' is required but missing." },
        { field: 'line 6', message: expect.stringMatching(/^Element 'colour': This element is not expected/) },
      ],
    });
    expect(await counts()).toEqual(before);
  });

  it('bad SBOMs are a 422 naming what is wrong, and leave nothing behind', async () => {
    const before = await counts();
    const cases: Array<[string, string, string]> = [
      ['{"bomFormat":"CycloneDX","specVersion":"1.5","components":[', 'application/json', 'sbom-malformed'],
      ['{"bomFormat":"CycloneDX","specVersion":"1.1","components":[]}', 'application/json', 'sbom-unsupported-version'],
      [
        JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', components: [{ type: 'library', version: '1' }] }),
        'application/vnd.cyclonedx+json',
        'sbom-missing-identifier',
      ],
      [
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components><component',
        'application/vnd.cyclonedx+xml',
        'sbom-malformed',
      ],
      ['{"spdxVersion":"SPDX-2.2"}', 'application/spdx+json', 'sbom-unsupported-version'],
      // Entities are never resolved: an external one (XXE) is an undefined entity.
      [
        '<!DOCTYPE bom [<!ENTITY x SYSTEM "file:///etc/passwd">]><bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components><component type="library"><name>&x;</name></component></components></bom>',
        'application/vnd.cyclonedx+xml',
        'sbom-malformed',
      ],
    ];
    for (const [body, type, problem] of cases) {
      const r = await upload(vendorA, ids.a, ids.juice, '9.9.9', body, type);
      expect(r.statusCode, r.body).toBe(422);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.json().type).toBe(`urn:village:problem:${problem}`);
    }
    expect(await counts()).toEqual(before);
  });

  it('an SBOM over the limit is a 413, also when it does not say its length up front', async () => {
    const before = await counts();
    const big = readFileSync(join(DIR, 'keycloak-10.0.2.cdx.json'), 'utf8');
    const r = await upload(vendorA, ids.a, ids.juice, '10.0.2', big);
    expect(r.statusCode, r.body).toBe(413);
    expect(r.json().type).toBe('urn:village:problem:body-too-large');
    const chunked = await v.app.inject({
      method: 'PUT',
      url: `/api/v1/orgs/${ids.a}/products/${ids.juice}/sboms/10.0.2`,
      headers: {
        'content-type': 'application/json',
        cookie: vendorA.cookie,
        'x-csrf-token': vendorA.csrf,
        'transfer-encoding': 'chunked',
      },
      payload: Readable.from(
        (function* () {
          for (let i = 0; i < big.length; i += 65536) yield Buffer.from(big.slice(i, i + 65536));
        })(),
      ),
    });
    expect(chunked.statusCode, chunked.body).toBe(413);
    expect(await counts()).toEqual(before);
  });

  it('another media type is a 415; an empty body a 400', async () => {
    const r = await upload(vendorA, ids.a, ids.juice, '1.0', 'hello', 'text/plain');
    expect(r.statusCode).toBe(415);
    const e = await vendorA.request({ method: 'PUT', url: `/api/v1/orgs/${ids.a}/products/${ids.juice}/sboms/1.0` });
    expect(e.statusCode).toBe(400);
  });
});

describe('who is affected', () => {
  let deepest: { pkg: string; version: string; depth: number };

  beforeAll(async () => {
    const p = await parseSbomFile(JUICE);
    let best = 0;
    p.components.forEach((_c, i) => {
      if ((p.depth[i] as number) > (p.depth[best] as number)) best = i;
    });
    const c = p.components[best];
    // The same package version may appear more than once (npm nests copies): the shallowest counts.
    const depth = Math.min(...p.components.flatMap((x, i) => (x.purl === c?.purl ? [p.depth[i] as number] : [])));
    deepest = { pkg: c?.pkg ?? '', version: c?.version ?? '', depth };
    const r = await coord.request({
      method: 'POST',
      url: `/api/v1/cases/${ids.caseId}/vulnerabilities`,
      payload: {
        title: 'Deep dependency bug',
        products: [
          { productName: 'deep', purl: deepest.pkg, versionRange: `vers:npm/<=${deepest.version}` },
          { productName: 'lodash', purl: 'pkg:npm/lodash', versionRange: 'vers:npm/<4.17.21' },
          { productName: 'free text', purl: 'pkg:npm/express', versionRange: 'before 5' },
          { productName: 'codec', purl: 'pkg:golang/github.com/ugorji/go/codec', versionRange: 'vers:golang/<v1.2.0' },
        ],
      },
    });
    expect(r.statusCode, r.body).toBe(201);
  });

  it('finds the transitive dependency, with a path from the product down to it', async () => {
    const r = await coord.request({ method: 'GET', url: `/api/v1/cases/${ids.caseId}/affected?paths=true` });
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json() as {
      results: Array<{
        orgId: string;
        component: string;
        relation: string;
        depth: number;
        path: string[];
        productVersion: string;
      }>;
      skipped: Array<{ reason: string }>;
    };
    const deep = body.results.find((x) => x.component === `${deepest.pkg}@${deepest.version}`);
    expect(deep).toMatchObject({ orgId: ids.a, relation: 'transitive', depth: deepest.depth, productVersion: '11.1.2' });
    expect(deepest.depth).toBeGreaterThan(3);
    expect(deep?.path.length).toBe(deepest.depth + 1);
    expect(deep?.path[0]).toBe('Juice Shop@11.1.2');
    expect(deep?.path.at(-1)).toBe(deep?.component);
    expect(body.skipped.map((s) => s.reason).join()).toMatch(/not a vers range/);
    // Without paths, the same rows without the path.
    const flat = await coord.request({ method: 'GET', url: `/api/v1/cases/${ids.caseId}/affected` });
    expect((flat.json() as typeof body).results.map((x) => ({ ...x, path: undefined }))).toEqual(
      body.results.map((x) => ({ ...x, path: undefined })),
    );
  });

  it('matches exactly what a scan of the parsed SBOM finds', async () => {
    const p = await parseSbomFile(JUICE);
    const semverLt = (await import('semver')).default.lt;
    const expected = new Set(
      p.components.filter((c) => c.pkg === 'pkg:npm/lodash' && c.version && semverLt(c.version, '4.17.21')).map((c) => c.version),
    );
    const r = await coord.request({
      method: 'POST',
      url: `/api/v1/cases/${ids.caseId}/affected`,
      payload: { components: [{ purl: 'pkg:npm/lodash', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }] },
    });
    expect(r.statusCode, r.body).toBe(200);
    const got = new Set((r.json() as { results: Array<{ component: string }> }).results.map((x) => x.component.split('@')[1]));
    expect(got).toEqual(expected);
  });

  it('each path follows the parsed graph to the shallowest copy; an organization renamed shows at once', async () => {
    const p = await parseSbomFile(JUICE);
    const r = await coord.request({
      method: 'POST',
      url: `/api/v1/cases/${ids.caseId}/affected`,
      payload: { components: [{ purl: 'pkg:npm/lodash', events: [{ introduced: '0' }] }], paths: true },
    });
    expect(r.statusCode, r.body).toBe(200);
    const results = (r.json() as { results: Array<{ orgId: string; orgName: string; component: string; path: string[] }> })
      .results;
    const mine = results.filter((x) => x.orgId === ids.a);
    expect(mine.length).toBeGreaterThan(0);
    for (const row of mine) {
      // The shallowest copy (then the first listed), walked up its parents.
      let at = -1;
      p.components.forEach((c, i) => {
        if (withVersion(c.pkg, c.version ?? '') !== row.component) return;
        if (at < 0 || (p.depth[i] as number) < (p.depth[at] as number)) at = i;
      });
      const chain: string[] = [];
      for (let i = at; i >= 0; i = p.parent[i] as number) {
        const c = p.components[i];
        chain.unshift(withVersion(c?.pkg ?? '', c?.version ?? ''));
      }
      expect(row.path).toEqual(['Juice Shop@11.1.2', ...chain]);
    }
    await v.db.updateTable('organizations').set({ name: 'Vendor A, renamed' }).where('id', '=', ids.a).execute();
    const again = await coord.request({
      method: 'POST',
      url: `/api/v1/cases/${ids.caseId}/affected`,
      payload: { components: [{ purl: 'pkg:npm/lodash', events: [{ introduced: '0' }] }] },
    });
    const names = new Set(
      (again.json() as { results: Array<{ orgId: string; orgName: string }> }).results
        .filter((x) => x.orgId === ids.a)
        .map((x) => x.orgName),
    );
    expect([...names]).toEqual(['Vendor A, renamed']);
    // In place order: organization, product, product version, component (code-unit order).
    const all = (
      again.json() as { results: Array<{ orgName: string; productName: string; productVersion: string; component: string }> }
    ).results;
    const key = (x: (typeof all)[number]) => [x.orgName, x.productName, x.productVersion, x.component];
    const cmp = (a: string[], b: string[]) => {
      for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return (a[k] as string) < (b[k] as string) ? -1 : 1;
      return 0;
    };
    for (let i = 1; i < all.length; i++)
      expect(cmp(key(all[i - 1] as (typeof all)[number]), key(all[i] as (typeof all)[number]))).toBeLessThanOrEqual(0);
  });

  it('vendors in the case cannot ask; others do not learn the case exists', async () => {
    const add = await coord.request({
      method: 'POST',
      url: `/api/v1/cases/${ids.caseId}/participants`,
      payload: { orgId: ids.a, role: 'vendor' },
    });
    expect(add.statusCode, add.body).toBe(201);
    expect((await vendorA.request({ method: 'GET', url: `/api/v1/cases/${ids.caseId}/affected` })).statusCode).toBe(403);
    expect((await vendorB.request({ method: 'GET', url: `/api/v1/cases/${ids.caseId}/affected` })).statusCode).toBe(404);
    // Nor may a vendor read another organization's products.
    expect((await vendorA.request({ method: 'GET', url: `/api/v1/orgs/${ids.b}/products` })).statusCode).toBe(404);
  });

  it('a new SBOM that matches an open case tells its coordinator, and only the coordinator', async () => {
    const r = await upload(vendorB, ids.b, ids.bridge, '1.8.0', readFileSync(BRIDGE, 'utf8'));
    expect(r.statusCode, r.body).toBe(200);
    // (The juice-shop SBOM's own job may also match this case if it ran late: look at this one's.)
    const sbomId = (r.json() as { sbomId: string }).sbomId;
    const deadline = Date.now() + 20_000;
    let events: Array<{ summary: string; audience: string }> = [];
    while (Date.now() < deadline) {
      events = await v.db
        .selectFrom('case_events')
        .select(['summary', 'audience'])
        .where('case_id', '=', ids.caseId)
        .where('kind', '=', 'sbom.matched')
        .where(sql<boolean>`data->>'sbomId' = ${sbomId}`)
        .execute();
      if (events.length) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    expect(events).toHaveLength(1);
    expect(events[0]?.audience).toBe('coordinator');
    expect(events[0]?.summary).toMatch(/ugorji\/go\/codec@v1\.1\.7/);
    const mail = await v.db
      .selectFrom('mail_outbox')
      .select(['key', 'to_address', 'subject'])
      .where('kind', '=', 'case.sbom-match')
      .where('key', 'like', `sbom-match:${sbomId}:%`)
      .execute();
    expect(mail.map((m) => m.to_address)).toEqual(['coord@cert.example']);
    // The body is cleared once the message is final (mail is disabled here, so that may already be).
    expect(mail[0]?.subject).not.toMatch(/ugorji|Bridge|vendor-b/);
    const body = await outboxText(v.ctx, v.db, mail[0]?.key ?? '');
    if (body !== null) expect(body).not.toMatch(/ugorji|Bridge|vendor-b/);
    // The vendor in the case does not see the entry on its timeline.
    const t = await vendorA.request({ method: 'GET', url: `/api/v1/cases/${ids.caseId}/timeline` });
    expect(t.body).not.toMatch(/sbom\.matched|registered an SBOM/);
  });

  it('a new upload of a version replaces what it shipped', async () => {
    const before = await counts();
    const r = await upload(vendorA, ids.a, ids.juice, '11.1.2', readFileSync(join(DIR, 'laravel-7.12.0.cdx.json'), 'utf8'));
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ replaced: true, components: 62 });
    const after = await counts();
    expect(Number(after?.s)).toBe(Number(before?.s));
    expect(Number(after?.c)).toBe(Number(before?.c) - 1115 + 62);
    const a = await coord.request({ method: 'GET', url: `/api/v1/cases/${ids.caseId}/affected` });
    expect((a.json() as { results: Array<{ orgId: string }> }).results.filter((x) => x.orgId === ids.a)).toEqual([]);
  });

  it('SPDX 2.3 and CycloneDX XML upload too', async () => {
    const spdx = {
      spdxVersion: 'SPDX-2.3',
      SPDXID: 'SPDXRef-DOCUMENT',
      documentDescribes: ['SPDXRef-app'],
      packages: [
        { SPDXID: 'SPDXRef-app', name: 'app', versionInfo: '2.0' },
        {
          SPDXID: 'SPDXRef-lodash',
          name: 'lodash',
          versionInfo: '4.17.4',
          externalRefs: [
            { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:npm/lodash@4.17.4' },
          ],
        },
      ],
      relationships: [{ spdxElementId: 'SPDXRef-app', relationshipType: 'DEPENDS_ON', relatedSpdxElement: 'SPDXRef-lodash' }],
    };
    const s = await upload(vendorA, ids.a, ids.juice, '2.0', JSON.stringify(spdx), 'application/spdx+json');
    expect(s.statusCode, s.body).toBe(200);
    expect(s.json()).toMatchObject({ format: 'spdx-json', components: 1, direct: 1 });
    const xml = `<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><components>
      <component type="library" bom-ref="l"><name>lodash</name><version>4.17.20</version><purl>pkg:npm/lodash@4.17.20</purl></component>
      </components></bom>`;
    const x = await upload(vendorA, ids.a, ids.juice, '3.0', xml, 'application/vnd.cyclonedx+xml');
    expect(x.statusCode, x.body).toBe(200);
    expect(x.json()).toMatchObject({ format: 'cyclonedx-xml', specVersion: '1.6', components: 1 });
    const a = await coord.request({ method: 'GET', url: `/api/v1/cases/${ids.caseId}/affected` });
    const lodash = (a.json() as { results: Array<{ component: string; productVersion: string; relation: string }> }).results
      .filter((r) => r.component.startsWith('pkg:npm/lodash@'))
      .map((r) => `${r.productVersion} ${r.component} ${r.relation}`);
    expect(lodash).toEqual(['2.0 pkg:npm/lodash@4.17.4 direct', '3.0 pkg:npm/lodash@4.17.20 direct']);
  });

  it('a version range stored as OSV events matches like the vers form', async () => {
    const r = await coord.request({
      method: 'POST',
      url: `/api/v1/cases/${ids.caseId}/vulnerabilities`,
      payload: {
        title: 'Lodash again, as OSV events',
        products: [
          { productName: 'lodash (osv)', purl: 'pkg:npm/lodash', versionRange: '[{"introduced":"4.17.5"},{"fixed":"4.17.21"}]' },
          { productName: 'lodash (bad)', purl: 'pkg:npm/lodash', versionRange: '[{"fixed":1}]' },
        ],
      },
    });
    expect(r.statusCode, r.body).toBe(201);
    const vulnId = (r.json() as { id: string }).id;
    const a = await coord.request({ method: 'GET', url: `/api/v1/cases/${ids.caseId}/affected` });
    const body = a.json() as {
      results: Array<{ vulnerabilityId: string | null; component: string; productVersion: string }>;
      skipped: Array<{ vulnerabilityId: string; reason: string }>;
    };
    const mine = body.results.filter((x) => x.vulnerabilityId === vulnId).map((x) => `${x.productVersion} ${x.component}`);
    expect(mine).toEqual(['3.0 pkg:npm/lodash@4.17.20']);
    expect(body.skipped.filter((x) => x.vulnerabilityId === vulnId).map((x) => x.reason)).toEqual([
      expect.stringMatching(/not a JSON array of OSV events/),
    ]);
  });
});
