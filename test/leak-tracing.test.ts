// Leak tracing end to end: every vendor's briefing text carries its own fingerprint; the
// coordinator traces a leaked, re-wrapped excerpt to the right organization, a too-short excerpt
// gives "insufficient evidence", nobody else may trace, every trace is audited, and the case's
// watermark secret is stored wrapped by the instance keyring, never in clear.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTrace, resolveCaseId, traceLeak } from '../src/services/leak-tracing.ts';
import { startTestVillage, type TestVillage } from './support/app.ts';
import { invite, openCase, type Party, partyWithAdmin } from './support/cases.ts';

let v: TestVillage;
let coord: Party;
let vendors: Party[];
let caseId = '';
let caseRef = '';
const texts = new Map<string, string>();

interface TraceOut {
  verdict: string;
  organization: { id: string; name: string } | null;
  confidence: number | null;
  falseAccusationBound: number | null;
  reason: string | null;
  observedSlots: number;
  candidates: number;
}

/** What a paste into a chat does: lines joined, re-wrapped at 50 columns, case and spacing changed. */
function rewrap(text: string, width = 50): string {
  const lines: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + w.length + 1 > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  return [...lines, line].join('\n');
}

beforeAll(async () => {
  v = await startTestVillage();
  coord = await partyWithAdmin(v, 'trace-cc', 'coordinator');
  vendors = await Promise.all(['alpha', 'bravo', 'charlie', 'delta'].map((s) => partyWithAdmin(v, `trace-${s}`)));
  const opened = await openCase(coord.api, { title: 'Router firmware flaws', summary: 'Several flaws in shared firmware.' });
  caseId = opened.id;
  caseRef = opened.ref;
  const cves = ['CVE-2026-10001', 'CVE-2026-10002', 'CVE-2026-10003', 'CVE-2026-10004'];
  for (const [i, cve] of cves.entries()) {
    await coord.api.post(
      `/api/v1/cases/${caseId}/vulnerabilities`,
      {
        cveId: cve,
        title: `Flaw number ${i + 1} in the update service`,
        description: 'A crafted update bundle runs code as root.',
        cweIds: ['CWE-347', 'CWE-20'],
        cvss31: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
        products: vendors.map((p, j) => ({
          vendorOrgId: p.orgId,
          productName: `${p.slug} router model ${j + 10}`,
          purl: `pkg:generic/${p.slug}/router`,
          versionRange: `vers:generic/<${i + 2}.${j}.0`,
        })),
      },
      201,
    );
  }
  for (const p of vendors) await invite(coord.api, caseId, p.orgId);
  for (const p of vendors) texts.set(p.orgId, (await p.api.get<{ text: string }>(`/api/v1/cases/${caseId}/briefing`)).text);
}, 240_000);

afterAll(async () => {
  await v?.close();
});

describe('leak tracing', () => {
  it('gives every recipient different wording of the same facts', () => {
    const all = [...texts.values()];
    expect(new Set(all).size).toBe(vendors.length);
    for (const t of all) {
      for (const cve of ['CVE-2026-10001', 'CVE-2026-10004']) expect(t).toContain(cve);
      expect(t).toContain('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H');
      expect(t).toContain('trace-bravo router model 11');
    }
  });

  it('names the organization a re-wrapped excerpt came from, with a confidence', async () => {
    const leaker = vendors[2] as Party;
    const text = texts.get(leaker.orgId) as string;
    // Without the header line (which names the recipient), re-wrapped and upper-cased.
    const excerpt = rewrap(text.split('\n').slice(2).join('\n')).toUpperCase();
    const out = await coord.api.post<TraceOut>(`/api/v1/cases/${caseId}/trace`, { excerpt });
    expect(out.verdict, JSON.stringify(out)).toBe('identified');
    expect(out.organization?.id).toBe(leaker.orgId);
    expect(out.confidence).toBeGreaterThan(0.9999);
    expect(out.falseAccusationBound).toBeLessThan(1e-4);
    // The four vendors and the coordinator's own copy (none fetched) are the candidates.
    expect(out.candidates).toBe(vendors.length);
  });

  it('says the evidence is insufficient for a short excerpt, and for text that is no copy', async () => {
    const text = texts.get((vendors[0] as Party).orgId) as string;
    const short = text.split(/\s+/).slice(40, 52).join(' ');
    const a = await coord.api.post<TraceOut>(`/api/v1/cases/${caseId}/trace`, { excerpt: short });
    expect(a.verdict).toBe('insufficient');
    expect(a.organization).toBeNull();
    expect(a.reason).toMatch(/nats/);
    const b = await coord.api.post<TraceOut>(`/api/v1/cases/${caseId}/trace`, { excerpt: 'Nothing to see here.' });
    expect(b.verdict).toBe('insufficient');
  });

  it('is for the coordinator: a vendor in the case is refused, and each trace is audited', async () => {
    const res = await (vendors[0] as Party).api.raw('POST', `/api/v1/cases/${caseId}/trace`, { excerpt: 'x' });
    expect(res.statusCode).toBe(403);
    const rows = await v.ctx.db
      .selectFrom('audit_log')
      .select(['action', 'details', 'actor_org_id'])
      .where('action', '=', 'case.trace')
      .where('object_id', '=', caseId)
      .execute();
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.every((r) => r.actor_org_id === coord.orgId)).toBe(true);
    expect(rows.map((r) => (r.details as { verdict: string }).verdict).sort()).toEqual([
      'identified',
      'insufficient',
      'insufficient',
    ]);
  });

  it('keeps the case secret wrapped by the instance keyring', async () => {
    const row = await v.ctx.db
      .selectFrom('case_watermark_keys')
      .selectAll()
      .where('case_id', '=', caseId)
      .executeTakeFirstOrThrow();
    expect(row.secret_wrapped.length).toBeGreaterThan(32);
    const secret = await v.ctx.keys.keyring.unwrap({ kekId: row.kek_id, wrapped: row.secret_wrapped }, `watermark:${caseId}`);
    expect(secret.length).toBe(32);
    expect(row.secret_wrapped.includes(secret)).toBe(false);
    // Bound to its case: moved to another case it does not unwrap.
    await expect(
      v.ctx.keys.keyring.unwrap({ kekId: row.kek_id, wrapped: row.secret_wrapped }, 'watermark:another'),
    ).rejects.toThrow();
  });

  it('is what `village trace --case ID|REF FILE` runs: the case by id or reference, the answer in words', async () => {
    expect(await resolveCaseId(v.ctx.db, caseRef)).toBe(caseId);
    expect(await resolveCaseId(v.ctx.db, caseId)).toBe(caseId);
    expect(await resolveCaseId(v.ctx.db, 'VU#nope')).toBeNull();
    const leaker = vendors[1] as Party;
    const r = await traceLeak(
      v.ctx,
      { actor: { type: 'anonymous' }, requestId: 'cli:test' },
      caseId,
      texts.get(leaker.orgId) as string,
    );
    const printed = formatTrace(r);
    expect(printed).toContain(`source: Org trace-bravo (${leaker.orgId})`);
    expect(printed).toMatch(/confidence: (1\.0+|0\.99\d+) /);
    expect(formatTrace(await traceLeak(v.ctx, { actor: { type: 'anonymous' }, requestId: 'cli:test' }, caseId, 'x'))).toMatch(
      /^insufficient evidence/,
    );
  });

  it('marks PDF, PNG and ZIP attachments per reader, and traces a leaked file', async () => {
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    const up = await coord.api.post<{ id: string }>(
      `/api/v1/cases/${caseId}/artifacts`,
      { filename: 'poc.pdf', contentBase64: pdf.toString('base64'), tlp: 'GREEN' },
      201,
    );
    const copies: Buffer[] = [];
    for (const p of vendors.slice(0, 2)) {
      const res = await p.api.raw('GET', `/api/v1/cases/${caseId}/artifacts/${up.id}`);
      expect(res.statusCode).toBe(200);
      copies.push(res.rawPayload);
    }
    const [c0, c1] = copies as [Buffer, Buffer];
    expect(c0.subarray(0, pdf.length).equals(pdf)).toBe(true);
    expect(c0.equals(c1)).toBe(false);
    const meta = { actor: { type: 'anonymous' as const }, requestId: 'cli:test' };
    const r = await traceLeak(v.ctx, meta, caseId, c1.toString('utf8'), c1);
    expect(r.verdict).toBe('identified');
    expect(r.organization?.id).toBe((vendors[1] as Party).orgId);
    // Re-saved without the mark: nothing to go on.
    expect((await traceLeak(v.ctx, meta, caseId, pdf.toString('utf8'), pdf)).verdict).toBe('insufficient');
  });
});
