// Intake (public, no account needed), the reporter's private reply link, and the
// coordinators' triage inbox.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { PackageURL } from 'packageurl-js';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { RM_ACTIONS, rmAllowed } from '../../domain/report-states.ts';
import { problems } from '../../problem.ts';
import { authorizeCase } from '../../services/case-access.ts';
import { mergeReport, openCase } from '../../services/cases.ts';
import { checkUploadedKey } from '../../services/pgp-keys.ts';
import {
  auditReportRead,
  duplicateHints,
  getReport,
  listReports,
  postReportMessage,
  replyUrl,
  reportAttachment,
  reportHistory,
  reportIdForToken,
  reportThread,
  submitReport,
  transitionReport,
} from '../../services/reports.ts';
import { checkFile, decodeBase64 } from '../../services/uploads.ts';
import { authorize, authorizeAny, metaOf } from '../auth.ts';
import { authErrors, Email, iso, isoOrNull, ProblemSchema, Timestamp } from '../schemas.ts';

export const CveId = z.string().regex(/^CVE-[0-9]{4}-[0-9]{4,19}$/, 'a CVE id such as CVE-2026-12345');
export const Purl = z
  .string()
  .max(2000)
  .refine((s) => {
    try {
      PackageURL.fromString(s);
      return true;
    } catch {
      return false;
    }
  }, 'a package URL (purl) such as pkg:npm/left-pad@1.3.0');
const PgpKey = z
  .string()
  .max(100_000)
  .regex(
    /^-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]+-----END PGP PUBLIC KEY BLOCK-----\s*$/,
    'an ASCII-armored OpenPGP public key',
  );
const RmState = z.enum(['S', 'R', 'I', 'V', 'D', 'A', 'C']);
const MAX_ATTACHMENTS = 5;
export const INTAKE_BODY_LIMIT = 30 * 1024 * 1024;

const ReportIn = z.strictObject({
  title: z.string().trim().min(3).max(200),
  description: z.string().trim().min(10).max(50_000),
  vendorName: z.string().trim().min(1).max(200).optional(),
  productName: z.string().trim().min(1).max(200).optional(),
  purl: Purl.optional(),
  cveIds: z.array(CveId).max(50).optional(),
  reporterName: z.string().trim().min(1).max(200).optional(),
  reporterEmail: Email,
  reporterPgpKey: PgpKey.optional(),
  plannedDisclosureAt: Timestamp.optional().describe('When the reporter plans to publish'),
  creditConsent: z.boolean(),
  creditName: z.string().trim().min(1).max(200).optional(),
  attachments: z
    .array(z.strictObject({ filename: z.string().min(1).max(255), contentBase64: z.string().max(14_000_000) }))
    .max(MAX_ATTACHMENTS)
    .optional(),
});

const ThreadMessageOut = z.object({ id: z.uuid(), fromReporter: z.boolean(), body: z.string(), createdAt: Timestamp });
const AttachmentOut = z.object({
  id: z.uuid(),
  filename: z.string(),
  mediaType: z.string(),
  sizeBytes: z.number().int(),
  sha256: z.string(),
});
const ReportOut = z.object({
  id: z.uuid(),
  ref: z.string(),
  title: z.string(),
  description: z.string(),
  vendorName: z.string().nullable(),
  productName: z.string().nullable(),
  purl: z.string().nullable(),
  cveIds: z.array(z.string()),
  reporterName: z.string().nullable(),
  reporterEmail: z.string(),
  plannedDisclosureAt: Timestamp.nullable(),
  creditConsent: z.boolean(),
  creditName: z.string().nullable(),
  state: RmState,
  caseId: z.uuid().nullable(),
  createdAt: Timestamp,
  attachments: z.array(AttachmentOut),
});

type ReportViewT = NonNullable<Awaited<ReturnType<typeof getReport>>>;
const reportOut = (r: ReportViewT) => ({
  ...r,
  plannedDisclosureAt: isoOrNull(r.plannedDisclosureAt),
  createdAt: iso(r.createdAt),
});
const msgOut = (m: { id: string; fromReporter: boolean; body: string; createdAt: Date }) => ({
  ...m,
  createdAt: iso(m.createdAt),
});

export const reportRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['reports'];

    app.post(
      '/reports',
      {
        bodyLimit: INTAKE_BODY_LIMIT,
        schema: {
          tags,
          summary: 'Report a vulnerability (no account needed); returns the private reply link, shown once',
          body: ReportIn,
          response: {
            201: z.object({ id: z.uuid(), ref: z.string(), replyToken: z.string(), replyUrl: z.string() }),
            400: ProblemSchema,
            413: ProblemSchema,
            422: ProblemSchema,
            429: ProblemSchema,
          },
        },
      },
      async (req, reply) => {
        authorizeAny(req.actor, 'report.submit', { type: 'instance' });
        const { attachments = [], plannedDisclosureAt, ...rest } = req.body;
        const files = [];
        for (const [i, a] of attachments.entries()) {
          const field = `body.attachments.${i}`;
          files.push(await checkFile(field, a.filename, decodeBase64(`${field}.contentBase64`, a.contentBase64)));
        }
        // The reporter's key is checked like any uploaded key: mail to them is encrypted to it.
        if (rest.reporterPgpKey !== undefined) {
          rest.reporterPgpKey = (await checkUploadedKey('body.reporterPgpKey', rest.reporterPgpKey, ctx.clock.now())).armored;
        }
        const r = await submitReport(
          ctx,
          metaOf(req),
          { ...rest, ...(plannedDisclosureAt ? { plannedDisclosureAt: new Date(plannedDisclosureAt) } : {}) },
          files,
        );
        reply.code(201);
        return { id: r.id, ref: r.ref, replyToken: r.replyToken, replyUrl: replyUrl(ctx, r.replyToken) };
      },
    );

    // The reply link: the token is the reporter's only credential, and opens one report.
    const reporterFor = async (token: string) => {
      const reportId = await reportIdForToken(ctx, token);
      if (!reportId) throw problems.notFound('report');
      return authorizeAny({ type: 'reporter', reportId }, 'report.thread', { type: 'report', id: reportId });
    };
    const TokenParams = z.strictObject({ token: z.string().min(1).max(100) });

    app.get(
      '/reply/:token',
      {
        schema: {
          tags,
          summary: "The reporter's view of a report: its state and the conversation with the coordinator",
          params: TokenParams,
          response: { 200: z.object({ report: ReportOut, messages: z.array(ThreadMessageOut) }), 404: ProblemSchema },
        },
      },
      async (req) => {
        const actor = await reporterFor(req.params.token);
        if (actor.type !== 'reporter') throw problems.notFound('report');
        const report = await getReport(ctx, actor.reportId);
        if (!report) throw problems.notFound('report');
        await auditReportRead(ctx, { ...metaOf(req), actor }, actor.reportId, 'reporter view');
        return { report: reportOut(report), messages: (await reportThread(ctx, actor.reportId)).map(msgOut) };
      },
    );

    app.post(
      '/reply/:token/messages',
      {
        schema: {
          tags,
          summary: 'The reporter answers the coordinator',
          params: TokenParams,
          body: z.strictObject({ body: z.string().trim().min(1).max(50_000) }),
          response: { 201: ThreadMessageOut, 400: ProblemSchema, 404: ProblemSchema },
        },
      },
      async (req, reply) => {
        const actor = await reporterFor(req.params.token);
        if (actor.type !== 'reporter') throw problems.notFound('report');
        const m = await postReportMessage(ctx, { ...metaOf(req), actor }, actor.reportId, req.body.body);
        reply.code(201);
        return msgOut(m);
      },
    );

    const ListQuery = z.strictObject({
      state: RmState.optional(),
      vendor: z.string().max(200).optional(),
      olderThanDays: z.coerce.number().int().min(0).max(3650).optional(),
      q: z.string().max(500).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      offset: z.coerce.number().int().min(0).max(100_000).default(0),
    });

    app.get(
      '/reports',
      {
        schema: {
          tags,
          summary: 'Triage inbox (coordinators): filter by state, age, vendor or text',
          querystring: ListQuery,
          response: {
            200: z.array(
              z.object({
                id: z.uuid(),
                ref: z.string(),
                title: z.string(),
                vendorName: z.string().nullable(),
                productName: z.string().nullable(),
                cveIds: z.array(z.string()),
                state: RmState,
                caseId: z.uuid().nullable(),
                createdAt: Timestamp,
                ageDays: z.number().int(),
              }),
            ),
            ...authErrors,
          },
        },
      },
      async (req) => {
        authorize(req, 'report.read', { type: 'instance' });
        const rows = await listReports(ctx, req.query);
        const now = ctx.clock.now().getTime();
        return rows.map((r) => ({
          id: r.id,
          ref: r.ref,
          title: r.title,
          vendorName: r.vendor_name,
          productName: r.product_name,
          cveIds: r.cve_ids,
          state: r.rm_state,
          caseId: r.case_id,
          createdAt: iso(r.created_at),
          ageDays: Math.floor((now - r.created_at.getTime()) / 86_400_000),
        }));
      },
    );

    const IdParams = z.strictObject({ id: z.uuid() });
    const loadReport = async (id: string) => {
      const r = await getReport(ctx, id);
      if (!r) throw problems.notFound('report');
      return r;
    };

    app.get(
      '/reports/:id',
      {
        schema: {
          tags,
          summary: 'One report with its state history (coordinators)',
          params: IdParams,
          response: {
            200: z.object({
              report: ReportOut,
              history: z.array(
                z.object({
                  at: Timestamp,
                  kind: z.string(),
                  from: z.string().nullable(),
                  to: z.string().nullable(),
                  note: z.string().nullable(),
                }),
              ),
              allowedActions: z.array(z.string()),
            }),
            ...authErrors,
          },
        },
      },
      async (req) => {
        authorize(req, 'report.read', { type: 'instance' });
        const r = await loadReport(req.params.id);
        await auditReportRead(ctx, metaOf(req), r.id, 'report');
        const history = await reportHistory(ctx.db, r.id);
        return {
          report: reportOut(r),
          history: history.map((h) => ({ at: iso(h.at), kind: h.kind, from: h.from_state, to: h.to_state, note: h.note })),
          allowedActions: rmAllowed(r.state),
        };
      },
    );

    app.get(
      '/reports/:id/duplicates',
      {
        schema: {
          tags,
          summary: 'Likely duplicates: similar text, same product or package, shared CVE ids',
          params: IdParams,
          response: {
            200: z.array(
              z.object({
                reportId: z.uuid(),
                ref: z.string(),
                title: z.string(),
                caseId: z.uuid().nullable(),
                score: z.number(),
                reasons: z.array(z.string()),
              }),
            ),
            ...authErrors,
          },
        },
      },
      async (req) => {
        authorize(req, 'report.read', { type: 'instance' });
        await loadReport(req.params.id);
        return duplicateHints(ctx, req.params.id);
      },
    );

    app.post(
      '/reports/:id/transition',
      {
        schema: {
          tags,
          summary: 'Move a report through Vultron report management (validate, invalidate, accept, defer, close)',
          params: IdParams,
          body: z.strictObject({ action: z.enum(RM_ACTIONS), note: z.string().max(2000).optional() }),
          response: { 200: z.object({ state: RmState }), 409: ProblemSchema, ...authErrors },
        },
      },
      async (req) => {
        authorize(req, 'report.triage', { type: 'instance' });
        await loadReport(req.params.id);
        const state = await transitionReport(ctx, metaOf(req), req.params.id, req.body.action, req.body.note);
        return { state };
      },
    );

    app.get(
      '/reports/:id/messages',
      {
        schema: {
          tags,
          summary: 'The conversation with the reporter',
          params: IdParams,
          response: { 200: z.array(ThreadMessageOut), ...authErrors },
        },
      },
      async (req) => {
        authorize(req, 'report.read', { type: 'instance' });
        await loadReport(req.params.id);
        await auditReportRead(ctx, metaOf(req), req.params.id, 'thread');
        return (await reportThread(ctx, req.params.id)).map(msgOut);
      },
    );

    app.post(
      '/reports/:id/messages',
      {
        schema: {
          tags,
          summary: 'Write to the reporter (the coordinator is their single contact)',
          params: IdParams,
          body: z.strictObject({ body: z.string().trim().min(1).max(50_000) }),
          response: { 201: ThreadMessageOut, ...authErrors },
        },
      },
      async (req, reply) => {
        authorize(req, 'report.triage', { type: 'instance' });
        await loadReport(req.params.id);
        reply.code(201);
        return msgOut(await postReportMessage(ctx, metaOf(req), req.params.id, req.body.body));
      },
    );

    app.get(
      '/reports/:id/attachments/:attachmentId',
      {
        schema: {
          tags,
          summary: 'Download an attachment (always as a file, never rendered)',
          params: z.strictObject({ id: z.uuid(), attachmentId: z.uuid() }),
        },
      },
      async (req, reply) => {
        authorize(req, 'report.read', { type: 'instance' });
        const a = await reportAttachment(ctx, req.params.id, req.params.attachmentId);
        if (!a) throw problems.notFound('attachment');
        await auditReportRead(ctx, metaOf(req), req.params.id, `attachment ${req.params.attachmentId}`);
        return sendFile(reply, a.filename, a.mediaType, a.content);
      },
    );

    app.post(
      '/reports/:id/merge',
      {
        schema: {
          tags,
          summary: 'Merge a report into an existing case',
          params: IdParams,
          body: z.strictObject({ caseId: z.uuid() }),
          response: { 200: z.object({ ok: z.literal(true) }), 409: ProblemSchema, ...authErrors },
        },
      },
      async (req) => {
        authorize(req, 'report.triage', { type: 'instance' });
        await loadReport(req.params.id);
        await authorizeCase(ctx, req.actor, 'case.manage', req.body.caseId);
        await mergeReport(ctx, metaOf(req), req.params.id, req.body.caseId);
        return { ok: true as const };
      },
    );

    app.post(
      '/cases',
      {
        schema: {
          tags: ['cases'],
          summary: 'Open a case from one or more reports (coordinators)',
          body: z.strictObject({
            title: z.string().trim().min(3).max(200),
            summary: z.string().max(20_000).optional(),
            reportIds: z.array(z.uuid()).max(100).default([]),
            communityId: z.uuid().optional(),
            ackHours: z.number().int().min(1).max(8760).optional(),
          }),
          response: { 201: z.object({ id: z.uuid(), ref: z.string() }), 409: ProblemSchema, ...authErrors },
        },
      },
      async (req, reply) => {
        const actor = authorize(req, 'case.create', { type: 'instance' });
        reply.code(201);
        return openCase(ctx, metaOf(req), actor, req.body);
      },
    );
  };

/** Sends stored bytes as a download that a browser will not render or sniff. */
export function sendFile(
  reply: { header: (k: string, v: string) => unknown; type: (t: string) => unknown; send: (b: Buffer) => unknown },
  filename: string,
  mediaType: string,
  content: Buffer,
) {
  reply.header(
    'content-disposition',
    `attachment; filename="${filename.replace(/[^\w.-]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(filename)}`,
  );
  reply.header('content-security-policy', "default-src 'none'; sandbox");
  reply.type(mediaType);
  return reply.send(content);
}
