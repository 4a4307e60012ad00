// Reading the audit log: an organization's admins read its entries; operators verify the chain.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { listOrgAudit } from '../../services/audit-log.ts';
import { verifyAuditChain } from '../../store/audit.ts';
import { authorize } from '../auth.ts';
import { authErrors, iso, Timestamp } from '../schemas.ts';

const AuditEntryOut = z.object({
  seq: z.string(),
  at: Timestamp,
  actorUserId: z.string().nullable(),
  actorOrgId: z.string().nullable(),
  subjectOrgId: z.string().nullable(),
  action: z.string(),
  objectType: z.string(),
  objectId: z.string().nullable(),
  requestId: z.string().nullable(),
  details: z.unknown(),
  hash: z.string(),
});

export const auditRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['audit'];
    app.get(
      '/orgs/:id/audit',
      {
        schema: {
          tags,
          summary: 'Audit entries by or about an organization, newest first',
          params: z.strictObject({ id: z.uuid() }),
          querystring: z.strictObject({
            before: z
              .string()
              .regex(/^\d{1,19}$/)
              .optional()
              .describe('Return entries with seq below this'),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
          response: { 200: z.object({ entries: z.array(AuditEntryOut), next: z.string().nullable() }), ...authErrors },
        },
      },
      async (req) => {
        authorize(req, 'audit.read', { type: 'audit', orgId: req.params.id });
        const entries = await listOrgAudit(ctx, req.params.id, { beforeSeq: req.query.before, limit: req.query.limit });
        const last = entries[entries.length - 1];
        return {
          entries: entries.map((e) => ({ ...e, at: iso(e.at) })),
          next: entries.length === req.query.limit && last ? last.seq : null,
        };
      },
    );

    app.post(
      '/audit/verify',
      {
        schema: {
          tags,
          summary: 'Recompute the whole hash chain (operators)',
          response: {
            200: z.object({
              ok: z.boolean(),
              entries: z.number().int(),
              headSeq: z.string().optional(),
              headHash: z.string().optional(),
              failure: z.object({ seq: z.string(), reason: z.string() }).optional(),
            }),
            ...authErrors,
          },
        },
      },
      async (req) => {
        authorize(req, 'audit.verify', { type: 'instance' });
        return verifyAuditChain(ctx.db);
      },
    );
  };
