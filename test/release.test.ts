// The release, end to end: a case with several vendors, vulnerabilities, products and statements
// is released by the coordinator's action (the durable release.run job); every published document
// is valid (CSAF schema + mandatory tests, CVE JSON 5.1, OSV) and signed; the public URLs serve
// them, the landing page shows every vendor's status; the release killed after each step in turn
// and rerun gives the same documents as an uninterrupted one, and nobody is notified twice; a
// statement after release publishes revision 2.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as openpgp from 'openpgp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateCsaf, validateCveRecord, validateOsv, validateProviderMetadata } from '../src/formats/document-validation.ts';
import { RELEASE_STEPS, ReleaseCrash, releaseTestHooks, runRelease } from '../src/services/release.ts';
import { startTestVillage, type TestVillage } from './support/app.ts';
import { Api, invite, openCase, type Party, partyWithAdmin, submitReport } from './support/cases.ts';

let v: TestVillage;
let coord: Party;
let vendors: Party[];
let anon: Api;

interface ReleaseStatus {
  status: string;
  advisoryId: string;
  error: string | null;
  revision: number | null;
  steps: Array<{ step: string; status: string; revision: number }>;
}

/** A case of 3 vendors, 2 vulnerabilities, 4 products and statements of every kind. */
async function makeCase(label: string): Promise<{ id: string; ref: string }> {
  const api = coord.api;
  const c = await openCase(api, { title: 'Widget overflow', summary: 'A crafted widget overflows the parser heap.' });
  const [acme, globex, initech] = vendors as [Party, Party, Party];
  for (const p of vendors) await invite(api, c.id, p.orgId);
  const v1 = await api.post<{ id: string }>(
    `/api/v1/cases/${c.id}/vulnerabilities`,
    {
      cveId: 'CVE-2026-1000',
      title: 'Heap overflow in parse_widget',
      description: 'parse_widget trusts the length field.',
      cweIds: ['CWE-787'],
      cvss31: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      cvss40: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
      products: [
        { vendorOrgId: acme.orgId, productName: 'widget', purl: 'pkg:npm/widget', versionRange: 'vers:npm/>=1.0.0|<1.4.2' },
        { vendorOrgId: globex.orgId, productName: 'globex-widgets', purl: 'pkg:pypi/globex-widgets' },
        { vendorOrgId: initech.orgId, productName: 'Initech Router', versionRange: 'before 7.2' },
      ],
    },
    201,
  );
  const v2 = await api.post<{ id: string }>(
    `/api/v1/cases/${c.id}/vulnerabilities`,
    {
      title: 'Information leak in widget logs',
      cweIds: ['CWE-532'],
      products: [{ vendorOrgId: acme.orgId, productName: 'widget', purl: 'pkg:npm/widget', versionRange: 'vers:npm/<2.0.0' }],
    },
    201,
  );
  const state = (vuln: string, body: Record<string, unknown>) =>
    api.put(`/api/v1/cases/${c.id}/vulnerabilities/${vuln}/statement`, body);
  await state(v1.id, { orgId: acme.orgId, status: 'fixed', fixedVersions: ['1.4.2'], advisoryUrl: 'https://acme.example/sa/1' });
  await state(v1.id, {
    orgId: globex.orgId,
    status: 'not_affected',
    justification: 'vulnerable_code_not_present',
    publicStatement: 'Globex ships its own parser.',
  });
  await state(v1.id, { orgId: initech.orgId, status: 'under_investigation' });
  await state(v2.id, { orgId: acme.orgId, status: 'affected', remediation: 'Turn off debug logging.' });
  const report = await submitReport(
    v,
    {
      title: `Overflow (${label})`,
      description: 'Crash with a long widget.',
      reporterEmail: `finder-${c.ref.toLowerCase()}@research.example`,
      creditConsent: true,
      creditName: 'Ada Lovelace',
    },
    `192.0.2.${++reports}`,
  );
  await v.db.updateTable('reports').set({ case_id: c.id }).where('id', '=', report.id).execute();
  return c;
}

/** The published documents of a case, with its own advisory id replaced, for comparison. */
async function publishedDocs(caseId: string, advisoryId: string) {
  const rows = await v.db
    .selectFrom('advisory_documents')
    .select(['revision', 'kind', 'doc_id', 'content', 'signature'])
    .where('case_id', '=', caseId)
    .orderBy('revision')
    .orderBy('kind')
    .orderBy('doc_id')
    .execute();
  const norm = (s: string) => s.replaceAll(advisoryId, 'ADV').replaceAll(advisoryId.toLowerCase(), 'adv');
  return rows.map((r) => ({
    revision: r.revision,
    kind: r.kind,
    id: norm(r.doc_id),
    content: norm(r.content),
    signed: r.signature !== null,
  }));
}

/** Mail queued for a case's release: recipient → how many. */
async function releaseMail(caseId: string, reporterEmail: string) {
  const rows = await v.db
    .selectFrom('mail_outbox')
    .select(['to_address', 'key'])
    .where((eb) =>
      eb.or([
        eb('key', 'like', `update:release:${caseId}:%`),
        eb.and([eb('to_address', '=', reporterEmail), eb('key', 'like', 'release-reporter:%')]),
      ]),
    )
    .execute();
  const count = new Map<string, number>();
  for (const r of rows) count.set(r.to_address, (count.get(r.to_address) ?? 0) + 1);
  return count;
}

beforeAll(async () => {
  v = await startTestVillage({ env: { VILLAGE_LOGIN_IP_LIMIT: '100000' } });
  coord = await partyWithAdmin(v, 'cc', 'coordinator');
  vendors = [await partyWithAdmin(v, 'acme'), await partyWithAdmin(v, 'globex'), await partyWithAdmin(v, 'initech')];
  anon = Api.anonymous(v);
}, 180_000);
afterAll(async () => {
  await v?.close();
});
afterEach(() => {
  releaseTestHooks.crashAfter = null;
});

let released: { id: string; ref: string };
let reports = 0;

describe('release', () => {
  it('previews, then releases end to end through the coordinator action, publishing valid signed documents', async () => {
    released = await makeCase('Widget overflow');
    const base = `/api/v1/cases/${released.id}/release`;
    const preview = await coord.api.get<{ valid: boolean; documents: Array<{ kind: string; id: string }> }>(`${base}/preview`);
    expect(preview.valid).toBe(true);
    expect(preview.documents.map((d) => `${d.kind}:${d.id}`)).toEqual([
      `csaf:${released.ref}`,
      'cve:CVE-2026-1000',
      `osv:x_${released.ref}-1`,
      `osv:x_${released.ref}-2`,
    ]);
    // Nothing is published by a preview.
    expect((await anon.raw('GET', `/advisories/${released.ref}`)).statusCode).toBe(404);
    // A vendor cannot release; the confirmation must name the case.
    await vendors[0]?.api.expect(403, 'POST', base, { confirm: released.ref });
    await coord.api.expect(400, 'POST', base, { confirm: 'VC-0000-0000' });
    const started = await coord.api.expect<ReleaseStatus>(202, 'POST', base, { confirm: released.ref });
    expect(started.status).toBe('running');
    let status = started;
    for (let i = 0; i < 200 && status.status === 'running'; i++) {
      await sleep(100);
      status = await coord.api.get<ReleaseStatus>(base);
    }
    expect(status.status, JSON.stringify(status)).toBe('done');
    expect(status.steps.map((s) => s.step)).toEqual([...RELEASE_STEPS]);
    await coord.api.expect(409, 'POST', base, { confirm: released.ref });

    // The case is frozen: its vulnerabilities no longer change, the embargo neither.
    const vulns = await coord.api.get<Array<{ id: string }>>(`/api/v1/cases/${released.id}/vulnerabilities`);
    await coord.api.expect(409, 'PATCH', `/api/v1/cases/${released.id}/vulnerabilities/${vulns[0]?.id}`, { title: 'Changed' });
    const c = await v.db
      .selectFrom('cases')
      .select(['em_state', 'release_at'])
      .where('id', '=', released.id)
      .executeTakeFirstOrThrow();
    expect(c.em_state).toBe('X');

    // Every document: valid, hashed and signed with the instance key.
    const key = await openpgp.readKey({ armoredKey: v.ctx.keys.signing.publicArmored });
    const year = new Date().getUTCFullYear();
    const csafPath = `/.well-known/csaf/clear/${year}/${released.ref.toLowerCase()}.json`;
    const csaf = await anon.raw('GET', csafPath);
    expect(csaf.statusCode).toBe(200);
    expect((await validateCsaf(csaf.json())).problems).toEqual([]);
    const sha256 = (await anon.raw('GET', `${csafPath}.sha256`)).body;
    expect(sha256).toBe(`${createHash('sha256').update(csaf.body).digest('hex')}  ${released.ref.toLowerCase()}.json\n`);
    const sha512 = (await anon.raw('GET', `${csafPath}.sha512`)).body;
    expect(sha512.split(' ')[0]).toBe(createHash('sha512').update(csaf.body).digest('hex'));
    const asc = (await anon.raw('GET', `${csafPath}.asc`)).body;
    const verified = await openpgp.verify({
      message: await openpgp.createMessage({ text: csaf.body }),
      signature: await openpgp.readSignature({ armoredSignature: asc }),
      verificationKeys: key,
    });
    await expect(verified.signatures[0]?.verified).resolves.toBe(true);
    for (const n of [1, 2]) {
      const osv = await anon.raw('GET', `/advisories/${released.ref}/osv/x_${released.ref}-${n}.json`);
      expect(osv.statusCode).toBe(200);
      expect((await validateOsv(osv.json())).problems).toEqual([]);
    }
    const cve = await anon.raw('GET', `/advisories/${released.ref}/cve/CVE-2026-1000.json`);
    expect((await validateCveRecord(cve.json())).problems).toEqual([]);
    expect(
      cve
        .json()
        .containers.cna.affected.map((a: { vendor: string }) => a.vendor)
        .sort(),
    ).toEqual(['Org acme', 'Org globex', 'Org initech']);

    // The CSAF provider layout.
    const pm = await anon.raw('GET', '/.well-known/csaf/provider-metadata.json');
    expect((await validateProviderMetadata(pm.json())).problems).toEqual([]);
    expect(pm.json()).toMatchObject({
      role: 'csaf_trusted_provider',
      public_openpgp_keys: [
        { fingerprint: v.ctx.keys.signing.fingerprint, url: 'http://localhost:8080/.well-known/openpgp-key.asc' },
      ],
    });
    expect((await anon.raw('GET', '/.well-known/csaf/clear/index.txt')).body).toContain(
      `${year}/${released.ref.toLowerCase()}.json`,
    );
    expect((await anon.raw('GET', '/.well-known/csaf/clear/changes.csv')).body).toMatch(
      new RegExp(`^"${year}/${released.ref.toLowerCase()}\\.json","\\d{4}-`),
    );
    const feed = (await anon.raw('GET', '/.well-known/csaf/feed-tlp-white.json')).json();
    expect(feed.feed.entry[0].link.map((l: { rel: string }) => l.rel)).toEqual(['self', 'hash', 'hash', 'signature']);

    // The landing page: every vendor's status, fixed versions, advisory links, scores, credits.
    const page = await anon.raw('GET', `/advisories/${released.ref}`);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    const html = page.body;
    expect(html).toContain('<html lang="en">');
    expect(html).not.toContain('<script');
    for (const name of ['Org acme', 'Org globex', 'Org initech']) expect(html).toContain(name);
    for (const s of ['Fixed', 'Not affected', 'Under investigation', 'Affected']) expect(html).toContain(`>${s}</td>`);
    expect(html).toContain('1.4.2');
    expect(html).toContain('https://acme.example/sa/1');
    expect(html).toContain('CVSS v3.1 <strong>9.8</strong>');
    expect(html).toContain('Ada Lovelace');
    expect(html).toContain('TLP:CLEAR');
    expect((await anon.raw('GET', '/advisories/')).body).toContain(released.ref);
    const atom = await anon.raw('GET', '/advisories/feed.atom');
    expect(atom.headers['content-type']).toMatch(/^application\/atom\+xml/);
    expect(atom.body).toContain(`/advisories/${released.ref}#revision-1`);

    // Everyone in the case and the reporter were told, once each.
    const mail = await releaseMail(released.id, `finder-${released.ref.toLowerCase()}@research.example`);
    expect([...mail.values()].every((n) => n === 1)).toBe(true);
    expect(mail.size).toBe(5); // coordinator, three vendors, reporter
  }, 60_000);

  it('stops at an invalid document, says which test failed, and releases once the case is corrected', async () => {
    const c = await makeCase('Invalid');
    const vulns = await coord.api.get<Array<{ id: string }>>(`/api/v1/cases/${c.id}/vulnerabilities`);
    const statement = `/api/v1/cases/${c.id}/vulnerabilities/${vulns[0]?.id}/statement`;
    // A "fixed version" that is a range: CSAF mandatory test 6.1.31 refuses it in product_version.
    await coord.api.put(statement, { orgId: vendors[0]?.orgId, status: 'fixed', fixedVersions: ['< 1.4.2'] });
    expect(await runRelease(v.ctx, c.id)).toMatchObject({ status: 'failed' });
    let status = await coord.api.get<ReleaseStatus>(`/api/v1/cases/${c.id}/release`);
    expect(status.status).toBe('failed');
    expect(status.error).toMatch(/^CSAF document .* is invalid: mandatoryTest_6_1_31 at \/product_tree/);
    expect(status.steps.find((s) => s.step === 'validate')?.status).toBe('failed');
    expect((await anon.raw('GET', `/advisories/${c.ref}`)).statusCode).toBe(404);
    // Statements may still change; the release is started again and rebuilds its documents.
    await coord.api.put(statement, { orgId: vendors[0]?.orgId, status: 'fixed', fixedVersions: ['1.4.2'] });
    await coord.api.expect(202, 'POST', `/api/v1/cases/${c.id}/release`, { confirm: c.ref });
    for (let i = 0; i < 200 && status.status !== 'done'; i++) {
      await sleep(100);
      status = await coord.api.get<ReleaseStatus>(`/api/v1/cases/${c.id}/release`);
    }
    expect(status.status, JSON.stringify(status)).toBe('done');
    expect((await anon.raw('GET', `/advisories/${c.ref}`)).statusCode).toBe(200);
  }, 60_000);

  it('gives the same result when killed after any step and rerun, and notifies nobody twice', async () => {
    const reference = await makeCase('Reference');
    expect(await runRelease(v.ctx, reference.id)).toEqual({ status: 'done' });
    const expected = await publishedDocs(reference.id, reference.ref);
    expect(expected.length).toBe(4);
    const expectedMail = [
      ...(await releaseMail(reference.id, `finder-${reference.ref.toLowerCase()}@research.example`)).values(),
    ];
    for (const step of RELEASE_STEPS) {
      const c = await makeCase(`Killed after ${step}`);
      releaseTestHooks.crashAfter = step;
      await expect(runRelease(v.ctx, c.id)).rejects.toBeInstanceOf(ReleaseCrash);
      releaseTestHooks.crashAfter = null;
      expect(await runRelease(v.ctx, c.id)).toEqual({ status: 'done' });
      // And once more: a finished release is a no-op.
      expect(await runRelease(v.ctx, c.id)).toEqual({ status: 'done' });
      expect(await publishedDocs(c.id, c.ref), `killed after ${step}`).toEqual(expected);
      const mail = await releaseMail(c.id, `finder-${c.ref.toLowerCase()}@research.example`);
      expect([...mail.values()], `killed after ${step}`).toEqual(expectedMail);
      for (const d of await publishedDocs(c.id, c.ref)) {
        const json = JSON.parse(d.content) as unknown;
        const r = await (d.kind === 'csaf' ? validateCsaf(json) : d.kind === 'cve' ? validateCveRecord(json) : validateOsv(json));
        expect(r.problems).toEqual([]);
      }
    }
  }, 120_000);

  it('publishes revision 2 when a vendor changes its statement after release', async () => {
    const vulns = await coord.api.get<Array<{ id: string }>>(`/api/v1/cases/${released.id}/vulnerabilities`);
    const [, , initech] = vendors as [Party, Party, Party];
    v.clock.advance(60_000);
    await initech.api.put(`/api/v1/cases/${released.id}/vulnerabilities/${vulns[0]?.id}/statement`, {
      status: 'fixed',
      fixedVersions: ['7.2'],
      advisoryUrl: 'https://initech.example/psirt/7',
    });
    let status: ReleaseStatus = await coord.api.get<ReleaseStatus>(`/api/v1/cases/${released.id}/release`);
    for (let i = 0; i < 100 && status.revision !== 2; i++) {
      await sleep(100);
      status = await coord.api.get<ReleaseStatus>(`/api/v1/cases/${released.id}/release`);
    }
    expect(status.revision).toBe(2);
    const year = new Date().getUTCFullYear();
    const csaf = (await anon.raw('GET', `/.well-known/csaf/clear/${year}/${released.ref.toLowerCase()}.json`)).json();
    expect(csaf.document.tracking.version).toBe('2');
    expect(csaf.document.tracking.revision_history.map((r: { number: string }) => r.number)).toEqual(['1', '2']);
    expect((await validateCsaf(csaf)).problems).toEqual([]);
    const osv = (await anon.raw('GET', `/advisories/${released.ref}/osv/x_${released.ref}-1.json`)).json();
    expect(osv.modified).toBe(csaf.document.tracking.current_release_date);
    expect((await anon.raw('GET', `/advisories/${released.ref}`)).body).toContain('https://initech.example/psirt/7');
    expect((await anon.raw('GET', '/advisories/feed.atom')).body).toContain(`#revision-2`);
  }, 60_000);
});
