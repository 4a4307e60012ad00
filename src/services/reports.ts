// Intake and triage of vulnerability reports. Anyone may report, with or without an account;
// the reporter follows the report through a private reply link. Coordinators triage reports
// through Vultron's report-management states and merge them into cases.
import { type Kysely, sql } from 'kysely';
import type { AppContext, RequestMeta } from '../context.ts';
import { actorIds } from '../context.ts';
import { randomToken, sha256Hex } from '../crypto/secrets.ts';
import { type RmAction, rmNext } from '../domain/report-states.ts';
import { problems } from '../problem.ts';
import { appendAudit } from '../store/audit.ts';
import { addHit, countHits, windowAt } from '../store/rate-limits.ts';
import type { DB } from '../store/schema.ts';
import type { RmState } from '../store/schema-cases.ts';
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
    const row = await trx
      .insertInto('reports')
      .values({
        ref,
        title: input.title,
        description: input.description,
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
      await trx
        .insertInto('report_attachments')
        .values({
          report_id: row.id,
          filename: f.filename,
          media_type: f.mediaType,
          size_bytes: f.sizeBytes,
          sha256: f.sha256,
          content: f.content,
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

export async function getReport(db: Kysely<DB>, id: string): Promise<ReportView | undefined> {
  const r = await db.selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) return undefined;
  const atts = await db
    .selectFrom('report_attachments')
    .select(['id', 'filename', 'media_type', 'size_bytes', 'sha256'])
    .where('report_id', '=', id)
    .orderBy('created_at')
    .execute();
  return {
    id: r.id,
    ref: r.ref,
    title: r.title,
    description: r.description,
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

export async function listReports(ctx: AppContext, f: ReportFilter) {
  let q = ctx.db
    .selectFrom('reports')
    .select(['id', 'ref', 'title', 'vendor_name', 'product_name', 'cve_ids', 'rm_state', 'case_id', 'created_at'])
    .orderBy('created_at', 'desc')
    .limit(f.limit)
    .offset(f.offset);
  if (f.state) q = q.where('rm_state', '=', f.state);
  if (f.vendor) q = q.where('vendor_name', 'ilike', `%${f.vendor.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (f.olderThanDays) q = q.where('created_at', '<', new Date(ctx.clock.now().getTime() - f.olderThanDays * 86_400_000));
  if (f.q) q = q.where(sql<boolean>`search @@ websearch_to_tsquery('english', ${f.q})`);
  return q.execute();
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
 * Likely duplicates of a report, computed in the database: shared words (cosine similarity of
 * the reports' stemmed word sets), the same product or purl, and shared CVE ids.
 */
export async function duplicateHints(ctx: AppContext, reportId: string, limit = 10): Promise<DuplicateHint[]> {
  const { rows } = await sql<{
    id: string;
    ref: string;
    title: string;
    case_id: string | null;
    text_sim: number;
    same_product: boolean;
    same_purl: boolean;
    shared_cves: boolean;
  }>`
    WITH me AS (
      SELECT r.*, tsvector_to_array(r.search) AS lexemes,
             (SELECT to_tsquery('simple', string_agg(quote_literal(lex), ' | '))
                FROM unnest(tsvector_to_array(r.search)) AS lex) AS words
        FROM reports r WHERE r.id = ${reportId}
    )
    SELECT o.id, o.ref, o.title, o.case_id,
           -- Cosine similarity of the two reports' word sets (stemmed lexemes).
           coalesce((SELECT count(*) FROM unnest(tsvector_to_array(o.search)) AS l WHERE l = ANY (me.lexemes))::float8
             / nullif(sqrt(cardinality(me.lexemes)::float8 * length(o.search)), 0), 0) AS text_sim,
           (me.product_name IS NOT NULL AND lower(o.product_name) = lower(me.product_name)) AS same_product,
           (me.purl IS NOT NULL AND o.purl = me.purl) AS same_purl,
           (o.cve_ids && me.cve_ids) AS shared_cves
      FROM reports o, me
     WHERE o.id <> me.id
       AND (o.search @@ me.words
            OR (me.product_name IS NOT NULL AND lower(o.product_name) = lower(me.product_name))
            OR (me.purl IS NOT NULL AND o.purl = me.purl)
            OR o.cve_ids && me.cve_ids)`.execute(ctx.db);
  return rows
    .map((r) => {
      const reasons: string[] = [];
      if (r.shared_cves) reasons.push('same CVE');
      if (r.same_purl) reasons.push('same package (purl)');
      if (r.same_product) reasons.push('same product');
      if (r.text_sim >= 0.25) reasons.push('similar text');
      const score = Math.min(1, r.text_sim + (r.shared_cves ? 0.6 : 0) + (r.same_purl ? 0.4 : 0) + (r.same_product ? 0.2 : 0));
      return { reportId: r.id, ref: r.ref, title: r.title, caseId: r.case_id, score: Math.round(score * 1000) / 1000, reasons };
    })
    .filter((h) => h.reasons.length > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, limit);
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

export async function reportThread(db: Kysely<DB>, reportId: string): Promise<ThreadMessage[]> {
  const rows = await db
    .selectFrom('report_messages')
    .select(['id', 'from_reporter', 'body', 'created_at'])
    .where('report_id', '=', reportId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((m) => ({ id: m.id, fromReporter: m.from_reporter, body: m.body, createdAt: m.created_at }));
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
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('report_messages')
      .values({
        report_id: reportId,
        from_reporter: fromReporter,
        author_user_id: actorIds(meta).actorUserId,
        body,
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
