// Purging a case (crypto-shredding): operators only, with a reason; audited. See
// docs/encryption-at-rest.md.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { purgeCase } from '../../services/case-purge.ts';
import { authorize, metaOf } from '../auth.ts';
import { authErrors, iso, ProblemSchema, Timestamp } from '../schemas.ts';

export function casePurgeRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/cases/:id/purge',
      {
        schema: {
          tags: ['cases'],
          summary:
            "Purge a case (operators): destroy its data key and its reports' keys, so its content can never be read again; later reads answer 410",
          params: z.strictObject({ id: z.uuid() }),
          body: z.strictObject({ reason: z.string().trim().min(1).max(2000).describe('Why, for the audit log') }),
          response: {
            200: z.object({
              caseId: z.uuid(),
              purgedAt: Timestamp,
              keysDestroyed: z.number().int(),
              reports: z.array(z.string()).describe('Refs of the reports whose keys were destroyed with the case'),
            }),
            409: ProblemSchema,
            ...authErrors,
          },
        },
      },
      async (req) => {
        authorize(req, 'case.purge', { type: 'instance' });
        const r = await purgeCase(ctx, metaOf(req), req.params.id, req.body.reason);
        return { ...r, purgedAt: iso(r.purgedAt) };
      },
    );
  };
}
