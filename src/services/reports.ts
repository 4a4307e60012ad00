// Intake and triage of vulnerability reports. Anyone may report, with or without an account;
// the reporter follows the report through a private reply link. Coordinators triage reports
// through Vultron's report-management states and merge them into cases.
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { AppContext, RequestMeta } from '../context.ts';
import { actorIds } from '../context.ts';
import { randomToken, sha256Hex } from '../crypto/secrets.ts';
import { type RmAction, rmNext } from '../domain/report-states.ts';
import { matchesQuery, wordSet, wordSimilarity } from '../domain/text-search.ts';
import { problems } from '../problem.ts';
import { appendAudit } from '../store/audit.ts';
import { addHit, countHits, windowAt } from '../store/rate-limits.ts';
import type { DB } from '../store/schema.ts';
import type { RmState } from '../store/schema-cases.ts';
import { type Box, contentPurged, createDataKey, reportBox, reportOwner } from './data-keys.ts';
import { notifyReporterAck, notifyReporterReply } from './notify.ts';
import type { CheckedFile } from './uploads.ts';

export interface ReportInput {
  title: string;
  description: string;
  vendorName?: string | undefined;
  productName?: string | undefined;
  purl?: string | undefined;
  cveIds?: string[] | undefined;
  reporterName?: string | undefined;
  reporterEmail: string;
  reporterPgpKey?: string | undefined;
  plannedDisclosureAt?: Date | undefined;
  creditConsent: boolean;
  creditName?: string | undefined;
}

export const REPORTS_PER_HOUR_PER_ADDRESS = 10;

export async function nextRef(
  trx: Kysely<DB>,
  seq: 'report_ref_seq' | 'case_ref_seq',
  prefix: string,
  now: Date,
): Promise<string> {
  const { rows } = await sql<{ n: string }>`SELECT nextval(${seq}) AS n`.execute(trx);
  return `${prefix}-${now.getUTCFullYear()}-${String(rows[0]?.n ?? '0').padStart(4, '0')}`;
}

export function replyUrl(ctx: AppContext, token: string): string {
  return `${ctx.config.publicUrl}/reply/${token}`;
}

export async function submitReport(
  ctx: AppContext,
  meta: RequestMeta,
  input: ReportInput,
  files: CheckedFile[],
): Promise<{ id: string; ref: string; replyToken: string }> {
  const now = ctx.clock.now();
  const w = windowAt(now, 3600);
  const ipKey = meta.ip ?? 'unknown';
  if ((await countHits(ctx.db, 'report-ip', ipKey, w)) >= REPORTS_PER_HOUR_PER_ADDRESS) {
    throw problems.tooMany(
      Math.ceil((w.end.getTime() - now.getTime()) / 1000),
      'Too many reports from this address; try again later.',
    );
  }
  const replyToken = randomToken(32);
  return ctx.db.transaction().execute(async (trx) => {
    await addHit(trx, 'report-ip', ipKey, w);
    const ref = await nextRef(trx, 'report_ref_seq', 'VR', now);
    const id = randomUUID();
    // Each report has its own data key: its text is sealed before it is ever stored.
    const box = await createDataKey(ctx, trx, reportOwner(id), now);
    const row = await trx
      .insertInto('reports')
      .values({
        id,
        ref,
        title_sealed: box.seal('reports.title', id, input.title),
        description_sealed: box.seal('reports.description', id, input.description),
        vendor_name: input.vendorName ?? null,
        product_name: input.productName ?? null,
        purl: input.purl ?? null,
        cve_ids: [...new Set(input.cveIds ?? [])],
        reporter_name: input.reporterName ?? null,
        reporter_email: input.reporterEmail,
        reporter_pgp_key: input.reporterPgpKey ?? null,
        reporter_user_id: meta.actor.type === 'user' ? meta.actor.userId : null,
        planned_disclosure_at: input.plannedDisclosureAt ?? null,
        credit_consent: input.creditConsent,
        credit_name: input.creditConsent ? (input.creditName ?? input.reporterName ?? null) : null,
        reply_token_hash: sha256Hex(replyToken),
        rm_state: 'R',
        created_at: now,
        updated_at: now,
      })
      .returning(['id', 'ref'])
      .executeTakeFirstOrThrow();
    for (const f of files) {
      const attId = randomUUID();
      await trx
        .insertInto('report_attachments')
        .values({
          id: attId,
          report_id: row.id,
          filename: f.filename,
          media_type: f.mediaType,
          size_bytes: f.sizeBytes,
          sha256: f.sha256,
          content_sealed: box.seal('report_attachments.content', attId, f.content),
          created_at: now,
        })
        .execute();
    }
    await trx
      .insertInto('report_events')
      .values({
        report_id: row.id,
        at: now,
        actor_user_id: actorIds(meta).actorUserId,
        kind: 'received',
        from_state: 'S',
        to_state: 'R',
      })
      .execute();
    await appendAudit(trx, {
      at: now,
      ...actorIds(meta),
      action: 'report.submit',
      objectType: 'report',
      objectId: row.id,
      requestId: meta.requestId,
      details: { ref: row.ref, attachments: files.length },
    });
    await notifyReporterAck(ctx, trx, {
      reportId: row.id,
      ref: row.ref,
      to: input.reporterEmail,
      replyUrl: replyUrl(ctx, replyToken),
    });
    return { id: row.id, ref: row.ref, replyToken };
  });
}

export async function reportIdForToken(ctx: AppContext, token: string): Promise<string | undefined> {
  if (!/^[\w-]{43}$/.test(token)) return undefined;
  const row = await ctx.db.selectFrom('reports').select('id').where('reply_token_hash', '=', sha256Hex(token)).executeTakeFirst();
  return row?.id;
}

export interface ReportView {
  id: string;
  ref: string;
  title: string;
  description: string;
  vendorName: string | null;
  productName: string | null;
  purl: string | null;
  cveIds: string[];
  reporterName: string | null;
  reporterEmail: string;
  plannedDisclosureAt: Date | null;
  creditConsent: boolean;
  creditName: string | null;
  state: RmState;
  caseId: string | null;
  createdAt: Date;
  attachments: Array<{ id: string; filename: string; mediaType: string; sizeBytes: number; sha256: string }>;
}

/** A report's sealed text, opened. */
export function openReportText(box: Box, r: { id: string; title_sealed: Buffer; description_sealed: Buffer }) {
  return {
    title: box.text('reports.title', r.id, r.title_sealed),
    description: box.text('reports.description', r.id, r.description_sealed),
  };
}

export async function getReport(ctx: AppContext, id: string): Promise<ReportView | undefined> {
  const db = ctx.db;
  const r = await db.selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) return undefined;
  const text = openReportText(await readableReportBox(ctx, id), r);
  const atts = await db
    .selectFrom('report_attachments')
    .select(['id', 'filename', 'media_type', 'size_bytes', 'sha256'])
    .where('report_id', '=', id)
    .orderBy('created_at')
    .execute();
  return {
    id: r.id,
    ref: r.ref,
    title: text.title,
    description: text.description,
    vendorName: r.vendor_name,
    productName: r.product_name,
    purl: r.purl,
    cveIds: r.cve_ids,
    reporterName: r.reporter_name,
    reporterEmail: r.reporter_email,
    plannedDisclosureAt: r.planned_disclosure_at,
    creditConsent: r.credit_consent,
    creditName: r.credit_name,
    state: r.rm_state,
    caseId: r.case_id,
    createdAt: r.created_at,
    attachments: atts.map((a) => ({
      id: a.id,
      filename: a.filename,
      mediaType: a.media_type,
      sizeBytes: a.size_bytes,
      sha256: a.sha256,
    })),
  };
}

export interface ReportFilter {
  state?: RmState | undefined;
  vendor?: string | undefined;
  olderThanDays?: number | undefined;
  q?: string | undefined;
  limit: number;
  offset: number;
}

/** How many of the most recent reports (after the other filters) a text search looks through. */
export const SEARCH_WINDOW = 2000;

/**
 * The triage inbox. Report text is sealed, so a text query (`q`) is answered in process: the
 * most recent SEARCH_WINDOW reports that pass the other filters are opened and matched.
 */
export async function listReports(ctx: AppContext, f: ReportFilter) {
  let q = ctx.db
    .selectFrom('reports')
    .select([
      'id',
      'ref',
      'title_sealed',
      'description_sealed',
      'vendor_name',
      'product_name',
      'cve_ids',
      'rm_state',
      'case_id',
      'created_at',
    ])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc');
  if (f.state) q = q.where('rm_state', '=', f.state);
  if (f.vendor) q = q.where('vendor_name', 'ilike', `%${f.vendor.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (f.olderThanDays) q = q.where('created_at', '<', new Date(ctx.clock.now().getTime() - f.olderThanDays * 86_400_000));
  const rows = f.q ? await q.limit(SEARCH_WINDOW).execute() : await q.limit(f.limit).offset(f.offset).execute();
  const out = [];
  for (const r of rows) {
    const text = await openReportTextOrPurged(ctx, r);
    if (f.q && !matchesQuery(f.q, `${text.title} ${text.description} ${r.vendor_name ?? ''} ${r.product_name ?? ''}`)) continue;
    out.push({
      id: r.id,
      ref: r.ref,
      title: text.title,
      vendor_name: r.vendor_name,
      product_name: r.product_name,
      cve_ids: r.cve_ids,
      rm_state: r.rm_state,
      case_id: r.case_id,
      created_at: r.created_at,
    });
  }
  return f.q ? out.slice(f.offset, f.offset + f.limit) : out;
}

/** A report's text, or empty text with a "(purged)" title when its key was destroyed. */
/**
 * The report's Box, for reading it: 410 when its case was purged, even while another process's
 * purge has not reached this process's key cache yet.
 */
export async function readableReportBox(ctx: AppContext, reportId: string): Promise<Box> {
  const r = await ctx.db
    .selectFrom('reports as r')
    .leftJoin('cases as c', 'c.id', 'r.case_id')
    .select('c.purged_at')
    .where('r.id', '=', reportId)
    .executeTakeFirst();
  if (r?.purged_at) throw contentPurged('report');
  return reportBox(ctx, ctx.db, reportId);
}

async function openReportTextOrPurged(
  ctx: AppContext,
  r: { id: string; title_sealed: Buffer; description_sealed: Buffer; case_id: string | null },
): Promise<{ title: string; description: string }> {
  if (
    r.case_id &&
    (await ctx.db.selectFrom('cases').select('purged_at').where('id', '=', r.case_id).executeTakeFirst())?.purged_at
  ) {
    return { title: '(purged)', description: '' };
  }
  try {
    return openReportText(await reportBox(ctx, ctx.db, r.id), r);
  } catch (e) {
    if ((e as { status?: number }).status === 410) return { title: '(purged)', description: '' };
    throw e;
  }
}

export interface DuplicateHint {
  reportId: string;
  ref: string;
  title: string;
  caseId: string | null;
  score: number;
  reasons: string[];
}

/**
 * Likely duplicates of a report: shared words (cosine similarity of the reports' stemmed word
 * sets, over the most recent SEARCH_WINDOW reports, opened in process), the same product or purl,
 * and shared CVE ids (these three found by the database over all reports).
 */
export async function duplicateHints(ctx: AppContext, reportId: string, limit = 10): Promise<DuplicateHint[]> {
  const me = await ctx.db.selectFrom('reports').selectAll().where('id', '=', reportId).executeTakeFirst();
  if (!me) return [];
  const meWords = wordSet(Object.values(await openReportTextOrPurged(ctx, me)).join(' '));
  const recent = await ctx.db
    .selectFrom('reports')
    .select(['id', 'ref', 'title_sealed', 'description_sealed', 'case_id', 'product_name', 'purl', 'cve_ids'])
    .where('id', '<>', reportId)
    .orderBy('created_at', 'desc')
    .limit(SEARCH_WINDOW)
    .execute();
  const related = await ctx.db
    .selectFrom('reports')
    .select(['id', 'ref', 'title_sealed', 'description_sealed', 'case_id', 'product_name', 'purl', 'cve_ids'])
    .where('id', '<>', reportId)
    .where((eb) => {
      const ors = [];
      if (me.product_name) ors.push(eb(sql`lower(product_name)`, '=', me.product_name.toLowerCase()));
      if (me.purl) ors.push(eb('purl', '=', me.purl));
      if (me.cve_ids.length) ors.push(sql<boolean>`cve_ids && ${sql.val(me.cve_ids)}::text[]`);
      return ors.length ? eb.or(ors) : sql<boolean>`false`;
    })
    .execute();
  const byId = new Map([...recent, ...related].map((r) => [r.id, r]));
  const hints: DuplicateHint[] = [];
  for (const r of byId.values()) {
    const text = await openReportTextOrPurged(ctx, r);
    const textSim = wordSimilarity(meWords, wordSet(`${text.title} ${text.description}`));
    const sharedCves = r.cve_ids.some((c) => me.cve_ids.includes(c));
    const samePurl = me.purl !== null && r.purl === me.purl;
    const sameProduct = me.product_name !== null && r.product_name?.toLowerCase() === me.product_name.toLowerCase();
    const reasons: string[] = [];
    if (sharedCves) reasons.push('same CVE');
    if (samePurl) reasons.push('same package (purl)');
    if (sameProduct) reasons.push('same product');
    if (textSim >= 0.25) reasons.push('similar text');
    if (!reasons.length) continue;
    const score = Math.min(1, textSim + (sharedCves ? 0.6 : 0) + (samePurl ? 0.4 : 0) + (sameProduct ? 0.2 : 0));
    hints.push({
      reportId: r.id,
      ref: r.ref,
      title: text.title,
      caseId: r.case_id,
      score: Math.round(score * 1000) / 1000,
      reasons,
    });
  }
  return hints.sort((a, b) => b.score - a.score).slice(0, limit);
}

/** Moves a report through Vultron's report-management states; illegal moves change nothing. */
export async function transitionReport(
  ctx: AppContext,
  meta: RequestMeta,
  reportId: string,
  action: RmAction,
  note?: string,
): Promise<RmState> {
  return ctx.db.transaction().execute(async (trx) => {
    const r = await trx
      .selectFrom('reports')
      .select(['rm_state', 'ref'])
      .where('id', '=', reportId)
      .forUpdate()
      .executeTakeFirst();
    if (!r) throw problems.notFound('report');
    const next = rmNext(r.rm_state, action);
    if (!next.ok) throw problems.conflict(next.reason);
    await setReportState(ctx, trx, meta, reportId, r.rm_state, next.state, action, note);
    return next.state;
  });
}

export async function setReportState(
  ctx: AppContext,
  trx: Kysely<DB>,
  meta: RequestMeta,
  reportId: string,
  from: RmState,
  to: RmState,
  action: string,
  note?: string,
): Promise<void> {
  const now = ctx.clock.now();
  await trx.updateTable('reports').set({ rm_state: to, updated_at: now }).where('id', '=', reportId).execute();
  await trx
    .insertInto('report_events')
    .values({
      report_id: reportId,
      at: now,
      actor_user_id: actorIds(meta).actorUserId,
      kind: action,
      from_state: from,
      to_state: to,
      note: note ?? null,
    })
    .execute();
  await appendAudit(trx, {
    at: now,
    ...actorIds(meta),
    action: 'report.transition',
    objectType: 'report',
    objectId: reportId,
    requestId: meta.requestId,
    details: { from, to, action },
  });
}

export async function reportHistory(db: Kysely<DB>, reportId: string) {
  return db.selectFrom('report_events').selectAll().where('report_id', '=', reportId).orderBy('id').execute();
}

export interface ThreadMessage {
  id: string;
  fromReporter: boolean;
  body: string;
  createdAt: Date;
}

export async function reportThread(ctx: AppContext, reportId: string): Promise<ThreadMessage[]> {
  const rows = await ctx.db
    .selectFrom('report_messages')
    .select(['id', 'from_reporter', 'body_sealed', 'created_at'])
    .where('report_id', '=', reportId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  if (!rows.length) return [];
  const box = await readableReportBox(ctx, reportId);
  return rows.map((m) => ({
    id: m.id,
    fromReporter: m.from_reporter,
    body: box.text('report_messages.body', m.id, m.body_sealed),
    createdAt: m.created_at,
  }));
}

/** An attachment of a report, opened: what the download route sends. */
export async function reportAttachment(
  ctx: AppContext,
  reportId: string,
  attachmentId: string,
): Promise<{ filename: string; mediaType: string; content: Buffer } | undefined> {
  const a = await ctx.db
    .selectFrom('report_attachments')
    .select(['id', 'filename', 'media_type', 'content_sealed'])
    .where('report_id', '=', reportId)
    .where('id', '=', attachmentId)
    .executeTakeFirst();
  if (!a) return undefined;
  const box = await readableReportBox(ctx, reportId);
  return {
    filename: a.filename,
    mediaType: a.media_type,
    content: box.bytes('report_attachments.content', a.id, a.content_sealed),
  };
}

/** A message on a report's thread, from the reporter (reply link) or a coordinator. */
export async function postReportMessage(
  ctx: AppContext,
  meta: RequestMeta,
  reportId: string,
  body: string,
): Promise<ThreadMessage> {
  const now = ctx.clock.now();
  const fromReporter = meta.actor.type === 'reporter';
  const box = await readableReportBox(ctx, reportId);
  const id = randomUUID();
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('report_messages')
      .values({
        id,
        report_id: reportId,
        from_reporter: fromReporter,
        author_user_id: actorIds(meta).actorUserId,
        body_sealed: box.seal('report_messages.body', id, body),
        created_at: now,
      })
      .returning(['id', 'created_at'])
      .executeTakeFirstOrThrow();
    await appendAudit(trx, {
      at: now,
      ...actorIds(meta),
      action: 'report.message',
      objectType: 'report',
      objectId: reportId,
      requestId: meta.requestId,
      details: { fromReporter },
    });
    if (!fromReporter) await notifyReporterReply(ctx, trx, { reportId, messageId: row.id });
    return { id: row.id, fromReporter, body, createdAt: row.created_at };
  });
}

/** Reads of a report (its text, thread or attachments) are audit entries like any embargoed read. */
export async function auditReportRead(ctx: AppContext, meta: RequestMeta, reportId: string, part: string): Promise<void> {
  await ctx.db.transaction().execute((trx) =>
    appendAudit(trx, {
      at: ctx.clock.now(),
      ...actorIds(meta),
      subjectOrgId: actorIds(meta).actorOrgId,
      action: 'report.read',
      objectType: 'report',
      objectId: reportId,
      requestId: meta.requestId,
      details: { part, by: meta.actor.type },
    }),
  );
}
