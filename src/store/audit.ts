// Appending to and reading the audit chain. Appends happen inside the caller's transaction,
// so an entry exists exactly when the change it describes was committed.
import { type Kysely, sql } from 'kysely';
import {
  auditLine,
  auditLineOf,
  ChainVerifier,
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

// The timestamp exactly as toISOString() writes it (millisecond precision, UTC).
const AT_ISO = sql.raw(`to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

/** One batch as plain rows (the fallback when a batch cannot travel packed, see below). */
const fetchRows = (db: Kysely<DB>, after: bigint, limit: number) =>
  sql<Row>`
    SELECT seq::text AS seq, ${AT_ISO} AS at,
           actor_user_id::text AS actor_user_id, actor_org_id::text AS actor_org_id,
           subject_org_id::text AS subject_org_id, action, object_type, object_id,
           request_id, details, prev_hash, hash
      FROM audit_log WHERE audit_log.seq > ${after.toString()}::bigint ORDER BY audit_log.seq LIMIT ${limit}`.execute(db);

// A batch travels as one text: rows separated by RS (U+001E), fields by US (U+001F), which is far
// cheaper, on both engines, than a result row per entry. Nullable uuids come as '' (a uuid's text is
// never empty); the nullable texts' NULLs are flagged in a last field. When a value itself contains
// RS or US, the row count or a row's field count comes out wrong, and the batch is read again as rows.
const RS = '\x1e';
const US = '\x1f';
const PACKED_FIELDS = 13;

type Packed = { n: number; last: string | null; packed: string | null };

const fetchPacked = (db: Kysely<DB>, after: bigint, limit: number) =>
  sql<Packed>`
    SELECT count(*)::int AS n, max(seq)::text AS last,
           string_agg(concat_ws(chr(31), seq::text, ${AT_ISO},
                                coalesce(actor_user_id::text, ''), coalesce(actor_org_id::text, ''),
                                coalesce(subject_org_id::text, ''), action, object_type,
                                coalesce(object_id, ''), coalesce(request_id, ''), details, prev_hash, hash,
                                (object_id IS NULL)::int::text || (request_id IS NULL)::int::text),
                      chr(30) ORDER BY batch.seq) AS packed
      FROM (SELECT * FROM audit_log WHERE audit_log.seq > ${after.toString()}::bigint ORDER BY audit_log.seq LIMIT ${limit}) batch`.execute(
    db,
  );

/** toISOString() of the parsed text, which is the text itself in the usual 24-character form. */
const isoAt = (at: string): string => (at.length === 24 ? at : new Date(at).toISOString());

/**
 * Verifies one packed batch: returns the first failure, undefined when every entry verified, or
 * 'unframed' when the framing is off before a failure was found (then nothing is decided, and
 * the caller verifies the batch again as rows).
 */
function verifyPacked(v: ChainVerifier, p: Packed): VerifyFailure | 'unframed' | undefined {
  const records = p.packed === null ? [] : p.packed.split(RS);
  if (records.length !== p.n) return 'unframed';
  for (const rec of records) {
    const f = rec.split(US);
    if (f.length !== PACKED_FIELDS) return 'unframed';
    const [seq, at, actorUser, actorOrg, subjectOrg, action, objectType, objectId, requestId, details, prevHash, hash, nulls] =
      f as [string, string, string, string, string, string, string, string, string, string, string, string, string];
    const failure =
      v.checkLink(seq, prevHash) ??
      v.checkHash(
        seq,
        hash,
        auditLineOf([
          seq,
          isoAt(at),
          actorUser === '' ? null : actorUser,
          actorOrg === '' ? null : actorOrg,
          subjectOrg === '' ? null : subjectOrg,
          action,
          objectType,
          nulls.charCodeAt(0) === 49 ? null : objectId,
          nulls.charCodeAt(1) === 49 ? null : requestId,
          details,
        ]),
      );
    if (failure) return failure;
  }
  return undefined;
}

/**
 * Recomputes the whole chain in seq order, in batches, and names the first entry that does
 * not verify. The head row must agree with the last entry (a truncated tail is caught too).
 */
export async function verifyAuditChain(db: Kysely<DB>, batchSize = 20_000): Promise<AuditVerifyResult> {
  let prev = { seq: 0n, hash: GENESIS_HASH };
  let total = 0;
  let pending = fetchPacked(db, 0n, batchSize);
  for (;;) {
    const { rows } = await pending;
    const batch = rows[0] as Packed;
    if (batch.n === 0 || batch.last === null) break;
    // Fetch the next batch while this one is hashed (overlaps I/O on a server database).
    pending =
      batch.n === batchSize
        ? fetchPacked(db, BigInt(batch.last), batchSize)
        : Promise.resolve({ rows: [{ n: 0, last: null, packed: null }] });
    // Let the query go out before hashing: otherwise it waits behind the (synchronous) hashing.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const v = new ChainVerifier(prev);
    let failure = verifyPacked(v, batch);
    let head = v.head;
    let count = v.count;
    if (failure === 'unframed') {
      // A value holds a separator: verify this batch again from its start, as plain rows.
      const again = await fetchRows(db, prev.seq, batchSize);
      const res = verifyRun(again.rows.map(toEntry), prev);
      failure = res.ok ? undefined : res.failure;
      if (res.ok) ({ head, count } = res);
    }
    if (failure) {
      await pending.catch(() => undefined);
      return { ok: false, entries: total, failure };
    }
    total += count;
    prev = head;
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
