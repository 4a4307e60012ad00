// The audit log's hash chain, free of I/O.
// Each entry is stored as the exact text that is hashed: a canonical JSON line. Its hash is
// SHA-256 over the previous entry's hash (hex), a newline and the line, so rewriting any entry
// breaks every hash after it. The columns queries use are generated from the line by the
// database, so they can never disagree with what was hashed.
import { hash as digest } from 'node:crypto';
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
  /** Canonical JSON (RFC 8785) of the entry's details. */
  details: string;
}

/** Canonical details text (RFC 8785 JSON Canonicalization Scheme). */
export function canonicalDetails(details: Record<string, unknown> | undefined): string {
  return canonicalize(details ?? {}) ?? '{}';
}

/**
 * The canonical line of an entry: a JSON array in a fixed order (deterministic by construction;
 * JSON.stringify escapes every control character, so a line never holds a raw one).
 */
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

/** SHA-256 (hex) over the previous hash, a newline and the line, as UTF-8. */
export function chainHash(prevHash: string, line: string): string {
  return digest('sha256', `${prevHash}\n${line}`, 'hex');
}

/** A stored entry as verification reads it. */
export interface ChainRow {
  seq: string;
  /** The canonical line, exactly as hashed. */
  entry: string;
  prevHash: string;
  hash: string;
}

export type VerifyFailure = {
  seq: string;
  reason: 'sequence_gap' | 'entry_mismatch' | 'prev_hash_mismatch' | 'hash_mismatch';
};

/**
 * Verifies a run of entries that continues from `prev` (the seq and hash before the first one):
 * seqs follow on, each line names its own seq, each entry links to the previous hash, and each
 * hash is the SHA-256 of the previous hash and the line. Returns the first failure, or the new head.
 */
export function verifyRun(
  rows: Iterable<ChainRow>,
  prev: { seq: bigint; hash: string },
): { ok: true; head: { seq: bigint; hash: string }; count: number } | { ok: false; failure: VerifyFailure } {
  // Seqs are counted as numbers: exact up to 2^53 entries, far beyond any audit log.
  let seq = Number(prev.seq);
  let last = prev.hash;
  let count = 0;
  for (const r of rows) {
    const next = seq + 1;
    if (r.seq !== String(next)) return { ok: false, failure: { seq: r.seq, reason: 'sequence_gap' } };
    if (!r.entry.startsWith(`["${r.seq}",`)) return { ok: false, failure: { seq: r.seq, reason: 'entry_mismatch' } };
    if (r.prevHash !== last) return { ok: false, failure: { seq: r.seq, reason: 'prev_hash_mismatch' } };
    if (chainHash(last, r.entry) !== r.hash) return { ok: false, failure: { seq: r.seq, reason: 'hash_mismatch' } };
    seq = next;
    last = r.hash;
    count++;
  }
  return { ok: true, head: { seq: BigInt(seq), hash: last }, count };
}
