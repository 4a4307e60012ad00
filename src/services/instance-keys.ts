// The instance's keys at start: the key-encryption keyring, and the OpenPGP signing key that
// signs mail, published documents and audit checkpoints. The signing key is created at first
// start (its secret part wrapped by the current KEK, in instance_signing_keys) unless the
// operator supplies one (VILLAGE_SIGNING_KEY_FILE), in which case only its public part is stored.
import fs from 'node:fs';
import { type Kysely, sql } from 'kysely';
import type { Config } from '../config.ts';
import { FileKeyring, type Keyring } from '../crypto/keyring.ts';
import {
  fingerprintOf,
  generateSigningKey,
  type PrivateKey,
  type PublicKey,
  readPrivateKey,
  readPublicKey,
  signDetached,
} from '../crypto/openpgp.ts';
import type { DB } from '../store/schema.ts';

export interface InstanceSigningKey {
  /** Upper-case hex. */
  fingerprint: string;
  /** ASCII-armored public key, as published at /.well-known/openpgp-key.asc. */
  publicArmored: string;
  publicKey: PublicKey;
  privateKey: PrivateKey;
  /** A detached armored signature over `data`. */
  sign(data: Uint8Array | string): Promise<string>;
}

export interface InstanceKeys {
  keyring: Keyring;
  signing: InstanceSigningKey;
}

export class InstanceKeyError extends Error {
  override readonly name = 'InstanceKeyError';
}

const aadFor = (fingerprint: string) => `instance-signing-key:${fingerprint}`;

function signerOf(privateKey: PrivateKey): InstanceSigningKey {
  const publicKey = privateKey.toPublic();
  return {
    fingerprint: fingerprintOf(privateKey),
    publicArmored: publicKey.armor(),
    publicKey,
    privateKey,
    sign: (data) => signDetached(privateKey, data),
  };
}

/** Opens the keyring named by the configuration (created on first use when it is the default file). */
export function openKeyring(config: Config): Keyring {
  return FileKeyring.open(config.kekFile, { create: config.kekFileIsDefault });
}

/**
 * Loads (or creates, on first start) the instance signing key. Call under the startup lock:
 * servers starting together on one database must not each create one.
 */
export async function loadSigningKey(db: Kysely<DB>, keyring: Keyring, config: Config, now: Date): Promise<InstanceSigningKey> {
  if (config.signingKeyFile) {
    let armored: string;
    try {
      armored = fs.readFileSync(config.signingKeyFile, 'utf8');
    } catch (e) {
      throw new InstanceKeyError(`cannot read VILLAGE_SIGNING_KEY_FILE ${config.signingKeyFile}: ${(e as Error).message}`);
    }
    const key = await readPrivateKey(armored, config.signingKeyPassphrase);
    const signer = signerOf(key);
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('instance_signing_keys')
        .set({ retired_at: now })
        .where('retired_at', 'is', null)
        .where('fingerprint', '<>', signer.fingerprint)
        .execute();
      await trx
        .insertInto('instance_signing_keys')
        .values({ fingerprint: signer.fingerprint, public_key: signer.publicArmored, source: 'operator', created_at: now })
        .onConflict((oc) => oc.column('fingerprint').doUpdateSet({ retired_at: null, public_key: signer.publicArmored }))
        .execute();
    });
    return signer;
  }

  const current = await db.selectFrom('instance_signing_keys').selectAll().where('retired_at', 'is', null).executeTakeFirst();
  if (current) {
    if (current.source === 'operator' || !current.secret_wrapped || !current.kek_id) {
      throw new InstanceKeyError(
        `the instance signing key ${current.fingerprint} was supplied by the operator: set VILLAGE_SIGNING_KEY_FILE to it`,
      );
    }
    const secret = await keyring.unwrap({ kekId: current.kek_id, wrapped: current.secret_wrapped }, aadFor(current.fingerprint));
    return signerOf(await readPrivateKey(secret.toString('utf8')));
  }

  const host = new URL(config.publicUrl).hostname || 'localhost';
  const email = /<([^>]+)>/.exec(config.mailFrom)?.[1] ?? config.mailFrom;
  const { privateKey, armored } = await generateSigningKey(`Village at ${host}`, email, now);
  const signer = signerOf(privateKey);
  const w = await keyring.wrap(Buffer.from(armored, 'utf8'), aadFor(signer.fingerprint));
  await db
    .insertInto('instance_signing_keys')
    .values({
      fingerprint: signer.fingerprint,
      public_key: signer.publicArmored,
      source: 'generated',
      secret_wrapped: w.wrapped,
      kek_id: w.kekId,
      created_at: now,
    })
    .execute();
  return signer;
}

/** Every signing key this instance has used, current first: what /.well-known/openpgp-key.asc publishes. */
export async function publishedSigningKeys(
  db: Kysely<DB>,
): Promise<Array<{ fingerprint: string; publicKey: string; current: boolean }>> {
  const rows = await db
    .selectFrom('instance_signing_keys')
    .select(['fingerprint', 'public_key', 'retired_at'])
    .orderBy(sql`retired_at IS NULL`, 'desc')
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map((r) => ({ fingerprint: r.fingerprint, publicKey: r.public_key, current: r.retired_at === null }));
}

/** Checks that an armored key is one of ours (for tests and `village keys show`). */
export async function isPublishedKey(db: Kysely<DB>, armored: string): Promise<boolean> {
  const fp = fingerprintOf(await readPublicKey(armored));
  const row = await db.selectFrom('instance_signing_keys').select('fingerprint').where('fingerprint', '=', fp).executeTakeFirst();
  return Boolean(row);
}

/** The keyring and the signing key, for a process that opens the database itself (CLI, benchmarks). */
export async function openInstanceKeys(db: Kysely<DB>, config: Config, now: Date): Promise<InstanceKeys> {
  const keyring = openKeyring(config);
  return { keyring, signing: await loadSigningKey(db, keyring, config, now) };
}
