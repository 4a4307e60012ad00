// "Who ships an affected version?" For each vulnerable component (a purl plus a version range),
// the distinct versions of that package known to Village are matched in memory with the
// ecosystem's version order; then one index lookup on sbom_components by the matching
// (package, version) ids finds every SBOM that ships one, and, when asked, one walk up the stored
// parents gives a shortest dependency path. Results are for the case coordinator only.
// Also: the job that tells a case's coordinator when a new SBOM matches an open case.
import { type Kysely, sql } from 'kysely';
import type { AppContext } from '../context.ts';
import { normalizePurl, PurlError } from '../formats/purl-normal.ts';
import { type OsvEvent, parseVers, rangeMatcher, type VersionRange, VersionRangeError } from '../formats/vers.ts';
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
  /** From the product to the component, as purls; only when paths were asked for. */
  path?: string[];
}

/** A purl with a version, as the path and results show it. */
export const withVersion = (pkg: string, version: string): string =>
  version === '' ? pkg : `${pkg}@${encodeURIComponent(version).replace(/%3A/gi, ':')}`;

/** The package-version ids of one package whose version is in the range. */
export async function matchingVersionIds(db: Kysely<DB>, q: AffectedQuery): Promise<Map<number, string>> {
  const n = normalizePurl(q.purl);
  const matches = rangeMatcher(n.type, q.range);
  const versions = await sql<{ id: number; version: string }>`
    SELECT pv.id, pv.version FROM package_versions pv JOIN packages p ON p.id = pv.package_id
    WHERE p.purl = ${n.pkg}`.execute(db);
  const out = new Map<number, string>();
  for (const v of versions.rows) if (v.version !== '' && matches(v.version)) out.set(v.id, withVersion(n.pkg, v.version));
  return out;
}

interface Hit {
  sbom_id: number;
  idx: number;
  depth: number;
  pv_id: number;
  uid: string;
  product_version: string;
  product_id: string;
  org_id: string;
  product_name: string;
  org_name: string;
}

/**
 * The shortest path to each (sbom, idx), from the product, as purls. Results come back as one
 * JSON text (the embedded engine is slow to hand over many rows).
 */
export async function pathsFor(db: Kysely<DB>, hits: Array<{ sbom_id: number; idx: number }>): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!hits.length) return out;
  const r = await sql<{ t: string }>`
    WITH RECURSIVE walk(sbom_id, start_idx, parent_idx, pv_id, step) AS (
      SELECT c.sbom_id, c.idx, c.parent_idx, c.pv_id, 0
      FROM unnest(${hits.map((h) => h.sbom_id)}::int4[], ${hits.map((h) => h.idx)}::int4[]) AS u(s, i)
      JOIN sbom_components c ON c.sbom_id = u.s AND c.idx = u.i
      UNION ALL
      SELECT c.sbom_id, w.start_idx, c.parent_idx, c.pv_id, w.step + 1
      FROM walk w JOIN sbom_components c ON c.sbom_id = w.sbom_id AND c.idx = w.parent_idx
      WHERE w.parent_idx >= 0
    )
    SELECT coalesce(json_agg(json_build_array(x.sbom_id, x.start_idx, x.path)), '[]')::text AS t FROM (
      SELECT w.sbom_id, w.start_idx, json_agg(json_build_array(p.purl, pv.version) ORDER BY w.step DESC) AS path
      FROM walk w JOIN package_versions pv ON pv.id = w.pv_id JOIN packages p ON p.id = pv.package_id
      GROUP BY w.sbom_id, w.start_idx) x`.execute(db);
  const rows = JSON.parse(r.rows[0]?.t ?? '[]') as Array<[number, number, Array<[string, string]>]>;
  for (const [sbom, start, path] of rows)
    out.set(
      `${sbom}:${start}`,
      path.map(([purl, v]) => withVersion(purl, v)),
    );
  return out;
}

/** Plain code-unit order: stable across engines and much cheaper than localeCompare on big results. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byPlace = (a: AffectedRow, b: AffectedRow) =>
  cmp(a.orgName, b.orgName) ||
  cmp(a.productName, b.productName) ||
  cmp(a.productVersion, b.productVersion) ||
  cmp(a.component, b.component) ||
  cmp(a.tag ?? '', b.tag ?? '');

/**
 * Every SBOM that ships a version in range of any query: one row per SBOM and matching component
 * version, at its shallowest occurrence (direct beats transitive), with one path when asked.
 */
export async function whoIsAffected(
  db: Kysely<DB>,
  queries: readonly AffectedQuery[],
  opts: { paths: boolean },
): Promise<AffectedRow[]> {
  const rows: AffectedRow[] = [];
  for (const q of queries) {
    const ids = await matchingVersionIds(db, q);
    if (!ids.size) continue;
    // The shallowest occurrence per SBOM and package version, with its place, as one JSON text.
    const found = await sql<{ t: string }>`
      SELECT coalesce(json_agg(json_build_array(h.sbom_id, h.idx, h.depth, h.pv_id, s.uid, s.product_version, s.product_id,
                                                s.org_id, pr.name, o.name)), '[]')::text AS t
      FROM (SELECT DISTINCT ON (c.sbom_id, c.pv_id) c.sbom_id, c.idx, c.depth, c.pv_id
            FROM sbom_components c WHERE c.pv_id = ANY(${[...ids.keys()]}::int4[])
            ORDER BY c.sbom_id, c.pv_id, c.depth, c.idx) h
      JOIN sboms s ON s.id = h.sbom_id
      JOIN products pr ON pr.id = s.product_id
      JOIN organizations o ON o.id = s.org_id`.execute(db);
    const hits = {
      rows: (JSON.parse(found.rows[0]?.t ?? '[]') as Array<[number, number, number, number, ...string[]]>).map(
        (x): Hit => ({
          sbom_id: x[0],
          idx: x[1],
          depth: x[2],
          pv_id: x[3],
          uid: x[4] as string,
          product_version: x[5] as string,
          product_id: x[6] as string,
          org_id: x[7] as string,
          product_name: x[8] as string,
          org_name: x[9] as string,
        }),
      ),
    };
    const paths = opts.paths ? await pathsFor(db, hits.rows) : null;
    for (const h of hits.rows) {
      const path = paths?.get(`${h.sbom_id}:${h.idx}`);
      rows.push({
        tag: q.tag ?? null,
        orgId: h.org_id,
        orgName: h.org_name,
        productId: h.product_id,
        productName: h.product_name,
        productVersion: h.product_version,
        sbomId: h.uid,
        component: ids.get(h.pv_id) as string,
        relation: h.depth === 1 ? 'direct' : 'transitive',
        depth: h.depth,
        ...(paths ? { path: [`${h.product_name}@${h.product_version}`, ...(path ?? [])] } : {}),
      });
    }
  }
  return rows.sort(byPlace);
}

/** A stored affected product as a query: vers range, a purl with a version, or every version. */
export function queryOf(purl: string, versionRange: string | null, tag?: string): AffectedQuery {
  const n = normalizePurl(purl);
  const range: VersionRange = versionRange?.trim().toLowerCase().startsWith('vers:')
    ? { kind: 'vers', vers: parseVers(versionRange.trim()) }
    : n.version
      ? { kind: 'exact', version: n.version }
      : versionRange?.trim()
        ? (() => {
            throw new VersionRangeError(`"${versionRange}" is not a vers range (vers:<type>/<constraints>)`);
          })()
        : { kind: 'all' };
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
          if (s.purl !== x.q.purl || s.version === '' || !inRange(s.version)) continue;
          const m = matched.get(x.caseId) ?? { ref: x.ref, coordinator: x.coordinator, components: new Set<string>() };
          m.components.add(withVersion(s.purl, s.version));
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
