// "Who ships an affected version?" For each vulnerable component (a purl plus a version range),
// the distinct versions of that package known to Village are matched in memory with the
// ecosystem's version order; then one read of the component index (src/services/component-index.ts)
// by the matching (package, version) ids finds every SBOM that ships one, each with the ancestor
// chain of its shallowest occurrence when a path is asked for. Results are for the case
// coordinator only.
// Also: the job that tells a case's coordinator when a new SBOM matches an open case.
import { type Kysely, sql } from 'kysely';
import type { AppContext } from '../context.ts';
import { decodeComponents, inboxPending, joinPending } from '../domain/component-inbox.ts';
import { decodeHits, type Hits, int32s, type PendingRead, type PostingRead } from '../domain/postings.ts';
import { orderByRanks } from '../domain/rank-order.ts';
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
import {
  type AffectedCaches,
  cachesFor,
  loadPlaces,
  loadPvNames,
  placeRanks,
  type SbomPlace,
  warmPvNames,
  withVersion,
} from './affected-caches.ts';
import { mergeAndTidy } from './component-index.ts';
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

export { withVersion };

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
    if (v.version === '' || matches(v.version))
      out.set(v.id, { name: withVersion(n.pkg, v.version), versionKnown: v.version !== '' });
  return out;
}

/** Organization names, read fresh (they can change). */
async function orgNames(db: Kysely<DB>, ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!ids.length) return out;
  const rows = await db.selectFrom('organizations').select(['id', 'name']).where('id', 'in', ids).execute();
  for (const r of rows) out.set(r.id, r.name);
  return out;
}

/**
 * Which inbox rows ship one of the package versions. pv_ids && … compares every pair (~1 ns
 * each: 1,000 ids per row times the query's); beyond a few dozen query ids, probing a hash of
 * them once per id of the row (~75 µs per row) is cheaper.
 */
export function inboxMatch(pvIds: number[], few = 64) {
  return pvIds.length <= few
    ? sql`pv_ids && ${pvIds}::int4[]`
    : sql`EXISTS (SELECT 1 FROM unnest(pv_ids) AS x(pv) WHERE x.pv = ANY(${pvIds}::int4[]))`;
}

/** Organizations whose names a query reads along with its matches (beyond this, they are read after). */
const ORG_NAMES_WITH_MATCHES = 2000;

/**
 * Every SBOM shipping one of the given package versions, at its kept occurrence, in one statement
 * (so one snapshot): the posting rows of those package versions (each row a value of at most
 * ROW_CAPACITY entries: many moderate values cross faster than one large one), the uploads not
 * merged yet that ship one of them (inbox rows, and pending rows packed into one value), the
 * SBOMs replaced since the last merge (left out), and the current names of the given
 * organizations.
 */
async function readMatches(
  db: Kysely<DB>,
  pvIds: number[],
  withChains: boolean,
  orgIds: string[],
): Promise<{ hits: Hits; names: Map<string, string> }> {
  type Row = {
    k: 'p' | 'i' | 'q' | 't' | 'o';
    pv: number | null;
    n: number | null;
    e: Uint8Array | null;
    c: Uint8Array | null;
    t: string | null;
  };
  const r = await sql<Row>`
    SELECT 'p' AS k, pv_id AS pv, n, entries AS e, ${withChains ? sql`chains` : sql`NULL::bytea`} AS c, NULL::text AS t
    FROM component_postings WHERE pv_id = ANY(${pvIds}::int4[])
    UNION ALL
    SELECT 'i', sbom_id, NULL, components, NULL, NULL FROM component_inbox WHERE ${inboxMatch(pvIds)}
    UNION ALL
    SELECT 'q', NULL, NULL, string_agg(int4send(pv_id) || int4send(sbom_id) || int4send(depth), ''::bytea),
           ${withChains ? sql`string_agg(path, ''::bytea)` : sql`NULL::bytea`}, NULL
    FROM component_pending WHERE pv_id = ANY(${pvIds}::int4[])
    UNION ALL
    SELECT 't', NULL, NULL, string_agg(int4send(sbom_id), ''::bytea), NULL, NULL FROM component_tombstones
    UNION ALL
    SELECT 'o', NULL, NULL, NULL, NULL, coalesce(json_agg(json_build_array(id, name)), '[]')::text
    FROM organizations WHERE id = ANY(${orgIds}::uuid[])`.execute(db);
  const postings: PostingRead[] = [];
  const empty = new Uint8Array(0);
  let pending: PendingRead = { records: empty, chains: withChains ? empty : null };
  const staged: PendingRead[] = [];
  const wanted = new Set(pvIds);
  let dead = new Set<number>();
  const names = new Map<string, string>();
  for (const row of r.rows) {
    if (row.k === 'p')
      postings.push({
        pvId: row.pv as number,
        n: row.n as number,
        entries: row.e ?? empty,
        chains: withChains ? (row.c ?? empty) : null,
      });
    else if (row.k === 'i') staged.push(inboxPending(row.pv as number, decodeComponents(row.e ?? empty), wanted, withChains));
    else if (row.k === 'q') pending = { records: row.e ?? empty, chains: withChains ? (row.c ?? empty) : null };
    else if (row.k === 't') dead = new Set(int32s(row.e));
    else for (const [id, name] of JSON.parse(row.t ?? '[]') as Array<[string, string]>) names.set(id, name);
  }
  if (staged.length) pending = joinPending([pending, ...staged]);
  return { hits: decodeHits(postings, pending, dead), names };
}

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
  // Per query, the package versions it matches; then every match of any of them, read once.
  const matched: Array<{ q: AffectedQuery; ids: Map<number, MatchedVersion> }> = [];
  const pvIds = new Set<number>();
  for (const q of queries) {
    const ids = await matchingVersionIds(db, q);
    if (!ids.size) continue;
    matched.push({ q, ids });
    for (const id of ids.keys()) pvIds.add(id);
  }
  if (!matched.length) return [];
  const namesWithMatches = caches.orgIds.length <= ORG_NAMES_WITH_MATCHES;
  const known = namesWithMatches ? caches.orgIds.slice() : [];
  const { hits, names } = await readMatches(db, [...pvIds], opts.paths, known);
  await loadPlaces(db, caches, hits.sbomId);
  // Organizations first met in this query's places (slots are only appended), or, when there were
  // too many to read with the matches, those of this query's results.
  const unnamed = new Set(caches.orgIds.slice(known.length));
  if (!namesWithMatches)
    for (const id of hits.sbomId) {
      const place = caches.sbomPlaces.get(id);
      if (place) unnamed.add(place.orgId);
    }
  for (const [id, name] of await orgNames(db, [...unnamed])) names.set(id, name);
  if (opts.paths && hits.chains) {
    await warmPvNames(db, caches);
    await loadPvNames(db, caches.pvNames, hits.chains);
  }
  return rowsOf(caches, matched, hits, names, opts.paths);
}

/**
 * The result rows in order (organization name, product name and version, component, tag): keys
 * are computed per (query, hit), sorted, and only then are the row objects built.
 */
function rowsOf(
  caches: AffectedCaches,
  matched: ReadonlyArray<{ q: AffectedQuery; ids: Map<number, MatchedVersion> }>,
  hits: Hits,
  names: Map<string, string>,
  paths: boolean,
): AffectedRow[] {
  // Ranks: places (organization name, product, version), components by name, queries by tag.
  const orgNameOf: string[] = caches.orgIds.map((id) => names.get(id) ?? '');
  const places = placeRanks(caches, orgNameOf);
  const componentRank = ranks(matched.flatMap((m) => [...m.ids.values()].map((v) => v.name)));
  const tagRank = ranks(matched.map((m) => m.q.tag ?? ''));
  // Which queries each package version answers (most often one).
  const byPv = new Map<number, Array<{ query: number; rank: number }>>();
  matched.forEach((m, query) => {
    for (const [pv, version] of m.ids) {
      const list = byPv.get(pv) ?? [];
      list.push({ query, rank: componentRank.get(version.name) as number });
      byPv.set(pv, list);
    }
  });
  const tagOf = matched.map((m) => tagRank.get(m.q.tag ?? '') as number);
  let most = 1;
  for (const list of byPv.values()) most = Math.max(most, list.length);
  // One output per (hit, query it answers) whose SBOM still exists, as typed columns, ordered by
  // place rank, then component and tag rank (orderByRanks: linear, stable).
  const cap = hits.sbomId.length * most;
  const outHit = new Int32Array(cap);
  const outQuery = new Int32Array(cap);
  const major = new Int32Array(cap);
  const minor = new Int32Array(cap);
  let n = 0;
  for (let i = 0; i < hits.sbomId.length; i++) {
    const sbomId = hits.sbomId[i] as number;
    if (!caches.sbomPlaces.has(sbomId)) continue; // replaced after the matches were read
    const answers = byPv.get(hits.pvId[i] as number);
    if (!answers) continue;
    for (let a = 0; a < answers.length; a++) {
      const x = answers[a] as { query: number; rank: number };
      outHit[n] = i;
      outQuery[n] = x.query;
      major[n] = places.rank[sbomId] as number;
      minor[n++] = x.rank * tagRank.size + (tagOf[x.query] as number);
    }
  }
  const order = orderByRanks(major.subarray(0, n), places.size, minor.subarray(0, n), componentRank.size * tagRank.size);
  const rows: AffectedRow[] = new Array(n);
  for (let o = 0; o < n; o++) {
    const j = order[o] as number;
    const i = outHit[j] as number;
    const m = matched[outQuery[j] as number] as { q: AffectedQuery; ids: Map<number, MatchedVersion> };
    const place = caches.sbomPlaces.get(hits.sbomId[i] as number) as SbomPlace;
    const version = m.ids.get(hits.pvId[i] as number) as MatchedVersion;
    const depth = hits.depth[i] as number;
    const row: AffectedRow = {
      tag: m.q.tag ?? null,
      orgId: place.orgId,
      orgName: orgNameOf[place.orgSlot] as string,
      productId: place.productId,
      productName: place.productName,
      productVersion: place.productVersion,
      sbomId: place.uid,
      component: version.name,
      relation: depth === 1 ? 'direct' : 'transitive',
      depth,
      versionKnown: version.versionKnown,
    };
    if (paths) {
      const path: string[] = new Array(depth + 1);
      path[0] = place.label;
      const at = hits.chainAt?.[i] as number;
      for (let k = 1; k < depth; k++) path[k] = caches.pvNames.get(hits.chains?.[at + k - 1] as number) as string;
      path[depth] = version.name;
      row.path = path;
    }
    rows[o] = row;
  }
  return rows;
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
 * After each upload: the component index merges what is pending (mergeAndTidy; a no-op when an
 * earlier job of a burst merged it already), and the new SBOM is checked against the affected
 * products of every open case. The coordinator of a
 * case it matches gets a timeline entry only coordinators see and a mail that carries no case
 * content; the organization that uploaded it is told nothing.
 */
export function registerSbomMatch(ctx: AppContext): void {
  ctx.jobs.register<{ sbomId: string }>(SBOM_MATCH_JOB, async (job) => {
    // First, so the SBOM's components are in sbom_components when it is matched below.
    await mergeAndTidy(ctx.db);
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
