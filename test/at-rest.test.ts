// Encryption at rest: a case with distinctive text in every sealed field (report, reporter
// message, attachment, case, message, artifact, vulnerability, statement, briefing packet, mail),
// then a dump of every table of the database (every row as text, bytea also decoded as UTF-8 and
// latin1; pg_dump too on the server engine when it is on PATH) holds none of it; the API still
// returns each text to those allowed to read it.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxText, queueMail } from '../src/mail/outbox.ts';
import { cachedKeyCount } from '../src/services/data-keys.ts';
import { signIn, startTestVillage, type TestVillage } from './support/app.ts';
import { Api, b64, invite, openCase, type Party, partyWithAdmin, submitReport } from './support/cases.ts';
import { testEngine } from './support/db.ts';

// Letters outside hex, so that no hex dump of ciphertext can contain the tag by chance.
const tag = [...randomBytes(5)].map((b) => String.fromCharCode(0x67 + (b % 20))).join('');
const MAIL_KEY = `at-rest:${randomBytes(4).toString('hex')}`;
/** Distinctive plaintexts, one per sealed field. */
const P = {
  reportTitle: `Zebrafinch overflow ${tag} title`,
  reportDescription: `Quokka gadget chain ${tag} in the description`,
  reporterMessage: `Narwhal follow-up ${tag} from the reporter`,
  attachment: `Axolotl proof of concept ${tag} bytes`,
  caseTitle: `Pangolin case ${tag} title`,
  caseSummary: `Okapi summary ${tag} of the case`,
  messageSubject: `Capybara subject ${tag}`,
  messageBody: `Tapir body ${tag} with exploit details`,
  artifact: `Wombat artifact ${tag} content`,
  vulnTitle: `Ocelot vulnerability ${tag} title`,
  vulnDescription: `Meerkat description ${tag} of the flaw`,
  remediation: `Lemur remediation ${tag} advice`,
  publicStatement: `Gecko public statement ${tag}`,
  mail: `Ibis private link ${tag} in a mail`,
  keyword: `Tapir codename ${tag}`,
  evidence: `Narwhal evidence ${tag} of a leak`,
};

let v: TestVillage;
let coord: Party;
let vendor: Party;
let late: Party;
let reportId = '';
let replyToken = '';
let caseId = '';
let vulnId = '';
let artifactId = '';
let attachmentId = '';

beforeAll(async () => {
  v = await startTestVillage();
  [coord, vendor, late] = await Promise.all([
    partyWithAdmin(v, 'rest-coord', 'coordinator'),
    partyWithAdmin(v, 'rest-vendor'),
    partyWithAdmin(v, 'rest-late'),
  ]);
  const r = await submitReport(v, {
    title: P.reportTitle,
    description: P.reportDescription,
    reporterEmail: 'finder@reporter.example',
    creditConsent: false,
    attachments: [{ filename: 'poc.txt', contentBase64: b64(P.attachment) }],
  });
  reportId = r.id;
  replyToken = r.replyToken;
  await Api.anonymous(v).post(`/api/v1/reply/${replyToken}/messages`, { body: P.reporterMessage }, 201);
  await coord.api.post(`/api/v1/reports/${reportId}/transition`, { action: 'validate' });
  caseId = (await openCase(coord.api, { title: P.caseTitle, summary: P.caseSummary, reportIds: [reportId] })).id;
  const c = (tail = '') => `/api/v1/cases/${caseId}${tail}`;
  await invite(coord.api, caseId, vendor.orgId, { tlpCeiling: 'RED' });
  await coord.api.post(c('/messages'), { subject: P.messageSubject, body: P.messageBody, tlp: 'AMBER' }, 201);
  artifactId = (
    await coord.api.post<{ id: string }>(
      c('/artifacts'),
      { filename: 'notes.txt', contentBase64: b64(P.artifact), tlp: 'AMBER' },
      201,
    )
  ).id;
  vulnId = (
    await coord.api.post<{ id: string }>(c('/vulnerabilities'), { title: P.vulnTitle, description: P.vulnDescription }, 201)
  ).id;
  await vendor.api.put(c(`/vulnerabilities/${vulnId}/statement`), {
    status: 'affected',
    remediation: P.remediation,
    publicStatement: P.publicStatement,
  });
  // A tent for a late organization, opened early: it is sent a briefing packet.
  await coord.api.put(c('/tents'), {
    tents: [
      {
        id: 'late',
        name: 'Late joiners',
        members: { orgIds: [late.orgId, vendor.orgId], tiers: [] },
        opens: { kind: 'absolute', at: new Date(Date.now() + 30 * 86_400_000).toISOString() },
        tlpCeiling: 'AMBER',
        artifacts: 'all',
      },
    ],
  });
  await coord.api.post(c('/tents/late/open'), { reason: 'needed now' });
  // The words that name the case in feeds, and a participant's signal with evidence.
  const cords = await coord.api.get<{ cords: unknown[] }>(c('/cords'));
  await coord.api.put(c('/cords'), { cords: cords.cords, keywords: [P.keyword] });
  await vendor.api.post(c('/signals'), { kind: 'leak-detected', evidence: { text: P.evidence } }, 201);
  // A mail not yet sent (due tomorrow): its body is in the outbox.
  await queueMail(v.ctx, v.db, {
    key: MAIL_KEY,
    to: 'someone@example.org',
    subject: 'A notice',
    text: P.mail,
    runAt: new Date(Date.now() + 86_400_000),
  });
  const att = await coord.api.get<{ report: { attachments: Array<{ id: string }> } }>(`/api/v1/reports/${reportId}`);
  attachmentId = att.report.attachments[0]?.id ?? '';
}, 120_000);

afterAll(async () => v?.close());

/** Every row of every table (all schemas but the catalogues) as text, with bytea decoded both ways. */
async function dumpDatabase(): Promise<string> {
  const { rows: tables } = await sql<{ table_schema: string; table_name: string }>`
    SELECT table_schema, table_name FROM information_schema.tables
     WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`.execute(v.db);
  expect(tables.length).toBeGreaterThan(20);
  const { rows: byteaCols } = await sql<{ table_schema: string; table_name: string; column_name: string }>`
    SELECT table_schema, table_name, column_name FROM information_schema.columns
     WHERE data_type = 'bytea' AND table_schema NOT IN ('pg_catalog', 'information_schema')`.execute(v.db);
  const parts: string[] = [];
  for (const t of tables) {
    const ref = sql.table(`${t.table_schema}.${t.table_name}`);
    const { rows } = await sql<{ row: string }>`SELECT t::text AS row FROM ${ref} t`.execute(v.db);
    parts.push(...rows.map((r) => r.row));
    for (const c of byteaCols.filter((b) => b.table_schema === t.table_schema && b.table_name === t.table_name)) {
      const { rows: bs } = await sql<{ b: Uint8Array | null }>`SELECT ${sql.ref(c.column_name)} AS b FROM ${ref}`.execute(v.db);
      for (const { b } of bs) {
        if (!b) continue;
        parts.push(Buffer.from(b).toString('utf8'), Buffer.from(b).toString('latin1'));
      }
    }
  }
  return parts.join('\n');
}

function pgDump(): string | null {
  if (testEngine !== 'postgres' || !v.database.url) return null;
  try {
    execFileSync('pg_dump', ['--version'], { stdio: 'ignore' });
  } catch {
    return null; // not on PATH
  }
  return execFileSync('pg_dump', ['--data-only', v.database.url], { maxBuffer: 1 << 28 }).toString('latin1');
}

describe('encryption at rest', () => {
  it('a dump of the database reveals none of the sealed text', async () => {
    const dump = await dumpDatabase();
    // The dump is real: it has the case's public facts.
    expect(dump).toContain(caseId);
    for (const [field, text] of Object.entries(P)) {
      expect(dump.includes(text), `${field} in the dump`).toBe(false);
      const at = dump.indexOf(tag);
      expect(at, `the tag of ${field} in the dump: ${dump.slice(Math.max(0, at - 300), at + 100)}`).toBe(-1);
    }
    const pd = pgDump();
    if (pd !== null) {
      expect(pd).toContain(caseId);
      expect(pd.includes(tag), 'pg_dump').toBe(false);
    }
  });

  it('every data key is stored wrapped, with the KEK that wrapped it', async () => {
    const keys = await v.db.selectFrom('data_keys').selectAll().execute();
    const owners = keys.map((k) => k.owner);
    expect(owners).toEqual(expect.arrayContaining([`case:${caseId}`, `report:${reportId}`, 'instance:mail']));
    for (const k of keys) {
      expect(k.kek_id).toBe(v.ctx.keys.keyring.currentId);
      expect(k.wrapped?.length).toBe(1 + 12 + 32 + 16);
    }
    expect(cachedKeyCount(v.ctx.keys.keyring)).toBeGreaterThan(0);
  });

  it('the API returns each text to those allowed to read it', async () => {
    const c = (tail = '') => `/api/v1/cases/${caseId}${tail}`;
    const report = await coord.api.get<{ report: { title: string; description: string } }>(`/api/v1/reports/${reportId}`);
    expect(report.report).toMatchObject({ title: P.reportTitle, description: P.reportDescription });
    const thread = await Api.anonymous(v).get<{ messages: Array<{ body: string }> }>(`/api/v1/reply/${replyToken}`);
    expect(thread.messages.map((m) => m.body)).toContain(P.reporterMessage);
    const att = await coord.api.raw('GET', `/api/v1/reports/${reportId}/attachments/${attachmentId}`);
    expect(att.statusCode).toBe(200);
    expect(att.rawPayload.toString()).toBe(P.attachment);

    const view = await vendor.api.get<{ title: string; summary: string }>(c());
    expect(view).toMatchObject({ title: P.caseTitle, summary: P.caseSummary });
    const list = await vendor.api.get<Array<{ id: string; title: string }>>('/api/v1/cases');
    expect(list.find((x) => x.id === caseId)?.title).toBe(P.caseTitle);
    const msgs = await vendor.api.get<Array<{ subject: string; body: string }>>(c('/messages'));
    expect(msgs).toEqual([expect.objectContaining({ subject: P.messageSubject, body: P.messageBody })]);
    const art = await vendor.api.raw('GET', c(`/artifacts/${artifactId}`));
    expect(art.statusCode).toBe(200);
    expect(art.rawPayload.toString()).toBe(P.artifact);
    const vulns = await vendor.api.get<Array<{ title: string; description: string }>>(c('/vulnerabilities'));
    expect(vulns).toEqual([expect.objectContaining({ title: P.vulnTitle, description: P.vulnDescription })]);
    const st = await coord.api.get<{ statements: Array<{ remediation: string; publicStatement: string }> }>(c('/statements'));
    expect(st.statements).toEqual([expect.objectContaining({ remediation: P.remediation, publicStatement: P.publicStatement })]);
    const briefing = await late.api.get<{ packet: { case: { title: string } }; text: string }>(c('/briefing'));
    expect(briefing.packet.case.title).toBe(P.caseTitle);
    expect(briefing.text).toContain(P.vulnTitle);
    expect(await outboxText(v.ctx, v.db, MAIL_KEY)).toBe(P.mail);
    const cords = await coord.api.get<{ keywords: string[]; signals: Array<{ evidence: { text: string } | null }> }>(c('/cords'));
    expect(cords.keywords).toEqual([P.keyword]);
    expect(cords.signals.map((x) => x.evidence?.text)).toEqual([P.evidence]);
    // The timeline names what happened without quoting sealed text.
    const timeline = await coord.api.get<Array<{ summary: string }>>(c('/timeline'));
    expect(timeline.map((e) => e.summary)).toContain('Vulnerability added');
  });

  it('the triage inbox still searches report text, in process', async () => {
    const hit = await coord.api.get<Array<{ id: string; title: string }>>('/api/v1/reports?q=quokka+gadgets');
    expect(hit.map((r) => r.id)).toEqual([reportId]);
    expect(hit[0]?.title).toBe(P.reportTitle);
    expect(await coord.api.get<unknown[]>('/api/v1/reports?q=quokka+-gadget')).toEqual([]);
    expect(await coord.api.get<unknown[]>(`/api/v1/reports?q=${encodeURIComponent('"chain quokka"')}`)).toEqual([]);
    const other = await submitReport(
      v,
      {
        title: 'Another zebrafinch overflow',
        description: 'A quokka gadget chain again',
        reporterEmail: 'b@x.example',
        creditConsent: false,
      },
      '198.51.100.77',
    );
    const dups = await coord.api.get<Array<{ reportId: string; reasons: string[] }>>(`/api/v1/reports/${other.id}/duplicates`);
    expect(dups.find((d) => d.reportId === reportId)?.reasons).toContain('similar text');
  });

  it('purging destroys the keys: content answers 410, the report too; only operators purge', async () => {
    const c = (tail = '') => `/api/v1/cases/${caseId}${tail}`;
    await coord.api.expect(403, 'POST', c('/purge'), { reason: 'not mine to purge' });
    const operator = await partyWithAdmin(v, 'rest-operator', 'other');
    await v.db.updateTable('users').set({ is_operator: true }).where('id', '=', operator.userId).execute();
    const op = Api.session('operator', await signIn(v, 'admin@rest-operator.example'));
    await op.expect(400, 'POST', c('/purge'), { reason: ' ' });
    const r = await op.post<{ keysDestroyed: number; reports: string[] }>(c('/purge'), { reason: 'court order 42' });
    expect(r.keysDestroyed).toBe(2); // the case's and its report's
    await op.expect(409, 'POST', c('/purge'), { reason: 'again' });
    for (const tail of ['', '/messages', '/vulnerabilities', '/statements', '/timeline', `/artifacts/${artifactId}`]) {
      const res = await coord.api.raw('GET', c(tail));
      expect(res.statusCode, tail).toBe(410);
      expect(res.json()).toMatchObject({ status: 410, title: 'Content purged' });
    }
    expect((await vendor.api.raw('GET', c('/briefing'))).statusCode).toBe(410);
    // Outsiders still get the 404 a case that does not exist gets.
    expect((await op.raw('GET', c())).statusCode).toBe(404);
    expect((await coord.api.raw('GET', `/api/v1/reports/${reportId}`)).statusCode).toBe(410);
    expect((await Api.anonymous(v).raw('GET', `/api/v1/reply/${replyToken}`)).statusCode).toBe(410);
    const list = await coord.api.get<Array<{ id: string; title: string }>>('/api/v1/cases');
    expect(list.find((x) => x.id === caseId)?.title).toBe('(purged)');
    const keys = await v.db
      .selectFrom('data_keys')
      .selectAll()
      .where('owner', 'in', [`case:${caseId}`, `report:${reportId}`])
      .execute();
    expect(keys.map((k) => [k.wrapped, k.kek_id, k.destroyed_at !== null])).toEqual([
      [null, null, true],
      [null, null, true],
    ]);
    const audit = await v.db.selectFrom('audit_log').select('entry').where('action', '=', 'case.purge').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.entry).toContain('court order 42');
  });
});
