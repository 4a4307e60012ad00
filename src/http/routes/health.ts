// Liveness and readiness for load balancers and orchestrators.

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { Problem } from '../../problem.ts';

export const healthRoutes =
  (ctx: AppContext, ready: () => boolean): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/healthz',
      { schema: { tags: ['operations'], summary: 'Liveness', response: { 200: z.object({ status: z.literal('ok') }) } } },
      async () => ({ status: 'ok' as const }),
    );
    app.get(
      '/readyz',
      {
        schema: {
          tags: ['operations'],
          summary: 'Readiness: the database answers and the job queue takes jobs',
          response: { 200: z.object({ status: z.literal('ready'), database: z.enum(['pglite', 'postgres']) }) },
        },
      },
      async () => {
        try {
          await sql`SELECT 1`.execute(ctx.db);
        } catch {
          throw new Problem(503, 'not-ready', 'Not ready', 'The database does not answer.');
        }
        if (!ready()) throw new Problem(503, 'not-ready', 'Not ready', 'Still starting.');
        return { status: 'ready' as const, database: ctx.database.engine };
      },
    );
  };
