// Public, unauthenticated publication: the CSAF trusted-provider layout under /.well-known/csaf,
// the advisory index and landing pages, the CVE and OSV records, and the Atom feed of releases.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { problems } from '../../problem.ts';
import {
  advisoryById,
  currentDocument,
  feedEntries,
  listAdvisories,
  providerMetadata,
  rolieFeed,
} from '../../services/advisories.ts';
import { ADVISORY_CSS, renderAtom, renderIndex, renderLanding } from '../advisory-html.ts';

/** Pages: styles from this origin only, no scripts at all. */
export const ADVISORY_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const Name = z.string().min(1).max(200);
const tags = ['public'];

type DocFile = { content: string; sha256: string; sha512: string; signature: string | null; doc_id: string };

/** name.json, name.json.asc, name.json.sha256 or name.json.sha512 → the bytes and their type. */
function fileOf(doc: DocFile, suffix: string, fileName: string): { type: string; body: string } | null {
  if (suffix === '') return { type: 'application/json; charset=utf-8', body: doc.content };
  if (suffix === '.asc') return doc.signature ? { type: 'application/pgp-signature', body: doc.signature } : null;
  if (suffix === '.sha256') return { type: 'text/plain; charset=utf-8', body: `${doc.sha256}  ${fileName}\n` };
  if (suffix === '.sha512') return { type: 'text/plain; charset=utf-8', body: `${doc.sha512}  ${fileName}\n` };
  return null;
}

const SUFFIX = /^(.+\.json)(\.asc|\.sha256|\.sha512)?$/;

export const advisoryRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/.well-known/csaf/provider-metadata.json',
      { schema: { tags, summary: 'CSAF provider metadata (role csaf_trusted_provider)' } },
      async (_req, reply) => {
        const items = await listAdvisories(ctx);
        const last = items[0]?.current_release_at ?? new Date(0);
        reply.header('cache-control', 'public, max-age=300');
        return providerMetadata(ctx, last);
      },
    );

    app.get(
      '/.well-known/csaf/feed-tlp-white.json',
      { schema: { tags, summary: 'ROLIE feed of the TLP:CLEAR (WHITE) CSAF advisories' } },
      async (_req, reply) => {
        reply.header('cache-control', 'public, max-age=300');
        return rolieFeed(ctx, await listAdvisories(ctx));
      },
    );

    app.get('/.well-known/csaf/clear/index.txt', { schema: { tags, summary: 'CSAF index.txt' } }, async (_req, reply) => {
      const items = await listAdvisories(ctx);
      reply.type('text/plain; charset=utf-8');
      return items.map((a) => `${a.csaf_path.replace(/^clear\//, '')}\n`).join('');
    });

    app.get('/.well-known/csaf/clear/changes.csv', { schema: { tags, summary: 'CSAF changes.csv' } }, async (_req, reply) => {
      const items = await listAdvisories(ctx);
      reply.type('text/csv; charset=utf-8');
      return items.map((a) => `"${a.csaf_path.replace(/^clear\//, '')}","${a.current_release_at.toISOString()}"\n`).join('');
    });

    app.get(
      '/.well-known/csaf/clear/:year/:file',
      {
        schema: {
          tags,
          summary: 'A CSAF advisory (…/YYYY/<id>.json) with its .asc, .sha256 and .sha512 files',
          params: z.strictObject({ year: z.string().regex(/^\d{4}$/), file: Name }),
        },
      },
      async (req, reply) => {
        const m = SUFFIX.exec(req.params.file);
        if (!m) throw problems.notFound('document');
        const doc = await currentDocument(ctx, { csafPath: `clear/${req.params.year}/${m[1]}` });
        const file = doc ? fileOf(doc, m[2] ?? '', m[1] as string) : null;
        if (!file) throw problems.notFound('document');
        return reply.header('cache-control', 'public, max-age=300').type(file.type).send(file.body);
      },
    );

    app.get('/advisories/advisory.css', { schema: { hide: true } }, async (_req, reply) =>
      reply.header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(ADVISORY_CSS),
    );

    app.get(
      '/advisories/feed.atom',
      { schema: { tags, summary: 'Atom feed of releases and revisions' } },
      async (_req, reply) => {
        const entries = await feedEntries(ctx);
        return reply.type('application/atom+xml; charset=utf-8').send(
          renderAtom(
            ctx.config.publicUrl,
            entries.map((e) => ({
              advisoryId: e.advisory_id,
              title: e.title,
              revision: e.revision,
              summary: e.revision === 1 ? 'Initial release' : e.summary,
              published: e.initial_release_at,
              updated: e.published_at ?? e.date,
            })),
          ),
        );
      },
    );

    const index = async (_req: unknown, reply: import('fastify').FastifyReply) => {
      const items = await listAdvisories(ctx);
      return reply
        .header('content-security-policy', ADVISORY_CSP)
        .type('text/html; charset=utf-8')
        .send(
          renderIndex(
            items.map((a) => ({
              advisoryId: a.advisory_id,
              title: a.title,
              revision: a.revision,
              initialReleaseAt: a.initial_release_at,
              currentReleaseAt: a.current_release_at,
            })),
          ),
        );
    };
    app.get('/advisories/', { schema: { tags, summary: 'The index of published advisories (HTML)' } }, index);

    app.get(
      '/advisories/:id',
      { schema: { tags, summary: 'The landing page of one advisory (HTML)', params: z.strictObject({ id: Name }) } },
      async (req, reply) => {
        const a = await advisoryById(ctx, req.params.id);
        if (!a) throw problems.notFound('advisory');
        return reply
          .header('content-security-policy', ADVISORY_CSP)
          .header('cache-control', 'public, max-age=60')
          .type('text/html; charset=utf-8')
          .send(renderLanding(a.snapshot, { cve: a.cve, osv: a.osv }));
      },
    );

    for (const kind of ['cve', 'osv'] as const) {
      app.get(
        `/advisories/:id/${kind}/:file`,
        {
          schema: {
            tags,
            summary: `The ${kind === 'cve' ? 'CVE JSON 5 record' : 'OSV record'} of one vulnerability (<id>.json, .asc, .sha256, .sha512)`,
            params: z.strictObject({ id: Name, file: Name }),
          },
        },
        async (req, reply) => {
          const m = SUFFIX.exec(req.params.file);
          if (!m) throw problems.notFound('document');
          const docId = (m[1] as string).replace(/\.json$/, '');
          const doc = await currentDocument(ctx, {
            advisoryId: req.params.id,
            kind,
            docId: kind === 'cve' ? docId.toUpperCase() : docId,
          });
          const file = doc ? fileOf(doc, m[2] ?? '', m[1] as string) : null;
          if (!file) throw problems.notFound('document');
          return reply.header('cache-control', 'public, max-age=300').type(file.type).send(file.body);
        },
      );
    }
  };
