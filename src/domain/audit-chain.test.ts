import { describe, expect, it } from 'vitest';
import { auditLine, type ChainRow, canonicalDetails, chainHash, GENESIS_HASH, verifyRun } from './audit-chain.ts';

function chain(n: number): ChainRow[] {
  const out: ChainRow[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const entry = auditLine({
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
    });
    const hash = chainHash(prev, entry);
    out.push({ seq: String(i), entry, prevHash: prev, hash });
    prev = hash;
  }
  return out;
}

const at = (c: ChainRow[], i: number) => c[i] as ChainRow;

describe('audit hash chain', () => {
  it('canonicalises details (RFC 8785: sorted keys, no spaces)', () => {
    expect(canonicalDetails({ b: 1, a: { d: 2, c: 'x' } })).toBe('{"a":{"c":"x","d":2},"b":1}');
    expect(canonicalDetails(undefined)).toBe('{}');
  });

  it('writes lines without raw control characters, whatever the details hold', () => {
    const line = auditLine({
      ...JSON.parse('{}'),
      seq: '1',
      at: new Date(0),
      action: 'x\u001e\u001f\n',
      objectType: 't',
      details: '{}',
    });
    expect([...line].some((ch) => ch.charCodeAt(0) < 0x20)).toBe(false);
  });

  it('verifies an intact chain', () => {
    expect(verifyRun(chain(50), { seq: 0n, hash: GENESIS_HASH })).toMatchObject({ ok: true, count: 50, head: { seq: 50n } });
  });

  it('names the first entry whose content was edited', () => {
    const c = chain(10);
    at(c, 6).entry = at(c, 6).entry.replace('case.read', 'case.update');
    expect(verifyRun(c, { seq: 0n, hash: GENESIS_HASH })).toEqual({ ok: false, failure: { seq: '7', reason: 'hash_mismatch' } });
  });

  it('catches an entry rewritten with a recomputed hash at the next entry', () => {
    const c = chain(10);
    const e = at(c, 3);
    e.entry = e.entry.replace('"c4"', '"forged"');
    e.hash = chainHash(e.prevHash, e.entry);
    expect(verifyRun(c, { seq: 0n, hash: GENESIS_HASH })).toEqual({
      ok: false,
      failure: { seq: '5', reason: 'prev_hash_mismatch' },
    });
  });

  it('catches a deleted entry, and an entry moved to another seq', () => {
    const c = chain(10);
    c.splice(4, 1);
    expect(verifyRun(c, { seq: 0n, hash: GENESIS_HASH })).toEqual({ ok: false, failure: { seq: '6', reason: 'sequence_gap' } });
    const d = chain(3);
    at(d, 2).seq = '3';
    at(d, 2).entry = at(d, 1).entry;
    expect(verifyRun(d, { seq: 0n, hash: GENESIS_HASH })).toEqual({ ok: false, failure: { seq: '3', reason: 'entry_mismatch' } });
  });
});
