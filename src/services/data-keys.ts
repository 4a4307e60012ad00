// Data keys: one random 256-bit AES key per case, per report, and one for the instance's mail
// outbox, stored wrapped by the instance keyring (table data_keys). Services seal and open
// stored text through a Box, which holds the owner's unwrapped key. Unwrapped keys are kept in
// a small bounded in-process cache (LRU with a time limit); purging a case removes its entry.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AppContext } from '../context.ts';
import type { Keyring } from '../crypto/keyring.ts';
import { seal, sealAad, unseal } from '../crypto/seal.ts';
import { Problem } from '../problem.ts';
import type { DB } from '../store/schema.ts';

export type KeyOwner = `case:${string}` | `report:${string}` | 'instance:mail';

export const caseOwner = (caseId: string): KeyOwner => `case:${caseId}`;
export const reportOwner = (reportId: string): KeyOwner => `report:${reportId}`;
export const MAIL_OWNER: KeyOwner = 'instance:mail';

/** 410: the data key was destroyed (the case was purged); its content cannot be read again. */
export function contentPurged(what = 'case'): Problem {
  return new Problem(
    410,
    'purged',
    'Content purged',
    `This ${what} was purged: its data key was destroyed and its content can no longer be read.`,
  );
}

const CACHE_MAX = 1024;
const CACHE_TTL_MS = 10 * 60_000;

class KeyCache {
  private entries = new Map<string, { key: Buffer; until: number }>();
  get(owner: string, now: number): Buffer | undefined {
    const e = this.entries.get(owner);
    if (!e) return undefined;
    this.entries.delete(owner);
    if (e.until < now) return undefined;
    this.entries.set(owner, e); // most recently used last
    return e.key;
  }
  set(owner: string, key: Buffer, now: number): void {
    this.entries.delete(owner);
    this.entries.set(owner, { key, until: now + CACHE_TTL_MS });
    while (this.entries.size > CACHE_MAX) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
  delete(owner: string): void {
    this.entries.delete(owner);
  }
  get size(): number {
    return this.entries.size;
  }
}

// One cache per keyring (that is, per running instance in this process).
const caches = new WeakMap<Keyring, KeyCache>();
function cacheOf(keyring: Keyring): KeyCache {
  let c = caches.get(keyring);
  if (!c) {
    c = new KeyCache();
    caches.set(keyring, c);
  }
  return c;
}

/** How many unwrapped keys the cache holds (for tests and status). */
export function cachedKeyCount(keyring: Keyring): number {
  return cacheOf(keyring).size;
}

type KeysCtx = Pick<AppContext, 'keys'>;

/** Creates (and stores, wrapped) the data key of a new owner, in the caller's transaction. */
export async function createDataKey(ctx: KeysCtx, trx: Kysely<DB>, owner: KeyOwner, now: Date): Promise<Box> {
  const key = randomBytes(32);
  const w = await ctx.keys.keyring.wrap(key, owner);
  await trx.insertInto('data_keys').values({ owner, kek_id: w.kekId, wrapped: w.wrapped, created_at: now }).execute();
  // Cached only once read back: the transaction may yet roll back.
  return new Box(owner, key);
}

/** The owner's data key, unwrapped (cached). Throws 410 when it was destroyed. */
export async function dataKey(ctx: KeysCtx, db: Kysely<DB>, owner: KeyOwner): Promise<Buffer> {
  const cache = cacheOf(ctx.keys.keyring);
  const now = Date.now(); // cache bookkeeping only, not logic
  const hit = cache.get(owner, now);
  if (hit) return hit;
  const read = () => db.selectFrom('data_keys').select(['kek_id', 'wrapped']).where('owner', '=', owner).executeTakeFirst();
  let row = await read();
  let fresh = false;
  if (!row && owner === MAIL_OWNER) {
    // Normally made at start; made here for a database that was set up without it. Not cached
    // this time: the caller's transaction might roll the new key back.
    await ensureInstanceKey(ctx, db, new Date());
    row = await read();
    fresh = true;
  }
  if (!row) throw new Error(`no data key for ${owner}`);
  if (!row.wrapped || !row.kek_id) throw contentPurged(owner.startsWith('report:') ? 'report' : 'case');
  const key = await ctx.keys.keyring.unwrap({ kekId: row.kek_id, wrapped: row.wrapped }, owner);
  if (!fresh) cache.set(owner, key, now);
  return key;
}

/** Opens a Box on the owner's data key. */
export async function boxFor(ctx: KeysCtx, db: Kysely<DB>, owner: KeyOwner): Promise<Box> {
  return new Box(owner, await dataKey(ctx, db, owner));
}

export const caseBox = (ctx: KeysCtx, db: Kysely<DB>, caseId: string) => boxFor(ctx, db, caseOwner(caseId));
export const reportBox = (ctx: KeysCtx, db: Kysely<DB>, reportId: string) => boxFor(ctx, db, reportOwner(reportId));
export const mailBox = (ctx: KeysCtx, db: Kysely<DB>) => boxFor(ctx, db, MAIL_OWNER);

/** Destroys data keys (crypto-shredding), in the caller's transaction, and drops them from the cache. */
export async function destroyDataKeys(ctx: KeysCtx, trx: Kysely<DB>, owners: KeyOwner[], now: Date): Promise<number> {
  if (!owners.length) return 0;
  const cache = cacheOf(ctx.keys.keyring);
  for (const o of owners) cache.delete(o);
  const r = await trx
    .updateTable('data_keys')
    .set({ wrapped: null, kek_id: null, destroyed_at: now })
    .where('owner', 'in', owners)
    .where('destroyed_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Forgets cached keys (after a purge by another process, or in tests). */
export function forgetDataKeys(ctx: KeysCtx, owners: KeyOwner[]): void {
  const cache = cacheOf(ctx.keys.keyring);
  for (const o of owners) cache.delete(o);
}

/** Makes sure the instance-level data key exists (at start, under the startup lock). */
export async function ensureInstanceKey(ctx: KeysCtx, db: Kysely<DB>, now: Date): Promise<void> {
  const has = await db.selectFrom('data_keys').select('owner').where('owner', '=', MAIL_OWNER).executeTakeFirst();
  if (has) return;
  const key = randomBytes(32);
  const w = await ctx.keys.keyring.wrap(key, MAIL_OWNER);
  await db
    .insertInto('data_keys')
    .values({ owner: MAIL_OWNER, kek_id: w.kekId, wrapped: w.wrapped, created_at: now })
    .onConflict((oc) => oc.column('owner').doNothing())
    .execute();
}

/**
 * Seals and opens values under one owner's data key. `column` is `table.column`; `row` names the
 * row (its id, or its natural key): both are bound into the ciphertext.
 */
export class Box {
  constructor(
    readonly owner: KeyOwner,
    private readonly key: Buffer,
  ) {}

  seal(column: string, row: string, value: string | Buffer): Buffer {
    return seal(this.key, typeof value === 'string' ? Buffer.from(value, 'utf8') : value, sealAad(column, row));
  }

  sealOrNull(column: string, row: string, value: string | null | undefined): Buffer | null {
    return value === null || value === undefined ? null : this.seal(column, row, value);
  }

  sealJson(column: string, row: string, value: unknown): Buffer {
    return this.seal(column, row, JSON.stringify(value));
  }

  bytes(column: string, row: string, sealed: Buffer): Buffer {
    return unseal(this.key, sealed, sealAad(column, row));
  }

  text(column: string, row: string, sealed: Buffer): string {
    return this.bytes(column, row, sealed).toString('utf8');
  }

  textOrNull(column: string, row: string, sealed: Buffer | null): string | null {
    return sealed ? this.text(column, row, sealed) : null;
  }

  json<T = unknown>(column: string, row: string, sealed: Buffer): T {
    return JSON.parse(this.text(column, row, sealed)) as T;
  }
}
