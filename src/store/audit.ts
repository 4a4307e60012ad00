// Appending to and verifying the audit chain. Appends happen inside the caller's transaction,
// so an entry exists exactly when the change it describes was committed.
import { type Kysely, sql } from 'kysely';
import {
  auditLine,
  type ChainRow,
  canonicalDetails,
  chainHash,
  GENESIS_HASH,
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
  const entry = auditLine({
    seq,
    at: input.at,
    actorUserId: input.actorUserId ?? null,
    actorOrgId: input.actorOrgId ?? null,
    subjectOrgId: input.subjectOrgId ?? null,
    action: input.action,
    objectType: input.objectType,
    objectId: input.objectId ?? null,
    requestId: input.requestId ?? null,
    details: canonicalDetails(input.details),
  });
  const hash = chainHash(head.hash, entry);
  // One statement for both: every audited write pays for this round trip.
  await trx
    .with('appended', (q) => q.insertInto('audit_log').values({ seq, entry, prev_hash: head.hash, hash }))
    .updateTable('audit_head')
    .set({ seq, hash })
    .where('id', '=', 1)
    .execute();
  return { seq, hash };
}

export type AuditVerifyResult =
  | { ok: true; entries: number; headSeq: string; headHash: string }
  | { ok: false; entries: number; failure: VerifyFailure };

// Rows of a batch travel as one text: fields split by U+001F, rows by U+001E. A canonical line
// never holds a raw control character (JSON escapes them), and hashes and seqs are plain ASCII.
const FIELD = '\u001f';
const ROW = '\u001e';

function parseBatch(text: string): ChainRow[] {
  const rows: ChainRow[] = [];
  for (const line of text.split(ROW)) {
    const a = line.indexOf(FIELD);
    const b = line.indexOf(FIELD, a + 1);
    const c = line.indexOf(FIELD, b + 1);
    rows.push({ seq: line.slice(0, a), prevHash: line.slice(a + 1, b), hash: line.slice(b + 1, c), entry: line.slice(c + 1) });
  }
  return rows;
}

/**
 * Recomputes the whole chain in seq order, in batches fetched one ahead of the hashing, and
 * names the first entry that does not verify. The head row must agree with the last entry, so
 * a truncated tail is caught too.
 */
export async function verifyAuditChain(db: Kysely<DB>, batchSize = 20_000): Promise<AuditVerifyResult> {
  const fetchBatch = async (after: bigint) => {
    const { rows } = await sql<{ batch: string | null; last: string | null; n: string }>`
      SELECT string_agg(seq::text || ${FIELD} || prev_hash || ${FIELD} || hash || ${FIELD} || entry, ${ROW} ORDER BY seq) AS batch,
             max(seq)::text AS last, count(*)::text AS n
        FROM (SELECT seq, prev_hash, hash, entry FROM audit_log
               WHERE seq > ${after.toString()}::bigint ORDER BY seq LIMIT ${batchSize}) b`.execute(db);
    return rows[0] ?? { batch: null, last: null, n: '0' };
  };
  let prev = { seq: 0n, hash: GENESIS_HASH };
  let total = 0;
  let pending = fetchBatch(0n);
  for (;;) {
    const b = await pending;
    if (!b.batch || !b.last) break;
    // Ask for the next batch before hashing this one: on a server the two overlap.
    pending = Number(b.n) === batchSize ? fetchBatch(BigInt(b.last)) : Promise.resolve({ batch: null, last: null, n: '0' });
    const res = verifyRun(parseBatch(b.batch), prev);
    if (!res.ok) {
      await pending.catch(() => undefined);
      return { ok: false, entries: total, failure: res.failure };
    }
    total += res.count;
    prev = res.head;
  }
  const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
  if (BigInt(head.seq) !== prev.seq || head.hash !== prev.hash) {
    return { ok: false, entries: total, failure: { seq: (prev.seq + 1n).toString(), reason: 'sequence_gap' } };
  }
  return { ok: true, entries: total, headSeq: prev.seq.toString(), headHash: prev.hash };
}
