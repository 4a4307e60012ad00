// Interning (src/services/package-intern.ts): each component's (package, version) pair as a
// package-version id, inserting only pairs the database lacks, and a cache that learns ids only
// from committed transactions and can be filled with every pair the database holds.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  forEachPackageVersion,
  InternCache,
  type InternItem,
  internCacheFor,
  internComponents,
  remember,
  stopWarmUp,
  warmInternCache,
} from '../src/services/package-intern.ts';
import { startTestVillage, type TestVillage } from './support/app.ts';

let v: TestVillage;
beforeAll(async () => {
  v = await startTestVillage({ workers: false });
});
afterAll(async () => v?.close());

const npm = (name: string, version: string | null): InternItem => ({ pkg: `pkg:npm/${name}`, type: 'npm', version });

async function pairs(): Promise<string[]> {
  const r = await sql<{ k: string }>`
    SELECT p.purl || ' ' || pv.version || ' ' || pv.id AS k FROM package_versions pv JOIN packages p ON p.id = pv.package_id
    ORDER BY pv.id`.execute(v.db);
  return r.rows.map((x) => x.k);
}

describe('interning', () => {
  it('inserts new pairs once, gives repeated ones the same id, and keeps a missing version as ""', async () => {
    const items = [npm('left-pad', '1.3.0'), npm('left-pad', '1.3.0'), npm('left-pad', '1.2.0'), npm('is-odd', null)];
    const cache = new InternCache();
    const first = await v.db.transaction().execute((trx) => internComponents(trx, items, cache));
    expect(first.pv[0]).toBe(first.pv[1]);
    expect(new Set(first.pv).size).toBe(3);
    expect(first.learned.pv).toHaveLength(3);
    expect([...first.learned.pkg.keys()].sort()).toEqual(['pkg:npm/is-odd', 'pkg:npm/left-pad']);
    const stored = await pairs();
    expect(stored).toContain(`pkg:npm/is-odd  ${first.pv[3]}`);
    // Nothing remembered yet: a second transaction finds the same ids in the database.
    expect(cache.size).toBe(0);
    const again = await v.db.transaction().execute((trx) => internComponents(trx, items, cache));
    expect(Array.from(again.pv)).toEqual(Array.from(first.pv));
    expect(await pairs()).toEqual(stored);
  });

  it('answers from the cache once remembered, and mixes cached ids with new ones', async () => {
    const cache = new InternCache();
    const a = await v.db.transaction().execute((trx) => internComponents(trx, [npm('a', '1'), npm('b', '1')], cache));
    remember(cache, a.learned);
    expect(cache.size).toBe(2);
    expect(cache.pvId('pkg:npm/a', '1')).toBe(a.pv[0]);
    const b = await v.db
      .transaction()
      .execute((trx) => internComponents(trx, [npm('a', '1'), npm('a', '2'), npm('b', '1')], cache));
    expect(b.pv[0]).toBe(a.pv[0]);
    expect(b.pv[2]).toBe(a.pv[1]);
    // Only the pair the cache lacked was learned; its package id was known already.
    expect(b.learned.pv.map((x) => `${x.pkg}@${x.version}`)).toEqual(['pkg:npm/a@2']);
    expect(b.learned.pkg.size).toBe(0);
  });

  it('learns nothing from a transaction that rolled back', async () => {
    const cache = new InternCache();
    let learned: Awaited<ReturnType<typeof internComponents>>['learned'] | undefined;
    await expect(
      v.db.transaction().execute(async (trx) => {
        learned = (await internComponents(trx, [npm('rolled-back', '9.9.9')], cache)).learned;
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(learned?.pv).toHaveLength(1);
    expect((await pairs()).some((k) => k.startsWith('pkg:npm/rolled-back '))).toBe(false);
    expect(cache.size).toBe(0); // the caller remembers only after commit
  });

  it('warms up with every pair the database holds, read in id ranges', async () => {
    const cache = new InternCache();
    await warmInternCache(v.db, cache);
    const stored = await pairs();
    expect(cache.size).toBe(stored.length);
    for (const k of stored) {
      const [purl, version, id] = k.split(' ') as [string, string, string];
      expect(cache.pvId(purl, version)).toBe(Number(id));
    }
    // The promise is shared: a second call does not read again.
    expect(warmInternCache(v.db, cache)).toBe(cache.warmed);
    let seen = 0;
    await forEachPackageVersion(v.db, () => {
      seen++;
    });
    expect(seen).toBe(stored.length);
    // Told to stop (the database is about to close), it reads no further range.
    await forEachPackageVersion(
      v.db,
      () => {
        seen++;
      },
      () => true,
    );
    expect(seen).toBe(stored.length);
  });

  it('stops a warm-up when the database is about to close, and waits for it', async () => {
    const cache = internCacheFor(v.db);
    const running = warmInternCache(v.db, cache);
    await stopWarmUp(v.db);
    expect(cache.stopped).toBe(true);
    await expect(running).resolves.toBeUndefined();
  });
});
