// Products and their SBOMs. An SBOM is parsed (streamed) before any transaction starts; then one
// transaction replaces what that product version ships: the old SBOM's rows go, the new
// components are interned and inserted in bulk, the audit entry is appended and the job that
// checks the SBOM against open cases is enqueued. A failure at any point leaves nothing.
import type { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { AppContext, RequestMeta } from '../context.ts';
import { type ParsedSbom, SbomError } from '../formats/sbom.ts';
import { problems } from '../problem.ts';
import type { DB } from '../store/schema.ts';
import { auditObject } from './audit-log.ts';
import { forgetEntries, inboxRow } from './component-index.ts';
import { internCacheFor, internComponents, type Learned, remember, warmInternCache } from './package-intern.ts';

export const SBOM_MATCH_JOB = 'sbom.match';

export interface ProductView {
  id: string;
  orgId: string;
  name: string;
  purl: string | null;
  createdAt: Date;
  versions: Array<{ version: string; sbomId: string; components: number; uploadedAt: Date }>;
}

export async function createProduct(
  ctx: AppContext,
  meta: RequestMeta,
  orgId: string,
  input: { name: string; purl?: string | undefined },
): Promise<{ id: string }> {
  return ctx.db.transaction().execute(async (trx) => {
    const exists = await trx
      .selectFrom('products')
      .select('id')
      .where('org_id', '=', orgId)
      .where('name', '=', input.name)
      .executeTakeFirst();
    if (exists) throw problems.conflict(`The organization already has a product named "${input.name}".`);
    const now = ctx.clock.now();
    const row = await trx
      .insertInto('products')
      .values({ org_id: orgId, name: input.name, purl: input.purl ?? null, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    await auditObject(ctx, trx, meta, { type: 'product', id: row.id }, 'product.create', { name: input.name }, orgId);
    return { id: row.id };
  });
}

export async function listProducts(db: Kysely<DB>, orgId: string, productId?: string): Promise<ProductView[]> {
  let q = db.selectFrom('products').selectAll().where('org_id', '=', orgId);
  if (productId) q = q.where('id', '=', productId);
  const products = await q.orderBy('name').execute();
  if (!products.length) return [];
  let sq = db
    .selectFrom('sboms')
    .select(['uid', 'product_id', 'product_version', 'component_count', 'created_at'])
    .where('org_id', '=', orgId);
  if (productId) sq = sq.where('product_id', '=', productId);
  const sboms = await sq.orderBy('created_at').execute();
  return products.map((p) => ({
    id: p.id,
    orgId: p.org_id,
    name: p.name,
    purl: p.purl,
    createdAt: p.created_at,
    versions: sboms
      .filter((s) => s.product_id === p.id)
      .map((s) => ({ version: s.product_version, sbomId: s.uid, components: s.component_count, uploadedAt: s.created_at })),
  }));
}

/** One product of the organization; a product of another organization is not found. */
export async function getProduct(db: Kysely<DB>, orgId: string, productId: string): Promise<ProductView> {
  const [p] = await listProducts(db, orgId, productId);
  if (!p) throw problems.notFound();
  return p;
}

/** Throws a 404 unless the product belongs to the organization. */
export async function assertProduct(db: Kysely<DB>, orgId: string, productId: string): Promise<void> {
  const p = await db
    .selectFrom('products')
    .select('id')
    .where('id', '=', productId)
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  if (!p) throw problems.notFound();
}

export interface IngestInput {
  orgId: string;
  productId: string;
  version: string;
  sbom: ParsedSbom;
  sha256: string;
  sizeBytes: number;
}

export interface IngestResult {
  sbomId: string;
  replaced: boolean;
  components: number;
  direct: number;
  warnings: string[];
}

/** The dependency graph as stored in sboms.edges: int32 little-endian (from, to) pairs. */
const edgesOf = (s: ParsedSbom): Buffer => Buffer.from(s.edges.buffer, s.edges.byteOffset, s.edges.byteLength);

/** Replaces what one product version ships with a parsed SBOM, in one transaction. */
export async function ingestSbom(ctx: AppContext, meta: RequestMeta, input: IngestInput): Promise<IngestResult> {
  const s = input.sbom;
  const cache = internCacheFor(ctx.db);
  // Not waited for: until it is done, what the cache lacks is looked up.
  if (!cache.warmed)
    warmInternCache(ctx.db, cache).catch((err: unknown) => {
      ctx.log.warn({ err }, 'could not warm the SBOM interning cache');
    });
  let learned: Learned | undefined;
  const result = await ctx.db.transaction().execute(async (trx) => {
    // Uploads of one product are serialised by its row lock.
    const product = await trx
      .selectFrom('products')
      .select(['id', 'org_id'])
      .where('id', '=', input.productId)
      .where('org_id', '=', input.orgId)
      .forUpdate()
      .executeTakeFirst();
    if (!product) throw problems.notFound();
    const old = await trx
      .deleteFrom('sboms')
      .where('product_id', '=', input.productId)
      .where('product_version', '=', input.version)
      .returning(['id', 'uid'])
      .executeTakeFirst();
    if (old) await forgetEntries(trx, old.id);
    const interned = await internComponents(trx, s.components, cache);
    learned = interned.learned;
    const pv = interned.pv;
    const now = ctx.clock.now();
    const direct = s.depth.filter((d) => d === 1).length;
    const staged = inboxRow({ pv, depth: s.depth, parent: s.parent });
    // The SBOM's row and its inbox row (where queries find its components at once), in one statement.
    const row = await trx
      .with('s', (q) =>
        q
          .insertInto('sboms')
          .values({
            product_id: input.productId,
            org_id: input.orgId,
            product_version: input.version,
            format: s.format,
            spec_version: s.specVersion,
            root_name: s.root?.name ?? null,
            root_purl: s.root?.purl ?? null,
            component_count: s.components.length,
            direct_count: direct,
            edge_count: s.edgeCount,
            edges: edgesOf(s),
            warnings: JSON.stringify(s.warnings),
            sha256: input.sha256,
            size_bytes: input.sizeBytes,
            uploaded_by: meta.actor.type === 'user' ? meta.actor.userId : null,
            created_at: now,
          })
          .returning(['id', 'uid']),
      )
      .with('inbox', (q) =>
        q
          .insertInto('component_inbox')
          .columns(['sbom_id', 'pv_ids', 'components'])
          .expression((eb) =>
            eb
              .selectFrom('s')
              .select([
                's.id',
                sql<number[]>`${staged.pvIds}::int4[]`.as('pv_ids'),
                sql<Buffer>`${staged.components}::bytea`.as('components'),
              ]),
          ),
      )
      .selectFrom('s')
      .select(['s.id', 's.uid'])
      .executeTakeFirstOrThrow();
    await auditObject(
      ctx,
      trx,
      meta,
      { type: 'sbom', id: row.uid },
      old ? 'sbom.replace' : 'sbom.upload',
      {
        productId: input.productId,
        version: input.version,
        format: s.format,
        specVersion: s.specVersion,
        components: s.components.length,
        sha256: input.sha256,
      },
      input.orgId,
    );
    await ctx.jobs.enqueue(trx, SBOM_MATCH_JOB, { sbomId: row.uid }, { key: row.uid, newKey: true });
    return { sbomId: row.uid, replaced: !!old, components: s.components.length, direct, warnings: s.warnings };
  });
  // Committed: what this upload interned is now safe to remember.
  if (learned) remember(cache, learned);
  return result;
}

/** Streams bytes through, counting them and hashing them; throws 413 beyond the limit. */
export async function* measured(
  source: AsyncIterable<Uint8Array | string>,
  limit: number,
  into: { bytes: number; hash: ReturnType<typeof createHash> },
): AsyncGenerator<Uint8Array | string> {
  for await (const chunk of source) {
    const n = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    into.bytes += n;
    if (into.bytes > limit) throw new SbomError('too-large', `the SBOM is larger than the limit of ${limit} bytes`);
    into.hash.update(chunk);
    yield chunk;
  }
}
