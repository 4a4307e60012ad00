// Audit checkpoints (docs/audit-checkpoints.md): the instance signs, at intervals, the head of the
// audit hash chain and the Merkle tree head over the entries' hashes (src/domain/audit-merkle.ts).
// Participants fetch checkpoints and inclusion proofs for entries they may read, and check that an
// entry they saw is still the one the signed tree holds: a rewrite after a checkpoint is detected.
import type { Kysely } from 'kysely';
import type { AppContext } from '../context.ts';
import { readPublicKey, verifyDetached } from '../crypto/openpgp.ts';
import { chainHash } from '../domain/audit-chain.ts';
import { inclusionProof, merkleRoot, verifyInclusion } from '../domain/audit-merkle.ts';
import type { DB } from '../store/schema.ts';

export const AUDIT_CHECKPOINT_JOB = 'audit.checkpoint';

export interface Checkpoint {
  seq: number;
  entries: string;
  headHash: string;
  merkleRoot: string;
  /** The signed text, exactly. */
  statement: string;
  /** Detached ASCII-armored OpenPGP signature over `statement` (UTF-8). */
  signature: string;
  signerFingerprint: string;
  createdAt: Date;
}

export interface EntryProof {
  /** The entry's seq and its canonical line, exactly as hashed. */
  seq: string;
  entry: string;
  prevHash: string;
  hash: string;
  /** The checkpoint the proof leads to (the latest covering the entry). */
  checkpoint: Checkpoint;
  /** Merkle inclusion proof of the entry's hash as leaf seq-1 of the checkpoint's tree (hex, leaf to root). */
  proof: string[];
}

interface Row {
  seq: number;
  entries: string;
  head_hash: string;
  merkle_root: string;
  statement: string;
  signature: string;
  signer_fingerprint: string;
  created_at: Date;
}

const view = (r: Row): Checkpoint => ({
  seq: r.seq,
  entries: String(r.entries),
  headHash: r.head_hash,
  merkleRoot: r.merkle_root,
  statement: r.statement,
  signature: r.signature,
  signerFingerprint: r.signer_fingerprint,
  createdAt: r.created_at,
});

/** The text a checkpoint signs. */
export function checkpointStatement(c: {
  instance: string;
  seq: number;
  entries: string;
  headHash: string;
  merkleRoot: string;
  at: Date;
  fingerprint: string;
}): string {
  return [
    'village-audit-checkpoint/1',
    `instance: ${c.instance}`,
    `checkpoint: ${c.seq}`,
    `entries: ${c.entries}`,
    `chain-head: ${c.headHash}`,
    `merkle-root: ${c.merkleRoot}`,
    `signed-at: ${c.at.toISOString()}`,
    `key: ${c.fingerprint}`,
    '',
  ].join('\n');
}

/** Entry hashes 1..n in seq order. */
async function entryHashes(db: Kysely<DB>, upTo: string): Promise<string[]> {
  const rows = await db.selectFrom('audit_log').select('hash').where('seq', '<=', upTo).orderBy('seq').execute();
  return rows.map((r) => r.hash);
}

/**
 * Signs a checkpoint of the chain as it stands, unless the latest one already covers every entry
 * (then returns that one). Safe to run concurrently: the checkpoint number is the primary key.
 */
export async function createCheckpoint(ctx: AppContext): Promise<Checkpoint> {
  return ctx.db.transaction().execute(async (trx) => {
    const head = await trx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
    const last = await trx.selectFrom('audit_checkpoints').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
    if (last && String(last.entries) === String(head.seq)) return view(last as Row);
    const hashes = await entryHashes(trx, String(head.seq));
    const seq = (last?.seq ?? 0) + 1;
    const at = ctx.clock.now();
    const root = merkleRoot(hashes);
    const statement = checkpointStatement({
      instance: ctx.config.publicUrl,
      seq,
      entries: String(head.seq),
      headHash: head.hash,
      merkleRoot: root,
      at,
      fingerprint: ctx.keys.signing.fingerprint,
    });
    const signature = await ctx.keys.signing.sign(statement);
    const row = await trx
      .insertInto('audit_checkpoints')
      .values({
        seq,
        entries: head.seq,
        head_hash: head.hash,
        merkle_root: root,
        statement,
        signature,
        signer_fingerprint: ctx.keys.signing.fingerprint,
        created_at: at,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return view(row as Row);
  });
}

export async function listCheckpoints(
  ctx: AppContext,
  page: { before?: number | undefined; limit: number },
): Promise<Checkpoint[]> {
  let q = ctx.db.selectFrom('audit_checkpoints').selectAll().orderBy('seq', 'desc').limit(page.limit);
  if (page.before !== undefined) q = q.where('seq', '<', page.before);
  return (await q.execute()).map((r) => view(r as Row));
}

export async function getCheckpoint(ctx: AppContext, seq: number): Promise<Checkpoint | null> {
  const r = await ctx.db.selectFrom('audit_checkpoints').selectAll().where('seq', '=', seq).executeTakeFirst();
  return r ? view(r as Row) : null;
}

/** Whose entry it is, for the policy: the subject organization, else the actor's (null: the instance's). */
export async function entryOwner(ctx: AppContext, seq: string): Promise<{ orgId: string | null } | null> {
  const r = await ctx.db
    .selectFrom('audit_log')
    .select(['subject_org_id', 'actor_org_id'])
    .where('seq', '=', seq)
    .executeTakeFirst();
  return r ? { orgId: r.subject_org_id ?? r.actor_org_id } : null;
}

/** The proof that entry `seq` is in the latest checkpoint covering it; null when no checkpoint covers it yet. */
export async function entryProof(ctx: AppContext, seq: string): Promise<EntryProof | null> {
  const cp = await ctx.db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .where('entries', '>=', seq)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!cp) return null;
  const e = await ctx.db
    .selectFrom('audit_log')
    .select(['seq', 'entry', 'prev_hash', 'hash'])
    .where('seq', '=', seq)
    .executeTakeFirst();
  if (!e) return null;
  const hashes = await entryHashes(ctx.db, String(cp.entries));
  return {
    seq: String(e.seq),
    entry: e.entry,
    prevHash: e.prev_hash,
    hash: e.hash,
    checkpoint: view(cp as Row),
    proof: inclusionProof(hashes, Number(e.seq) - 1),
  };
}

export type CheckpointVerification = { ok: true } | { ok: false; reason: string };

/**
 * What a participant checks, offline: the checkpoint's signature by the instance key, that the
 * statement is the checkpoint's, and (with a proof) that the entry line hashes to a leaf of the
 * signed tree. `seen` is the entry line the participant saw earlier, if it kept it.
 */
export async function verifyCheckpoint(
  publicKeyArmored: string,
  checkpoint: Pick<Checkpoint, 'statement' | 'signature'>,
  proof?: Pick<EntryProof, 'seq' | 'entry' | 'prevHash' | 'proof'>,
  seen?: string,
): Promise<CheckpointVerification> {
  const key = await readPublicKey(publicKeyArmored);
  if (!(await verifyDetached(key, checkpoint.statement, checkpoint.signature)))
    return { ok: false, reason: 'the signature does not verify with this key' };
  const field = (name: string) => new RegExp(`^${name}: (.+)$`, 'm').exec(checkpoint.statement)?.[1];
  const entries = Number(field('entries'));
  const root = field('merkle-root');
  if (!root || !Number.isSafeInteger(entries)) return { ok: false, reason: 'not a checkpoint statement' };
  if (!proof) return { ok: true };
  if (seen !== undefined && seen !== proof.entry) return { ok: false, reason: `entry #${proof.seq} is not the one seen earlier` };
  if (!proof.entry.startsWith(`["${proof.seq}",`)) return { ok: false, reason: 'the entry line does not name its seq' };
  const hash = chainHash(proof.prevHash, proof.entry);
  if (!verifyInclusion(hash, Number(proof.seq) - 1, entries, proof.proof, root))
    return { ok: false, reason: `entry #${proof.seq} is not in the signed tree: it was rewritten after the checkpoint` };
  return { ok: true };
}

/** The repeating job: each run signs a checkpoint and schedules the next slot (idempotent per slot). */
export function registerAuditCheckpoints(ctx: AppContext): void {
  ctx.jobs.register<{ slot: number }>(AUDIT_CHECKPOINT_JOB, async (job) => {
    // Signing twice after a crash is harmless: a checkpoint of an unchanged chain is not repeated.
    await createCheckpoint(ctx);
    await scheduleCheckpoint(ctx, job.data.slot + 1);
  });
}

/** Enqueues the checkpoint job for a time slot (slot = minutes since the epoch / interval). */
export async function scheduleCheckpoint(ctx: AppContext, slot?: number): Promise<void> {
  const every = ctx.config.auditCheckpointMinutes * 60_000;
  // After downtime, skip the missed slots: the next one is in the future.
  const s = Math.max(slot ?? 0, Math.floor(ctx.clock.now().getTime() / every) + 1);
  await ctx.jobs.enqueue(ctx.db, AUDIT_CHECKPOINT_JOB, { slot: s }, { key: `slot:${every}:${s}`, runAt: new Date(s * every) });
}
