// Caches "who is affected" keeps of facts that never change once written, per database (a
// WeakMap keyed by the Kysely instance), so they need no invalidation and never hold an answer to
// a query:
//   - SBOM places: sboms.id → (uid, product id, product name, product version, org id). An sboms
//     row is never updated (a new upload inserts a new row with a new serial id; ids are never
//     reused) and products are never renamed or moved to another organization. Entries of deleted
//     SBOMs are dead weight only: the component index no longer returns them.
//   - package-version names: package_versions.id → the purl with version, for paths. Interned
//     pairs are never deleted or renumbered.
// Organization names can change (PATCH /organizations/{id}), so queries read them fresh; here they
// only get small slot numbers. Both caches are emptied when they grow past their limit.
import { type Kysely, sql } from 'kysely';
import type { DB } from '../store/schema.ts';
import { mostShippedVersions } from './component-index.ts';
import { forEachPackageVersion, packageVersionCount } from './package-intern.ts';

/** A purl with a version, as paths and results show it. */
export const withVersion = (pkg: string, version: string): string =>
  version === '' ? pkg : `${pkg}@${encodeURIComponent(version).replace(/%3A/gi, ':')}`;

/** Ids from here up are kept in a Map instead of the dense array. */
const DENSE_IDS = 1 << 24;

/**
 * Values by serial id: a dense array grown by doubling (so a read is an array load, several times
 * cheaper than a Map lookup on a large Map), with a Map for ids too large for it.
 */
export class IdTable<T> {
  private dense: Array<T | undefined> = [];
  private sparse = new Map<number, T>();
  size = 0;
  get(id: number): T | undefined {
    return id < DENSE_IDS ? this.dense[id] : this.sparse.get(id);
  }
  has(id: number): boolean {
    return this.get(id) !== undefined;
  }
  set(id: number, v: T): void {
    if (this.get(id) === undefined) this.size++;
    if (id >= DENSE_IDS) {
      this.sparse.set(id, v);
      return;
    }
    if (id >= this.dense.length) {
      const grown: Array<T | undefined> = new Array(Math.min(DENSE_IDS, Math.max(1024, id + 1, 2 * this.dense.length))).fill(
        undefined,
      );
      for (let i = 0; i < this.dense.length; i++) grown[i] = this.dense[i];
      this.dense = grown;
    }
    this.dense[id] = v;
  }
  clear(): void {
    this.dense = [];
    this.sparse.clear();
    this.size = 0;
  }
  *entries(): IterableIterator<[number, T]> {
    for (let id = 0; id < this.dense.length; id++) {
      const v = this.dense[id];
      if (v !== undefined) yield [id, v];
    }
    yield* this.sparse.entries();
  }
}

export interface SbomPlace {
  uid: string;
  productId: string;
  productName: string;
  productVersion: string;
  /** "name@version", the first step of every path. */
  label: string;
  orgId: string;
  /** The organization's small number in this cache (AffectedCaches.orgIds). */
  orgSlot: number;
}

export interface PlaceRanks {
  names: string[];
  rank: Int32Array;
  size: number;
  /** SBOM ids in rank order. */
  order: Int32Array;
}

export interface AffectedCaches {
  sbomPlaces: IdTable<SbomPlace>;
  pvNames: IdTable<string>;
  /** Organization ids by slot, and back. */
  orgIds: string[];
  orgSlots: Map<string, number>;
  /**
   * Per SBOM id, its place's dense rank in (organization name, product name, product version)
   * order, for the organization names it was computed with, and the ids in that order; null
   * when it must be sorted from scratch.
   */
  placeRanks: PlaceRanks | null;
  /** Places added since placeRanks was computed (merged into its order on the next call). */
  placesAdded: number[];
  /** The path-name warm-up (warmPvNames), once. */
  pvNamesWarmed?: Promise<void>;
}
const SBOM_PLACES_LIMIT = 1_000_000;
const PV_NAMES_LIMIT = 2_000_000;
const affectedCaches = new WeakMap<object, AffectedCaches>();

export function cachesFor(db: object): AffectedCaches {
  let c = affectedCaches.get(db);
  if (!c) {
    c = { sbomPlaces: new IdTable(), pvNames: new IdTable(), orgIds: [], orgSlots: new Map(), placeRanks: null, placesAdded: [] };
    affectedCaches.set(db, c);
  }
  if (c.sbomPlaces.size > SBOM_PLACES_LIMIT) {
    c.sbomPlaces.clear();
    c.orgIds = [];
    c.orgSlots.clear();
    c.placeRanks = null;
    c.placesAdded = [];
  }
  if (c.pvNames.size > PV_NAMES_LIMIT) c.pvNames.clear();
  return c;
}

/**
 * Fills the SBOM place cache for the ids it lacks (one statement); ids of SBOMs deleted meanwhile
 * stay absent. The first time, every SBOM's place is read (when there are not too many), so the
 * product order is sorted once rather than again after each query that meets new SBOMs.
 */
export async function loadPlaces(db: Kysely<DB>, caches: AffectedCaches, ids: Int32Array): Promise<void> {
  const cache = caches.sbomPlaces;
  const missing = new Set<number>();
  for (const id of ids) if (!cache.has(id)) missing.add(id);
  if (!missing.size) return;
  const everything = cache.size === 0 && (await sbomCount(db)) <= SBOM_PLACES_LIMIT;
  const r = await sql<{ t: string }>`
    SELECT coalesce(json_agg(json_build_array(s.id, s.uid, s.product_id, p.name, s.product_version, s.org_id)), '[]')::text AS t
    FROM sboms s JOIN products p ON p.id = s.product_id
    ${everything ? sql`` : sql`WHERE s.id = ANY(${[...missing]}::int4[])`}`.execute(db);
  for (const [id, uid, productId, productName, productVersion, orgId] of JSON.parse(r.rows[0]?.t ?? '[]') as Array<
    [number, string, string, string, string, string]
  >) {
    if (!cache.has(id)) caches.placesAdded.push(id);
    cache.set(id, {
      uid,
      productId,
      productName,
      productVersion,
      label: `${productName}@${productVersion}`,
      orgId,
      orgSlot: orgSlot(caches, orgId),
    });
  }
}

async function sbomCount(db: Kysely<DB>): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int4 AS n FROM sboms`.execute(db);
  return r.rows[0]?.n ?? 0;
}

function orgSlot(caches: AffectedCaches, orgId: string): number {
  let slot = caches.orgSlots.get(orgId);
  if (slot === undefined) {
    slot = caches.orgIds.length;
    caches.orgIds.push(orgId);
    caches.orgSlots.set(orgId, slot);
  }
  return slot;
}

/**
 * Before the first query with paths: every package version's name when there are no more than
 * the cache holds (else those of the 100,000 the most SBOMs ship), read in id ranges. A path query
 * on a popular package meets tens of thousands of ancestors, mostly of packages few SBOMs ship;
 * looking them up on demand cost 100–200 ms per query the first time (10,000 names per ~170 ms).
 */
export function warmPvNames(db: Kysely<DB>, caches: AffectedCaches): Promise<void> {
  caches.pvNamesWarmed ??= (async () => {
    const put = (id: number, purl: string, version: string) => {
      if (!caches.pvNames.has(id)) caches.pvNames.set(id, withVersion(purl, version));
    };
    if ((await packageVersionCount(db)) > PV_NAMES_LIMIT) {
      for (const v of await mostShippedVersions(db, 100_000)) put(v.pvId, v.purl, v.version);
      return;
    }
    await forEachPackageVersion(db, (v) => put(v.pvId, v.purl, v.version));
  })().catch(() => {
    caches.pvNamesWarmed = undefined; // only a warm-up: names are looked up as needed anyway
  });
  return caches.pvNamesWarmed;
}

/** Fills the package-version name cache for the ids it lacks (one statement). */
export async function loadPvNames(db: Kysely<DB>, cache: IdTable<string>, ids: Int32Array): Promise<void> {
  const missing = new Set<number>();
  for (const id of ids) if (!cache.has(id)) missing.add(id);
  if (!missing.size) return;
  const r = await sql<{ t: string }>`
    SELECT coalesce(json_agg(json_build_array(pv.id, p.purl, pv.version)), '[]')::text AS t
    FROM package_versions pv JOIN packages p ON p.id = pv.package_id WHERE pv.id = ANY(${[...missing]}::int4[])`.execute(db);
  for (const [id, purl, version] of JSON.parse(r.rows[0]?.t ?? '[]') as Array<[number, string, string]>)
    cache.set(id, withVersion(purl, version));
}

/** Plain code-unit order: stable across engines and much cheaper than localeCompare. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Per SBOM id, its place's dense rank in (organization name, product name, product version) order
 * (code-unit order; equal places share a rank), given each organization slot's current name.
 * Sorted from scratch only when a name changed; places added since the last call are sorted on
 * their own and merged into the kept order (a handful of new SBOMs no longer re-sorts 30,000).
 */
export function placeRanks(caches: AffectedCaches, orgNameOf: readonly string[]): PlaceRanks {
  const cached = caches.placeRanks;
  const sameNames = !!cached && cached.names.length === orgNameOf.length && cached.names.every((n, i) => n === orgNameOf[i]);
  if (cached && sameNames && !caches.placesAdded.length) return cached;
  const place = (id: number) => caches.sbomPlaces.get(id) as SbomPlace;
  const compare = (a: number, b: number) => {
    const x = place(a);
    const y = place(b);
    return (
      cmp(orgNameOf[x.orgSlot] ?? '', orgNameOf[y.orgSlot] ?? '') ||
      cmp(x.productName, y.productName) ||
      cmp(x.productVersion, y.productVersion)
    );
  };
  let order: Int32Array;
  if (cached && sameNames) {
    const added = Int32Array.from(new Set(caches.placesAdded)).sort(compare);
    order = mergeSorted(cached.order, added, compare);
  } else {
    const ids: number[] = [];
    for (const [id] of caches.sbomPlaces.entries()) ids.push(id);
    order = Int32Array.from(ids.sort(compare));
  }
  caches.placesAdded = [];
  let maxId = 0;
  for (const id of order) if (id > maxId) maxId = id;
  const rank = new Int32Array(maxId + 1);
  let r = -1;
  for (let i = 0; i < order.length; i++) {
    if (i === 0 || compare(order[i - 1] as number, order[i] as number) !== 0) r++;
    rank[order[i] as number] = r;
  }
  caches.placeRanks = { names: [...orgNameOf], rank, size: r + 1, order };
  return caches.placeRanks;
}

/** Two sorted id lists as one (stable: on ties, a's first). */
function mergeSorted(a: Int32Array, b: Int32Array, compare: (x: number, y: number) => number): Int32Array {
  const out = new Int32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length)
    out[k++] = compare(b[j] as number, a[i] as number) < 0 ? (b[j++] as number) : (a[i++] as number);
  while (i < a.length) out[k++] = a[i++] as number;
  while (j < b.length) out[k++] = b[j++] as number;
  return out;
}
