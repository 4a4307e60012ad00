// An organization's products and their SBOMs, and, for a case's coordinator, who ships what the
// case's vulnerabilities affect. SBOM uploads are streamed into the parser (never buffered
// whole), with their own size limit.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { parseSbom, SbomError } from '../../formats/sbom.ts';
import { OsvEventSchema } from '../../formats/vers.ts';
import { Problem, problems } from '../../problem.ts';
import { adHocQuery, affectedForCase, whoIsAffected } from '../../services/affected.ts';
import { auditCaseRead, authorizeCase } from '../../services/case-access.ts';
import { assertProduct, createProduct, getProduct, ingestSbom, listProducts, measured } from '../../services/sboms.ts';
import { authorize, metaOf } from '../auth.ts';
import { authErrors, iso, ProblemSchema, Timestamp } from '../schemas.ts';
import { Purl } from './reports.ts';

const OrgParams = z.strictObject({ id: z.uuid() });
const CaseParams = z.strictObject({ id: z.uuid() });
const ProductParams = z.strictObject({ id: z.uuid(), productId: z.uuid() });
const Version = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+~:-]*$/, 'letters, digits and . _ + ~ : -');
const SbomParams = z.strictObject({ id: z.uuid(), productId: z.uuid(), version: Version });

const ProductOut = z.object({
  id: z.uuid(),
  orgId: z.uuid(),
  name: z.string(),
  purl: z.string().nullable(),
  createdAt: Timestamp,
  versions: z.array(z.object({ version: z.string(), sbomId: z.uuid(), components: z.number().int(), uploadedAt: Timestamp })),
});
const productOut = (p: Awaited<ReturnType<typeof getProduct>>) => ({
  ...p,
  createdAt: iso(p.createdAt),
  versions: p.versions.map((v) => ({ ...v, uploadedAt: iso(v.uploadedAt) })),
});

const AffectedOut = z.object({
  results: z.array(
    z.object({
      vulnerabilityId: z.string().nullable(),
      orgId: z.uuid(),
      orgName: z.string(),
      productId: z.uuid(),
      productName: z.string(),
      productVersion: z.string(),
      sbomId: z.uuid(),
      component: z.string(),
      relation: z.enum(['direct', 'transitive']),
      depth: z.number().int(),
      versionKnown: z.boolean(),
      path: z.array(z.string()).optional(),
    }),
  ),
  skipped: z.array(z.object({ affectedProductId: z.uuid(), vulnerabilityId: z.uuid(), reason: z.string() })),
});
const rowsOut = (rows: Awaited<ReturnType<typeof whoIsAffected>>) =>
  rows.map(({ tag, ...r }) => ({ vulnerabilityId: tag, ...r }));

export const SBOM_MEDIA_TYPES = [
  'application/vnd.cyclonedx+json',
  'application/vnd.cyclonedx+xml',
  'application/spdx+json',
  'application/json',
  'application/xml',
  'text/xml',
];

const SBOM_ERROR_STATUS = 422;

export const productRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['products'];

    app.get(
      '/orgs/:id/products',
      {
        schema: {
          tags,
          summary: "The organization's products and the versions with an SBOM",
          params: OrgParams,
          response: { 200: z.array(ProductOut), ...authErrors },
        },
      },
      async (req) => {
        authorize(req, 'product.read', { type: 'organization', id: req.params.id });
        return (await listProducts(ctx.db, req.params.id)).map(productOut);
      },
    );

    app.post(
      '/orgs/:id/products',
      {
        schema: {
          tags,
          summary: 'Register a product',
          params: OrgParams,
          body: z.strictObject({
            name: z.string().trim().min(1).max(200),
            purl: Purl.optional().describe('The package URL of the product itself, if it has one'),
          }),
          response: { 201: z.object({ id: z.uuid() }), 409: ProblemSchema, ...authErrors },
        },
      },
      async (req, reply) => {
        authorize(req, 'product.write', { type: 'organization', id: req.params.id });
        const r = await createProduct(ctx, metaOf(req), req.params.id, req.body);
        reply.code(201);
        return r;
      },
    );

    app.get(
      '/orgs/:id/products/:productId',
      {
        schema: {
          tags,
          summary: 'A product and the versions with an SBOM',
          params: ProductParams,
          response: { 200: ProductOut, ...authErrors },
        },
      },
      async (req) => {
        authorize(req, 'product.read', { type: 'organization', id: req.params.id });
        return productOut(await getProduct(ctx.db, req.params.id, req.params.productId));
      },
    );

    // Who is affected: for the case's coordinator only.
    const AffectedQuery = z.strictObject({ paths: z.enum(['true', 'false']).optional() });
    app.get(
      '/cases/:id/affected',
      {
        schema: {
          tags: ['vulnerabilities'],
          summary:
            "Who ships a version the case's vulnerabilities affect (coordinator only): organization, product, version, SBOM, direct or transitive, and with ?paths=true one dependency path",
          params: CaseParams,
          querystring: AffectedQuery,
          response: { 200: AffectedOut, ...authErrors },
        },
      },
      async (req) => {
        await authorizeCase(ctx, req.actor, 'case.affected', req.params.id);
        await auditCaseRead(ctx, metaOf(req), req.params.id, 'affected');
        const r = await affectedForCase(ctx.db, req.params.id, { paths: req.query.paths === 'true' });
        return { results: rowsOut(r.results), skipped: r.skipped };
      },
    );

    app.post(
      '/cases/:id/affected',
      {
        schema: {
          tags: ['vulnerabilities'],
          summary:
            'Who ships an affected version of the given components (coordinator only): each a purl with a vers range or OSV events',
          params: CaseParams,
          body: z.strictObject({
            components: z
              .array(
                z.strictObject({
                  purl: Purl,
                  vers: z.string().trim().min(6).max(2000).optional().describe('vers:<type>/<constraints>'),
                  events: z.array(OsvEventSchema).min(1).max(100).optional().describe('OSV range events'),
                }),
              )
              .min(1)
              .max(100),
            paths: z.boolean().optional(),
          }),
          response: { 200: AffectedOut, ...authErrors },
        },
      },
      async (req) => {
        await authorizeCase(ctx, req.actor, 'case.affected', req.params.id);
        const queries = req.body.components.map((c, i) => ({ ...adHocQuery(c), tag: String(i) }));
        await auditCaseRead(ctx, metaOf(req), req.params.id, 'affected');
        const rows = await whoIsAffected(ctx.db, queries, { paths: req.body.paths ?? false });
        return { results: rowsOut(rows).map((r) => ({ ...r, vulnerabilityId: null })), skipped: [] };
      },
    );
  };

/**
 * The SBOM upload, in a scope of its own: its content-type parsers hand the request stream to
 * the route instead of buffering it.
 */
export const sbomUploadRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(SBOM_MEDIA_TYPES, (_req, payload, done) => done(null, payload));

    app.put(
      '/orgs/:id/products/:productId/sboms/:version',
      {
        schema: {
          tags: ['products'],
          summary:
            'Upload the SBOM of a product version (CycloneDX 1.2–1.6 JSON or XML, SPDX 2.3 JSON), replacing what that version shipped. ' +
            `Send the document itself as the body (${SBOM_MEDIA_TYPES.slice(0, 3).join(', ')}); it is streamed, up to VILLAGE_SBOM_MAX_BYTES. ` +
            'CycloneDX up to VILLAGE_SBOM_SCHEMA_MAX_BYTES is validated against the official JSON schema or XSD first. ' +
            'A bad SBOM is a 422 naming what is wrong (schema errors: the first in detail, up to 10 in errors), and leaves nothing behind.',
          params: SbomParams,
          response: {
            200: z.object({
              sbomId: z.uuid(),
              replaced: z.boolean(),
              format: z.string(),
              specVersion: z.string(),
              components: z.number().int(),
              direct: z.number().int(),
              warnings: z.array(z.string()),
            }),
            413: ProblemSchema,
            415: ProblemSchema,
            422: ProblemSchema,
            ...authErrors,
          },
        },
      },
      async (req) => {
        authorize(req, 'product.write', { type: 'organization', id: req.params.id });
        await assertProduct(ctx.db, req.params.id, req.params.productId);
        const body = req.body as unknown;
        const stream = body && typeof (body as Readable).pipe === 'function' ? (body as Readable) : null;
        if (!stream) throw problems.badRequest('Send the SBOM document as the request body.');
        const limit = ctx.config.sbomMaxBytes;
        const declared = Number(req.headers['content-length'] ?? 0);
        if (declared > limit) {
          stream.resume();
          throw new Problem(
            413,
            'body-too-large',
            'Request body too large',
            `The SBOM is larger than the limit of ${limit} bytes.`,
          );
        }
        const seen = { bytes: 0, hash: createHash('sha256') };
        let sbom: Awaited<ReturnType<typeof parseSbom>>;
        try {
          sbom = await parseSbom(measured(stream, limit, seen), { schemaValidateBytes: ctx.config.sbomSchemaMaxBytes });
        } catch (e) {
          stream.resume();
          if (e instanceof SbomError && e.code === 'too-large' && seen.bytes > limit)
            throw new Problem(413, 'body-too-large', 'Request body too large', e.message);
          if (e instanceof SbomError)
            throw new Problem(SBOM_ERROR_STATUS, `sbom-${e.code}`, 'The SBOM cannot be imported', e.message, {
              code: e.code,
              ...e.issues,
            });
          throw e;
        }
        const r = await ingestSbom(ctx, metaOf(req), {
          orgId: req.params.id,
          productId: req.params.productId,
          version: req.params.version,
          sbom,
          sha256: seen.hash.digest('hex'),
          sizeBytes: seen.bytes,
        });
        return { ...r, format: sbom.format, specVersion: sbom.specVersion };
      },
    );
  };
