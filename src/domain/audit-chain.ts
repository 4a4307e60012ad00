// The audit log's hash chain, free of I/O.
// Each entry's hash is SHA-256 over the previous entry's hash (hex) and the entry's
// canonical line, so rewriting any entry breaks every hash after it.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditFields {
  seq: string; // int8 as a decimal string
  at: Date;
  actorUserId: string | null;
  actorOrgId: string | null;
  subjectOrgId: string | null;
  action: string;
  objectType: string;
  objectId: string | null;
  requestId: string | null;
  /** Canonical JSON (RFC 8785) of the entry's details, exactly as stored. */
  details: string;
}

/** Canonical details text (RFC 8785 JSON Canonicalization Scheme). */
export function canonicalDetails(details: Record<string, unknown> | undefined): string {
  return canonicalize(details ?? {}) ?? '{}';
}

/** The canonical line of an entry: a JSON array in a fixed order (deterministic by construction). */
export function auditLine(e: AuditFields): string {
  return JSON.stringify([
    e.seq,
    e.at.toISOString(),
    e.actorUserId,
    e.actorOrgId,
    e.subjectOrgId,
    e.action,
    e.objectType,
    e.objectId,
    e.requestId,
    e.details,
  ]);
}

export function chainHash(prevHash: string, line: string): string {
  return createHash('sha256').update(prevHash).update('\n').update(line).digest('hex');
}

export interface StoredAuditEntry extends AuditFields {
  prevHash: string;
  hash: string;
}

export type VerifyFailure = { seq: string; reason: 'prev_hash_mismatch' | 'hash_mismatch' | 'sequence_gap' };

/**
 * Verifies a run of entries that continues from `prev` (the hash and seq before the first one).
 * Returns the first failure, or the new head to continue from.
 */
export function verifyRun(
  entries: Iterable<StoredAuditEntry>,
  prev: { seq: bigint; hash: string },
): { ok: true; head: { seq: bigint; hash: string }; count: number } | { ok: false; failure: VerifyFailure } {
  let { seq, hash } = prev;
  let count = 0;
  for (const e of entries) {
    const eseq = BigInt(e.seq);
    if (eseq !== seq + 1n) return { ok: false, failure: { seq: e.seq, reason: 'sequence_gap' } };
    if (e.prevHash !== hash) return { ok: false, failure: { seq: e.seq, reason: 'prev_hash_mismatch' } };
    const expected = chainHash(hash, auditLine(e));
    if (expected !== e.hash) return { ok: false, failure: { seq: e.seq, reason: 'hash_mismatch' } };
    seq = eseq;
    hash = e.hash;
    count++;
  }
  return { ok: true, head: { seq, hash }, count };
}
