// Release of a case with 12 vendors, 5 vulnerabilities and 50 affected products (statements of
// every kind, CVSS 3.1 and 4.0, CWEs): the time from the coordinator's action (the release
// recorded and its durable job enqueued, as POST /api/v1/cases/{id}/release does) to the landing
// page being live and every document (CSAF, 5 CVE records, OSV records) published, signed and
// served; then every served document is validated again (schema + CSAF mandatory tests) and its
// signature checked. On the embedded database and, with DATABASE_URL, on PostgreSQL. Target ≤ 5 s.
// As in `village serve`, the document validators are loaded once before (their load time is
// reported as validators_load_s, not counted in the release).
//
//   node --import tsx bench/release.ts [--runs 3]
import * as openpgp from 'openpgp';
import { validateCsaf, validateCveRecord, validateOsv, warmDocumentValidation } from '../src/formats/document-validation.ts';
import { loadCaseRelation } from '../src/services/case-access.ts';
import { addParticipant, openCase } from '../src/services/cases.ts';
import { releaseStatus, requestRelease } from '../src/services/release.ts';
import { addVulnerability, putStatement } from '../src/services/vulnerabilities.ts';
import type { Engine } from '../src/store/database.ts';
import { benchParties, startBenchVillage } from './fixture.ts';
import { emit, engines, fmt, intOption, machine, now, openScratch, out, round, scratchDatabase, sleep } from './lib.ts';

const RUNS = intOption('runs', 3);
const VENDORS = 12;
const VULNS = 5;
const PRODUCTS_PER_VULN = 10;
const STATUSES = ['fixed', 'affected', 'not_affected', 'under_investigation'] as const;
const PURL_TYPES = ['npm', 'pypi', 'maven', null] as const;

async function run(engine: Engine) {
  const scratch = await scratchDatabase(engine, 'release');
  const database = await openScratch(scratch, 10);
  const village = await startBenchVillage(scratch, database);
  const ctx = village.ctx;
  const app = village.server;
  try {
    const { coordOrgId, coordUserId, actor, meta, vendors } = await benchParties(village, 'bench-release', VENDORS);
    const key = await openpgp.readKey({ armoredKey: ctx.keys.signing.publicArmored });
    // What `village serve` does a few seconds after it starts listening: load the validators.
    const w0 = now();
    await warmDocumentValidation();
    const warmS = (now() - w0) / 1000;
    out(`  ${engine}: document validators loaded in ${fmt(warmS * 1000)} ms (once per server, after start)`);
    const times: Array<{ live_s: number; verify_s: number; documents: number }> = [];
    for (let r = 0; r < RUNS; r++) {
      const c = await openCase(ctx, meta, actor, {
        title: `Bench release ${r}`,
        summary: 'Twelve vendors, one day.',
        reportIds: [],
      });
      for (const v of vendors) await addParticipant(ctx, meta, c.id, { orgId: v, role: 'vendor' });
      const rel = await loadCaseRelation(ctx.db, c.id, { orgId: coordOrgId, userId: coordUserId }, ctx.clock.now());
      if (!rel) throw new Error('case vanished');
      for (let vi = 0; vi < VULNS; vi++) {
        const products = Array.from({ length: PRODUCTS_PER_VULN }, (_, p) => {
          const type = PURL_TYPES[p % PURL_TYPES.length];
          const name = `component-${vi}-${p}`;
          return {
            vendorOrgId: vendors[(vi * PRODUCTS_PER_VULN + p) % VENDORS] as string,
            productName: name,
            ...(type ? { purl: type === 'maven' ? `pkg:maven/org.example/${name}` : `pkg:${type}/${name}` } : {}),
            versionRange: type ? `vers:${type}/>=1.${p}.0|<2.${p}.0` : `before 2.${p}`,
          };
        });
        const id = await addVulnerability(ctx, meta, rel, {
          cveId: `CVE-2026-${String(50_000 + r * 10 + vi)}`,
          title: `Vulnerability ${vi} in the shared component`,
          description: `Description of vulnerability ${vi}.`,
          cweIds: ['CWE-787'],
          cvss31: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
          cvss40: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
          products,
        });
        for (const [vn, v] of vendors.entries()) {
          const status = STATUSES[(vi + vn) % STATUSES.length] as (typeof STATUSES)[number];
          await putStatement(ctx, meta, actor, rel, id, v, {
            status,
            ...(status === 'not_affected' ? { justification: 'vulnerable_code_not_present' } : {}),
            ...(status === 'fixed' ? { fixedVersions: [`2.${vn}.0`], advisoryUrl: `https://vendor-${vn}.example/sa/${vi}` } : {}),
          });
        }
      }
      const ref = (await ctx.db.selectFrom('cases').select('ref').where('id', '=', c.id).executeTakeFirstOrThrow()).ref;

      // The action, then wait for the landing page and every document to be served.
      const t0 = now();
      await requestRelease(ctx, meta, ctx.db, c.id, { kind: 'coordinator', userId: coordUserId });
      let live = false;
      let docs: Array<{ kind: string; doc_id: string }> = [];
      while (!live) {
        const page = await app.inject({ url: `/advisories/${ref}` });
        if (page.statusCode === 200) {
          docs = await ctx.db.selectFrom('advisory_documents').select(['kind', 'doc_id']).where('case_id', '=', c.id).execute();
          live = true;
        } else {
          const s = await releaseStatus(ctx, c.id);
          if (s.status === 'failed') throw new Error(`release failed: ${s.error}`);
          if (now() - t0 > 120_000) throw new Error('release did not finish in 120 s');
          await sleep(10);
        }
      }
      const urls = docs.map((d) =>
        d.kind === 'csaf'
          ? `/.well-known/csaf/clear/${new Date().getUTCFullYear()}/${ref.toLowerCase()}.json`
          : `/advisories/${ref}/${d.kind}/${d.doc_id}.json`,
      );
      const served = await Promise.all(urls.map((url) => app.inject({ url })));
      if (served.some((res) => res.statusCode !== 200)) throw new Error('a document is not served');
      const liveS = (now() - t0) / 1000;

      // Independent check (not part of the release): every served document valid and signed.
      const t1 = now();
      for (const [i, res] of served.entries()) {
        const json = res.json() as unknown;
        const kind = docs[i]?.kind;
        const v = await (kind === 'csaf' ? validateCsaf(json) : kind === 'cve' ? validateCveRecord(json) : validateOsv(json));
        if (!v.valid) throw new Error(`${urls[i]} is invalid: ${JSON.stringify(v.problems.slice(0, 3))}`);
        const asc = await app.inject({ url: `${urls[i]}.asc` });
        const verified = await openpgp.verify({
          message: await openpgp.createMessage({ text: res.body }),
          signature: await openpgp.readSignature({ armoredSignature: asc.body }),
          verificationKeys: key,
        });
        await verified.signatures[0]?.verified;
      }
      const verifyS = (now() - t1) / 1000;
      times.push({ live_s: round(liveS, 3), verify_s: round(verifyS, 3), documents: docs.length });
      out(
        `  ${engine}: run ${r + 1}: live in ${fmt(liveS * 1000)} ms (${docs.length} documents); re-verified in ${fmt(verifyS * 1000)} ms`,
      );
    }
    const worst = Math.max(...times.map((t) => t.live_s));
    return { engine, validators_load_s: round(warmS, 3), runs: times, total_s: worst };
  } finally {
    await village.stop();
    await database.close().catch(() => undefined);
    await scratch.drop();
  }
}

out(`release: ${VENDORS} vendors, ${VULNS} vulnerabilities, ${VULNS * PRODUCTS_PER_VULN} products; ${RUNS} runs per engine`);
const results = [];
for (const engine of engines()) results.push(await run(engine));
const total = Math.max(...results.map((r) => r.total_s));
out(`target ≤ 5 s from the action to the landing page and every document live (worst run): ${total <= 5 ? 'met' : 'NOT met'}`);
emit({ bench: 'release', total_s: total, engines: results, machine: machine() });
