import { describe, expect, it } from 'vitest';
import {
  COMPONENT_BYTES,
  decodeComponents,
  distinctPvIds,
  encodeComponents,
  inboxPending,
  joinPending,
} from './component-inbox.ts';
import { decodeHits, PENDING_BYTES, shallowestPerPackageVersion } from './postings.ts';
import { ancestorChains } from './sbom-paths.ts';

// product → 0 (pv 10) → 1 (pv 11) → 2 (pv 12); product → 3 (pv 12); 1 → 4 (pv 13); 4 → 5 (pv 11).
const sbom = {
  pv: Int32Array.from([10, 11, 12, 12, 13, 11]),
  depth: Int32Array.from([1, 2, 3, 1, 3, 4]),
  parent: Int32Array.from([-1, 0, 1, -1, 1, 4]),
};

describe('an inbox row', () => {
  it('round-trips its columns, twelve bytes per component', () => {
    const b = encodeComponents(sbom);
    expect(b.byteLength).toBe(6 * COMPONENT_BYTES);
    expect(b.readInt32BE(COMPONENT_BYTES * 5 + 8)).toBe(4);
    const back = decodeComponents(b);
    expect(Array.from(back.pv)).toEqual(Array.from(sbom.pv));
    expect(Array.from(back.depth)).toEqual(Array.from(sbom.depth));
    expect(Array.from(back.parent)).toEqual(Array.from(sbom.parent));
    expect(
      decodeComponents(encodeComponents({ pv: new Int32Array(0), depth: new Int32Array(0), parent: new Int32Array(0) })).pv,
    ).toHaveLength(0);
  });

  it('refuses a partial record, a depth below 1 and a parent that is not one level up', () => {
    expect(() => decodeComponents(Buffer.alloc(13))).toThrow(/partial/);
    const bad = (depth: number[], parent: number[]) =>
      decodeComponents(
        encodeComponents({
          pv: Int32Array.from(depth.map(() => 1)),
          depth: Int32Array.from(depth),
          parent: Int32Array.from(parent),
        }),
      );
    expect(() => bad([0], [-1])).toThrow(/component 0/);
    expect(() => bad([2], [-1])).toThrow(/component 0/);
    expect(() => bad([1, 3], [-1, 0])).toThrow(/component 1/);
    expect(() => bad([1, 2], [-1, 7])).toThrow(/component 1/);
    expect(() => bad([1, 2], [-1, 1])).toThrow(/component 1/);
    expect(() => encodeComponents({ pv: new Int32Array(2), depth: new Int32Array(1), parent: new Int32Array(2) })).toThrow(
      /lengths/,
    );
  });

  it('lists the distinct package versions it ships, ascending', () => {
    expect(distinctPvIds(sbom.pv)).toEqual([10, 11, 12, 13]);
  });
});

describe('an inbox row read by a query', () => {
  const hitsOf = (wanted: number[], withChains: boolean) =>
    decodeHits([], inboxPending(7, sbom, new Set(wanted), withChains), new Set());

  it('gives the kept occurrence of each wanted package version, as the merge keeps it', () => {
    const h = hitsOf([11, 12, 99], true);
    // pv 11: depth 2 (index 1), not depth 4; pv 12: depth 1 (index 3), not depth 3.
    expect(Array.from(h.pvId)).toEqual([11, 12]);
    expect(Array.from(h.depth)).toEqual([2, 1]);
    expect(Array.from(h.sbomId)).toEqual([7, 7]);
    expect(Array.from(h.chains ?? [])).toEqual([10]);
  });

  it('gives each chain exactly as ancestorChains writes it for sbom_components', () => {
    const all = [10, 11, 12, 13];
    const h = hitsOf(all, true);
    const chains = ancestorChains(sbom.pv, sbom.parent, sbom.depth);
    const kept = Array.from(shallowestPerPackageVersion(sbom.pv, sbom.depth));
    expect(Array.from(h.pvId)).toEqual(kept.map((i) => sbom.pv[i]));
    kept.forEach((i, k) => {
      const at = h.chainAt?.[k] as number;
      const got = Array.from(h.chains?.subarray(at, at + (sbom.depth[i] as number) - 1) ?? []);
      const off = chains.offset[i] as number;
      const want = Array.from({ length: (sbom.depth[i] as number) - 1 }, (_, j) => chains.bytes.readInt32BE(off + 4 * j));
      expect(got).toEqual(want);
    });
    // pv 13 at depth 3 under 0 → 1.
    expect(Array.from(h.chains ?? []).slice(-2)).toEqual([10, 11]);
  });

  it('leaves chains out when not asked, and joins with other pending reads', () => {
    const a = inboxPending(7, sbom, new Set([12]), false);
    expect(a.chains).toBeNull();
    expect(a.records.byteLength).toBe(PENDING_BYTES);
    const b = inboxPending(8, sbom, new Set([13]), false);
    const joined = decodeHits([], joinPending([a, b]), new Set([7]));
    expect(Array.from(joined.sbomId)).toEqual([8]);
    expect(joinPending([a, inboxPending(8, sbom, new Set([13]), true)]).chains).toBeNull();
    expect(inboxPending(9, sbom, new Set([99]), true).records.byteLength).toBe(0);
  });
});
