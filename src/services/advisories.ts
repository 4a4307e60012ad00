// Published advisories as the public reads them: the current revision of each, its documents
// (content, hashes, signatures), the CSAF provider metadata, ROLIE feed, index.txt and changes.csv.
import type { AppContext } from '../context.ts';
import type { ReleaseSnapshot } from '../formats/release-snapshot.ts';

export async function listAdvisories(ctx: AppContext) {
  return ctx.db
    .selectFrom('advisories')
    .selectAll()
    .orderBy('current_release_at', 'desc')
    .orderBy('advisory_id')
    .limit(10_000)
    .execute();
}

export async function advisoryById(ctx: AppContext, advisoryId: string) {
  const a = await ctx.db
    .selectFrom('advisories')
    .selectAll()
    .where('advisory_id', '=', advisoryId.toUpperCase())
    .executeTakeFirst();
  if (!a) return undefined;
  const rev = await ctx.db
    .selectFrom('advisory_revisions')
    .select('snapshot')
    .where('case_id', '=', a.case_id)
    .where('revision', '=', a.revision)
    .executeTakeFirstOrThrow();
  const docs = await ctx.db
    .selectFrom('advisory_documents')
    .select(['kind', 'doc_id'])
    .where('case_id', '=', a.case_id)
    .where('revision', '=', a.revision)
    .orderBy('doc_id')
    .execute();
  return {
    advisory: a,
    snapshot: rev.snapshot as ReleaseSnapshot,
    cve: docs.filter((d) => d.kind === 'cve').map((d) => d.doc_id),
    osv: docs.filter((d) => d.kind === 'osv').map((d) => d.doc_id),
  };
}

/** One published document of the current revision. */
export async function currentDocument(
  ctx: AppContext,
  by: { advisoryId: string; kind: 'cve' | 'osv'; docId: string } | { csafPath: string },
) {
  let q = ctx.db
    .selectFrom('advisories as a')
    .innerJoin('advisory_documents as d', (j) => j.onRef('d.case_id', '=', 'a.case_id').onRef('d.revision', '=', 'a.revision'))
    .select(['d.content', 'd.sha256', 'd.sha512', 'd.signature', 'd.doc_id', 'a.current_release_at']);
  if ('csafPath' in by) q = q.where('a.csaf_path', '=', by.csafPath).where('d.kind', '=', 'csaf');
  else
    q = q.where('a.advisory_id', '=', by.advisoryId.toUpperCase()).where('d.kind', '=', by.kind).where('d.doc_id', '=', by.docId);
  return q.executeTakeFirst();
}

/** Every published revision, newest first: the Atom feed's entries. */
export async function feedEntries(ctx: AppContext) {
  return ctx.db
    .selectFrom('advisory_revisions as r')
    .innerJoin('advisories as a', 'a.case_id', 'r.case_id')
    .select(['a.advisory_id', 'a.title', 'r.revision', 'r.summary', 'a.initial_release_at', 'r.published_at', 'r.date'])
    .where('r.status', '=', 'published')
    .orderBy('r.date', 'desc')
    .limit(200)
    .execute();
}

export function providerMetadata(ctx: AppContext, lastUpdated: Date) {
  const base = ctx.config.publicUrl;
  return {
    canonical_url: `${base}/.well-known/csaf/provider-metadata.json`,
    distributions: [
      {
        directory_url: `${base}/.well-known/csaf/clear/`,
        rolie: {
          feeds: [
            {
              summary: 'All TLP:CLEAR (TLP:WHITE) advisories published by this Village.',
              tlp_label: 'WHITE',
              url: `${base}/.well-known/csaf/feed-tlp-white.json`,
            },
          ],
        },
      },
    ],
    last_updated: lastUpdated.toISOString(),
    list_on_CSAF_aggregators: true,
    metadata_version: '2.0',
    mirror_on_CSAF_aggregators: true,
    public_openpgp_keys: [{ fingerprint: ctx.keys.signing.fingerprint, url: `${base}/.well-known/openpgp-key.asc` }],
    publisher: { category: 'coordinator', name: `Village at ${new URL(base).host}`, namespace: base },
    role: 'csaf_trusted_provider',
  };
}

export function rolieFeed(ctx: AppContext, items: Awaited<ReturnType<typeof listAdvisories>>) {
  const base = ctx.config.publicUrl;
  const updated = items.reduce((m, a) => (a.current_release_at > m ? a.current_release_at : m), new Date(0));
  return {
    feed: {
      id: `${new URL(base).host}-csaf-feed-tlp-white`,
      title: 'Village CSAF feed (TLP:WHITE)',
      link: [{ rel: 'self', href: `${base}/.well-known/csaf/feed-tlp-white.json` }],
      category: [{ scheme: 'urn:ietf:params:rolie:category:information-type', term: 'csaf' }],
      updated: updated.toISOString(),
      entry: items.map((a) => {
        const url = `${base}/.well-known/csaf/${a.csaf_path}`;
        return {
          id: a.advisory_id,
          title: a.title,
          link: [
            { rel: 'self', href: url },
            { rel: 'hash', href: `${url}.sha256` },
            { rel: 'hash', href: `${url}.sha512` },
            { rel: 'signature', href: `${url}.asc` },
          ],
          published: a.initial_release_at.toISOString(),
          updated: a.current_release_at.toISOString(),
          summary: { content: a.title },
          content: { type: 'application/json', src: url },
          format: { schema: 'https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json', version: '2.0' },
        };
      }),
    },
  };
}
