// Builds the Fastify server: validation from zod schemas, OpenAPI at /openapi.json and /docs,
// problem+json errors, security headers, authentication, and the routes.
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.ts';
import { Problem } from '../problem.ts';
import { registerAuth } from './auth.ts';
import { registerErrorHandling } from './errors.ts';
import { accountRoutes } from './routes/account.ts';
import { advisoryRoutes } from './routes/advisories.ts';
import { auditRoutes } from './routes/audit.ts';
import { authRoutes } from './routes/auth.ts';
import { casePurgeRoutes } from './routes/case-purge.ts';
import { caseStateRoutes } from './routes/case-state.ts';
import { caseRoutes } from './routes/cases.ts';
import { communityRoutes } from './routes/communities.ts';
import { cordRoutes } from './routes/cords.ts';
import { cveServicesRoutes } from './routes/cve-services.ts';
import { healthRoutes } from './routes/health.ts';
import { leakTracingRoutes } from './routes/leak-tracing.ts';
import { orgRoutes } from './routes/organizations.ts';
import { pgpKeyRoutes } from './routes/pgp-keys.ts';
import { productRoutes, sbomUploadRoutes } from './routes/products.ts';
import { releaseRoutes } from './routes/release.ts';
import { reportRoutes } from './routes/reports.ts';
import { tentRoutes } from './routes/tents.ts';
import { vulnerabilityRoutes } from './routes/vulnerabilities.ts';
import { webauthnRoutes } from './routes/webauthn.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { wellKnownRoutes } from './routes/well-known.ts';
import { webRoutes } from './web.ts';

export type App = FastifyInstance;

export interface ServerOptions {
  /** Reports readiness beyond the database (e.g. the job queue has started). */
  ready?: () => boolean;
  logger?: boolean;
}

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/**
 * Requests are validated and responses serialized from the zod schemas. Given as the compilers'
 * factories (typed for ajv, hence the cast), they spare Fastify loading its default ones (ajv and
 * fast-json-stringify) at start.
 */
const zodCompilers = {
  buildValidator: () => validatorCompiler,
  buildSerializer: () => serializerCompiler,
} as unknown as CompilersFactory;

export async function buildServer(ctx: AppContext, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger === false ? undefined : (ctx.log as FastifyBaseLogger),
    bodyLimit: ctx.config.bodyLimitBytes,
    genReqId: () => crypto.randomUUID(),
    requestIdHeader: false,
    trustProxy: false,
    // Errors raised by the router before any handler (bad URL encoding, too-long URLs) are problems too.
    frameworkErrors: (error, req, reply) => {
      const status =
        typeof (error as { statusCode?: number }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : 400;
      const p = new Problem(status >= 400 && status < 500 ? status : 400, 'bad-request', 'Bad request', error.message);
      const raw = reply as unknown as { code(n: number): { type(t: string): { send(b: string): void } } };
      raw
        .code(p.status)
        .type('application/problem+json')
        .send(JSON.stringify(p.body(req.url.split('?')[0] ?? req.url, req.id)));
    },
    ...(opts.logger === false ? { logger: false } : {}),
    schemaController: { compilersFactory: zodCompilers },
  }).withTypeProvider<ZodTypeProvider>();

  registerErrorHandling(app);
  // JSON only: a text/plain body is an unsupported media type, not a string to validate.
  app.removeContentTypeParser(['text/plain']);
  // A write sent with no body at all (no Content-Type, nothing to parse) is validated as an empty
  // object, so optional bodies take their defaults and required fields are named; a body that is
  // the JSON literal null still fails as "not an object".
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined && !req.headers['content-type'] && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method)) {
      req.body = {};
    }
  });

  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-request-id', req.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    if (!req.url.startsWith('/docs') && !reply.hasHeader('content-security-policy')) {
      reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
    }
    if (req.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    return payload;
  });

  await app.register(fastifyCookie);
  registerAuth(app, ctx);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Village API',
        version: '0.1.0',
        description:
          'Multi-party coordinated vulnerability disclosure. Errors are RFC 9457 problem details ' +
          '(application/problem+json). Authenticate with a session cookie (writes need the X-CSRF-Token header) ' +
          'or an API token (Authorization: Bearer vlg_…).',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'village_session' },
          token: { type: 'http', scheme: 'bearer' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes(ctx, opts.ready ?? (() => true)));
  // The web UI (its pages, including the reporter's private link /reply/:token, and its assets).
  await app.register(wellKnownRoutes(ctx));
  // Published advisories: the CSAF provider layout, landing pages, records and feeds (no sign-in).
  await app.register(advisoryRoutes(ctx));
  await app.register(webRoutes());
  await app.register(authRoutes(ctx), { prefix: '/api/v1' });
  await app.register(accountRoutes(ctx), { prefix: '/api/v1' });
  await app.register(webauthnRoutes(ctx), { prefix: '/api/v1' });
  await app.register(orgRoutes(ctx), { prefix: '/api/v1' });
  await app.register(auditRoutes(ctx), { prefix: '/api/v1' });
  await app.register(reportRoutes(ctx), { prefix: '/api/v1' });
  await app.register(caseRoutes(ctx), { prefix: '/api/v1' });
  await app.register(caseStateRoutes(ctx), { prefix: '/api/v1' });
  await app.register(leakTracingRoutes(ctx), { prefix: '/api/v1' });
  await app.register(vulnerabilityRoutes(ctx), { prefix: '/api/v1' });
  await app.register(tentRoutes(ctx), { prefix: '/api/v1' });
  await app.register(releaseRoutes(ctx), { prefix: '/api/v1' });
  await app.register(cordRoutes(ctx), { prefix: '/api/v1' });
  await app.register(casePurgeRoutes(ctx), { prefix: '/api/v1' });
  await app.register(communityRoutes(ctx), { prefix: '/api/v1' });
  await app.register(productRoutes(ctx), { prefix: '/api/v1' });
  await app.register(sbomUploadRoutes(ctx), { prefix: '/api/v1' });
  await app.register(webhookRoutes(ctx), { prefix: '/api/v1' });
  await app.register(cveServicesRoutes(ctx), { prefix: '/api/v1' });
  await app.register(pgpKeyRoutes(ctx), { prefix: '/api/v1' });
  return app;
}
