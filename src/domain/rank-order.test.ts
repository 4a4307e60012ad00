import { describe, expect, it } from 'vitest';
import { orderByRanks } from './rank-order.ts';

describe('ordering by ranks', () => {
  it('orders by major then minor rank, ties in position order', () => {
    const major = Int32Array.from([2, 0, 2, 1, 0, 2]);
    const minor = Int32Array.from([1, 1, 0, 0, 0, 1]);
    expect(Array.from(orderByRanks(major, 3, minor, 2))).toEqual([4, 1, 3, 2, 0, 5]);
  });

  it('agrees with a comparison sort on random ranks', () => {
    let seed = 7;
    const rand = (m: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % m;
    };
    const n = 5000;
    const major = Int32Array.from({ length: n }, () => rand(300));
    const minor = Int32Array.from({ length: n }, () => rand(7));
    const want = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => (major[a] as number) - (major[b] as number) || (minor[a] as number) - (minor[b] as number) || a - b,
    );
    expect(Array.from(orderByRanks(major, 300, minor, 7))).toEqual(want);
  });

  it('refuses a rank outside its range', () => {
    expect(() => orderByRanks(Int32Array.from([3]), 3, Int32Array.from([0]), 1)).toThrow(/outside/);
  });
});
