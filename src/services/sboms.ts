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
import { forgetEntries, insertEntries, mostShippedVersions } from './component-index.ts';

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

/**
 * Interned ids already known to this process, per database. Safe to keep: packages and package
 * versions are never deleted or renumbered. Ids are added only after the transaction that
 * learned them has committed, so a rolled-back insert never leaves a stale id here.
 */
interface InternCache {
  pkg: Map<string, number>;
  pv: Map<string, number>;
  /** The warm-up (warmInternCache), once per process and database. */
  warmed?: Promise<void>;
}
const CACHE_LIMIT = 2_000_000;
/** How many of the most widely shipped package versions the warm-up reads. */
const WARM_PACKAGE_VERSIONS = 100_000;
const caches = new WeakMap<object, InternCache>();
function cacheFor(db: object): InternCache {
  let c = caches.get(db);
  if (!c) {
    c = { pkg: new Map(), pv: new Map() };
    caches.set(db, c);
  }
  if (c.pv.size > CACHE_LIMIT) {
    c.pkg.clear();
    c.pv.clear();
  }
  return c;
}

/**
 * Before a process's first upload: the ids of the package versions the most SBOMs ship (from the
 * component index's counts), so most of any new SBOM's (package, version) pairs are known without
 * a lookup; a lookup costs ~10 µs per pair, and a new SBOM's thousand pairs are mostly these.
 * Committed facts only (ids never change), so they can be kept at once.
 */
async function warmInternCache(db: Kysely<DB>, cache: InternCache): Promise<void> {
  for (const v of await mostShippedVersions(db, WARM_PACKAGE_VERSIONS)) {
    cache.pkg.set(v.purl, v.packageId);
    cache.pv.set(pvKey(v.purl, v.version), v.pvId);
  }
}

const pvKey = (pkg: string, version: string | null) => `${pkg}\u0000${version ?? ''}`;

/**
 * Interns package identities and (package, version) pairs that the cache does not know; returns
 * the pv id per component and what was learned. Each level is one statement (insert what is
 * missing, return every id, as one JSON text); a pair another transaction inserted meanwhile is
 * looked up again in a fresh snapshot.
 */
async function internComponents(
  trx: Kysely<DB>,
  s: ParsedSbom,
  cache: InternCache,
): Promise<{ pv: Int32Array; learned: InternCache }> {
  const learned: InternCache = { pkg: new Map(), pv: new Map() };
  const pkgOf = (purl: string) => cache.pkg.get(purl) ?? learned.pkg.get(purl);
  const pvOf = (key: string) => cache.pv.get(key) ?? learned.pv.get(key);
  const missingPv = new Map<string, { pkg: string; type: string; version: string }>();
  for (const c of s.components) {
    const k = pvKey(c.pkg, c.version);
    if (!cache.pv.has(k)) missingPv.set(k, { pkg: c.pkg, type: c.type, version: c.version ?? '' });
  }
  if (missingPv.size) {
    // Most pairs of an upload are known already: one read, both levels joined, finds them.
    const keys = [...missingPv.keys()];
    const known = await sql<{ t: string }>`
      SELECT coalesce(json_agg(json_build_array(u.k, pv.id)), '[]')::text AS t
      FROM unnest(${keys.map((k) => (missingPv.get(k) as { pkg: string }).pkg)}::text[],
                  ${keys.map((k) => (missingPv.get(k) as { version: string }).version)}::text[]) WITH ORDINALITY AS u(purl, version, k)
      JOIN packages p ON p.purl = u.purl
      JOIN package_versions pv ON pv.package_id = p.id AND pv.version = u.version`.execute(trx);
    for (const [k, id] of JSON.parse(known.rows[0]?.t ?? '[]') as Array<[number, number]>) {
      const key = keys[k - 1] as string;
      learned.pv.set(key, id);
      missingPv.delete(key);
    }
  }
  if (missingPv.size) {
    const pkgs = new Map<string, string>();
    for (const m of missingPv.values()) if (!cache.pkg.has(m.pkg)) pkgs.set(m.pkg, m.type);
    const purls = [...pkgs.keys()];
    const types = purls.map((p) => pkgs.get(p) as string);
    const readPackages = async (first: boolean) => {
      const r = first
        ? await sql<{ t: string }>`
          WITH input AS (SELECT * FROM unnest(${purls}::text[], ${types}::text[]) AS u(purl, type)),
          ins AS (INSERT INTO packages (purl, type)
                  SELECT i.purl, i.type FROM input i WHERE NOT EXISTS (SELECT 1 FROM packages p WHERE p.purl = i.purl)
                  ON CONFLICT (purl) DO NOTHING RETURNING id, purl)
          SELECT coalesce(json_agg(json_build_array(x.id, x.purl)), '[]')::text AS t FROM (
            SELECT id, purl FROM ins UNION ALL SELECT p.id, p.purl FROM packages p JOIN input i ON p.purl = i.purl) x`.execute(
            trx,
          )
        : await sql<{ t: string }>`
          SELECT coalesce(json_agg(json_build_array(id, purl)), '[]')::text AS t FROM packages
          WHERE purl = ANY(${purls}::text[])`.execute(trx);
      for (const [id, purl] of JSON.parse(r.rows[0]?.t ?? '[]') as Array<[number, string]>) learned.pkg.set(purl, id);
    };
    if (purls.length) {
      await readPackages(true);
      if (learned.pkg.size < purls.length) await readPackages(false);
    }
    const wanted = [...missingPv.values()];
    const pIds = wanted.map((m) => pkgOf(m.pkg) as number);
    const vers = wanted.map((m) => m.version);
    const byId = new Map<number, string>(wanted.map((m) => [pkgOf(m.pkg) as number, m.pkg]));
    const readVersions = async (first: boolean) => {
      const r = first
        ? await sql<{ t: string }>`
          WITH input AS (SELECT * FROM unnest(${pIds}::int4[], ${vers}::text[]) AS u(p, v)),
          ins AS (INSERT INTO package_versions (package_id, version)
                  SELECT i.p, i.v FROM input i
                  WHERE NOT EXISTS (SELECT 1 FROM package_versions x WHERE x.package_id = i.p AND x.version = i.v)
                  ON CONFLICT (package_id, version) DO NOTHING RETURNING id, package_id, version)
          SELECT coalesce(json_agg(json_build_array(y.id, y.package_id, y.version)), '[]')::text AS t FROM (
            SELECT id, package_id, version FROM ins
            UNION ALL
            SELECT x.id, x.package_id, x.version FROM package_versions x JOIN input i ON x.package_id = i.p AND x.version = i.v) y`.execute(
            trx,
          )
        : await sql<{ t: string }>`
          SELECT coalesce(json_agg(json_build_array(x.id, x.package_id, x.version)), '[]')::text AS t
          FROM package_versions x JOIN unnest(${pIds}::int4[], ${vers}::text[]) AS u(p, v) ON x.package_id = u.p AND x.version = u.v`.execute(
            trx,
          );
      for (const [id, p, v] of JSON.parse(r.rows[0]?.t ?? '[]') as Array<[number, number, string]>)
        learned.pv.set(pvKey(byId.get(p) as string, v), id);
    };
    const before = learned.pv.size;
    await readVersions(true);
    if (learned.pv.size - before < wanted.length) await readVersions(false);
  }
  const out = new Int32Array(s.components.length);
  s.components.forEach((c, i) => {
    out[i] = pvOf(pvKey(c.pkg, c.version)) as number;
  });
  return { pv: out, learned };
}

/** Replaces what one product version ships with a parsed SBOM, in one transaction. */
export async function ingestSbom(ctx: AppContext, meta: RequestMeta, input: IngestInput): Promise<IngestResult> {
  const s = input.sbom;
  const cache = cacheFor(ctx.db);
  cache.warmed ??= warmInternCache(ctx.db, cache).catch((err: unknown) => {
    ctx.log.warn({ err }, 'could not warm the SBOM interning cache');
  });
  await cache.warmed;
  let learned: InternCache | undefined;
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
    const interned = await internComponents(trx, s, cache);
    learned = interned.learned;
    const pv = interned.pv;
    const now = ctx.clock.now();
    const direct = s.depth.filter((d) => d === 1).length;
    const row = await trx
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
      .returning(['id', 'uid'])
      .executeTakeFirstOrThrow();
    await insertEntries(trx, row.id, { pv, depth: s.depth, parent: s.parent });
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
    await ctx.jobs.enqueue(trx, SBOM_MATCH_JOB, { sbomId: row.uid }, { key: row.uid });
    return { sbomId: row.uid, replaced: !!old, components: s.components.length, direct, warnings: s.warnings };
  });
  // Committed: what this upload interned is now safe to remember.
  for (const [k, v] of learned?.pkg ?? []) cache.pkg.set(k, v);
  for (const [k, v] of learned?.pv ?? []) cache.pv.set(k, v);
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
