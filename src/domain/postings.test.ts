import { describe, expect, it } from 'vitest';
import {
  decodeHits,
  ENTRY_BYTES,
  encodeEntries,
  encodePending,
  int32s,
  type PostingRead,
  packRows,
  shallowestPerPackageVersion,
  withoutSboms,
} from './postings.ts';

const be = (...xs: number[]) => {
  const b = Buffer.alloc(xs.length * 4);
  for (let i = 0; i < xs.length; i++) b.writeInt32BE(xs[i] as number, i * 4);
  return b;
};

describe('the kept occurrence per package version', () => {
  it('is the shallowest, then the first listed', () => {
    // pv 5 at depths 3, 2, 2 (indices 0, 1, 3); pv 6 once; pv 7 at depths 1 and 1.
    const pv = Int32Array.from([5, 5, 6, 5, 7, 7]);
    const depth = Int32Array.from([3, 2, 4, 2, 1, 1]);
    expect(Array.from(shallowestPerPackageVersion(pv, depth))).toEqual([1, 2, 4]);
  });
});

describe('decoding hits', () => {
  // Two rows of pv 42 (SBOMs 1 at depth 1 and 2 at depth 3; then SBOM 9 at depth 2), one of pv 43.
  const postings = [
    {
      pvId: 42,
      n: 2,
      entries: encodeEntries([
        { sbomId: 1, depth: 1 },
        { sbomId: 2, depth: 3 },
      ]),
      chains: be(100, 101),
    },
    { pvId: 42, n: 1, entries: encodeEntries([{ sbomId: 9, depth: 2 }]), chains: be(102) },
    { pvId: 43, n: 1, entries: encodeEntries([{ sbomId: 2, depth: 1 }]), chains: be() },
  ];
  const pending = { records: encodePending([{ pvId: 43, sbomId: 11, depth: 2 }]), chains: be(200) };

  it('reads posting rows and pending rows as one list, each hit with its chain', () => {
    const h = decodeHits(postings, pending, new Set());
    expect(Array.from(h.sbomId)).toEqual([1, 2, 9, 2, 11]);
    expect(Array.from(h.pvId)).toEqual([42, 42, 42, 43, 43]);
    expect(Array.from(h.depth)).toEqual([1, 3, 2, 1, 2]);
    const chainOf = (i: number) =>
      Array.from(h.chains?.subarray(h.chainAt?.[i], (h.chainAt?.[i] as number) + (h.depth[i] as number) - 1) ?? []);
    expect([0, 1, 2, 3, 4].map(chainOf)).toEqual([[], [100, 101], [102], [], [200]]);
  });

  it('leaves out replaced SBOMs, keeping the others chains in step', () => {
    const h = decodeHits(postings, pending, new Set([2]));
    expect(Array.from(h.sbomId)).toEqual([1, 9, 11]);
    expect(Array.from(h.chains ?? [])).toEqual([102, 200]);
    expect(Array.from(h.chainAt ?? [])).toEqual([0, 0, 1]);
  });

  it('reads no chains when none are asked for', () => {
    const h = decodeHits(
      postings.map((r) => ({ ...r, chains: null })),
      { ...pending, chains: null },
      new Set(),
    );
    expect(h.chains).toBeNull();
    expect(h.sbomId.length).toBe(5);
  });

  it('refuses rows whose parts do not add up', () => {
    const none = { records: new Uint8Array(0), chains: new Uint8Array(0) };
    expect(() => decodeHits([{ ...(postings[0] as PostingRead), n: 3 }], none, new Set())).toThrow(/add up/);
    expect(() => decodeHits([{ ...(postings[0] as PostingRead), chains: be(100) }], none, new Set())).toThrow(/chains/);
    expect(() => decodeHits([{ ...(postings[0] as PostingRead), chains: be(100, 101, 102) }], none, new Set())).toThrow(/chains/);
    expect(() => decodeHits([], { ...pending, chains: be() }, new Set())).toThrow(/paths|chains/);
    expect(() => decodeHits([], { records: new Uint8Array(5), chains: null }, new Set())).toThrow(/partial/);
  });

  it('reads tombstones as int32 lists', () => {
    expect(Array.from(int32s(be(7, -1)))).toEqual([7, -1]);
    expect(int32s(null).length).toBe(0);
    expect(() => int32s(new Uint8Array(3))).toThrow(/multiple of 4/);
  });
});

describe('removing replaced SBOMs from a row', () => {
  const row = {
    n: 3,
    entries: encodeEntries([
      { sbomId: 1, depth: 2 },
      { sbomId: 2, depth: 3 },
      { sbomId: 3, depth: 1 },
    ]),
    chains: be(10, 20, 21),
  };

  it('drops their entries and chains', () => {
    const r = withoutSboms(row, new Set([2]));
    expect(r?.n).toBe(2);
    expect(Buffer.from(r?.entries ?? [])).toEqual(
      encodeEntries([
        { sbomId: 1, depth: 2 },
        { sbomId: 3, depth: 1 },
      ]),
    );
    expect(Buffer.from(r?.chains ?? [])).toEqual(be(10));
  });

  it('says so when nothing changes, and empties a row of only replaced SBOMs', () => {
    expect(withoutSboms(row, new Set([7]))).toBeNull();
    expect(withoutSboms(row, new Set([1, 2, 3]))?.n).toBe(0);
    expect(ENTRY_BYTES).toBe(8);
  });
});

describe('packing partly filled rows', () => {
  const row = (...list: Array<[number, number[]]>) => ({
    n: list.length,
    entries: encodeEntries(list.map(([sbomId, chain]) => ({ sbomId, depth: chain.length + 1 }))),
    chains: be(...list.flatMap(([, chain]) => chain)),
  });

  it('keeps every entry with its chain, in order, in rows of the capacity and one with the rest', () => {
    const packed = packRows([row([1, [10]], [2, []]), row([3, [30, 31]]), row([4, []], [5, [50]])], 2);
    expect(packed.map((r) => r.n)).toEqual([2, 2, 1]);
    expect(packed.map((r) => Buffer.from(r.entries))).toEqual([
      encodeEntries([
        { sbomId: 1, depth: 2 },
        { sbomId: 2, depth: 1 },
      ]),
      encodeEntries([
        { sbomId: 3, depth: 3 },
        { sbomId: 4, depth: 1 },
      ]),
      encodeEntries([{ sbomId: 5, depth: 2 }]),
    ]);
    expect(packed.map((r) => Buffer.from(r.chains))).toEqual([be(10), be(30, 31), be(50)]);
  });

  it('refuses rows whose chains do not add up', () => {
    expect(() => packRows([{ ...row([1, [10]]), chains: be() }], 4)).toThrow(/chains/);
    expect(packRows([], 4)).toEqual([]);
  });
});
