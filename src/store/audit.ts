// Appending to and reading the audit chain. Appends happen inside the caller's transaction,
// so an entry exists exactly when the change it describes was committed.
import { type Kysely, sql } from 'kysely';
import {
  auditLine,
  canonicalDetails,
  chainHash,
  GENESIS_HASH,
  type StoredAuditEntry,
  type VerifyFailure,
  verifyRun,
} from '../domain/audit-chain.ts';
import type { DB } from './schema.ts';

export interface AuditInput {
  at: Date;
  actorUserId?: string | null;
  actorOrgId?: string | null;
  subjectOrgId?: string | null;
  action: string;
  objectType: string;
  objectId?: string | null;
  requestId?: string | null;
  details?: Record<string, unknown>;
}

/** Appends one entry. Must run inside a transaction: the head row lock orders appends. */
export async function appendAudit(trx: Kysely<DB>, input: AuditInput): Promise<{ seq: string; hash: string }> {
  if (!trx.isTransaction) throw new Error('appendAudit must run inside a transaction');
  const head = await trx
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const seq = (BigInt(head.seq) + 1n).toString();
  // Stored timestamps have millisecond precision so the canonical line round-trips exactly.
  const at = new Date(Math.floor(input.at.getTime()));
  const fields = {
    seq,
    at,
    actorUserId: input.actorUserId ?? null,
    actorOrgId: input.actorOrgId ?? null,
    subjectOrgId: input.subjectOrgId ?? null,
    action: input.action,
    objectType: input.objectType,
    objectId: input.objectId ?? null,
    requestId: input.requestId ?? null,
    details: canonicalDetails(input.details),
  };
  const hash = chainHash(head.hash, auditLine(fields));
  await trx
    .insertInto('audit_log')
    .values({
      seq,
      at,
      actor_user_id: fields.actorUserId,
      actor_org_id: fields.actorOrgId,
      subject_org_id: fields.subjectOrgId,
      action: fields.action,
      object_type: fields.objectType,
      object_id: fields.objectId,
      request_id: fields.requestId,
      details: fields.details,
      prev_hash: head.hash,
      hash,
    })
    .execute();
  await trx.updateTable('audit_head').set({ seq, hash }).where('id', '=', 1).execute();
  return { seq, hash };
}

type Row = {
  seq: string;
  at: string;
  actor_user_id: string | null;
  actor_org_id: string | null;
  subject_org_id: string | null;
  action: string;
  object_type: string;
  object_id: string | null;
  request_id: string | null;
  details: string;
  prev_hash: string;
  hash: string;
};

function toEntry(r: Row): StoredAuditEntry {
  return {
    seq: r.seq,
    at: new Date(r.at),
    actorUserId: r.actor_user_id,
    actorOrgId: r.actor_org_id,
    subjectOrgId: r.subject_org_id,
    action: r.action,
    objectType: r.object_type,
    objectId: r.object_id,
    requestId: r.request_id,
    details: r.details,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export type AuditVerifyResult =
  | { ok: true; entries: number; headSeq: string; headHash: string }
  | { ok: false; entries: number; failure: VerifyFailure };

/**
 * Recomputes the whole chain in seq order, in batches, and names the first entry that does
 * not verify. The head row must agree with the last entry (a truncated tail is caught too).
 */
export async function verifyAuditChain(db: Kysely<DB>, batchSize = 20_000): Promise<AuditVerifyResult> {
  let prev = { seq: 0n, hash: GENESIS_HASH };
  let total = 0;
  const fetchBatch = (after: bigint) =>
    sql<Row>`
      SELECT seq::text AS seq,
             to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at,
             actor_user_id::text AS actor_user_id, actor_org_id::text AS actor_org_id,
             subject_org_id::text AS subject_org_id, action, object_type, object_id,
             request_id, details, prev_hash, hash
        FROM audit_log WHERE audit_log.seq > ${after.toString()}::bigint ORDER BY audit_log.seq LIMIT ${batchSize}`.execute(db);
  let pending = fetchBatch(0n);
  for (;;) {
    const { rows } = await pending;
    if (rows.length === 0) break;
    const last = rows[rows.length - 1] as Row;
    // Fetch the next batch while this one is hashed (overlaps I/O on a server database).
    pending = rows.length === batchSize ? fetchBatch(BigInt(last.seq)) : Promise.resolve({ rows: [] as Row[] });
    const res = verifyRun(rows.map(toEntry), prev);
    if (!res.ok) {
      await pending.catch(() => undefined);
      return { ok: false, entries: total, failure: res.failure };
    }
    total += res.count;
    prev = res.head;
  }
  const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
  if (BigInt(head.seq) !== prev.seq || head.hash !== prev.hash) {
    return {
      ok: false,
      entries: total,
      failure: { seq: (prev.seq + 1n).toString(), reason: 'sequence_gap' },
    };
  }
  return { ok: true, entries: total, headSeq: prev.seq.toString(), headHash: prev.hash };
}
