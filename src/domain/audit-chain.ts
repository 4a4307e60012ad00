// The audit log's hash chain, free of I/O.
// Each entry's hash is SHA-256 over the previous entry's hash (hex) and the entry's
// canonical line, so rewriting any entry breaks every hash after it.
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
  /** Canonical JSON (RFC 8785) of the entry's details, exactly as stored. */
  details: string;
}

/** Canonical details text (RFC 8785 JSON Canonicalization Scheme). */
export function canonicalDetails(details: Record<string, unknown> | undefined): string {
  return canonicalize(details ?? {}) ?? '{}';
}

/** The canonical line of an entry: a JSON array in a fixed order (deterministic by construction). */
export function auditLine(e: AuditFields): string {
  return auditLineOf([
    e.seq,
    isoTimestamp(e.at),
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

const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
let dayStart = Number.NaN;
let dayPrefix = '';

/**
 * Exactly `d.toISOString()`, cheaper for runs of timestamps on the same UTC day (as a chain
 * verified in order has): the "YYYY-MM-DDT" of the last day seen is kept, the time is formatted here.
 */
export function isoTimestamp(d: Date): string {
  const t = d.getTime();
  const offset = t - dayStart;
  if (!(offset >= 0 && offset < DAY_MS)) {
    const iso = d.toISOString(); // throws for an invalid date, as before
    if (iso.length === 24) {
      // a four-digit year; other years keep going through toISOString()
      dayStart = t - (((t % DAY_MS) + DAY_MS) % DAY_MS);
      dayPrefix = iso.slice(0, 11);
    }
    return iso;
  }
  const sec = Math.floor(offset / 1000);
  return `${dayPrefix}${TWO_DIGITS[Math.floor(sec / 3600)]}:${TWO_DIGITS[Math.floor(sec / 60) % 60]}:${TWO_DIGITS[sec % 60]}.${THREE_DIGITS[offset % 1000]}Z`;
}

/** An entry's fields in line order, `at` already as its ISO 8601 text (what `toISOString()` gives). */
export type AuditLineValues = readonly [
  seq: string,
  at: string,
  actorUserId: string | null,
  actorOrgId: string | null,
  subjectOrgId: string | null,
  action: string,
  objectType: string,
  objectId: string | null,
  requestId: string | null,
  details: string,
];

/** The canonical line from values already in text form (the same text auditLine() gives). */
export function auditLineOf(values: AuditLineValues): string {
  return JSON.stringify(values);
}

/** SHA-256 (hex) over the previous hash, a newline and the line, as UTF-8. */
export function chainHash(prevHash: string, line: string): string {
  // One-shot digest of the same bytes as update(prevHash).update('\n').update(line): much cheaper per entry.
  return digest('sha256', `${prevHash}\n${line}`, 'hex');
}

export interface StoredAuditEntry extends AuditFields {
  prevHash: string;
  hash: string;
}

export type VerifyFailure = { seq: string; reason: 'prev_hash_mismatch' | 'hash_mismatch' | 'sequence_gap' };

/**
 * Checks entries one at a time, in seq order, continuing from `prev`: for each entry first
 * checkLink() (seq follows on, prev_hash is the last hash), then checkHash() with its canonical
 * line. Both return the entry's failure, if any; the verifier advances only past good entries.
 */
export class ChainVerifier {
  /** The last verified seq: as a number while it is a safe integer (then `big` is undefined). */
  private num: number;
  private big: bigint | undefined;
  private hash: string;
  private nextNum = 0;
  private nextBig: bigint | undefined;
  /** Entries verified so far. */
  count = 0;

  constructor(prev: { seq: bigint; hash: string }) {
    const safe = prev.seq <= BigInt(Number.MAX_SAFE_INTEGER) && prev.seq >= 0n;
    this.num = safe ? Number(prev.seq) : Number.NaN;
    this.big = safe ? undefined : prev.seq;
    this.hash = prev.hash;
  }

  private get seq(): bigint {
    return this.big ?? BigInt(this.num);
  }

  checkLink(seq: string, prevHash: string): VerifyFailure | undefined {
    const n = this.num + 1;
    if (Number.isSafeInteger(n) && seq === String(n)) {
      // the usual case, without BigInt: seq is the canonical decimal of the next number
      this.nextNum = n;
      this.nextBig = undefined;
    } else {
      const eseq = BigInt(seq);
      if (eseq !== this.seq + 1n) return { seq, reason: 'sequence_gap' };
      this.nextBig = eseq;
    }
    if (prevHash !== this.hash) return { seq, reason: 'prev_hash_mismatch' };
    return undefined;
  }

  /** Call right after a successful checkLink() for the same entry. */
  checkHash(seq: string, hash: string, line: string): VerifyFailure | undefined {
    if (chainHash(this.hash, line) !== hash) return { seq, reason: 'hash_mismatch' };
    if (this.nextBig === undefined) {
      this.num = this.nextNum;
    } else {
      const safe = this.nextBig <= BigInt(Number.MAX_SAFE_INTEGER) && this.nextBig >= 0n;
      this.num = safe ? Number(this.nextBig) : Number.NaN;
      this.big = safe ? undefined : this.nextBig;
    }
    this.hash = hash;
    this.count++;
    return undefined;
  }

  get head(): { seq: bigint; hash: string } {
    return { seq: this.seq, hash: this.hash };
  }
}

/**
 * Verifies a run of entries that continues from `prev` (the hash and seq before the first one).
 * Returns the first failure, or the new head to continue from.
 */
export function verifyRun(
  entries: Iterable<StoredAuditEntry>,
  prev: { seq: bigint; hash: string },
): { ok: true; head: { seq: bigint; hash: string }; count: number } | { ok: false; failure: VerifyFailure } {
  const v = new ChainVerifier(prev);
  for (const e of entries) {
    const failure = v.checkLink(e.seq, e.prevHash) ?? v.checkHash(e.seq, e.hash, auditLine(e));
    if (failure) return { ok: false, failure };
  }
  return { ok: true, head: v.head, count: v.count };
}
