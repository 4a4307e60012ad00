// Public, unauthenticated files under /.well-known: the instance's OpenPGP keys.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { publishedSigningKeys } from '../../services/instance-keys.ts';

export const wellKnownRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/.well-known/openpgp-key.asc',
      {
        schema: {
          tags: ['public'],
          summary: "The instance's OpenPGP public keys (current first, then retired ones)",
          description:
            'Village signs outbound mail, published advisories and audit checkpoints with the current key. ' +
            'Retired keys stay here so that what they signed can still be verified.',
          produces: ['application/pgp-keys'],
          response: { 200: z.string() },
        },
      },
      async (_req, reply) => {
        const keys = await publishedSigningKeys(ctx.db);
        reply.header('content-type', 'application/pgp-keys; charset=utf-8');
        reply.header('cache-control', 'public, max-age=300');
        reply.header('x-village-signing-key', ctx.keys.signing.fingerprint);
        return `${keys.map((k) => k.publicKey.trimEnd()).join('\n\n')}\n`;
      },
    );
  };
