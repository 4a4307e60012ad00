import { describe, expect, it } from 'vitest';
import { ancestorChains, int4ArrayFromSend } from './sbom-paths.ts';

const be = (...xs: number[]) => {
  const b = Buffer.alloc(xs.length * 4);
  for (let i = 0; i < xs.length; i++) b.writeInt32BE(xs[i] as number, i * 4);
  return b;
};

describe('ancestor chains', () => {
  it('gives each component the package versions above it, product side first, whatever the order', () => {
    // 0 (pv 10) and 3 (pv 13) are direct; 2 (pv 12) under 0; 1 (pv 11) under 2; 4 (pv 14) under 3.
    const pv = Int32Array.from([10, 11, 12, 13, 14]);
    const parent = Int32Array.from([-1, 2, 0, -1, 3]);
    const depth = Int32Array.from([1, 3, 2, 1, 2]);
    const { bytes, offset } = ancestorChains(pv, parent, depth);
    const chain = (i: number) => {
      const from = offset[i] as number;
      const b = bytes.subarray(from, from + 4 * ((depth[i] as number) - 1));
      return Array.from({ length: b.length / 4 }, (_, k) => b.readInt32BE(4 * k));
    };
    expect([0, 1, 2, 3, 4].map(chain)).toEqual([[], [10, 12], [10], [], [13]]);
  });

  it('refuses parents that are not one level up', () => {
    expect(() => ancestorChains(Int32Array.from([1, 2]), Int32Array.from([-1, 0]), Int32Array.from([1, 3]))).toThrow(
      /one level up/,
    );
  });
});

describe('binary int4 arrays', () => {
  // array_send of '{7,8}'::int4[]: ndim 1, no nulls, oid 23, length 2, lower bound 1, then (4, value) pairs.
  const send = (...xs: number[]) => Buffer.concat([be(1, 0, 23, xs.length, 1), ...xs.map((x) => be(4, x))]);

  it('decodes binary int4 arrays; an aggregate over no rows is empty', () => {
    expect(Array.from(int4ArrayFromSend(send(7, -1, 2 ** 31 - 1)))).toEqual([7, -1, 2 ** 31 - 1]);
    expect(int4ArrayFromSend(null).length).toBe(0);
    expect(int4ArrayFromSend(be(0, 0, 23)).length).toBe(0);
    expect(() => int4ArrayFromSend(Buffer.concat([be(1, 0, 25, 1, 1), be(4, 1)]))).toThrow(/int4/);
  });
});
