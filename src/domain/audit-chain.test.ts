import { describe, expect, it } from 'vitest';
import { auditLine, canonicalDetails, chainHash, GENESIS_HASH, type StoredAuditEntry, verifyRun } from './audit-chain.ts';

function chain(n: number): StoredAuditEntry[] {
  const out: StoredAuditEntry[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const fields = {
      seq: String(i),
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
      actorUserId: null,
      actorOrgId: null,
      subjectOrgId: null,
      action: 'case.read',
      objectType: 'case',
      objectId: `c${i}`,
      requestId: null,
      details: canonicalDetails({ b: 1, a: [i] }),
    };
    const hash = chainHash(prev, auditLine(fields));
    out.push({ ...fields, prevHash: prev, hash });
    prev = hash;
  }
  return out;
}

describe('audit hash chain', () => {
  it('canonicalises details (RFC 8785: sorted keys, no spaces)', () => {
    expect(canonicalDetails({ b: 1, a: { d: 2, c: 'x' } })).toBe('{"a":{"c":"x","d":2},"b":1}');
    expect(canonicalDetails(undefined)).toBe('{}');
  });

  it('verifies an intact chain', () => {
    const res = verifyRun(chain(50), { seq: 0n, hash: GENESIS_HASH });
    expect(res).toMatchObject({ ok: true, count: 50 });
  });

  it('names the first entry whose content was edited', () => {
    const c = chain(10);
    (c[6] as StoredAuditEntry).action = 'case.update';
    expect(verifyRun(c, { seq: 0n, hash: GENESIS_HASH })).toEqual({ ok: false, failure: { seq: '7', reason: 'hash_mismatch' } });
  });

  it('catches an entry rewritten with a recomputed hash at the next entry', () => {
    const c = chain(10);
    const e = c[3] as StoredAuditEntry;
    e.objectId = 'forged';
    e.hash = chainHash(e.prevHash, auditLine(e));
    expect(verifyRun(c, { seq: 0n, hash: GENESIS_HASH })).toEqual({
      ok: false,
      failure: { seq: '5', reason: 'prev_hash_mismatch' },
    });
  });

  it('catches a deleted entry', () => {
    const c = chain(10);
    c.splice(4, 1);
    expect(verifyRun(c, { seq: 0n, hash: GENESIS_HASH })).toEqual({ ok: false, failure: { seq: '6', reason: 'sequence_gap' } });
  });
});
