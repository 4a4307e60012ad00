// The component index "who is affected" reads (layout: src/domain/postings.ts, tables:
// src/store/migrations/0016_component_postings.sql). An upload adds its entries as pending rows
// and a replaced SBOM leaves a tombstone, both inside the upload's transaction; the merge, run by
// a job soon after each upload and by housekeeping as a safety net, packs pending rows into
// posting lists and removes the entries of tombstoned SBOMs. A query reads all three tables in
// one statement, so it sees the same answer before and after a merge. Merges take a
// transaction-scoped advisory lock, so they run one at a time across processes; a crash rolls a
// merge back whole and the next one redoes it.
import { type Kysely, sql } from 'kysely';
import type { AppContext } from '../context.ts';
import { ROW_CAPACITY, withoutSboms } from '../domain/postings.ts';
import type { DB } from '../store/schema.ts';

export const COMPONENT_INDEX_JOB = 'component-index.merge';
/** pg_advisory_xact_lock key of the merge (an arbitrary constant of this table's own). */
const MERGE_LOCK = 0x56_49_4c_31;
/** A merge moving this many rows vacuums the index tables at once. */
const BULK_MERGE = 100_000;
/** Seconds an upload's merge waits, so a burst of uploads is merged at once. */
const MERGE_DELAY_MS = 2000;

/**
 * Records an SBOM's entries for the index: the kept occurrence per package version (see
 * shallowestPerPackageVersion) with its chain. Part of the upload's transaction.
 */
export async function addPending(
  trx: Kysely<DB>,
  rows: { sbomId: number; pvId: Int32Array; depth: Int32Array; paths: Uint8Array; pathAt: Int32Array },
): Promise<void> {
  const n = rows.pvId.length;
  if (!n) return;
  await sql`
    INSERT INTO component_pending (pv_id, sbom_id, depth, path)
    SELECT u.pv, ${rows.sbomId}::int4, u.d, substring(${rows.paths}::bytea FROM u.o + 1 FOR (u.d - 1) * 4)
    FROM unnest(${Array.from(rows.pvId)}::int4[], ${Array.from(rows.depth)}::int4[], ${Array.from(rows.pathAt)}::int4[]) AS u(pv, d, o)`.execute(
    trx,
  );
}

/**
 * Takes a replaced SBOM out of the index: its pending rows go, and a tombstone naming the package
 * versions it shipped hides its merged entries until the next merge removes them.
 */
export async function removeFromIndex(trx: Kysely<DB>, sbomId: number, pvIds: Iterable<number>): Promise<void> {
  await sql`DELETE FROM component_pending WHERE sbom_id = ${sbomId}`.execute(trx);
  await sql`INSERT INTO component_tombstones (sbom_id, pv_ids) VALUES (${sbomId}, ${[...new Set(pvIds)]}::int4[])
            ON CONFLICT (sbom_id) DO NOTHING`.execute(trx);
}

export interface MergeReport {
  /** Pending rows packed into posting lists. */
  moved: number;
  /** Tombstoned SBOMs whose entries were removed. */
  purged: number;
}

/** One merge, in its own transaction. `capacity` (entries per row) is for tests. */
export async function mergeComponentIndex(db: Kysely<DB>, opts: { capacity?: number } = {}): Promise<MergeReport> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${MERGE_LOCK})`.execute(trx);
    const purged = await purgeTombstones(trx);
    const moved = await movePending(trx, opts.capacity ?? ROW_CAPACITY);
    return { moved, purged };
  });
}

/**
 * Pending rows into posting lists, in one statement: per package version, numbered in SBOM order
 * and cut into chunks of ROW_CAPACITY; one chunk that fits into the package version's last row is
 * appended to it, otherwise every chunk becomes a new row after it. Rows inserted by uploads that
 * commit meanwhile are not seen by the DELETE and wait for the next merge.
 */
async function movePending(trx: Kysely<DB>, capacity: number): Promise<number> {
  const r = await sql<{ moved: number }>`
    WITH moved AS (
      DELETE FROM component_pending RETURNING pv_id, sbom_id, depth, path
    ), numbered AS (
      SELECT pv_id, sbom_id, depth, path,
             row_number() OVER (PARTITION BY pv_id ORDER BY sbom_id) - 1 AS k,
             count(*) OVER (PARTITION BY pv_id) AS total
      FROM moved
    ), chunks AS (
      SELECT pv_id, chunk, max(total) AS total, count(*)::int4 AS n,
             string_agg(int4send(sbom_id) || int4send(depth), ''::bytea ORDER BY k) AS entries,
             string_agg(path, ''::bytea ORDER BY k) AS chains
      FROM (SELECT *, (k / ${capacity})::int4 AS chunk FROM numbered) x GROUP BY pv_id, chunk
    ), last AS (
      SELECT DISTINCT ON (p.pv_id) p.pv_id, p.seq, p.n
      FROM component_postings p WHERE p.pv_id IN (SELECT pv_id FROM chunks)
      ORDER BY p.pv_id, p.seq DESC
    ), appended AS (
      UPDATE component_postings p
      SET n = p.n + c.n, entries = p.entries || c.entries, chains = p.chains || c.chains
      FROM chunks c JOIN last l ON l.pv_id = c.pv_id
      WHERE p.pv_id = l.pv_id AND p.seq = l.seq AND c.total + l.n <= ${capacity}
      RETURNING p.pv_id
    ), added AS (
      INSERT INTO component_postings (pv_id, seq, n, entries, chains)
      SELECT c.pv_id, coalesce(l.seq + 1, 0) + c.chunk, c.n, c.entries, c.chains
      FROM chunks c LEFT JOIN last l ON l.pv_id = c.pv_id
      WHERE l.pv_id IS NULL OR c.total + l.n > ${capacity}
      RETURNING pv_id
    )
    SELECT (SELECT count(*) FROM moved)::int4 AS moved`.execute(trx);
  return r.rows[0]?.moved ?? 0;
}

/**
 * Removes the entries of tombstoned SBOMs from the rows of the package versions they shipped.
 * Tombstones written by uploads that commit meanwhile stay for the next merge.
 */
async function purgeTombstones(trx: Kysely<DB>): Promise<number> {
  const tombs = await sql<{ sbom_id: number; pv_ids: number[] }>`SELECT sbom_id, pv_ids FROM component_tombstones`.execute(trx);
  if (!tombs.rows.length) return 0;
  const dead = new Set(tombs.rows.map((t) => t.sbom_id));
  const pvs = new Set<number>();
  for (const t of tombs.rows) for (const pv of t.pv_ids) pvs.add(pv);
  const rows = await sql<{ pv_id: number; seq: number; n: number; entries: Buffer; chains: Buffer }>`
    SELECT pv_id, seq, n, entries, chains FROM component_postings WHERE pv_id = ANY(${[...pvs]}::int4[])`.execute(trx);
  const update = { pv: [] as number[], seq: [] as number[], n: [] as number[], entries: [] as Buffer[], chains: [] as Buffer[] };
  const drop = { pv: [] as number[], seq: [] as number[] };
  for (const row of rows.rows) {
    const kept = withoutSboms(row, dead);
    if (!kept) continue;
    if (kept.n === 0) {
      drop.pv.push(row.pv_id);
      drop.seq.push(row.seq);
    } else {
      update.pv.push(row.pv_id);
      update.seq.push(row.seq);
      update.n.push(kept.n);
      update.entries.push(Buffer.from(kept.entries));
      update.chains.push(Buffer.from(kept.chains));
    }
  }
  if (update.pv.length)
    await sql`
      UPDATE component_postings p SET n = u.n, entries = u.e, chains = u.c
      FROM unnest(${update.pv}::int4[], ${update.seq}::int4[], ${update.n}::int4[], ${update.entries}::bytea[], ${update.chains}::bytea[])
        AS u(pv, seq, n, e, c)
      WHERE p.pv_id = u.pv AND p.seq = u.seq`.execute(trx);
  if (drop.pv.length)
    await sql`
      DELETE FROM component_postings p USING unnest(${drop.pv}::int4[], ${drop.seq}::int4[]) AS u(pv, seq)
      WHERE p.pv_id = u.pv AND p.seq = u.seq`.execute(trx);
  await sql`DELETE FROM component_tombstones WHERE sbom_id = ANY(${[...dead]}::int4[])`.execute(trx);
  return dead.size;
}

/**
 * A merge, then, after a bulk one (an import, or migration 0016's first merge), a vacuum: the
 * pending table's index is then full of dead entries every query would step over until
 * autovacuum came by.
 */
export async function mergeAndTidy(db: Kysely<DB>): Promise<MergeReport> {
  const r = await mergeComponentIndex(db);
  if (r.moved >= BULK_MERGE) await sql`VACUUM ANALYZE component_pending, component_postings`.execute(db);
  return r;
}

/** Asks for a merge soon (inside the upload's transaction, so it exists once the upload does). */
export async function requestMerge(ctx: AppContext, trx: Kysely<DB>, key: string): Promise<void> {
  // Wall-clock time on purpose: a debounce, not a domain deadline (tests may move ctx.clock).
  await ctx.jobs.enqueue(trx, COMPONENT_INDEX_JOB, {}, { key, runAt: new Date(Date.now() + MERGE_DELAY_MS) });
}

/** Whether uploads are waiting to be merged (housekeeping merges them if a job was lost). */
export async function mergePending(db: Kysely<DB>): Promise<boolean> {
  const r = await sql<{ any: boolean }>`
    SELECT EXISTS (SELECT 1 FROM component_pending) OR EXISTS (SELECT 1 FROM component_tombstones) AS any`.execute(db);
  return r.rows[0]?.any === true;
}

export function registerComponentIndex(ctx: AppContext): void {
  ctx.jobs.register(
    COMPONENT_INDEX_JOB,
    async () => {
      const r = await mergeAndTidy(ctx.db);
      if (r.moved || r.purged) ctx.log.debug({ job: COMPONENT_INDEX_JOB, ...r }, 'component index merged');
    },
    { concurrency: 1 },
  );
}
