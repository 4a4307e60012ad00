// A database from before encryption at rest (migrations up to 0006, plaintext rows) upgrades at
// start without losing data: every row is sealed under its case's, report's or the instance's
// data key, the plaintext columns are dropped, and a second start has nothing to do.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type Kysely, type Migration, Migrator, sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVillage, type Village } from '../src/app.ts';
import { ManualClock } from '../src/clock.ts';
import { sha256Hex } from '../src/crypto/secrets.ts';
import { outboxText } from '../src/mail/outbox.ts';
import { caseText } from '../src/services/case-views.ts';
import { loadCords } from '../src/services/cords.ts';
import { caseBox } from '../src/services/data-keys.ts';
import { openMessageText } from '../src/services/messages.ts';
import { getReport, reportAttachment, reportThread } from '../src/services/reports.ts';
import { listVulnerabilities, openStatementText } from '../src/services/vulnerabilities.ts';
import { testConfig } from './support/app.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';

const DIR = path.join(import.meta.dirname, '..', 'src', 'store', 'migrations');
const ids = {
  org: '00000000-0000-4000-8000-000000000001',
  user: '00000000-0000-4000-8000-000000000002',
  report: '00000000-0000-4000-8000-000000000003',
  msg: '00000000-0000-4000-8000-000000000004',
  att: '00000000-0000-4000-8000-000000000005',
  case: '00000000-0000-4000-8000-000000000006',
  vuln: '00000000-0000-4000-8000-000000000007',
  cmsg: '00000000-0000-4000-8000-000000000008',
  art: '00000000-0000-4000-8000-000000000009',
  signal: '00000000-0000-4000-8000-00000000000a',
};
const T = {
  reportTitle: 'Oldtext report title',
  reportDescription: 'Oldtext report description',
  reportMessage: 'Oldtext reporter message',
  attachment: 'Oldtext attachment bytes',
  caseTitle: 'Oldtext case title',
  caseSummary: 'Oldtext case summary',
  vulnTitle: 'Oldtext vulnerability title',
  vulnDescription: 'Oldtext vulnerability description',
  subject: 'Oldtext subject',
  body: 'Oldtext body',
  artifact: 'Oldtext artifact',
  remediation: 'Oldtext remediation',
  keyword: 'Oldtext codename',
  evidence: 'Oldtext evidence of a leak',
  briefing: 'Oldtext briefing',
  mail: 'Oldtext mail body',
};

let db: TestDatabase;
let v: Village;

/** Applies the migrations up to and including `last` (the schema an older Village left). */
// biome-ignore lint/suspicious/noExplicitAny: any schema
async function migrateUpTo(k: Kysely<any>, last: string): Promise<void> {
  const files = (await fs.readdir(DIR)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Record<string, Migration> = {};
  for (const f of files) {
    const text = await fs.readFile(path.join(DIR, f), 'utf8');
    migrations[f.replace(/\.sql$/, '')] = { up: async (d) => void (await sql.raw(text).execute(d)) };
  }
  const { error } = await new Migrator({ db: k, provider: { getMigrations: async () => migrations } }).migrateTo(last);
  if (error) throw error;
}

async function start(): Promise<Village> {
  return startVillage(testConfig(), { database: db, clock: new ManualClock(new Date()), log: pino({ level: 'silent' }) });
}

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  await migrateUpTo(db.db, '0006_instance_keys');
  const now = new Date();
  const q = (s: ReturnType<typeof sql>) => s.execute(db.db);
  await q(sql`INSERT INTO organizations (id, slug, name, kind) VALUES (${ids.org}, 'old-coord', 'Old Coord', 'coordinator')`);
  await q(
    sql`INSERT INTO users (id, org_id, email, display_name, org_role) VALUES (${ids.user}, ${ids.org}, 'a@old.example', 'A', 'admin')`,
  );
  await q(sql`INSERT INTO cases (id, ref, title, summary, coordinator_org_id, created_at, updated_at)
              VALUES (${ids.case}, 'VC-2025-0001', ${T.caseTitle}, ${T.caseSummary}, ${ids.org}, ${now}, ${now})`);
  await q(
    sql`INSERT INTO case_participants (case_id, org_id, role, invited_at) VALUES (${ids.case}, ${ids.org}, 'coordinator', ${now})`,
  );
  await q(sql`INSERT INTO reports (id, ref, title, description, reporter_email, reply_token_hash, case_id, created_at, updated_at)
              VALUES (${ids.report}, 'VR-2025-0001', ${T.reportTitle}, ${T.reportDescription}, 'r@x.example', ${sha256Hex('t')}, ${ids.case}, ${now}, ${now})`);
  await q(
    sql`INSERT INTO report_messages (id, report_id, from_reporter, body, created_at) VALUES (${ids.msg}, ${ids.report}, true, ${T.reportMessage}, ${now})`,
  );
  await q(sql`INSERT INTO report_attachments (id, report_id, filename, media_type, size_bytes, sha256, content, created_at)
              VALUES (${ids.att}, ${ids.report}, 'a.txt', 'text/plain', 3, 'x', ${Buffer.from(T.attachment)}, ${now})`);
  await q(sql`INSERT INTO vulnerabilities (id, case_id, title, description, created_at, updated_at)
              VALUES (${ids.vuln}, ${ids.case}, ${T.vulnTitle}, ${T.vulnDescription}, ${now}, ${now})`);
  await q(sql`INSERT INTO case_messages (id, case_id, thread_id, subject, body, tlp, audience, author_user_id, author_org_id, created_at)
              VALUES (${ids.cmsg}, ${ids.case}, ${ids.cmsg}, ${T.subject}, ${T.body}, 'AMBER', 'all', ${ids.user}, ${ids.org}, ${now})`);
  await q(sql`INSERT INTO case_artifacts (id, case_id, name, media_type, size_bytes, sha256, tlp, content, uploaded_by, uploaded_by_org, created_at)
              VALUES (${ids.art}, ${ids.case}, 'n.txt', 'text/plain', 1, 'x', 'RED', ${Buffer.from(T.artifact)}, ${ids.user}, ${ids.org}, ${now})`);
  await q(sql`INSERT INTO statements (case_id, vulnerability_id, org_id, status, remediation, updated_by, updated_at)
              VALUES (${ids.case}, ${ids.vuln}, ${ids.org}, 'affected', ${T.remediation}, ${ids.user}, ${now})`);
  await q(sql`INSERT INTO briefing_packets (case_id, tent_id, org_id, content, created_at)
              VALUES (${ids.case}, 't', ${ids.org}, ${JSON.stringify({ note: T.briefing })}, ${now})`);
  await q(
    sql`INSERT INTO mail_outbox (key, message_id, to_address, subject, body_text) VALUES ('old-mail', '<m@x>', 'x@y.example', 'S', ${T.mail})`,
  );
  await q(sql`INSERT INTO case_events (case_id, at, kind, summary, data)
              VALUES (${ids.case}, ${now}, 'vulnerability.added', ${`Vulnerability added: ${T.vulnTitle}`}, '{"cveId":null}')`);
  // Cords came later (0009), with their keywords and a participant's evidence in clear until 0014.
  await migrateUpTo(db.db, '0012_webhooks');
  await q(sql`INSERT INTO case_cords (case_id, cords, keywords, set_hash, updated_at)
              VALUES (${ids.case}, '[]', ${[T.keyword]}, ${'0'.repeat(64)}, ${now})`);
  const signal = {
    id: `person:${ids.signal}`,
    kind: 'leak-detected',
    source: { kind: 'person', caseId: ids.case, orgId: ids.org, userId: ids.user, evidence: { text: T.evidence } },
    at: now.toISOString(),
    cveIds: [],
    purls: [],
    text: T.evidence,
  };
  await q(sql`INSERT INTO cord_signals (id, item_key, case_id, kind, signal, org_id, received_at)
              VALUES (${ids.signal}, ${signal.id}, ${ids.case}, 'leak-detected', ${JSON.stringify(signal)}, ${ids.org}, ${now})`);
  v = await start();
}, 120_000);

afterAll(async () => {
  await v?.stop();
  await db?.drop();
});

describe('upgrading a database with plaintext rows', () => {
  it('drops every plaintext column and leaves no plaintext in any row', async () => {
    const { rows } = await sql<{ c: string }>`
      SELECT table_name || '.' || column_name AS c FROM information_schema.columns
       WHERE table_schema = current_schema() AND data_type IN ('text', 'bytea', 'jsonb', 'tsvector')`.execute(db.db);
    const cols = rows.map((r) => r.c);
    for (const gone of [
      'reports.title',
      'reports.description',
      'reports.search',
      'report_messages.body',
      'report_attachments.content',
      'cases.title',
      'cases.summary',
      'vulnerabilities.title',
      'case_messages.body',
      'case_artifacts.content',
      'statements.remediation',
      'briefing_packets.content',
      'mail_outbox.body_text',
      'case_cords.keywords',
    ]) {
      expect(cols).not.toContain(gone);
    }
    expect(cols).toContain('cases.title_sealed');
    const { rows: dump } = await sql<{ t: string }>`
      SELECT string_agg(x::text, E'\n') AS t FROM (
        SELECT r::text AS x FROM reports r UNION ALL SELECT m::text FROM report_messages m
        UNION ALL SELECT encode(a.content_sealed, 'escape') FROM report_attachments a UNION ALL SELECT c::text FROM cases c
        UNION ALL SELECT vv::text FROM vulnerabilities vv UNION ALL SELECT cm::text FROM case_messages cm
        UNION ALL SELECT encode(ca.content_sealed, 'escape') FROM case_artifacts ca UNION ALL SELECT s::text FROM statements s
        UNION ALL SELECT b::text FROM briefing_packets b UNION ALL SELECT o::text FROM mail_outbox o
        UNION ALL SELECT e::text FROM case_events e UNION ALL SELECT k::text FROM case_cords k
        UNION ALL SELECT cs::text FROM cord_signals cs) d`.execute(db.db);
    expect(dump[0]?.t).toContain(ids.case);
    expect(dump[0]?.t).not.toContain('Oldtext');
  });

  it('keeps every value, readable through the services', async () => {
    const ctx = v.ctx;
    const r = await getReport(ctx, ids.report);
    expect(r).toMatchObject({ title: T.reportTitle, description: T.reportDescription });
    expect((await reportThread(ctx, ids.report)).map((m) => m.body)).toEqual([T.reportMessage]);
    expect((await reportAttachment(ctx, ids.report, ids.att))?.content.toString()).toBe(T.attachment);
    expect(await caseText(ctx, ctx.db, ids.case)).toEqual({ title: T.caseTitle, summary: T.caseSummary });
    const vulns = await listVulnerabilities(ctx, ids.case);
    expect(vulns[0]).toMatchObject({ title: T.vulnTitle, description: T.vulnDescription });
    const box = await caseBox(ctx, ctx.db, ids.case);
    const m = await ctx.db.selectFrom('case_messages').selectAll().executeTakeFirstOrThrow();
    expect(openMessageText(box, m)).toEqual({ subject: T.subject, body: T.body });
    const art = await ctx.db.selectFrom('case_artifacts').selectAll().executeTakeFirstOrThrow();
    expect(box.bytes('case_artifacts.content', art.id, art.content_sealed).toString()).toBe(T.artifact);
    const s = await ctx.db.selectFrom('statements').selectAll().executeTakeFirstOrThrow();
    expect(openStatementText(box, s)).toEqual({ justification: null, remediation: T.remediation, publicStatement: null });
    const b = await ctx.db.selectFrom('briefing_packets').selectAll().executeTakeFirstOrThrow();
    expect(box.json('briefing_packets.content', `${ids.case}:t:${ids.org}`, b.content_sealed)).toEqual({ note: T.briefing });
    expect(await outboxText(ctx, ctx.db, 'old-mail')).toBe(T.mail);
    const e = await ctx.db.selectFrom('case_events').select('summary').where('kind', '=', 'vulnerability.added').execute();
    expect(e).toEqual([{ summary: 'Vulnerability added' }]);
    expect((await loadCords(ctx, ctx.db, ids.case)).keywords).toEqual([T.keyword]);
    const sig = await ctx.db.selectFrom('cord_signals').selectAll().executeTakeFirstOrThrow();
    expect(box.json('cord_signals.evidence', ids.signal, sig.evidence_sealed as Buffer)).toEqual({ text: T.evidence });
    expect(sig.signal).toMatchObject({ kind: 'leak-detected', source: { kind: 'person', orgId: ids.org }, text: '' });
  });

  it('a second start has nothing to do and reads the same data', async () => {
    await v.stop();
    v = await start();
    expect((await getReport(v.ctx, ids.report))?.title).toBe(T.reportTitle);
    // A NOT NULL sealed column refuses a row without its text.
    await expect(
      sql`INSERT INTO cases (ref, coordinator_org_id, created_at, updated_at) VALUES ('VC-X', ${ids.org}, now(), now())`.execute(
        db.db,
      ),
    ).rejects.toThrow();
  });
});
