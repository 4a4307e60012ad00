import { describe, expect, it } from 'vitest';
import { IdTable, withVersion } from './affected-caches.ts';

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
