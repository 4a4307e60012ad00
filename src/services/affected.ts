// "Who ships an affected version?" For each vulnerable component (a purl plus a version range),
// the distinct versions of that package known to Village are matched in memory with the
// ecosystem's version order; then one read of the component index (src/services/component-index.ts)
// by the matching (package, version) ids finds every SBOM that ships one, each with the ancestor
// chain of its shallowest occurrence when a path is asked for. Results are for the case
// coordinator only.
// Also: the job that tells a case's coordinator when a new SBOM matches an open case.
import { type Kysely, sql } from 'kysely';
import type { AppContext } from '../context.ts';
import { decodeHits, type Hits } from '../domain/postings.ts';
import { int4ArrayFromSend } from '../domain/sbom-paths.ts';
import { normalizePurl, PurlError } from '../formats/purl-normal.ts';
import {
  type OsvEvent,
  osvEventsFromJson,
  parseVers,
  rangeMatcher,
  type VersionRange,
  VersionRangeError,
} from '../formats/vers.ts';
import { queueMail } from '../mail/outbox.ts';
import { escalationToCoordinator } from '../mail/templates.ts';
import { problems } from '../problem.ts';
import type { DB } from '../store/schema.ts';
import { orgRecipients } from './notify.ts';
import { SBOM_MATCH_JOB } from './sboms.ts';
import { addTimeline } from './timeline.ts';

export interface AffectedQuery {
  purl: string;
  range: VersionRange;
  /** Carried through to the results (e.g. the vulnerability id). */
  tag?: string;
}

export interface AffectedRow {
  tag: string | null;
  orgId: string;
  orgName: string;
  productId: string;
  productName: string;
  productVersion: string;
  sbomId: string;
  component: string;
  relation: 'direct' | 'transitive';
  depth: number;
  /**
   * false when the SBOM names the package without a version: the range cannot be checked, so it
   * may be affected (the coordinator asks the vendor).
   */
  versionKnown: boolean;
  /** From the product to the component, as purls; only when paths were asked for. */
  path?: string[];
}

/** A purl with a version, as the path and results show it. */
export const withVersion = (pkg: string, version: string): string =>
  version === '' ? pkg : `${pkg}@${encodeURIComponent(version).replace(/%3A/gi, ':')}`;

interface MatchedVersion {
  /** The component as results name it: the purl with its version, or without when none was given. */
  name: string;
  versionKnown: boolean;
}

/**
 * The package-version ids of one package whose version is in the range, with the component as
 * results name it; and the package's entries without a version, which may be affected (named by
 * the package alone).
 */
export async function matchingVersionIds(db: Kysely<DB>, q: AffectedQuery): Promise<Map<number, MatchedVersion>> {
  const n = normalizePurl(q.purl);
  const matches = rangeMatcher(n.type, q.range);
  const versions = await sql<{ id: number; version: string }>`
    SELECT pv.id, pv.version FROM package_versions pv JOIN packages p ON p.id = pv.package_id
    WHERE p.purl = ${n.pkg}`.execute(db);
  const out = new Map<number, MatchedVersion>();
  for (const v of versions.rows)
    if (v.version === '' || matches(v.version)) out.set(v.id, { name: withVersion(n.pkg, v.version), versionKnown: v.version !== '' });
  return out;
}

// --- caches of immutable facts -------------------------------------------------------------------------
//
// Per database (a WeakMap keyed by the Kysely instance), two caches of facts that never change
// once written, so they need no invalidation and never hold an answer to a query:
//   - sbomPlaces: sboms.id → (uid, product id, product name, product version, org id). An sboms
//     row is never updated (a new upload inserts a new row with a new serial id; ids are never
//     reused) and products are never renamed or moved to another organization. Entries of deleted
//     SBOMs are dead weight only: no component entry refers to them any more.
//   - pvNames: package_versions.id → the purl with version, for paths. Interned pairs are never
//     deleted or renumbered.
// Organization names can change (PATCH /organizations/{id}), so they are read fresh on every query.
// Both caches are filled lazily by the queries that need them and emptied when they grow past
// their limit.

interface SbomPlace {
  uid: string;
  productId: string;
  productName: string;
  productVersion: string;
  orgId: string;
  /** The organization's small number in this cache (AffectedCaches.orgIds). */
  orgSlot: number;
}
/** SBOM places by SBOM id: an array (ids are small serial integers), read once per result row. */
class PlaceTable {
  private byId: Array<SbomPlace | undefined> = [];
  size = 0;
  get(id: number): SbomPlace | undefined {
    return this.byId[id];
  }
  has(id: number): boolean {
    return this.byId[id] !== undefined;
  }
  set(id: number, p: SbomPlace): void {
    if (this.byId[id] === undefined) this.size++;
    this.byId[id] = p;
  }
  clear(): void {
    this.byId = [];
    this.size = 0;
  }
  *entries(): IterableIterator<[number, SbomPlace]> {
    for (let id = 0; id < this.byId.length; id++) {
      const p = this.byId[id];
      if (p) yield [id, p];
    }
  }
}

interface AffectedCaches {
  sbomPlaces: PlaceTable;
  pvNames: Map<number, string>;
  /** Organization ids by slot, and back. */
  orgIds: string[];
  orgSlots: Map<string, number>;
  /** Per SBOM id, its place's position in (product name, product version) order; null when places were added since. */
  productOrder: Int32Array | null;
}
const SBOM_PLACES_LIMIT = 1_000_000;
const PV_NAMES_LIMIT = 2_000_000;
const affectedCaches = new WeakMap<object, AffectedCaches>();
function cachesFor(db: object): AffectedCaches {
  let c = affectedCaches.get(db);
  if (!c) {
    c = { sbomPlaces: new PlaceTable(), pvNames: new Map(), orgIds: [], orgSlots: new Map(), productOrder: null };
    affectedCaches.set(db, c);
  }
  if (c.sbomPlaces.size > SBOM_PLACES_LIMIT) {
    c.sbomPlaces.clear();
    c.orgIds = [];
    c.orgSlots.clear();
    c.productOrder = null;
  }
  if (c.pvNames.size > PV_NAMES_LIMIT) c.pvNames.clear();
  return c;
}

/** Fills the SBOM place cache for the ids it lacks (one statement); ids of SBOMs deleted meanwhile stay absent. */
async function loadPlaces(db: Kysely<DB>, caches: AffectedCaches, ids: Iterable<number>): Promise<void> {
  const cache = caches.sbomPlaces;
  const missing: number[] = [];
  for (const id of ids) if (!cache.has(id)) missing.push(id);
  if (!missing.length) return;
  caches.productOrder = null;
  const r = await sql<{ t: string }>`
    SELECT coalesce(json_agg(json_build_array(s.id, s.uid, s.product_id, p.name, s.product_version, s.org_id)), '[]')::text AS t
    FROM sboms s JOIN products p ON p.id = s.product_id WHERE s.id = ANY(${missing}::int4[])`.execute(db);
  for (const [id, uid, productId, productName, productVersion, orgId] of JSON.parse(r.rows[0]?.t ?? '[]') as Array<
    [number, string, string, string, string, string]
  >)
    cache.set(id, { uid, productId, productName, productVersion, orgId, orgSlot: orgSlot(caches, orgId) });
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

/** Fills the package-version name cache for the ids it lacks (one statement). */
async function loadPvNames(db: Kysely<DB>, cache: Map<number, string>, ids: Iterable<number>): Promise<void> {
  const missing = new Set<number>();
  for (const id of ids) if (!cache.has(id)) missing.add(id);
  if (!missing.size) return;
  const r = await sql<{ t: string }>`
    SELECT coalesce(json_agg(json_build_array(pv.id, p.purl, pv.version)), '[]')::text AS t
    FROM package_versions pv JOIN packages p ON p.id = pv.package_id WHERE pv.id = ANY(${[...missing]}::int4[])`.execute(db);
  for (const [id, purl, version] of JSON.parse(r.rows[0]?.t ?? '[]') as Array<[number, string, string]>)
    cache.set(id, withVersion(purl, version));
}

/** Organization names, read fresh (they can change). */
async function orgNames(db: Kysely<DB>, ids: Set<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!ids.size) return out;
  const rows = await db
    .selectFrom('organizations')
    .select(['id', 'name'])
    .where('id', 'in', [...ids])
    .execute();
  for (const r of rows) out.set(r.id, r.name);
  return out;
}

/**
 * Every SBOM shipping one of the given package versions, at its kept occurrence: the posting rows
 * of those package versions, the pending rows of uploads not merged yet, and the SBOMs replaced
 * since the last merge (left out), all in one statement, so one snapshot. Each part crosses as a
 * few values (int4 arrays in binary form, byte strings concatenated) instead of as many rows.
 */
async function hitsOf(db: Kysely<DB>, pvIds: number[], withChains: boolean): Promise<Hits> {
  type Packed = Record<'p_pv' | 'p_n' | 'p_e' | 'p_c' | 'q_pv' | 'q_s' | 'q_d' | 'q_c' | 'dead', Uint8Array | null>;
  const r = await sql<Packed>`
    WITH p AS (
      SELECT array_send(array_agg(pv_id)) AS pv, array_send(array_agg(n)) AS n, string_agg(entries, ''::bytea) AS e
             ${withChains ? sql`, string_agg(chains, ''::bytea) AS c` : sql`, NULL::bytea AS c`}
      FROM component_postings WHERE pv_id = ANY(${pvIds}::int4[])
    ), q AS (
      SELECT array_send(array_agg(pv_id)) AS pv, array_send(array_agg(sbom_id)) AS s, array_send(array_agg(depth)) AS d
             ${withChains ? sql`, string_agg(path, ''::bytea) AS c` : sql`, NULL::bytea AS c`}
      FROM component_pending WHERE pv_id = ANY(${pvIds}::int4[])
    ), t AS (
      SELECT array_send(array_agg(sbom_id)) AS s FROM component_tombstones
    )
    SELECT p.pv AS p_pv, p.n AS p_n, p.e AS p_e, p.c AS p_c, q.pv AS q_pv, q.s AS q_s, q.d AS q_d, q.c AS q_c, t.s AS dead
    FROM p, q, t`.execute(db);
  const row = r.rows[0];
  const empty = new Uint8Array(0);
  return decodeHits(
    {
      pvId: int4ArrayFromSend(row?.p_pv),
      n: int4ArrayFromSend(row?.p_n),
      entries: row?.p_e ?? empty,
      chains: withChains ? (row?.p_c ?? empty) : null,
    },
    {
      pvId: int4ArrayFromSend(row?.q_pv),
      sbomId: int4ArrayFromSend(row?.q_s),
      depth: int4ArrayFromSend(row?.q_d),
      chains: withChains ? (row?.q_c ?? empty) : null,
    },
    new Set(int4ArrayFromSend(row?.dead)),
  );
}

/** Plain code-unit order: stable across engines and much cheaper than localeCompare. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Code-unit order of distinct strings, as ranks. */
function ranks(values: Iterable<string>): Map<string, number> {
  const sorted = [...new Set(values)].sort();
  return new Map(sorted.map((v, i) => [v, i]));
}

/**
 * Every SBOM that ships a version in range of any query: one row per SBOM and matching component
 * version, at its shallowest occurrence (direct beats transitive; then the first listed), with one
 * path when asked.
 */
export async function whoIsAffected(
  db: Kysely<DB>,
  queries: readonly AffectedQuery[],
  opts: { paths: boolean },
): Promise<AffectedRow[]> {
  const caches = cachesFor(db);
  return answer(db, caches, queries, opts);
}

async function answer(
  db: Kysely<DB>,
  caches: AffectedCaches,
  queries: readonly AffectedQuery[],
  opts: { paths: boolean },
): Promise<AffectedRow[]> {
  // Per query: its matches, one per SBOM and package version (the occurrence the upload kept).
  const found: Array<{ q: AffectedQuery; ids: Map<number, MatchedVersion>; hits: Hits }> = [];
  const sbomIds = new Set<number>();
  for (const q of queries) {
    const ids = await matchingVersionIds(db, q);
    if (!ids.size) continue;
    const hits = await hitsOf(db, [...ids.keys()], opts.paths);
    for (const id of hits.sbomId) sbomIds.add(id);
    found.push({ q, ids, hits });
  }
  await loadPlaces(db, caches, sbomIds);
  if (opts.paths) {
    const chainIds = new Set<number>();
    for (const f of found) {
      const { chains, chainAt, depth } = f.hits;
      for (let i = 0; i < depth.length; i++) {
        const at = chainAt?.[i] as number;
        for (let k = 0; k < (depth[i] as number) - 1; k++) chainIds.add(chains?.[at + k] as number);
      }
    }
    await loadPvNames(db, caches.pvNames, chainIds);
  }
  // Organization names, fresh, for the organizations in the results; ranked with the product order.
  const usedSlots = new Uint8Array(caches.orgIds.length);
  for (const id of sbomIds) {
    const place = caches.sbomPlaces.get(id);
    if (place) usedSlots[place.orgSlot] = 1;
  }
  const orgIds = new Set<string>();
  usedSlots.forEach((used, slot) => {
    if (used) orgIds.add(caches.orgIds[slot] as string);
  });
  const names = await orgNames(db, orgIds);
  const nameRank = ranks(names.values());
  const orgRank = new Float64Array(caches.orgIds.length);
  const orgNameOf: string[] = new Array(caches.orgIds.length).fill('');
  usedSlots.forEach((used, slot) => {
    if (!used) return;
    orgNameOf[slot] = names.get(caches.orgIds[slot] as string) ?? '';
    orgRank[slot] = nameRank.get(orgNameOf[slot] as string) ?? 0;
  });
  const product = productOrder(caches);
  const span = caches.sbomPlaces.size + 1;
  const componentRank = ranks(found.flatMap((f) => [...f.ids.values()].map((m) => m.name)));
  const tagRank = ranks(found.map((f) => f.q.tag ?? ''));
  const rows: AffectedRow[] = [];
  const order: number[] = [];
  for (const { q, ids, hits } of found) {
    const tag = tagRank.get(q.tag ?? '') as number;
    const componentOf = new Map(
      [...ids].map(([id, m]) => [id, { ...m, rank: componentRank.get(m.name) as number }]),
    );
    for (let i = 0; i < hits.sbomId.length; i++) {
      const sbomId = hits.sbomId[i] as number;
      const place = caches.sbomPlaces.get(sbomId);
      if (!place) continue; // replaced after the component lookup
      const depth = hits.depth[i] as number;
      const component = componentOf.get(hits.pvId[i] as number) as { name: string; rank: number; versionKnown: boolean };
      const row: AffectedRow = {
        tag: q.tag ?? null,
        orgId: place.orgId,
        orgName: orgNameOf[place.orgSlot] as string,
        productId: place.productId,
        productName: place.productName,
        productVersion: place.productVersion,
        sbomId: place.uid,
        component: component.name,
        relation: depth === 1 ? 'direct' : 'transitive',
        depth,
        versionKnown: component.versionKnown,
      };
      if (opts.paths) {
        const path = [`${place.productName}@${place.productVersion}`];
        const at = hits.chainAt?.[i] as number;
        for (let k = 0; k < depth - 1; k++) path.push(caches.pvNames.get(hits.chains?.[at + k] as number) as string);
        path.push(component.name);
        row.path = path;
      }
      const placeKey = (orgRank[place.orgSlot] as number) * span + (product[sbomId] as number);
      order.push((placeKey * componentRank.size + component.rank) * tagRank.size + tag);
      rows.push(row);
    }
  }
  return sortByKeys(rows, order);
}

/** Per SBOM id, its place's position in (product name, product version) order; sorted again only after places were added. */
function productOrder(caches: AffectedCaches): Int32Array {
  if (caches.productOrder) return caches.productOrder;
  let maxId = 0;
  const all: Array<{ id: number; name: string; version: string }> = [];
  for (const [id, p] of caches.sbomPlaces.entries()) {
    all.push({ id, name: p.productName, version: p.productVersion });
    if (id > maxId) maxId = id;
  }
  all.sort((a, b) => cmp(a.name, b.name) || cmp(a.version, b.version));
  const order = new Int32Array(maxId + 1);
  let rank = 0;
  all.forEach((x, i) => {
    const prev = all[i - 1];
    if (prev && (prev.name !== x.name || prev.version !== x.version)) rank = i;
    order[x.id] = rank;
  });
  caches.productOrder = order;
  return order;
}

/** Rows in the order of their keys (stable): one numeric sort when key × count fits a double. */
function sortByKeys(rows: AffectedRow[], keys: number[]): AffectedRow[] {
  const n = rows.length;
  let max = 0;
  for (const k of keys) if (k > max) max = k;
  if ((max + 1) * n < 2 ** 52) {
    const packed = new Float64Array(n);
    for (let i = 0; i < n; i++) packed[i] = (keys[i] as number) * n + i;
    packed.sort();
    return Array.from(packed, (v) => rows[v % n] as AffectedRow);
  }
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => (keys[a] as number) - (keys[b] as number) || a - b);
  return idx.map((i) => rows[i] as AffectedRow);
}

/**
 * A stored affected product as a query: a vers range, a JSON array of OSV events (as the case's
 * version range may hold, see src/formats/version-ranges.ts), a purl with a version, or every version.
 */
export function queryOf(purl: string, versionRange: string | null, tag?: string): AffectedQuery {
  const n = normalizePurl(purl);
  const text = versionRange?.trim() ?? '';
  let range: VersionRange;
  if (text.toLowerCase().startsWith('vers:')) range = { kind: 'vers', vers: parseVers(text) };
  else if (text.startsWith('[')) {
    range = { kind: 'osv', events: osvEventsFromJson(text) };
    rangeMatcher(n.type, range);
  } else if (n.version) range = { kind: 'exact', version: n.version };
  else if (text) throw new VersionRangeError(`"${versionRange}" is not a vers range (vers:<type>/<constraints>)`);
  else range = { kind: 'all' };
  return { purl: n.pkg, range, ...(tag ? { tag } : {}) };
}

export interface CaseAffected {
  results: AffectedRow[];
  /** Affected products that could not be matched, and why. */
  skipped: Array<{ affectedProductId: string; vulnerabilityId: string; reason: string }>;
}

/** Who ships what the case's vulnerabilities affect (tag = vulnerability id). */
export async function affectedForCase(db: Kysely<DB>, caseId: string, opts: { paths: boolean }): Promise<CaseAffected> {
  const products = await db
    .selectFrom('affected_products as ap')
    .innerJoin('vulnerabilities as v', 'v.id', 'ap.vulnerability_id')
    .select(['ap.id', 'ap.purl', 'ap.version_range', 'v.id as vulnerability_id'])
    .where('v.case_id', '=', caseId)
    .orderBy('ap.created_at')
    .execute();
  const queries: AffectedQuery[] = [];
  const skipped: CaseAffected['skipped'] = [];
  for (const p of products) {
    if (!p.purl) {
      skipped.push({ affectedProductId: p.id, vulnerabilityId: p.vulnerability_id, reason: 'no purl' });
      continue;
    }
    try {
      queries.push(queryOf(p.purl, p.version_range, p.vulnerability_id));
    } catch (e) {
      if (!(e instanceof VersionRangeError || e instanceof PurlError)) throw e;
      skipped.push({ affectedProductId: p.id, vulnerabilityId: p.vulnerability_id, reason: e.message });
    }
  }
  return { results: await whoIsAffected(db, queries, opts), skipped };
}

/** An ad-hoc query from the API: a purl with a vers string, OSV events, or neither (the purl's version or all). */
export function adHocQuery(input: { purl: string; vers?: string | undefined; events?: OsvEvent[] | undefined }): AffectedQuery {
  try {
    if (input.vers && input.events) throw new VersionRangeError('give vers or events, not both');
    if (input.events) {
      const n = normalizePurl(input.purl);
      const range: VersionRange = { kind: 'osv', events: input.events };
      rangeMatcher(n.type, range);
      return { purl: n.pkg, range };
    }
    return queryOf(input.purl, input.vers ?? null);
  } catch (e) {
    if (e instanceof VersionRangeError || e instanceof PurlError) throw problems.badRequest(e.message);
    throw e;
  }
}

// --- the notification job ----------------------------------------------------------------------------

/**
 * A new SBOM is checked against the affected products of every open case. The coordinator of a
 * case it matches gets a timeline entry only coordinators see and a mail that carries no case
 * content; the organization that uploaded it is told nothing.
 */
export function registerSbomMatch(ctx: AppContext): void {
  ctx.jobs.register<{ sbomId: string }>(SBOM_MATCH_JOB, async (job) => {
    await job.once(async (trx) => {
      const sbom = await trx
        .selectFrom('sboms as s')
        .innerJoin('products as p', 'p.id', 's.product_id')
        .innerJoin('organizations as o', 'o.id', 's.org_id')
        .select(['s.id', 's.uid', 's.org_id', 's.product_version', 'p.name as product_name', 'o.name as org_name'])
        .where('s.uid', '=', job.data.sbomId)
        .executeTakeFirst();
      if (!sbom) return; // replaced again before the job ran; the newer one has its own job
      const open = await trx
        .selectFrom('affected_products as ap')
        .innerJoin('vulnerabilities as v', 'v.id', 'ap.vulnerability_id')
        .innerJoin('cases as c', 'c.id', 'v.case_id')
        .select(['ap.purl', 'ap.version_range', 'c.id as case_id', 'c.ref', 'c.coordinator_org_id'])
        .where('c.closed_at', 'is', null)
        .where('ap.purl', 'is not', null)
        .execute();
      const queries: Array<{ q: AffectedQuery; caseId: string; ref: string; coordinator: string }> = [];
      for (const a of open) {
        try {
          queries.push({
            q: queryOf(a.purl as string, a.version_range),
            caseId: a.case_id,
            ref: a.ref,
            coordinator: a.coordinator_org_id,
          });
        } catch {
          // Ranges the matcher cannot read are listed by the case's own who-is-affected view.
        }
      }
      if (!queries.length) return;
      const shipped = await sql<{ purl: string; version: string }>`
        SELECT DISTINCT p.purl, pv.version FROM sbom_components c
        JOIN package_versions pv ON pv.id = c.pv_id JOIN packages p ON p.id = pv.package_id
        WHERE c.sbom_id = ${sbom.id} AND p.purl = ANY(${[...new Set(queries.map((x) => x.q.purl))]}::text[])`.execute(trx);
      const matched = new Map<string, { ref: string; coordinator: string; components: Set<string> }>();
      for (const x of queries) {
        const type = normalizePurl(x.q.purl).type;
        const inRange = rangeMatcher(type, x.q.range);
        for (const s of shipped.rows) {
          // A package listed without a version may be affected: the coordinator hears of it too.
          if (s.purl !== x.q.purl || (s.version !== '' && !inRange(s.version))) continue;
          const m = matched.get(x.caseId) ?? { ref: x.ref, coordinator: x.coordinator, components: new Set<string>() };
          m.components.add(s.version === '' ? `${s.purl} (version not given)` : withVersion(s.purl, s.version));
          matched.set(x.caseId, m);
        }
      }
      const now = ctx.clock.now();
      for (const [caseId, m] of matched) {
        await addTimeline(trx, null, {
          caseId,
          at: now,
          kind: 'sbom.matched',
          summary: `${sbom.org_name} registered an SBOM for ${sbom.product_name} ${sbom.product_version} that ships ${[...m.components].join(', ')}`,
          data: { orgId: sbom.org_id, sbomId: sbom.uid, components: [...m.components] },
          audience: 'coordinator',
        });
        const mail = escalationToCoordinator(ctx.config, {
          caseRef: m.ref,
          caseId,
          reason: 'a newly registered SBOM matches one of its vulnerabilities',
        });
        for (const u of await orgRecipients(trx, m.coordinator))
          await queueMail(ctx, trx, {
            key: `sbom-match:${sbom.uid}:${caseId}:${u.id}`,
            to: u.email,
            subject: mail.subject,
            text: mail.text,
            kind: 'case.sbom-match',
            tlp: 'GREEN', // a case reference and a link only (escalationToCoordinator)
          });
      }
    });
  });
}
