// The SBOM benchmarks' shared part (bench/affected.ts, bench/ingest.ts): a generator of
// portfolios in tiers, loaded in bulk (multi-row INSERT … SELECT FROM unnest), then
//   - "who is affected" over many advisories (OSV events and vers ranges on packages of mixed
//     popularity), without and with a dependency path, timed per advisory;
//   - the same advisories answered by a naive scan (index scans off: every component entry is
//     read and its version checked), on a sample, for the speed ratio and an exactness check;
//   - ingest of typical 1,000-component CycloneDX SBOMs through the real service path
//     (streaming parse + one transaction), per SBOM.
// Tiers: small (CI) 100 orgs, 1,000 products, 3,000 SBOMs, ~1M entries; medium 200 orgs, 10,000
// products, 30,000 SBOMs, ~30M entries. Sizes are long-tailed (log-normal; median 600 at medium),
// dependency depth up to 15, ecosystems mixed.
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { systemClock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import type { AppContext, RequestMeta } from '../src/context.ts';
import { parseSbomText } from '../src/formats/sbom.ts';
import type { OsvEvent, VersionRange } from '../src/formats/vers.ts';
import { parseVers, rangeMatcher } from '../src/formats/vers.ts';
import { createLogger } from '../src/http/logging.ts';
import { createJobQueue } from '../src/jobs/pgboss-queue.ts';
import { type AffectedQuery, registerSbomMatch, whoIsAffected, withVersion } from '../src/services/affected.ts';
import { forgetEntries, mergeAndTidy, mergeComponentIndex, mergePending } from '../src/services/component-index.ts';
import { openInstanceKeys } from '../src/services/instance-keys.ts';
import { internCacheFor, warmInternCache } from '../src/services/package-intern.ts';
import { ingestSbom } from '../src/services/sboms.ts';
import type { Database, Engine } from '../src/store/database.ts';
import type { DB } from '../src/store/schema.ts';
import {
  emit,
  fmt,
  intOption,
  machine,
  now,
  openScratch,
  out,
  quantile,
  round,
  type ScratchDatabase,
  scratchDatabase,
  tempDir,
} from './lib.ts';

export interface Tier {
  name: 'small' | 'medium';
  orgs: number;
  products: number;
  sboms: number;
  packages: number;
  medianSize: number;
  maxSize: number;
}
export const TIERS: Record<Tier['name'], Tier> = {
  small: { name: 'small', orgs: 100, products: 1_000, sboms: 3_000, packages: 20_000, medianSize: 200, maxSize: 20_000 },
  medium: { name: 'medium', orgs: 200, products: 10_000, sboms: 30_000, packages: 100_000, medianSize: 600, maxSize: 100_000 },
};
/** Bump when the generator or loader changes what a tier holds: kept portfolios of another version are rebuilt. */
export const GENERATOR_VERSION = 2;
const SIGMA = 1.01; // log-normal spread: mean = median × e^(σ²/2) ≈ 1.67 × median
const MAX_DEPTH = 15;

// --- random ---------------------------------------------------------------------------------------------

let state = 0x2545f491;
function rand(): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 4294967296;
}
const randInt = (n: number) => Math.floor(rand() * n);
function normal(): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}
const geometric = (p: number) => Math.floor(Math.log(Math.max(rand(), 1e-12)) / Math.log(1 - p));

// --- the package universe ---------------------------------------------------------------------------------

const ECOSYSTEMS: Array<[type: string, weight: number]> = [
  ['npm', 40],
  ['maven', 20],
  ['pypi', 14],
  ['golang', 10],
  ['deb', 6],
  ['rpm', 5],
  ['nuget', 3],
  ['generic', 2],
];

function versionsFor(type: string, count: number): string[] {
  const out: string[] = [];
  let [a, b, c] = [randInt(3), randInt(10), randInt(10)];
  for (let i = 0; i < count; i++) {
    const step = rand();
    if (step < 0.1) [a, b, c] = [a + 1, 0, 0];
    else if (step < 0.4) [b, c] = [b + 1, 0];
    else c++;
    switch (type) {
      case 'golang':
        out.push(`v${a}.${b}.${c}`);
        break;
      case 'deb':
        out.push(`${a}.${b}.${c}-${1 + (i % 3)}`);
        break;
      case 'rpm':
        out.push(`${a}.${b}.${c}-${1 + (i % 4)}.el9`);
        break;
      case 'pypi':
        out.push(c === 0 ? `${a}.${b}` : `${a}.${b}.${c}`);
        break;
      case 'generic':
        out.push(`${a}.${b}.${c}${String.fromCharCode(97 + (i % 26))}`);
        break;
      default:
        out.push(`${a}.${b}.${c}`);
    }
  }
  return out;
}

export interface Universe {
  purl: string[];
  type: string[];
  versions: string[][];
  /** package_versions id of (package p, version 0). */
  pvBase: Int32Array;
  /** Cumulative popularity (Zipf, s = 1.07) for sampling. */
  cumulative: Float64Array;
}

export function makeUniverse(n: number): Universe {
  const total = ECOSYSTEMS.reduce((s, [, w]) => s + w, 0);
  const purl: string[] = [];
  const type: string[] = [];
  const versions: string[][] = [];
  const pvBase = new Int32Array(n);
  let pv = 1;
  for (let i = 0; i < n; i++) {
    let r = rand() * total;
    let t = 'npm';
    for (const [e, w] of ECOSYSTEMS) {
      if (r < w) {
        t = e;
        break;
      }
      r -= w;
    }
    const name = `pkg${i}`;
    const p =
      t === 'maven'
        ? `pkg:maven/org.example${i % 50}/${name}`
        : t === 'golang'
          ? `pkg:golang/github.com/example${i % 80}/${name}`
          : t === 'deb'
            ? `pkg:deb/debian/${name}`
            : t === 'rpm'
              ? `pkg:rpm/redhat/${name}`
              : `pkg:${t}/${name}`;
    purl.push(p);
    type.push(t);
    const count = 1 + Math.min(40, geometric(0.15));
    versions.push(versionsFor(t, count));
    pvBase[i] = pv;
    pv += count;
  }
  const cumulative = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += 1 / (i + 1) ** 1.07;
    cumulative[i] = acc;
  }
  return { purl, type, versions, pvBase, cumulative };
}

function popular(u: Universe): number {
  const x = rand() * (u.cumulative[u.cumulative.length - 1] as number);
  let lo = 0;
  let hi = u.cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((u.cumulative[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One SBOM's components: package index, version index, depth and parent (a tree, depth ≤ 15). */
export function makeSbom(u: Universe, size: number): { pkg: Int32Array; ver: Int32Array; depth: Int32Array; parent: Int32Array } {
  const n = Math.min(size, Math.floor(u.purl.length / 2));
  const chosen = new Set<number>();
  for (let tries = 0; chosen.size < n && tries < n * 4; tries++) chosen.add(popular(u));
  while (chosen.size < n) chosen.add(randInt(u.purl.length));
  const pkg = Int32Array.from(chosen);
  const ver = new Int32Array(n);
  const depth = new Int32Array(n);
  const parent = new Int32Array(n);
  const direct = Math.max(1, Math.round(n * (0.05 + rand() * 0.15)));
  for (let i = 0; i < n; i++) {
    const vs = (u.versions[pkg[i] as number] as string[]).length;
    ver[i] = Math.max(0, vs - 1 - Math.min(vs - 1, geometric(0.35)));
    if (i < direct) {
      depth[i] = 1;
      parent[i] = -1;
    } else {
      // Mostly a recent component as parent, so chains get deep; never beyond MAX_DEPTH.
      let p = Math.max(0, i - 1 - Math.min(i - 1, geometric(0.3)));
      if ((depth[p] as number) >= MAX_DEPTH) p = randInt(direct);
      parent[i] = p;
      depth[i] = (depth[p] as number) + 1;
    }
  }
  return { pkg, ver, depth, parent };
}

const sizeOf = (t: Tier) => Math.max(5, Math.min(t.maxSize, Math.round(t.medianSize * Math.exp(SIGMA * normal()))));

// --- loading -------------------------------------------------------------------------------------------------

export async function loadTier(
  db: Kysely<DB>,
  t: Tier,
  u: Universe,
  log: (s: string) => void,
): Promise<{ entries: number; ms: number }> {
  const t0 = now();
  const orgIds = Array.from({ length: t.orgs }, () => randomUUID());
  await sql`INSERT INTO organizations (id, slug, name, kind)
            SELECT id, 'bench-' || n, 'Bench vendor ' || n, 'vendor'
            FROM unnest(${orgIds}::uuid[]) WITH ORDINALITY AS x(id, n)`.execute(db);
  const productIds = Array.from({ length: t.products }, () => randomUUID());
  const productOrg = productIds.map(() => orgIds[randInt(t.orgs)] as string);
  await sql`INSERT INTO products (id, org_id, name, created_at)
            SELECT id, org, 'product-' || n, now()
            FROM unnest(${productIds}::uuid[], ${productOrg}::uuid[]) WITH ORDINALITY AS x(id, org, n)`.execute(db);
  // Interned packages and versions with the generator's own ids.
  for (let from = 0; from < u.purl.length; from += 50_000) {
    const to = Math.min(u.purl.length, from + 50_000);
    const ids = Array.from({ length: to - from }, (_, k) => from + k + 1);
    await sql`INSERT INTO packages (id, purl, type)
              SELECT * FROM unnest(${ids}::int4[], ${u.purl.slice(from, to)}::text[], ${u.type.slice(from, to)}::text[])`.execute(
      db,
    );
    const pvIds: number[] = [];
    const pvPkg: number[] = [];
    const pvVer: string[] = [];
    for (let p = from; p < to; p++)
      (u.versions[p] as string[]).forEach((v, k) => {
        pvIds.push((u.pvBase[p] as number) + k);
        pvPkg.push(p + 1);
        pvVer.push(v);
      });
    await sql`INSERT INTO package_versions (id, package_id, version)
              SELECT * FROM unnest(${pvIds}::int4[], ${pvPkg}::int4[], ${pvVer}::text[])`.execute(db);
  }
  await sql`SELECT setval('packages_id_seq', (SELECT max(id) FROM packages))`.execute(db);
  await sql`SELECT setval('package_versions_id_seq', (SELECT max(id) FROM package_versions))`.execute(db);
  // Bulk load without per-row index maintenance; the primary key is built at the end.
  await sql`ALTER TABLE sbom_components DROP CONSTRAINT sbom_components_pkey`.execute(db);

  const perProduct = Math.ceil(t.sboms / t.products);
  let entries = 0;
  let sbomId = 0;
  type Batch = {
    s: number[];
    i: number[];
    pv: number[];
    d: number[];
    p: number[];
    off: number[];
    paths: Buffer[];
    bytes: number;
  };
  const empty = (): Batch => ({ s: [], i: [], pv: [], d: [], p: [], off: [], paths: [], bytes: 0 });
  let batch = empty();
  let inflight: Promise<unknown> | undefined;
  const flush = async () => {
    const b = batch;
    batch = empty();
    await inflight;
    const all = Buffer.concat(b.paths);
    inflight = sql`INSERT INTO sbom_components (sbom_id, idx, pv_id, depth, parent_idx, path)
                   SELECT u.s, u.i, u.pv, u.d, u.p, substring(${all}::bytea FROM u.o + 1 FOR (u.d - 1) * 4)
                   FROM unnest(${b.s}::int4[], ${b.i}::int4[], ${b.pv}::int4[], ${b.d}::int4[], ${b.p}::int4[], ${b.off}::int4[])
                     AS u(s, i, pv, d, p, o)`.execute(db);
  };
  const sbomRows: Array<Record<string, unknown>> = [];
  const flushSboms = async () => {
    if (!sbomRows.length) return;
    const rows = sbomRows.splice(0);
    await inflight;
    inflight = undefined;
    await db
      .insertInto('sboms')
      .values(rows as never)
      .execute();
  };
  for (let k = 0; k < t.sboms; k++) {
    const product = k % t.products;
    const version = `1.${Math.floor(k / t.products)}.0`;
    if (Math.floor(k / t.products) >= perProduct) break;
    const s = makeSbom(u, sizeOf(t));
    sbomId++;
    const edges = Buffer.alloc(s.pkg.length * 8);
    const pvOf = (i: number) => (u.pvBase[s.pkg[i] as number] as number) + (s.ver[i] as number);
    const chains: Buffer[] = [];
    for (let i = 0; i < s.pkg.length; i++) {
      const parent = s.parent[i] as number;
      let chain = Buffer.alloc(0);
      if (parent >= 0) {
        chain = Buffer.alloc((chains[parent] as Buffer).length + 4);
        (chains[parent] as Buffer).copy(chain);
        chain.writeInt32BE(pvOf(parent), chain.length - 4);
      }
      chains.push(chain);
      batch.off.push(batch.bytes);
      batch.paths.push(chain);
      batch.bytes += chain.length;
      batch.s.push(sbomId);
      batch.i.push(i);
      batch.pv.push((u.pvBase[s.pkg[i] as number] as number) + (s.ver[i] as number));
      batch.d.push(s.depth[i] as number);
      batch.p.push(s.parent[i] as number);
      edges.writeInt32LE(s.parent[i] as number, i * 8);
      edges.writeInt32LE(i, i * 8 + 4);
    }
    entries += s.pkg.length;
    sbomRows.push({
      id: sbomId,
      product_id: productIds[product],
      org_id: productOrg[product],
      product_version: version,
      format: 'cyclonedx-json',
      spec_version: '1.6',
      component_count: s.pkg.length,
      direct_count: s.depth.filter((d) => d === 1).length,
      edge_count: s.pkg.length,
      edges,
      sha256: '0'.repeat(64),
      size_bytes: s.pkg.length * 200,
      created_at: new Date(),
    });
    if (sbomRows.length >= 200) await flushSboms();
    if (batch.s.length >= 200_000) {
      await flushSboms();
      await flush();
    }
    if ((k + 1) % Math.max(1, Math.floor(t.sboms / 10)) === 0)
      log(`  generated ${fmt(k + 1)} / ${fmt(t.sboms)} SBOMs, ${fmt(entries)} entries (${fmt((now() - t0) / 1000, 1)} s)`);
  }
  await flushSboms();
  await flush();
  await inflight;
  await sql`SELECT setval('sboms_id_seq', (SELECT max(id) FROM sboms))`.execute(db);
  const ti = now();
  await sql`ALTER TABLE sbom_components ADD PRIMARY KEY (sbom_id, idx)`.execute(db);
  log(`  primary key: ${fmt((now() - ti) / 1000, 1)} s`);
  // The component index as uploads leave it (pending rows: the kept occurrence per SBOM and
  // package version), then packed by the service's own merge.
  const tp = now();
  await sql`INSERT INTO component_pending (pv_id, sbom_id, depth, path)
            SELECT DISTINCT ON (sbom_id, pv_id) pv_id, sbom_id, depth, path
            FROM sbom_components ORDER BY sbom_id, pv_id, depth, idx`.execute(db);
  log(`  pending rows: ${fmt((now() - tp) / 1000, 1)} s`);
  await mergeAll(db, log);
  await sql`VACUUM ANALYZE`.execute(db);
  log(`  index and VACUUM ANALYZE: ${fmt((now() - ti) / 1000, 1)} s`);
  return { entries, ms: now() - t0 };
}

/** Merges what is pending into the component index, if anything is, and says how long it took. */
async function mergeAll(db: Kysely<DB>, log: (s: string) => void): Promise<void> {
  if (!(await mergePending(db))) return;
  const t0 = now();
  const r = await mergeAndTidy(db);
  log(
    `  component index merge (and vacuum): ${fmt(r.expanded)} uploads expanded, ${fmt(r.moved)} pending entries packed, ` +
      `${fmt(r.purged)} replaced SBOMs removed, in ${fmt((now() - t0) / 1000, 1)} s`,
  );
}

// --- advisories -----------------------------------------------------------------------------------------------

/** Advisories on packages of every popularity, with OSV events or vers strings. */
export function makeAdvisories(u: Universe, count: number): AffectedQuery[] {
  const out: AffectedQuery[] = [];
  for (let k = 0; k < count; k++) {
    // Half weighted by how widely a package is used (the Heartbleeds), half uniform (the long tail).
    const p = k % 2 === 0 ? popular(u) : randInt(u.purl.length);
    const vs = u.versions[p] as string[];
    const lo = randInt(vs.length);
    const hi = lo + 1 + randInt(vs.length - lo);
    const type = u.type[p] as string;
    let range: VersionRange;
    if (k % 4 < 2) {
      const events: OsvEvent[] = [{ introduced: lo === 0 ? '0' : (vs[lo] as string) }];
      if (hi < vs.length) events.push({ fixed: vs[hi] as string });
      range = { kind: 'osv', events };
    } else {
      const versType = type === 'golang' ? 'golang' : type;
      const parts = [`>=${encodeURIComponent(vs[lo] as string)}`];
      if (hi < vs.length) parts.push(`<${encodeURIComponent(vs[hi] as string)}`);
      range = { kind: 'vers', vers: parseVers(`vers:${versType}/${parts.join('|')}`) };
    }
    out.push({ purl: u.purl[p] as string, range });
  }
  return out;
}

/** The naive answer: every component entry scanned (index scans off), versions checked one by one. */
export async function naiveAffected(db: Kysely<DB>, q: AffectedQuery, type: string): Promise<Set<string>> {
  const matches = rangeMatcher(type, q.range);
  const rows = await db.transaction().execute(async (trx) => {
    await sql`SET LOCAL enable_indexscan = off`.execute(trx);
    await sql`SET LOCAL enable_bitmapscan = off`.execute(trx);
    await sql`SET LOCAL enable_indexonlyscan = off`.execute(trx);
    const r = await sql<{ uid: string; depth: number; version: string }>`
      SELECT s.uid, c.depth, pv.version
      FROM sbom_components c
      JOIN package_versions pv ON pv.id = c.pv_id
      JOIN packages p ON p.id = pv.package_id
      JOIN sboms s ON s.id = c.sbom_id
      WHERE p.purl = ${q.purl}`.execute(trx);
    return r.rows;
  });
  const best = new Map<string, number>();
  for (const r of rows) {
    if (r.version === '' || !matches(r.version)) continue;
    const key = `${r.uid}|${withVersion(q.purl, r.version)}`;
    best.set(key, Math.min(best.get(key) ?? Number.POSITIVE_INFINITY, r.depth));
  }
  return new Set([...best].map(([k, d]) => `${k}|${d}`));
}

// --- ingest documents ---------------------------------------------------------------------------------------------

/** A CycloneDX 1.6 JSON document of `n` components from the universe, with its dependency tree. */
export function cycloneDx(u: Universe, n: number, label: string): string {
  const s = makeSbom(u, n);
  const ref = (i: number) => `c${i}`;
  const components = Array.from(s.pkg, (p, i) => {
    const version = (u.versions[p] as string[])[s.ver[i] as number] as string;
    return {
      type: 'library',
      'bom-ref': ref(i),
      name: (u.purl[p] as string).split('/').pop(),
      version,
      purl: withVersion(u.purl[p] as string, version),
    };
  });
  const deps = new Map<number, number[]>();
  for (let i = 0; i < s.pkg.length; i++) {
    const parent = s.parent[i] as number;
    deps.set(parent, [...(deps.get(parent) ?? []), i]);
  }
  return JSON.stringify({
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: { component: { type: 'application', 'bom-ref': 'root', name: label, version: '1.0.0' } },
    components,
    dependencies: [
      { ref: 'root', dependsOn: (deps.get(-1) ?? []).map(ref) },
      ...Array.from(s.pkg, (_, i) => ({ ref: ref(i), dependsOn: (deps.get(i) ?? []).map(ref) })),
    ],
  });
}

// --- the run -------------------------------------------------------------------------------------------------------

export interface SbomBenchResult {
  [k: string]: unknown;
}

export async function runSbomBench(kind: 'affected' | 'ingest'): Promise<void> {
  const args = process.argv.slice(2);
  const tierName = (args[args.indexOf('--tier') + 1] ?? 'small') as Tier['name'];
  const tier = args.includes('--tier') ? TIERS[tierName] : TIERS.small;
  if (!tier) throw new Error(`--tier must be small or medium, not ${tierName}`);
  const onlyEngine = args.includes('--engine') ? (args[args.indexOf('--engine') + 1] as Engine) : undefined;
  const advisories = intOption('advisories', kind === 'affected' ? 500 : 100);
  const naiveCount = intOption('naive', tier.name === 'small' ? 40 : 10);
  const ingests = intOption('ingests', kind === 'ingest' ? 100 : 30);
  const keep = args.includes('--keep') ? args[args.indexOf('--keep') + 1] : undefined;
  if (keep !== undefined && !/^[a-z0-9_]{1,30}$/.test(keep)) throw new Error('--keep needs a name of a-z, 0-9 and _');
  if (keep !== undefined && onlyEngine !== 'postgres') throw new Error('--keep needs --engine postgres');
  const m = machine();
  out(
    `SBOM ${kind} benchmark, tier ${tier.name}: ${fmt(tier.orgs)} organizations, ${fmt(tier.products)} products, ` +
      `${fmt(tier.sboms)} SBOMs (median ${tier.medianSize} components); node ${m.node}, ${m.cpus} x ${m.cpu}`,
  );
  const list: Engine[] = onlyEngine ? [onlyEngine] : process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
  const results: Record<string, SbomBenchResult> = {};
  for (const engine of list) results[engine] = await runOn(engine, tier, { advisories, naiveCount, ingests, keep });
  const primary = results[list[list.length - 1] as string] as SbomBenchResult;
  emit({
    bench: kind,
    tier: tier.name,
    engine: list[list.length - 1],
    ...primary,
    ...(list.length > 1 ? { engines: results } : {}),
    machine: m,
  });
}

async function runOn(
  engine: Engine,
  tier: Tier,
  o: { advisories: number; naiveCount: number; ingests: number; keep: string | undefined },
): Promise<SbomBenchResult> {
  out(`\n== ${engine}`);
  state = 0x2545f491; // the same portfolio on every engine
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  const scratch = o.keep ? await keptDatabase(o.keep) : await scratchDatabase(engine, 'sbom');
  const database: Database = await openScratch(scratch);
  const runTag = randomUUID().slice(0, 8);
  try {
    const u = makeUniverse(tier.packages);
    const kept = o.keep ? await keptPortfolio(database.db, tier) : undefined;
    let load: { entries: number; ms: number };
    if (kept) {
      load = { entries: kept.entries, ms: kept.load_ms };
      state = kept.rand_state; // as if loadTier had just run
      out(
        `  reusing the kept portfolio "${o.keep}" (${fmt(kept.entries)} component entries, built in ${fmt(kept.load_ms / 1000, 1)} s)`,
      );
      await mergeAll(database.db, out); // what a migration left pending
    } else {
      if (o.keep) await resetPortfolio(database.db);
      load = await loadTier(database.db, tier, u, out);
      out(
        `  loaded ${fmt(load.entries)} component entries in ${fmt(load.ms / 1000, 1)} s ` +
          `(${fmt(load.entries / (load.ms / 1000))} entries/s)`,
      );
      if (o.keep) await markPortfolio(database.db, tier, load);
    }

    // -- who is affected, without and with paths
    const qs = makeAdvisories(u, o.advisories);
    for (const q of qs.slice(0, 10)) await whoIsAffected(database.db, [q], { paths: true }); // warm-up
    const plain: number[] = [];
    const withPath: number[] = [];
    let hits = 0;
    let maxHits = 0;
    for (const q of qs) {
      const t0 = now();
      const r = await whoIsAffected(database.db, [q], { paths: false });
      plain.push(now() - t0);
      hits += r.length;
      maxHits = Math.max(maxHits, r.length);
    }
    for (const q of qs) {
      const t0 = now();
      await whoIsAffected(database.db, [q], { paths: true });
      withPath.push(now() - t0);
    }
    out(
      `  who is affected, ${fmt(qs.length)} advisories (${fmt(hits / qs.length, 1)} affected SBOM rows on average, at most ${fmt(maxHits)}):`,
    );
    out(`    without paths: p50 ${fmt(quantile(plain, 0.5), 2)} ms, p99 ${fmt(quantile(plain, 0.99), 2)} ms`);
    out(`    with a path:   p50 ${fmt(quantile(withPath, 0.5), 2)} ms, p99 ${fmt(quantile(withPath, 0.99), 2)} ms`);

    // -- the naive scan on a sample, and exactness
    const typeOf = new Map(u.purl.map((p, i) => [p, u.type[i] as string]));
    const naive: number[] = [];
    const fast: number[] = [];
    let exact = true;
    for (const q of qs.slice(0, o.naiveCount)) {
      const t0 = now();
      const a = await whoIsAffected(database.db, [q], { paths: false });
      fast.push(now() - t0);
      const t1 = now();
      const b = await naiveAffected(database.db, q, typeOf.get(q.purl) as string);
      naive.push(now() - t1);
      const got = new Set(a.map((r) => `${r.sbomId}|${r.component}|${r.depth}`));
      if (got.size !== b.size || [...got].some((x) => !b.has(x))) {
        exact = false;
        out(`    MISMATCH for ${q.purl}: ${got.size} rows vs ${b.size} by the naive scan`);
      }
    }
    const ratio = quantile(naive, 0.5) / quantile(fast, 0.5);
    out(
      `  naive scan (${o.naiveCount} advisories): p50 ${fmt(quantile(naive, 0.5), 1)} ms; ` +
        `indexed p50 ${fmt(quantile(fast, 0.5), 2)} ms: ${fmt(ratio, 1)}x faster; results ${exact ? 'exactly equal' : 'DIFFER'}`,
    );

    // -- ingest of typical SBOMs (1,000 components) through the service
    const jobs = createJobQueue({ database, workers: false });
    const ctx: AppContext = {
      config: loadConfig({ ...process.env, DATABASE_URL: undefined }),
      database,
      db: database.db,
      clock: systemClock,
      log: createLogger('silent'),
      jobs,
      keys: await openInstanceKeys(database.db, loadConfig({ ...process.env, DATABASE_URL: undefined }), new Date()),
    };
    registerSbomMatch(ctx);
    await jobs.start();
    const org = await database.db.selectFrom('organizations').select('id').limit(1).executeTakeFirstOrThrow();
    const meta: RequestMeta = { actor: { type: 'anonymous' }, requestId: 'bench' };
    const docs = Array.from({ length: o.ingests }, (_, i) => cycloneDx(u, 1000, `ingest-${i}`));
    // Steady state: the interning cache warmed, as a process's first upload starts it doing.
    const tw = now();
    await warmInternCache(database.db, internCacheFor(database.db));
    out(
      `  interning cache warmed in ${fmt((now() - tw) / 1000, 1)} s (${fmt(internCacheFor(database.db).size)} package versions)`,
    );
    const parseMs: number[] = [];
    const parseNoSchemaMs: number[] = [];
    const dbMs: number[] = [];
    for (const [i, doc] of docs.entries()) {
      const product = await database.db
        .insertInto('products')
        .values({ org_id: org.id, name: `ingest-${runTag}-${i}`, created_at: new Date() })
        .returning('id')
        .executeTakeFirstOrThrow();
      const t0 = now();
      await parseSbomText(doc, { schemaValidateBytes: 0 });
      const t1 = now();
      const parsed = await parseSbomText(doc);
      const t2 = now();
      await ingestSbom(ctx, meta, {
        orgId: org.id,
        productId: product.id,
        version: '1.0.0',
        sbom: parsed,
        sha256: '0'.repeat(64),
        sizeBytes: doc.length,
      });
      const t3 = now();
      parseNoSchemaMs.push(t1 - t0);
      parseMs.push(t2 - t1);
      dbMs.push(t3 - t2);
    }
    await jobs.stop();
    // Who is affected while those uploads still wait in the inbox (normally the merge job follows
    // each one): how much a backlog costs a query, and that the merge does not change answers.
    const backlog: number[] = [];
    const beforeMerge: string[] = [];
    await whoIsAffected(database.db, [qs[0] as AffectedQuery], { paths: true }); // reads the new SBOMs' places once
    for (const q of qs.slice(0, 50)) {
      const t0 = now();
      const r = await whoIsAffected(database.db, [q], { paths: true });
      backlog.push(now() - t0);
      beforeMerge.push(JSON.stringify(r));
    }
    // The work an upload leaves to the merge job, timed too: expanding the uploads' inbox rows into
    // sbom_components and posting rows.
    const tm = now();
    const merged = await mergeComponentIndex(database.db);
    const mergeMs = now() - tm;
    let sameAfterMerge = true;
    for (const [i, q] of qs.slice(0, 50).entries())
      if (JSON.stringify(await whoIsAffected(database.db, [q], { paths: true })) !== beforeMerge[i]) sameAfterMerge = false;
    const skip = Math.min(5, Math.floor(o.ingests / 5)); // warm-up
    const mean = (xs: number[]) => xs.slice(skip).reduce((s, x) => s + x, 0) / Math.max(1, xs.length - skip);
    // What an upload costs: the parse as the service does it (schema validation included), then the transaction.
    const ingestTotal = mean(parseMs) + mean(dbMs);
    out(
      `  ingest of ${o.ingests} SBOMs of 1,000 components (${fmt((docs[0]?.length ?? 0) / 1024)} KiB of CycloneDX JSON each), mean:`,
    );
    out(`    parse ${fmt(mean(parseNoSchemaMs), 1)} ms without schema validation, ${fmt(mean(parseMs), 1)} ms with it`);
    out(
      `    database transaction (intern, replace, insert, audit, job) ${fmt(mean(dbMs), 1)} ms, p99 ${fmt(quantile(dbMs.slice(skip), 0.99), 1)} ms`,
    );
    out(`    parse (with schema validation) + transaction: ${fmt(ingestTotal, 1)} ms per 1,000 components`);
    out(
      `    who is affected (with a path) while those ${fmt(o.ingests)} uploads wait to be merged: p50 ${fmt(quantile(backlog, 0.5), 2)} ms, ` +
        `p99 ${fmt(quantile(backlog, 0.99), 2)} ms; answers after the merge ${sameAfterMerge ? 'identical' : 'DIFFER'}`,
    );
    out(
      `    then the merge job: ${fmt(merged.expanded)} uploads expanded (${fmt(merged.moved)} entries) in ${fmt(mergeMs, 1)} ms ` +
        `(${fmt(mergeMs / Math.max(1, o.ingests), 1)} ms per SBOM, off the upload's path)`,
    );
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    out(
      `  peak memory (this process${engine === 'pglite' ? ', embedded database included' : ''}): ${fmt(peakRss / 1048576)} MiB`,
    );
    const targets = {
      p99_ms: 20,
      p99_path_ms: 100,
      ingest_ms_per_1000: 15,
    };
    const r = {
      entries: load.entries,
      load_s: round(load.ms / 1000, 1),
      advisories: qs.length,
      p50_ms: round(quantile(plain, 0.5), 2),
      p99_ms: round(quantile(plain, 0.99), 2),
      p50_path_ms: round(quantile(withPath, 0.5), 2),
      p99_path_ms: round(quantile(withPath, 0.99), 2),
      ingest_ms_per_1000: round(ingestTotal, 1),
      ingest_db_ms_per_1000: round(mean(dbMs), 1),
      ingest_parse_ms_per_1000: round(mean(parseNoSchemaMs), 1),
      ingest_schema_parse_ms_per_1000: round(mean(parseMs), 1),
      merge_ms_per_sbom: round(mergeMs / Math.max(1, o.ingests), 1),
      p99_path_backlog_ms: round(quantile(backlog, 0.99), 2),
      same_after_merge: sameAfterMerge,
      naive_advisories: naive.length,
      naive_p50_ms: round(quantile(naive, 0.5), 1),
      naive_ratio: round(ratio, 1),
      exact,
      peak_rss_mb: round(peakRss / 1048576),
      meets: {
        p99: quantile(plain, 0.99) <= targets.p99_ms,
        p99_path: quantile(withPath, 0.99) <= targets.p99_path_ms,
        ingest: ingestTotal <= targets.ingest_ms_per_1000,
      },
    };
    out(
      `  targets (medium tier, 2 cores): p99 ≤ 20 ms ${r.meets.p99 ? 'met' : 'NOT met'}, with path ≤ 100 ms ${r.meets.p99_path ? 'met' : 'NOT met'}, ` +
        `ingest ≤ 15 ms ${r.meets.ingest ? 'met' : 'NOT met'} (here: tier ${tier.name})`,
    );
    return r;
  } finally {
    clearInterval(sampler);
    if (o.keep) await forgetIngests(database.db).catch((e) => out(`  could not clean up the ingests: ${e}`));
    await database.close();
    if (!o.keep) await scratch.drop();
  }
}

// --- kept portfolios (--keep NAME, PostgreSQL only) ------------------------------------------------------------

/** The database `village_bench_keep_NAME` on the server named by DATABASE_URL, created when missing; never dropped here. */
async function keptDatabase(name: string): Promise<ScratchDatabase> {
  const admin = process.env.DATABASE_URL;
  if (!admin) throw new Error('--keep needs DATABASE_URL');
  const db = `village_bench_keep_${name}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
    if (!r.rowCount) await c.query(`CREATE DATABASE ${db}`);
  } finally {
    await c.end();
  }
  const u = new URL(admin);
  u.pathname = `/${db}`;
  const tmp = tempDir('sbom-keep');
  return { engine: 'postgres', url: u.toString(), dataDir: tmp.dir, drop: async () => tmp.remove() };
}

interface KeptPortfolio {
  entries: number;
  load_ms: number;
  rand_state: number;
}

/** The kept portfolio's marker, if it holds this tier built by this generator version. */
async function keptPortfolio(db: Kysely<DB>, t: Tier): Promise<KeptPortfolio | undefined> {
  await sql`CREATE TABLE IF NOT EXISTS bench_portfolio (tier text NOT NULL, generator integer NOT NULL,
            entries bigint NOT NULL, load_ms double precision NOT NULL, rand_state bigint NOT NULL)`.execute(db);
  const r = await sql<KeptPortfolio & { tier: string; generator: number }>`SELECT * FROM bench_portfolio`.execute(db);
  const m = r.rows[0];
  if (!m) return undefined;
  if (m.tier !== t.name || Number(m.generator) !== GENERATOR_VERSION) {
    out(`  the kept portfolio holds tier ${m.tier}, generator ${m.generator}: rebuilding it`);
    return undefined;
  }
  return { entries: Number(m.entries), load_ms: Number(m.load_ms), rand_state: Number(m.rand_state) };
}

/** Empties what loadTier fills, so a kept database can be rebuilt for another tier or generator. */
async function resetPortfolio(db: Kysely<DB>): Promise<void> {
  await sql`DELETE FROM bench_portfolio`.execute(db);
  await sql`TRUNCATE sbom_components, component_pending, component_postings, component_tombstones,
                     sboms, package_versions, packages, products CASCADE`.execute(db);
  await sql`DELETE FROM organizations WHERE slug LIKE 'bench-%'`.execute(db);
}

async function markPortfolio(db: Kysely<DB>, t: Tier, load: { entries: number; ms: number }): Promise<void> {
  await sql`INSERT INTO bench_portfolio (tier, generator, entries, load_ms, rand_state)
            VALUES (${t.name}, ${GENERATOR_VERSION}, ${load.entries}, ${load.ms}, ${state})`.execute(db);
}

/** Removes this run's ingested products and SBOMs from a kept portfolio, so the next run sees the same data. */
async function forgetIngests(db: Kysely<DB>): Promise<void> {
  const ingested = await sql<{ id: number }>`
    SELECT s.id FROM sboms s JOIN products p ON p.id = s.product_id WHERE p.name LIKE 'ingest-%'`.execute(db);
  await db.transaction().execute(async (trx) => {
    for (const { id } of ingested.rows) await forgetEntries(trx, id);
    await sql`DELETE FROM products WHERE name LIKE 'ingest-%'`.execute(trx);
  });
  await mergeComponentIndex(db);
  await sql`VACUUM ANALYZE sbom_components, component_postings, component_pending, component_tombstones`.execute(db);
}
