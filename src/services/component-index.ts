// The component index "who is affected" reads (layout: src/domain/postings.ts, tables:
// src/store/migrations/0016_component_postings.sql and 0017_component_inbox.sql). An upload
// leaves its components packed in the inbox (inboxRow) and a replaced SBOM leaves a tombstone,
// both inside the upload's transaction. The merge runs in the job that follows each upload
// (registerSbomMatch; in a burst, one job merges what several uploads left) and in housekeeping as
// a safety net: it expands inbox rows into sbom_components and pending rows, packs pending rows
// into new posting rows (never rewriting a large one), compacts a package version's partly filled
// rows once it has more than a few, and removes the entries of tombstoned SBOMs. A query reads the
// inbox, pending rows, postings and tombstones in one statement, so it sees the same answer before
// and after a merge. Merges take a transaction-scoped advisory lock, so they run one at a time
// across processes; a crash rolls a merge back whole and the next one redoes it.
import { type Kysely, sql } from 'kysely';
import { type ComponentColumns, decodeComponents, distinctPvIds, encodeComponents } from '../domain/component-inbox.ts';
import { MAX_OPEN_ROWS, packRows, ROW_CAPACITY, shallowestPerPackageVersion, withoutSboms } from '../domain/postings.ts';
import { ancestorChains } from '../domain/sbom-paths.ts';
import type { DB } from '../store/schema.ts';

/** pg_advisory_xact_lock key of the merge (an arbitrary constant of this table's own). */
const MERGE_LOCK = 0x56_49_4c_31;
/** A merge moving this many rows vacuums the index tables at once. */
const BULK_MERGE = 100_000;

const CHUNK = 50_000;

/**
 * An upload's inbox row (its components, packed, where queries find them at once and the merge
 * expands them), written by the upload's transaction in the statement that inserts the SBOM.
 */
export function inboxRow(c: ComponentColumns): { pvIds: string; components: Buffer } {
  // pv_ids as an array literal: node-postgres would quote and escape each of the ~1,000 numbers.
  return { pvIds: `{${distinctPvIds(c.pv).join(',')}}`, components: encodeComponents(c) };
}

/**
 * Records an SBOM's component entries (sbom_components, each with its ancestor chain) and, for
 * the index, the kept occurrence per package version (shallowestPerPackageVersion) as pending
 * rows: one statement per 50,000 components. The merge's expansion of an inbox row; the
 * benchmark's portfolio builder writes the same rows in bulk.
 */
async function insertEntries(trx: Kysely<DB>, sbomId: number, c: ComponentColumns): Promise<void> {
  const n = c.pv.length;
  const chains = ancestorChains(c.pv, c.parent, c.depth);
  const keep = new Uint8Array(n);
  for (const i of shallowestPerPackageVersion(c.pv, c.depth)) keep[i] = 1;
  for (let from = 0; from < n; from += CHUNK) {
    const to = Math.min(n, from + CHUNK);
    const base = chains.offset[from] as number;
    const end = to < n ? (chains.offset[to] as number) : chains.bytes.length;
    // The chains travel as one bytea; each entry's is cut from it by offset and depth.
    await sql`
      WITH input AS (
        SELECT u.i, u.pv, u.d, u.p, u.k, substring(${chains.bytes.subarray(base, end)}::bytea FROM u.o + 1 FOR (u.d - 1) * 4) AS path
        FROM unnest(${Array.from({ length: to - from }, (_, k) => from + k)}::int4[], ${Array.from(c.pv.subarray(from, to))}::int4[],
                    ${Array.from(c.depth.subarray(from, to))}::int4[], ${Array.from(c.parent.subarray(from, to))}::int4[],
                    ${Array.from(chains.offset.subarray(from, to), (o) => o - base)}::int4[],
                    ${Array.from(keep.subarray(from, to), (k) => k === 1)}::bool[]) AS u(i, pv, d, p, o, k)
      ), entries AS (
        INSERT INTO sbom_components (sbom_id, idx, pv_id, depth, parent_idx, path)
        SELECT ${sbomId}::int4, i, pv, d, p, path FROM input
      )
      INSERT INTO component_pending (pv_id, sbom_id, depth, path)
      SELECT pv, ${sbomId}::int4, d, path FROM input WHERE k`.execute(trx);
  }
}

/**
 * Takes a replaced SBOM out of the index, in the caller's transaction. Still in the inbox: its
 * row goes, and that is all. Merged: a tombstone naming the package versions it shipped hides its
 * entries until the next merge removes them and its sbom_components rows (deleting a thousand
 * rows here would cost the upload more than the rest of it). Pending rows left from before the
 * inbox existed go at once.
 */
export async function forgetEntries(trx: Kysely<DB>, sbomId: number): Promise<void> {
  // Its own statement: if a merge is expanding the row, this waits for it to commit, and the
  // statements after it see what the merge wrote.
  const staged = await sql`DELETE FROM component_inbox WHERE sbom_id = ${sbomId}`.execute(trx);
  if (Number(staged.numAffectedRows ?? 0) > 0) return;
  await sql`
    WITH legacy AS (DELETE FROM component_pending WHERE sbom_id = ${sbomId})
    INSERT INTO component_tombstones (sbom_id, pv_ids)
    SELECT ${sbomId}::int4, coalesce(array_agg(DISTINCT pv_id), '{}') FROM sbom_components WHERE sbom_id = ${sbomId}
    ON CONFLICT (sbom_id) DO NOTHING`.execute(trx);
}

export interface MergeReport {
  /** Uploads expanded from the inbox. */
  expanded: number;
  /** Pending rows packed into posting lists. */
  moved: number;
  /** Tombstoned SBOMs whose entries were removed. */
  purged: number;
  /** Package versions whose partly filled rows were packed into full ones. */
  compacted: number;
}

export interface MergeOptions {
  /** Entries per row (tests use small ones). */
  capacity?: number;
  /** Partly filled rows per package version before a compaction. */
  maxOpen?: number;
  /** Inbox rows one merge expands at most (mergeAndTidy merges again while there are more). */
  expandAtMost?: number;
}

/** Inbox rows one merge expands by default: ~200,000 typical components, a few seconds. */
const EXPAND_AT_MOST = 200;

/** One merge, in its own transaction. */
export async function mergeComponentIndex(db: Kysely<DB>, opts: MergeOptions = {}): Promise<MergeReport> {
  const capacity = opts.capacity ?? ROW_CAPACITY;
  const maxOpen = opts.maxOpen ?? MAX_OPEN_ROWS;
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${MERGE_LOCK})`.execute(trx);
    const expanded = await expandInbox(trx, opts.expandAtMost ?? EXPAND_AT_MOST);
    const purged = await purgeTombstones(trx);
    const { moved, crowded } = await movePending(trx, capacity, maxOpen);
    // Rows a purge emptied partly count as partly filled too.
    if (purged.pvIds.length) {
      const more = await sql<{ pv_id: number }>`
        SELECT pv_id FROM component_postings WHERE pv_id = ANY(${purged.pvIds}::int4[]) AND n < ${capacity}
        GROUP BY pv_id HAVING count(*) > ${maxOpen}`.execute(trx);
      for (const r of more.rows) if (!crowded.includes(r.pv_id)) crowded.push(r.pv_id);
    }
    const compacted = await compact(trx, crowded, capacity);
    return { expanded, moved, purged: purged.sboms, compacted };
  });
}

/**
 * The first `atMost` inbox rows into sbom_components and pending rows, in SBOM order. Rows of
 * uploads that commit meanwhile are not seen by the DELETE and wait for the next merge.
 */
async function expandInbox(trx: Kysely<DB>, atMost: number): Promise<number> {
  const rows = await sql<{ sbom_id: number; components: Buffer }>`
    DELETE FROM component_inbox
    WHERE sbom_id IN (SELECT sbom_id FROM component_inbox ORDER BY sbom_id LIMIT ${atMost})
    RETURNING sbom_id, components`.execute(trx);
  const staged = [...rows.rows].sort((a, b) => a.sbom_id - b.sbom_id);
  for (const row of staged) await insertEntries(trx, row.sbom_id, decodeComponents(row.components));
  return staged.length;
}

/**
 * Pending rows into posting lists, in one statement: per package version, numbered in SBOM order
 * and cut into rows of `capacity` entries, inserted as this merge's rows (no existing row is
 * rewritten). Returns the package versions that now have more than `maxOpen` partly filled rows.
 * Rows inserted by uploads that commit meanwhile are not seen by the DELETE and wait for the next
 * merge.
 */
async function movePending(trx: Kysely<DB>, capacity: number, maxOpen: number): Promise<{ moved: number; crowded: number[] }> {
  const r = await sql<{ moved: number; crowded: number[] }>`
    WITH moved AS (
      DELETE FROM component_pending RETURNING pv_id, sbom_id, depth, path
    ), numbered AS (
      SELECT pv_id, sbom_id, depth, path, row_number() OVER (PARTITION BY pv_id ORDER BY sbom_id) - 1 AS k
      FROM moved
    ), chunks AS (
      SELECT pv_id, part, count(*)::int4 AS n,
             string_agg(int4send(sbom_id) || int4send(depth), ''::bytea ORDER BY k) AS entries,
             string_agg(path, ''::bytea ORDER BY k) AS chains
      FROM (SELECT *, (k / ${capacity})::int4 AS part FROM numbered) x GROUP BY pv_id, part
    ), added AS (
      INSERT INTO component_postings (pv_id, gen, part, n, entries, chains)
      SELECT pv_id, (SELECT nextval('component_merge_gen')), part, n, entries, chains FROM chunks
    ), open_before AS (
      SELECT p.pv_id, count(*) AS c FROM component_postings p
      WHERE p.pv_id IN (SELECT pv_id FROM chunks) AND p.n < ${capacity} GROUP BY p.pv_id
    ), open_added AS (
      SELECT pv_id, count(*) AS c FROM chunks WHERE n < ${capacity} GROUP BY pv_id
    )
    SELECT (SELECT count(*) FROM moved)::int4 AS moved,
           (SELECT coalesce(array_agg(b.pv_id), '{}') FROM open_before b JOIN open_added a ON a.pv_id = b.pv_id
            WHERE b.c + a.c > ${maxOpen}) AS crowded`.execute(trx);
  return { moved: r.rows[0]?.moved ?? 0, crowded: r.rows[0]?.crowded ?? [] };
}

/**
 * Packs each given package version's partly filled rows into full rows and one with the rest
 * (packRows), written as one new generation. Returns how many package versions were compacted.
 */
async function compact(trx: Kysely<DB>, pvIds: number[], capacity: number): Promise<number> {
  if (!pvIds.length) return 0;
  const rows = await sql<{ pv_id: number; gen: string; part: number; n: number; entries: Buffer; chains: Buffer }>`
    SELECT pv_id, gen, part, n, entries, chains FROM component_postings
    WHERE pv_id = ANY(${pvIds}::int4[]) AND n < ${capacity} ORDER BY pv_id, gen, part`.execute(trx);
  const gen = await sql<{ g: string }>`SELECT nextval('component_merge_gen')::text AS g`.execute(trx);
  const drop: RowKeys = { pv: [], gen: [], part: [] };
  const add = { pv: [] as number[], part: [] as number[], n: [] as number[], entries: [] as Buffer[], chains: [] as Buffer[] };
  const byPv = new Map<number, typeof rows.rows>();
  for (const row of rows.rows) {
    const list = byPv.get(row.pv_id);
    if (list) list.push(row);
    else byPv.set(row.pv_id, [row]);
    drop.pv.push(row.pv_id);
    drop.gen.push(row.gen);
    drop.part.push(row.part);
  }
  for (const [pv, list] of byPv)
    packRows(list, capacity).forEach((packed, part) => {
      add.pv.push(pv);
      add.part.push(part);
      add.n.push(packed.n);
      add.entries.push(Buffer.from(packed.entries.buffer, packed.entries.byteOffset, packed.entries.byteLength));
      add.chains.push(Buffer.from(packed.chains.buffer, packed.chains.byteOffset, packed.chains.byteLength));
    });
  await deleteRows(trx, drop);
  await sql`
    INSERT INTO component_postings (pv_id, gen, part, n, entries, chains)
    SELECT u.pv, ${gen.rows[0]?.g}::int8, u.part, u.n, u.e, u.c
    FROM unnest(${add.pv}::int4[], ${add.part}::int4[], ${add.n}::int4[], ${add.entries}::bytea[], ${add.chains}::bytea[])
      AS u(pv, part, n, e, c)`.execute(trx);
  return byPv.size;
}

/** Row keys, as columns. */
interface RowKeys {
  pv: number[];
  gen: string[];
  part: number[];
}

/** Deletes posting rows by key. */
async function deleteRows(trx: Kysely<DB>, keys: RowKeys): Promise<void> {
  if (!keys.pv.length) return;
  await sql`
    DELETE FROM component_postings p USING unnest(${keys.pv}::int4[], ${keys.gen}::int8[], ${keys.part}::int4[]) AS u(pv, gen, part)
    WHERE p.pv_id = u.pv AND p.gen = u.gen AND p.part = u.part`.execute(trx);
}

/**
 * Removes the entries of tombstoned SBOMs from the rows of the package versions they shipped.
 * Tombstones written by uploads that commit meanwhile stay for the next merge.
 */
async function purgeTombstones(trx: Kysely<DB>): Promise<{ sboms: number; pvIds: number[] }> {
  const tombs = await sql<{ sbom_id: number; pv_ids: number[] }>`SELECT sbom_id, pv_ids FROM component_tombstones`.execute(trx);
  if (!tombs.rows.length) return { sboms: 0, pvIds: [] };
  const dead = new Set(tombs.rows.map((t) => t.sbom_id));
  const pvs = new Set<number>();
  for (const t of tombs.rows) for (const pv of t.pv_ids) pvs.add(pv);
  const rows = await sql<{ pv_id: number; gen: string; part: number; n: number; entries: Buffer; chains: Buffer }>`
    SELECT pv_id, gen, part, n, entries, chains FROM component_postings WHERE pv_id = ANY(${[...pvs]}::int4[])`.execute(trx);
  const update = {
    pv: [] as number[],
    gen: [] as string[],
    part: [] as number[],
    n: [] as number[],
    entries: [] as Buffer[],
    chains: [] as Buffer[],
  };
  const drop: RowKeys = { pv: [], gen: [], part: [] };
  for (const row of rows.rows) {
    const kept = withoutSboms(row, dead);
    if (!kept) continue;
    if (kept.n === 0) {
      drop.pv.push(row.pv_id);
      drop.gen.push(row.gen);
      drop.part.push(row.part);
    } else {
      update.pv.push(row.pv_id);
      update.gen.push(row.gen);
      update.part.push(row.part);
      update.n.push(kept.n);
      update.entries.push(Buffer.from(kept.entries));
      update.chains.push(Buffer.from(kept.chains));
    }
  }
  if (update.pv.length)
    await sql`
      UPDATE component_postings p SET n = u.n, entries = u.e, chains = u.c
      FROM unnest(${update.pv}::int4[], ${update.gen}::int8[], ${update.part}::int4[], ${update.n}::int4[],
                  ${update.entries}::bytea[], ${update.chains}::bytea[]) AS u(pv, gen, part, n, e, c)
      WHERE p.pv_id = u.pv AND p.gen = u.gen AND p.part = u.part`.execute(trx);
  await deleteRows(trx, drop);
  await sql`DELETE FROM sbom_components WHERE sbom_id = ANY(${[...dead]}::int4[])`.execute(trx);
  await sql`DELETE FROM component_tombstones WHERE sbom_id = ANY(${[...dead]}::int4[])`.execute(trx);
  return { sboms: dead.size, pvIds: [...new Set(update.pv)] };
}

/**
 * Merges until the inbox is empty (one transaction per expandAtMost uploads, so an import's
 * backlog is not one huge transaction), then, after a bulk merge (an import, or migration 0016's
 * first merge), vacuums: the pending table's index is then full of dead entries every query would
 * step over until autovacuum came by. Returns the merges' reports added up.
 */
export async function mergeAndTidy(db: Kysely<DB>, opts: MergeOptions = {}): Promise<MergeReport> {
  const atMost = opts.expandAtMost ?? EXPAND_AT_MOST;
  const total: MergeReport = { expanded: 0, moved: 0, purged: 0, compacted: 0 };
  for (;;) {
    const r = await mergeComponentIndex(db, opts);
    total.expanded += r.expanded;
    total.moved += r.moved;
    total.purged += r.purged;
    total.compacted += r.compacted;
    if (r.expanded < atMost) break;
  }
  if (total.moved >= BULK_MERGE) await sql`VACUUM ANALYZE component_inbox, component_pending, component_postings`.execute(db);
  return total;
}

/** Whether uploads are waiting to be merged (housekeeping merges them if a job was lost). */
export async function mergePending(db: Kysely<DB>): Promise<boolean> {
  const r = await sql<{ any: boolean }>`
    SELECT EXISTS (SELECT 1 FROM component_inbox) OR EXISTS (SELECT 1 FROM component_pending)
           OR EXISTS (SELECT 1 FROM component_tombstones) AS any`.execute(db);
  return r.rows[0]?.any === true;
}

/**
 * The package versions the most SBOMs ship, from the index's counts (merged rows only), with
 * their names and ids: what the interning and path-name caches read before first use.
 */
export async function mostShippedVersions(
  db: Kysely<DB>,
  limit: number,
): Promise<Array<{ purl: string; version: string; pvId: number; packageId: number }>> {
  const r = await sql<{ t: string }>`
    SELECT coalesce(json_agg(json_build_array(p.purl, pv.version, pv.id, p.id)), '[]')::text AS t
    FROM (SELECT pv_id FROM component_postings GROUP BY pv_id ORDER BY sum(n) DESC LIMIT ${limit}) top
    JOIN package_versions pv ON pv.id = top.pv_id JOIN packages p ON p.id = pv.package_id`.execute(db);
  return (JSON.parse(r.rows[0]?.t ?? '[]') as Array<[string, string, number, number]>).map(
    ([purl, version, pvId, packageId]) => ({
      purl,
      version,
      pvId,
      packageId,
    }),
  );
}
