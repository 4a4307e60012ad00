// The release of a case: start it (coordinator, with a confirmation), follow its steps, and
// preview the documents it would publish.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { landingUrl } from '../../formats/release-snapshot.ts';
import { problems } from '../../problem.ts';
import { auditCaseRead, authorizeCase } from '../../services/case-access.ts';
import { previewRelease, releaseStatus, requestRelease } from '../../services/release.ts';
import { renderLanding } from '../advisory-html.ts';
import { authorize, metaOf } from '../auth.ts';
import { authErrors, iso, isoOrNull, ProblemSchema } from '../schemas.ts';

const CaseParams = z.strictObject({ id: z.uuid() });
const Step = z.enum(['freeze', 'build', 'validate', 'sign', 'publish', 'notify']);
const StatusOut = z.object({
  caseId: z.uuid(),
  advisoryId: z.string(),
  status: z.enum(['not_started', 'running', 'failed', 'done']),
  error: z.string().nullable(),
  releasedAt: z.string().nullable(),
  revision: z.number().int().nullable(),
  steps: z.array(
    z.object({
      revision: z.number().int(),
      step: Step,
      status: z.enum(['done', 'failed']),
      error: z.string().nullable(),
      at: z.string(),
    }),
  ),
  landingPage: z.string().nullable(),
});

export const releaseRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['release'];
    const statusOf = async (caseId: string) => {
      const s = await releaseStatus(ctx, caseId);
      return {
        ...s,
        releasedAt: isoOrNull(s.releasedAt),
        steps: s.steps.map((x) => ({ ...x, at: iso(x.at) })),
      };
    };

    app.post(
      '/cases/:id/release',
      {
        schema: {
          tags,
          summary: 'Release the case (coordinator): end the embargo, publish the advisory and its documents, notify everyone',
          description:
            'Runs freeze → build → validate → sign → publish → notify as a durable job. Send {"confirm": "<advisory id>"} ' +
            '(the case ref) to confirm. A running or finished release is not started again; a failed one is retried.',
          params: CaseParams,
          body: z.strictObject({ confirm: z.string().min(1).max(100).describe('The case ref, typed again to confirm') }),
          response: { 202: StatusOut, 409: ProblemSchema, ...authErrors },
        },
      },
      async (req, reply) => {
        const actor = authorize(req, 'case.list', { type: 'instance' });
        await authorizeCase(ctx, actor, 'case.release', req.params.id);
        const status = await releaseStatus(ctx, req.params.id);
        if (req.body.confirm.trim().toUpperCase() !== status.advisoryId)
          throw problems.badRequest(`Type the case ref ${status.advisoryId} in "confirm" to release.`, [
            { field: 'body.confirm', message: `must be ${status.advisoryId}` },
          ]);
        if (status.status === 'done') throw problems.conflict('The case has been released already.');
        await requestRelease(ctx, metaOf(req), ctx.db, req.params.id, { kind: 'coordinator', userId: actor.userId });
        reply.code(202);
        return statusOf(req.params.id);
      },
    );

    app.get(
      '/cases/:id/release',
      {
        schema: {
          tags,
          summary: 'The release of the case: its status and each step',
          params: CaseParams,
          response: { 200: StatusOut, ...authErrors },
        },
      },
      async (req) => {
        await authorizeCase(ctx, req.actor, 'case.read', req.params.id);
        return statusOf(req.params.id);
      },
    );

    app.get(
      '/cases/:id/release/preview',
      {
        schema: {
          tags,
          summary: 'Preview (coordinator): the documents and landing page the release would publish now; nothing is published',
          params: CaseParams,
          response: {
            200: z.object({
              advisoryId: z.string(),
              landingPage: z.object({ url: z.string(), html: z.string() }),
              valid: z.boolean(),
              problem: z.string().nullable(),
              documents: z.array(z.object({ kind: z.enum(['csaf', 'cve', 'osv']), id: z.string(), content: z.unknown() })),
            }),
            ...authErrors,
          },
        },
      },
      async (req) => {
        await authorizeCase(ctx, req.actor, 'case.release', req.params.id);
        await auditCaseRead(ctx, metaOf(req), req.params.id, 'release.preview');
        const p = await previewRelease(ctx, req.params.id);
        return {
          advisoryId: p.snapshot.advisoryId,
          landingPage: {
            url: landingUrl(p.snapshot),
            html: renderLanding(p.snapshot, {
              cve: p.documents.filter((d) => d.kind === 'cve').map((d) => d.docId),
              osv: p.documents.filter((d) => d.kind === 'osv').map((d) => d.docId),
            }),
          },
          valid: p.problem === null,
          problem: p.problem,
          documents: p.documents.map((d) => ({ kind: d.kind, id: d.docId, content: JSON.parse(d.content) as unknown })),
        };
      },
    );
  };
