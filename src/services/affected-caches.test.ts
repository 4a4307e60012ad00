import { describe, expect, it } from 'vitest';
import { type AffectedCaches, IdTable, placeRanks, type SbomPlace, withVersion } from './affected-caches.ts';

describe('id table', () => {
  it('keeps values by id, dense or past the dense range, and counts them once', () => {
    const t = new IdTable<string>();
    t.set(5, 'five');
    t.set(5000, 'five thousand');
    t.set(2 ** 24 + 3, 'far');
    t.set(5, 'five again');
    expect(t.size).toBe(3);
    expect([t.get(5), t.get(5000), t.get(2 ** 24 + 3), t.get(6), t.get(2 ** 24 + 4)]).toEqual([
      'five again',
      'five thousand',
      'far',
      undefined,
      undefined,
    ]);
    expect([...t.entries()]).toEqual([
      [5, 'five again'],
      [5000, 'five thousand'],
      [2 ** 24 + 3, 'far'],
    ]);
    t.clear();
    expect([t.size, t.has(5)]).toEqual([0, false]);
  });

  it('names a component by purl and version, escaping what the purl spec says to', () => {
    expect(withVersion('pkg:deb/debian/openssl', '1.1.1n-0+deb11u5')).toBe('pkg:deb/debian/openssl@1.1.1n-0%2Bdeb11u5');
    expect(withVersion('pkg:deb/debian/bash', '1:5.1-2')).toBe('pkg:deb/debian/bash@1:5.1-2');
    expect(withVersion('pkg:npm/left-pad', '')).toBe('pkg:npm/left-pad');
  });
});

describe('place ranks', () => {
  const fresh = (): AffectedCaches => ({
    sbomPlaces: new IdTable(),
    pvNames: new IdTable(),
    orgIds: [],
    orgSlots: new Map(),
    placeRanks: null,
    placesAdded: [],
  });
  // A deterministic spread of places: 3 organizations, products and versions with repeats.
  const placeOf = (id: number): SbomPlace => ({
    uid: `u${id}`,
    productId: `p${id % 7}`,
    productName: `product ${(id * 7919) % 13}`,
    productVersion: `${(id * 31) % 5}.0`,
    label: '',
    orgId: `o${id % 3}`,
    orgSlot: id % 3,
  });
  const add = (c: AffectedCaches, ids: number[]) => {
    for (const id of ids) {
      c.sbomPlaces.set(id, placeOf(id));
      c.placesAdded.push(id);
    }
  };
  const ranksOf = (r: { rank: Int32Array }, ids: number[]) => ids.map((id) => r.rank[id]);

  it('merges places added since into the kept order, exactly as a sort from scratch ranks them', () => {
    const names = ['beta', 'alpha', 'gamma'];
    const c = fresh();
    const first = Array.from({ length: 200 }, (_, i) => i + 1);
    add(c, first);
    placeRanks(c, names);
    const later = [5000, 201, 202, 77_777, 203, 2 ** 24 + 9];
    add(c, later);
    const merged = placeRanks(c, names);
    expect(c.placesAdded).toEqual([]);
    const all = [...first, ...later];
    const scratch = fresh();
    add(scratch, all);
    const sorted = placeRanks(scratch, names);
    expect(ranksOf(merged, all)).toEqual(ranksOf(sorted, all));
    expect(merged.size).toBe(sorted.size);
    expect(Array.from(merged.order).sort((a, b) => a - b)).toEqual(all.sort((a, b) => a - b));
    // Equal places share a rank; organizations order by name ('alpha' is slot 1).
    expect(merged.rank[3]).toBe(merged.rank[3 + 3 * 65]); // same org, product and version
    expect(merged.rank[1] as number).toBeLessThan(merged.rank[3] as number);
    // Unchanged: the same object comes back; a renamed organization sorts from scratch.
    expect(placeRanks(c, names)).toBe(merged);
    const renamed = placeRanks(c, ['beta', 'zeta', 'gamma']);
    expect(renamed).not.toBe(merged);
    expect(renamed.rank[1] as number).toBeGreaterThan(renamed.rank[3] as number);
  });
});
