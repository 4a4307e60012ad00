// Fixed-window counters in the database, so every server process sees the same counts.
import { type Kysely, sql } from 'kysely';
import type { DB } from './schema.ts';

export interface Window {
  start: Date;
  end: Date;
}

export function windowAt(now: Date, seconds: number): Window {
  const ms = seconds * 1000;
  const start = Math.floor(now.getTime() / ms) * ms;
  return { start: new Date(start), end: new Date(start + ms) };
}

export async function countHits(db: Kysely<DB>, bucket: string, key: string, w: Window): Promise<number> {
  const row = await db
    .selectFrom('rate_limits')
    .select('count')
    .where('bucket', '=', bucket)
    .where('key', '=', key)
    .where('window_start', '=', w.start)
    .executeTakeFirst();
  return row?.count ?? 0;
}

export async function addHit(db: Kysely<DB>, bucket: string, key: string, w: Window): Promise<number> {
  const row = await db
    .insertInto('rate_limits')
    .values({ bucket, key, window_start: w.start, count: 1 })
    .onConflict((oc) => oc.columns(['bucket', 'key', 'window_start']).doUpdateSet({ count: sql`rate_limits.count + 1` }))
    .returning('count')
    .executeTakeFirstOrThrow();
  return row.count;
}

export async function clearHits(db: Kysely<DB>, bucket: string, key: string): Promise<void> {
  await db.deleteFrom('rate_limits').where('bucket', '=', bucket).where('key', '=', key).execute();
}

/** Drops windows that ended before `before` (run by a periodic job). */
export async function pruneHits(db: Kysely<DB>, before: Date): Promise<void> {
  await db.deleteFrom('rate_limits').where('window_start', '<', before).execute();
}
