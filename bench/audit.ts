// Audit verification throughput: a valid chain of N entries (default 1,000,000) is written
// straight into a fresh database, then verified
//   (a) end to end from the database: verifyAuditChain(), as `village audit verify` does;
//   (b) in memory: verifyRun() over entries already loaded;
// and compared with plain SHA-256 over exactly the same bytes (prevHash + '\n' + line), one
// createHash() per entry, measured in the same run. Target: verify / SHA-256 >= 0.5.
//
//   node --import tsx bench/audit.ts [--entries N] [--batch N]
import { createHash, hash } from 'node:crypto';
import { sql } from 'kysely';
import { type ChainRow, GENESIS_HASH, verifyRun } from '../src/domain/audit-chain.ts';
import { verifyAuditChain } from '../src/store/audit.ts';
import type { Engine } from '../src/store/database.ts';
import { emit, engines, fmt, intOption, machine, now, openScratch, out, round, scratchDatabase, seedAuditChain } from './lib.ts';

const TARGET = 0.5;
const CHUNK = 100_000; // entries held in memory at a time for (b) and the baseline

type Row = [seq: string, entry: string, prevHash: string, hash: string];

async function run(engine: Engine, n: number, batch: number | undefined): Promise<Record<string, unknown>> {
  out(`\n== audit on ${engine}: ${fmt(n)} entries`);
  const scratch = await scratchDatabase(engine, 'audit');
  const database = await openScratch(scratch);
  try {
    // -- a valid chain, written fast (secondary indexes built once at the end)
    const t0 = now();
    const { rows: indexes } = await sql<{ name: string; def: string }>`
      SELECT indexname AS name, indexdef AS def FROM pg_indexes
       WHERE schemaname = current_schema() AND tablename = 'audit_log' AND indexname <> 'audit_log_pkey'`.execute(database.db);
    for (const ix of indexes) await sql`DROP INDEX ${sql.id(ix.name)}`.execute(database.db);
    let shown = 0;
    const seed = await seedAuditChain(database, n, {
      progress: (done) => {
        if (done === n || done - shown >= n / 5) {
          shown = done;
          process.stdout.write(`  seeding: ${fmt(done)} / ${fmt(n)} (${fmt((now() - t0) / 1000, 1)} s)\n`);
        }
      },
    });
    for (const ix of indexes) await sql.raw(ix.def).execute(database.db);
    await sql`ANALYZE audit_log`.execute(database.db);
    const seedMs = now() - t0;
    out(
      `  seeded in ${fmt(seedMs / 1000, 1)} s (${fmt(n / (seedMs / 1000))} entries/s; ` +
        `${fmt(seed.bytes / n)} hashed bytes per entry on average)`,
    );

    // -- (a) end to end from the database
    const ta = now();
    const res = await verifyAuditChain(database.db, ...(batch ? [batch] : []));
    const aMs = now() - ta;
    if (!res.ok || res.entries !== n) throw new Error(`verifyAuditChain did not accept the chain: ${JSON.stringify(res)}`);

    // -- (b) in memory, and the SHA-256 baseline over the same bytes, chunk by chunk, interleaved
    let bMs = 0;
    let shaMs = 0;
    let oneShotMs = 0;
    let loaded = 0;
    let prev = { seq: 0n, hash: GENESIS_HASH };
    let sink = 0;
    for (let chunkNo = 0; loaded < n; chunkNo++) {
      // Loaded as one JSON text per chunk (row objects are slow to come out of the embedded engine).
      const { rows: chunk } = await sql<{ t: string | null }>`
        SELECT json_agg(json_build_array(seq::text, entry, prev_hash, hash) ORDER BY b.seq)::text AS t
          FROM (SELECT seq, entry, prev_hash, hash FROM audit_log WHERE audit_log.seq > ${prev.seq.toString()}::bigint
                 ORDER BY audit_log.seq LIMIT ${CHUNK}) b`.execute(database.db);
      const rows = JSON.parse(chunk[0]?.t ?? '[]') as Row[];
      if (rows.length === 0) throw new Error(`only ${loaded} entries came back`);
      const entries: ChainRow[] = rows.map((r) => ({ seq: r[0], entry: r[1], prevHash: r[2], hash: r[3] }));
      // The baseline hashes these bytes ready-made: no string building, no UTF-8 encoding.
      const bytes = entries.map((e) => Buffer.from(`${e.prevHash}\n${e.entry}`));
      const steps: Array<() => void> = [
        () => {
          const t = now();
          const r = verifyRun(entries, prev);
          bMs += now() - t;
          if (!r.ok) throw new Error(`verifyRun failed: ${JSON.stringify(r.failure)}`);
          prev = r.head;
        },
        () => {
          const t = now();
          for (const s of bytes) sink ^= createHash('sha256').update(s).digest('hex').charCodeAt(0);
          shaMs += now() - t;
        },
        () => {
          const t = now();
          for (const s of bytes) sink ^= hash('sha256', s, 'hex').charCodeAt(0);
          oneShotMs += now() - t;
        },
      ];
      // Rotate the order per chunk, so drift in machine load hits all three alike.
      for (let i = 0; i < steps.length; i++) (steps[(i + chunkNo) % steps.length] as () => void)();
      loaded += entries.length;
    }
    if (sink < 0) out(); // keeps the digests alive

    const eps = (ms: number) => n / (ms / 1000);
    const a = eps(aMs);
    const b = eps(bMs);
    const sha = eps(shaMs);
    const oneShot = eps(oneShotMs);
    const verdict = (r: number) => (r >= TARGET ? 'meets' : 'below');
    out(`  (a) verifyAuditChain() from the database: ${fmt(a)} entries/s (${fmt(aMs / 1000, 2)} s)`);
    out(`  (b) verifyRun() over loaded entries:      ${fmt(b)} entries/s (${fmt(bMs / 1000, 2)} s)`);
    out(`  SHA-256 baseline, createHash per entry:   ${fmt(sha)} entries/s (${fmt(shaMs / 1000, 2)} s)`);
    out(`  SHA-256 one-shot crypto.hash per entry:   ${fmt(oneShot)} entries/s (${fmt(oneShotMs / 1000, 2)} s)`);
    out(`  ratio (a) / SHA-256 = ${fmt(a / sha, 3)}  ${verdict(a / sha)} the target ${TARGET}`);
    out(`  ratio (b) / SHA-256 = ${fmt(b / sha, 3)}  ${verdict(b / sha)} the target ${TARGET}`);
    out(`  (against one-shot hashing: (a) ${fmt(a / oneShot, 3)}, (b) ${fmt(b / oneShot, 3)})`);
    return {
      seed_s: round(seedMs / 1000, 1),
      bytes_per_entry: round(seed.bytes / n),
      db_verify_entries_per_s: round(a),
      db_verify_s: round(aMs / 1000, 3),
      mem_verify_entries_per_s: round(b),
      sha256_entries_per_s: round(sha),
      sha256_oneshot_entries_per_s: round(oneShot),
      ratio_db: round(a / sha, 3),
      ratio_mem: round(b / sha, 3),
      ratio_db_vs_oneshot: round(a / oneShot, 3),
      ratio_mem_vs_oneshot: round(b / oneShot, 3),
      db_meets_target: a / sha >= TARGET,
      mem_meets_target: b / sha >= TARGET,
    };
  } finally {
    await database.close();
    await scratch.drop();
  }
}

const n = intOption('entries', 1_000_000);
const batchArg = process.argv.includes('--batch') ? intOption('batch', 20_000) : undefined;
const m = machine();
out(`audit verification benchmark: ${fmt(n)} entries; node ${m.node}, ${m.cpus} x ${m.cpu}, load ${m.loadavg.join(' ')}`);
out('Baseline: SHA-256 over the same bytes (prevHash + "\\n" + canonical line), one createHash() per entry.');
const result: Record<string, unknown> = { bench: 'audit', entries: n, target_ratio: TARGET };
for (const engine of engines()) result[engine] = await run(engine, n, batchArg);
result.machine = m;
emit(result);
