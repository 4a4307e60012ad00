// Interning: an SBOM's (package, version) pairs as package-version ids, inserting the ones the
// database has never seen. Ids already known to this process are kept in a cache per database:
// safe, because packages and package versions are never deleted or renumbered, and ids are added
// only after the transaction that learned them has committed (a rolled-back insert never leaves a
// stale id). A process's first upload starts filling the cache with every pair the database holds
// (or, beyond WARM_ALL_LIMIT, the most shipped ones), in the background: uploads meanwhile look up
// what the cache lacks, and once it is full they look up only pairs nobody has registered yet (a
// lookup costs ~20 µs per pair in the database, a cache hit ~1–2 µs). 667,000 pairs take ~45 MiB.
import { type Kysely, sql } from 'kysely';
import type { DB } from '../store/schema.ts';
import { mostShippedVersions } from './component-index.ts';

/** What interning needs of a component. */
export interface InternItem {
  /** Package URL without version, qualifiers or subpath (normalised). */
  pkg: string;
  /** purl type. */
  type: string;
  version: string | null;
}

/** Package and package-version ids, by purl and then version ('' for none). */
export class InternCache {
  readonly pkg = new Map<string, number>();
  readonly pv = new Map<string, Map<string, number>>();
  size = 0;
  /** The warm-up, once per process and database. */
  warmed?: Promise<void>;
  /** Set when the database is about to close: the warm-up stops after its current statement. */
  stopped = false;

  pvId(pkg: string, version: string): number | undefined {
    return this.pv.get(pkg)?.get(version);
  }

  setPv(pkg: string, version: string, id: number): void {
    let byVersion = this.pv.get(pkg);
    if (!byVersion) {
      byVersion = new Map();
      this.pv.set(pkg, byVersion);
    }
    if (!byVersion.has(version)) this.size++;
    byVersion.set(version, id);
  }

  clear(): void {
    this.pkg.clear();
    this.pv.clear();
    this.size = 0;
  }
}

/** Pairs a cache holds at most (it starts again, empty, beyond this). */
const CACHE_LIMIT = 2_000_000;
/** Up to this many package versions in the database, the warm-up reads them all. */
const WARM_ALL_LIMIT = 1_000_000;
/** Otherwise, the most shipped ones. */
const WARM_MOST_SHIPPED = 100_000;
/** Package versions per statement of a full read (~0.1 s of the event loop each). */
const READ_CHUNK = 50_000;

const caches = new WeakMap<object, InternCache>();

export function internCacheFor(db: object): InternCache {
  let c = caches.get(db);
  if (!c) {
    c = new InternCache();
    caches.set(db, c);
  }
  if (c.size > CACHE_LIMIT) c.clear();
  return c;
}

/** Every package version with its package, in id ranges of READ_CHUNK (one statement each). */
export async function forEachPackageVersion(
  db: Kysely<DB>,
  fn: (v: { pvId: number; packageId: number; purl: string; version: string }) => void,
  stop: () => boolean = () => false,
): Promise<void> {
  const stats = await sql<{ max: number | null }>`SELECT max(id) AS max FROM package_versions`.execute(db);
  const max = stats.rows[0]?.max ?? null;
  for (let lo = 0; max !== null && lo <= max && !stop(); lo += READ_CHUNK) {
    const r = await sql<{ t: string }>`
      SELECT coalesce(json_agg(json_build_array(pv.id, p.id, p.purl, pv.version)), '[]')::text AS t
      FROM package_versions pv JOIN packages p ON p.id = pv.package_id
      WHERE pv.id >= ${lo} AND pv.id < ${lo + READ_CHUNK}`.execute(db);
    for (const [pvId, packageId, purl, version] of JSON.parse(r.rows[0]?.t ?? '[]') as Array<[number, number, string, string]>)
      fn({ pvId, packageId, purl, version });
    await new Promise((resolve) => setImmediate(resolve)); // let requests in between chunks
  }
}

/** Package versions in the database (an estimate is enough to pick the warm-up). */
export async function packageVersionCount(db: Kysely<DB>): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int4 AS n FROM package_versions`.execute(db);
  return r.rows[0]?.n ?? 0;
}

/**
 * Fills the cache (committed facts only), once per process and database; the promise of the
 * first call is shared. A failure is forgotten, so a later upload tries again.
 */
export function warmInternCache(db: Kysely<DB>, cache: InternCache): Promise<void> {
  cache.warmed ??= (async () => {
    const put = (v: { pvId: number; packageId: number; purl: string; version: string }) => {
      cache.pkg.set(v.purl, v.packageId);
      cache.setPv(v.purl, v.version, v.pvId);
    };
    if ((await packageVersionCount(db)) <= WARM_ALL_LIMIT) await forEachPackageVersion(db, put, () => cache.stopped);
    else for (const v of await mostShippedVersions(db, WARM_MOST_SHIPPED)) put(v);
  })().catch((err: unknown) => {
    cache.warmed = undefined;
    throw err;
  });
  return cache.warmed;
}

/** Before the database closes: stops a warm-up still running and waits for its last statement. */
export async function stopWarmUp(db: object): Promise<void> {
  const cache = caches.get(db);
  if (!cache) return;
  cache.stopped = true;
  await cache.warmed?.catch(() => undefined);
}

/** What one interning learned, for the cache once its transaction has committed. */
export interface Learned {
  pkg: Map<string, number>;
  pv: Array<{ pkg: string; version: string; id: number }>;
}

export function remember(cache: InternCache, learned: Learned): void {
  for (const [purl, id] of learned.pkg) cache.pkg.set(purl, id);
  for (const v of learned.pv) cache.setPv(v.pkg, v.version, v.id);
}

interface Missing {
  pkg: string;
  type: string;
  version: string;
  /** Components waiting for this pair's id. */
  at: number[];
}

/**
 * Each item's package-version id, in one pass over the items: what the cache knows is taken from
 * it; the rest is looked up in one statement (both levels joined), and what is still missing is
 * inserted, packages then versions, one statement each. A pair another transaction inserted
 * meanwhile is read again in a fresh snapshot.
 */
export async function internComponents(
  trx: Kysely<DB>,
  items: readonly InternItem[],
  cache: InternCache,
): Promise<{ pv: Int32Array; learned: Learned }> {
  const out = new Int32Array(items.length);
  const learned: Learned = { pkg: new Map(), pv: [] };
  const missing = new Map<string, Missing>();
  for (let i = 0; i < items.length; i++) {
    const c = items[i] as InternItem;
    const version = c.version ?? '';
    const id = cache.pv.get(c.pkg)?.get(version);
    if (id !== undefined) {
      out[i] = id;
      continue;
    }
    const key = `${c.pkg}\u0000${version}`;
    const m = missing.get(key);
    if (m) m.at.push(i);
    else missing.set(key, { pkg: c.pkg, type: c.type, version, at: [i] });
  }
  const found = (m: Missing, id: number) => {
    for (const i of m.at) out[i] = id;
    learned.pv.push({ pkg: m.pkg, version: m.version, id });
  };
  if (missing.size) {
    const keys = [...missing.keys()];
    const wanted = [...missing.values()];
    const known = await sql<{ t: string }>`
      SELECT coalesce(json_agg(json_build_array(u.k, pv.id)), '[]')::text AS t
      FROM unnest(${wanted.map((m) => m.pkg)}::text[], ${wanted.map((m) => m.version)}::text[]) WITH ORDINALITY AS u(purl, version, k)
      JOIN packages p ON p.purl = u.purl
      JOIN package_versions pv ON pv.package_id = p.id AND pv.version = u.version`.execute(trx);
    for (const [k, id] of JSON.parse(known.rows[0]?.t ?? '[]') as Array<[number, number]>) {
      const key = keys[k - 1] as string;
      found(missing.get(key) as Missing, id);
      missing.delete(key);
    }
  }
  if (missing.size) await insertMissing(trx, [...missing.values()], cache, learned, found);
  return { pv: out, learned };
}

/** Inserts (or reads, when another transaction got there first) packages, then versions. */
async function insertMissing(
  trx: Kysely<DB>,
  wanted: Missing[],
  cache: InternCache,
  learned: Learned,
  found: (m: Missing, id: number) => void,
): Promise<void> {
  const pkgOf = (purl: string) => cache.pkg.get(purl) ?? learned.pkg.get(purl);
  const pkgs = new Map<string, string>();
  for (const m of wanted) if (pkgOf(m.pkg) === undefined) pkgs.set(m.pkg, m.type);
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
          SELECT id, purl FROM ins UNION ALL SELECT p.id, p.purl FROM packages p JOIN input i ON p.purl = i.purl) x`.execute(trx)
      : await sql<{ t: string }>`
        SELECT coalesce(json_agg(json_build_array(id, purl)), '[]')::text AS t FROM packages
        WHERE purl = ANY(${purls}::text[])`.execute(trx);
    for (const [id, purl] of JSON.parse(r.rows[0]?.t ?? '[]') as Array<[number, string]>) learned.pkg.set(purl, id);
  };
  if (purls.length) {
    await readPackages(true);
    if (purls.some((p) => !learned.pkg.has(p))) await readPackages(false);
  }
  const pIds = wanted.map((m) => pkgOf(m.pkg) as number);
  const vers = wanted.map((m) => m.version);
  const byKey = new Map(wanted.map((m, i) => [`${pIds[i]}\u0000${m.version}`, m]));
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
    for (const [id, p, v] of JSON.parse(r.rows[0]?.t ?? '[]') as Array<[number, number, string]>) {
      const key = `${p}\u0000${v}`;
      const m = byKey.get(key);
      if (!m) continue; // listed twice (the first read's UNION): already found
      found(m, id);
      byKey.delete(key);
    }
  };
  await readVersions(true);
  if (byKey.size) await readVersions(false);
  if (byKey.size) throw new Error(`interning: ${byKey.size} package versions neither inserted nor found`);
}
