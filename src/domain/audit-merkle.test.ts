import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inclusionProof, leafHash, merkleRoot, verifyInclusion } from './audit-merkle.ts';

const h = (i: number) => createHash('sha256').update(`entry ${i}`).digest('hex');
const hashes = (n: number) => Array.from({ length: n }, (_, i) => h(i));

describe('audit Merkle tree (RFC 9162 §2.1)', () => {
  it('hashes one leaf as SHA-256(0x00 ‖ leaf) and two as SHA-256(0x01 ‖ l ‖ r)', () => {
    const [a, b] = hashes(2) as [string, string];
    expect(merkleRoot([a])).toBe(leafHash(a).toString('hex'));
    const node = createHash('sha256')
      .update(Buffer.from([1]))
      .update(leafHash(a))
      .update(leafHash(b))
      .digest('hex');
    expect(merkleRoot([a, b])).toBe(node);
  });

  it('proves every leaf of every tree size, and nothing else', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.nat(), (n, i0) => {
        const hs = hashes(n);
        const root = merkleRoot(hs);
        const i = i0 % n;
        const proof = inclusionProof(hs, i);
        expect(verifyInclusion(hs[i] as string, i, n, proof, root)).toBe(true);
        // A rewritten entry, another index, another size or a damaged proof fails.
        expect(verifyInclusion(h(1000), i, n, proof, root)).toBe(false);
        if (n > 1) expect(verifyInclusion(hs[i] as string, (i + 1) % n, n, proof, root)).toBe(false);
        expect(verifyInclusion(hs[i] as string, i, n, proof, merkleRoot([...hs, h(999)]))).toBe(false);
        if (proof.length) {
          const bad = [...proof];
          bad[0] = h(4242);
          expect(verifyInclusion(hs[i] as string, i, n, bad, root)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
