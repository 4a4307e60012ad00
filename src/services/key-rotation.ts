// KEK rotation (`village keys rotate`) and the keyring's status (`village keys status`).
// Rotation adds a new KEK to the keyring file, re-wraps every data key and the instance signing
// key under it in batches (the data keys themselves, and so the sealed rows, do not change), and
// retires the old KEKs from the file once nothing is wrapped by them. Servers keep running: one
// that meets a wrapping by a KEK it has not loaded re-reads the file, and new wrappings use the
// file's current KEK as soon as the file changes. Safe to interrupt: a rerun that finds keys
// still wrapped by an older KEK finishes that rotation instead of starting another.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { isRotatable, type Keyring } from '../crypto/keyring.ts';
import type { DB } from '../store/schema.ts';

const signingAad = (fingerprint: string) => `instance-signing-key:${fingerprint}`;

export interface KekStatus {
  kekId: string;
  current: boolean;
  /** Whether the keyring holds it (false: keys wrapped by a KEK that is gone, unreadable). */
  inKeyring: boolean;
  dataKeys: number;
  signingKeys: number;
}

export interface KeyStatus {
  keyring: string;
  keks: KekStatus[];
  destroyedDataKeys: number;
}

export async function keyStatus(db: Kysely<DB>, keyring: Keyring): Promise<KeyStatus> {
  const data = await db
    .selectFrom('data_keys')
    .select(['kek_id', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy('kek_id')
    .execute();
  const signing = await db
    .selectFrom('instance_signing_keys')
    .select(['kek_id', (eb) => eb.fn.countAll<string>().as('n')])
    .where('kek_id', 'is not', null)
    .groupBy('kek_id')
    .execute();
  const inRing = isRotatable(keyring) ? keyring.ids : [keyring.currentId];
  const ids = [
    ...new Set([...inRing, ...data.flatMap((d) => (d.kek_id ? [d.kek_id] : [])), ...signing.map((s) => s.kek_id as string)]),
  ];
  return {
    keyring: keyring.description,
    keks: ids.map((id) => ({
      kekId: id,
      current: id === keyring.currentId,
      inKeyring: inRing.includes(id),
      dataKeys: Number(data.find((d) => d.kek_id === id)?.n ?? 0),
      signingKeys: Number(signing.find((s) => s.kek_id === id)?.n ?? 0),
    })),
    destroyedDataKeys: Number(data.find((d) => d.kek_id === null)?.n ?? 0),
  };
}

export interface RotationOptions {
  batch?: number;
  /**
   * After the first pass, wait this long and sweep again before retiring the old KEK: a server
   * that created a key just as the new KEK was added may have wrapped it with the old one.
   */
  graceMs?: number;
  progress?: (line: string) => void;
  now?: () => Date;
}

export interface RotationResult {
  kekId: string;
  resumed: boolean;
  dataKeys: number;
  signingKeys: number;
  retired: string[];
}

/** Re-wraps every key not wrapped by the current KEK; returns how many it re-wrapped. */
async function rewrapPass(
  db: Kysely<DB>,
  keyring: Keyring,
  batch: number,
  now: () => Date,
  progress: (line: string) => void,
): Promise<{ dataKeys: number; signingKeys: number }> {
  const target = keyring.currentId;
  let dataKeys = 0;
  const total = Number(
    (
      await db
        .selectFrom('data_keys')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('kek_id', '<>', target)
        .executeTakeFirstOrThrow()
    ).n,
  );
  for (;;) {
    const rows = await db
      .selectFrom('data_keys')
      .select(['owner', 'kek_id', 'wrapped'])
      .where('kek_id', '<>', target)
      .where('wrapped', 'is not', null)
      .orderBy('owner')
      .limit(batch)
      .execute();
    if (!rows.length) break;
    await db.transaction().execute(async (trx) => {
      for (const r of rows) {
        if (!r.kek_id || !r.wrapped) continue;
        const key = await keyring.unwrap({ kekId: r.kek_id, wrapped: r.wrapped }, r.owner);
        const w = await keyring.wrap(key, r.owner);
        key.fill(0);
        // Only if nobody changed it meanwhile (a purge destroys it; a parallel rotation re-wraps it).
        const u = await trx
          .updateTable('data_keys')
          .set({ kek_id: w.kekId, wrapped: w.wrapped, rewrapped_at: now() })
          .where('owner', '=', r.owner)
          .where('kek_id', '=', r.kek_id)
          .executeTakeFirst();
        dataKeys += Number(u.numUpdatedRows);
      }
    });
    progress(`  re-wrapped ${dataKeys} of ${total} data keys`);
  }
  let signingKeys = 0;
  const signing = await db
    .selectFrom('instance_signing_keys')
    .select(['fingerprint', 'kek_id', 'secret_wrapped'])
    .where('kek_id', '<>', target)
    .execute();
  for (const s of signing) {
    if (!s.kek_id || !s.secret_wrapped) continue;
    const secret = await keyring.unwrap({ kekId: s.kek_id, wrapped: s.secret_wrapped }, signingAad(s.fingerprint));
    const w = await keyring.wrap(secret, signingAad(s.fingerprint));
    secret.fill(0);
    const u = await db
      .updateTable('instance_signing_keys')
      .set({ kek_id: w.kekId, secret_wrapped: w.wrapped })
      .where('fingerprint', '=', s.fingerprint)
      .where('kek_id', '=', s.kek_id)
      .executeTakeFirst();
    signingKeys += Number(u.numUpdatedRows);
  }
  if (signing.length) progress(`  re-wrapped ${signingKeys} instance signing key(s)`);
  return { dataKeys, signingKeys };
}

async function kekIdsInUse(db: Kysely<DB>): Promise<Set<string>> {
  const a = await db.selectFrom('data_keys').select('kek_id').distinct().where('kek_id', 'is not', null).execute();
  const b = await db.selectFrom('instance_signing_keys').select('kek_id').distinct().where('kek_id', 'is not', null).execute();
  return new Set([...a, ...b].map((r) => r.kek_id as string));
}

export async function rotateKeys(db: Kysely<DB>, keyring: Keyring, opts: RotationOptions = {}): Promise<RotationResult> {
  if (!isRotatable(keyring)) {
    throw new Error(`${keyring.description} is managed outside Village: rotate its key there`);
  }
  const batch = opts.batch ?? 500;
  const progress = opts.progress ?? (() => undefined);
  const now = opts.now ?? (() => new Date());
  const before = await kekIdsInUse(db);
  const resumed = [...before].some((id) => id !== keyring.currentId);
  if (resumed) {
    progress(`resuming: keys are still wrapped by ${[...before].filter((id) => id !== keyring.currentId).join(', ')}`);
  } else {
    const id = keyring.addKey(now());
    progress(`added key-encryption key ${id} to ${keyring.description}`);
  }
  const kekId = keyring.currentId;
  const first = await rewrapPass(db, keyring, batch, now, progress);
  if (opts.graceMs) await sleep(opts.graceMs);
  const second = await rewrapPass(db, keyring, batch, now, progress);
  const inUse = await kekIdsInUse(db);
  const retired = keyring.ids.filter((id) => id !== kekId && !inUse.has(id));
  if (retired.length) {
    keyring.retire(retired);
    progress(`retired ${retired.join(', ')}`);
  }
  const left = [...inUse].filter((id) => id !== kekId);
  if (left.length) progress(`still in use (run again to finish): ${left.join(', ')}`);
  return {
    kekId,
    resumed,
    dataKeys: first.dataKeys + second.dataKeys,
    signingKeys: first.signingKeys + second.signingKeys,
    retired,
  };
}
