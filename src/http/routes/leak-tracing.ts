// Tracing a leaked excerpt of case text to the recipient organization whose copy it came from
// (docs/leak-tracing.md). Coordinator and operators only; every trace is audited.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { authorizeCase } from '../../services/case-access.ts';
import { traceLeak } from '../../services/leak-tracing.ts';
import { metaOf } from '../auth.ts';
import { authErrors, IdParams } from '../schemas.ts';

const Org = z.object({ id: z.string(), name: z.string() });
export const TraceOut = z.object({
  verdict: z
    .enum(['identified', 'insufficient', 'several'])
    .describe('identified: one organization named; insufficient: not enough evidence to name anyone; several: copies combined'),
  organization: Org.nullable(),
  organizations: z.array(Org),
  confidence: z.number().nullable().describe('1 − falseAccusationBound'),
  falseAccusationBound: z
    .number()
    .nullable()
    .describe('Upper bound on the probability that an organization that did not leak scores this high'),
  reason: z.string().nullable(),
  observedSlots: z.number().int(),
  scoreNats: z.number().nullable(),
  thresholdNats: z.number(),
  candidates: z.number().int(),
});

export const leakTracingRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/cases/:id/trace',
      {
        bodyLimit: 2 * 1024 * 1024,
        schema: {
          tags: ['cases'],
          summary: 'Trace a leaked excerpt to the organization whose copy it came from (coordinator and operators)',
          params: IdParams,
          body: z.strictObject({
            excerpt: z.string().min(1).max(1_000_000).describe('The leaked text, as found (plain text)'),
          }),
          response: { 200: TraceOut, ...authErrors },
        },
      },
      async (req) => {
        await authorizeCase(ctx, req.actor, 'case.trace', req.params.id);
        return traceLeak(ctx, metaOf(req), req.params.id, req.body.excerpt);
      },
    );
  };
