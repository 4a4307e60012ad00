// Audit checkpoints: the instance signs the chain head and the Merkle tree head over the entries;
// users fetch checkpoints and, for entries they may read, inclusion proofs; the signature checks
// against the key published at /.well-known/openpgp-key.asc (in-process and with the offline CLI);
// and rewriting an entry after a checkpoint is detected, whether or not the rewriter also
// recomputes the chain.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainHash, GENESIS_HASH } from '../src/domain/audit-chain.ts';
import { AUDIT_CHECKPOINT_JOB, createCheckpoint, type EntryProof, verifyCheckpoint } from '../src/services/audit-checkpoints.ts';
import { startTestVillage, type TestVillage } from './support/app.ts';
import { type Party, partyWithAdmin } from './support/cases.ts';

let v: TestVillage;
let a: Party;
let b: Party;
let publicKey = '';
let entryA = '';
let dir = '';

interface CheckpointOut {
  seq: number;
  entries: string;
  headHash: string;
  merkleRoot: string;
  statement: string;
  signature: string;
}
type ProofOut = Omit<EntryProof, 'checkpoint'> & { checkpoint: CheckpointOut };

function village(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/village.js', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(async () => {
  v = await startTestVillage();
  a = await partyWithAdmin(v, 'cp-a');
  b = await partyWithAdmin(v, 'cp-b');
  const res = await v.app.inject({ method: 'GET', url: '/.well-known/openpgp-key.asc' });
  publicKey = res.body;
  const row = await v.ctx.db
    .selectFrom('audit_log')
    .select('seq')
    .where('subject_org_id', '=', a.orgId)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirstOrThrow();
  entryA = String(row.seq);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'village-cp-'));
}, 240_000);

afterAll(async () => {
  await v?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('audit checkpoints', () => {
  it('sign the chain head and the tree head; a checkpoint of an unchanged chain is not repeated', async () => {
    const c1 = await createCheckpoint(v.ctx);
    const head = await v.ctx.db.selectFrom('audit_head').selectAll().executeTakeFirstOrThrow();
    expect(c1.entries).toBe(String(head.seq));
    expect(c1.headHash).toBe(head.hash);
    expect(c1.statement).toContain(`chain-head: ${head.hash}`);
    expect(c1.statement).toContain(`merkle-root: ${c1.merkleRoot}`);
    expect(await verifyCheckpoint(publicKey, c1)).toEqual({ ok: true });
    expect((await createCheckpoint(v.ctx)).seq).toBe(c1.seq);
    // A forged statement does not verify.
    const forged = { ...c1, statement: c1.statement.replace(/entries: \d+/, 'entries: 1') };
    expect((await verifyCheckpoint(publicKey, forged)).ok).toBe(false);
  });

  it('are signed by a durable job scheduled at start, every VILLAGE_AUDIT_CHECKPOINT_MINUTES', async () => {
    const { rows } = await sql<{ start_after: Date }>`
      SELECT start_after FROM pgboss.job WHERE name = ${AUDIT_CHECKPOINT_JOB}`.execute(v.ctx.db);
    expect(rows.length).toBeGreaterThanOrEqual(1);
    const due = new Date(rows[0]?.start_after as Date).getTime();
    const every = v.ctx.config.auditCheckpointMinutes * 60_000;
    expect(due % every).toBe(0);
    expect(due - Date.now()).toBeLessThanOrEqual(every);
  });

  it('are listed and fetched by any signed-in user', async () => {
    const list = await b.api.get<{ checkpoints: CheckpointOut[]; next: number | null }>('/api/v1/audit/checkpoints');
    expect(list.checkpoints.length).toBeGreaterThanOrEqual(1);
    const one = await b.api.get<CheckpointOut>(`/api/v1/audit/checkpoints/${list.checkpoints[0]?.seq}`);
    expect(one).toEqual(list.checkpoints[0]);
    await b.api.expect(404, 'GET', '/api/v1/audit/checkpoints/999999');
  });

  it('prove an entry to whoever may read it, and only to them', async () => {
    const p = await a.api.get<ProofOut>(`/api/v1/audit/entries/${entryA}/proof`);
    expect(p.seq).toBe(entryA);
    expect(await verifyCheckpoint(publicKey, p.checkpoint, p, p.entry)).toEqual({ ok: true });
    // Another organization learns nothing, not even that the entry exists.
    await b.api.expect(404, 'GET', `/api/v1/audit/entries/${entryA}/proof`);
    await b.api.expect(404, 'GET', '/api/v1/audit/entries/99999999/proof');
    // The offline CLI agrees.
    fs.writeFileSync(path.join(dir, 'key.asc'), publicKey);
    fs.writeFileSync(path.join(dir, 'proof.json'), JSON.stringify(p));
    fs.writeFileSync(path.join(dir, 'checkpoint.json'), JSON.stringify(p.checkpoint));
    fs.writeFileSync(path.join(dir, 'seen.txt'), p.entry);
    const cli = village([
      'audit',
      'verify-checkpoint',
      '--key',
      path.join(dir, 'key.asc'),
      path.join(dir, 'proof.json'),
      '--seen',
      path.join(dir, 'seen.txt'),
    ]);
    expect(cli.code, cli.out + cli.err).toBe(0);
    expect(cli.out).toContain('OK');
    expect(
      village(['audit', 'verify-checkpoint', '--key', path.join(dir, 'key.asc'), path.join(dir, 'checkpoint.json')]).code,
    ).toBe(0);
  });

  it('detect an entry rewritten after the checkpoint', async () => {
    const before = await a.api.get<ProofOut>(`/api/v1/audit/entries/${entryA}/proof`);
    const seen = before.entry;
    // 1. The entry's text is changed in the database (hashes left alone).
    const forged = seen.replace(/^\["(\d+)","[^"]+"/, '["$1","2020-01-01T00:00:00.000Z"');
    expect(forged).not.toBe(seen);
    await sql`UPDATE audit_log SET entry = ${forged} WHERE seq = ${entryA}::bigint`.execute(v.ctx.db);
    const p1 = await a.api.get<ProofOut>(`/api/v1/audit/entries/${entryA}/proof`);
    expect(p1.entry).toBe(forged);
    const r1 = await verifyCheckpoint(publicKey, p1.checkpoint, p1);
    expect(r1.ok).toBe(false);
    expect((await verifyCheckpoint(publicKey, p1.checkpoint, p1, seen)).ok).toBe(false);

    // 2. The rewriter also recomputes every hash after it, so the chain verifies again: the signed tree head does not.
    const rows = await v.ctx.db.selectFrom('audit_log').select(['seq', 'entry']).orderBy('seq').execute();
    let prev = GENESIS_HASH;
    for (const r of rows) {
      const h = chainHash(prev, r.entry);
      await sql`UPDATE audit_log SET prev_hash = ${prev}, hash = ${h} WHERE seq = ${r.seq}::bigint`.execute(v.ctx.db);
      prev = h;
    }
    await sql`UPDATE audit_head SET hash = ${prev} WHERE id = 1`.execute(v.ctx.db);
    const p2 = await a.api.get<ProofOut>(`/api/v1/audit/entries/${entryA}/proof`);
    const r2 = await verifyCheckpoint(publicKey, p2.checkpoint, p2);
    expect(r2).toEqual({ ok: false, reason: expect.stringMatching(/rewritten after the checkpoint/) });
    fs.writeFileSync(path.join(dir, 'proof2.json'), JSON.stringify(p2));
    const cli = village(['audit', 'verify-checkpoint', '--key', path.join(dir, 'key.asc'), path.join(dir, 'proof2.json')]);
    expect(cli.code).toBe(1);
    expect(cli.out).toMatch(/FAILED/);
  });
});
