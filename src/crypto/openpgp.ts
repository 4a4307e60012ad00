// OpenPGP (RFC 9580 / RFC 4880 keys, via OpenPGP.js): checking keys people upload, and the
// instance's detached signatures. Pure functions of their inputs: no database, no files.
import * as openpgp from 'openpgp';

export type PublicKey = openpgp.PublicKey;
export type PrivateKey = openpgp.PrivateKey;

export interface KeyInspection {
  /** Upper-case hex, as GnuPG prints it. */
  fingerprint: string;
  keyId: string;
  userIds: string[];
  algorithm: string;
  created: Date;
  /** undefined: never expires. */
  expires: Date | undefined;
  revoked: boolean;
  /** A valid (unexpired, unrevoked) key or subkey that can encrypt, at `now`. */
  canEncrypt: boolean;
  canSign: boolean;
  /** Why the key cannot be used to encrypt mail to its owner; empty when it can. */
  problems: string[];
}

export class KeyParseError extends Error {
  override readonly name = 'KeyParseError';
}

/** Reads one armored public key; a private key, several keys or garbage are refused. */
export async function readPublicKey(armored: string): Promise<PublicKey> {
  if (/-----BEGIN PGP PRIVATE KEY BLOCK-----/.test(armored)) {
    throw new KeyParseError('this is a private key: upload the public key only');
  }
  // OpenPGP.js reads the first armored block only: count the blocks, so a second key is not ignored.
  const blocks = armored.match(/-----BEGIN PGP PUBLIC KEY BLOCK-----/g)?.length ?? 0;
  if (blocks > 1) throw new KeyParseError(`expected one public key, found ${blocks}`);
  let keys: PublicKey[];
  try {
    keys = (await openpgp.readKeys({ armoredKeys: armored })) as PublicKey[];
  } catch (e) {
    throw new KeyParseError(`not an ASCII-armored OpenPGP public key (${(e as Error).message})`);
  }
  if (keys.length !== 1) throw new KeyParseError(`expected one public key, found ${keys.length}`);
  const key = keys[0] as PublicKey;
  if (key.isPrivate()) throw new KeyParseError('this is a private key: upload the public key only');
  return key;
}

export const fingerprintOf = (key: PublicKey | PrivateKey): string => key.getFingerprint().toUpperCase();

/** What a key can do at `now`, and why it cannot be used for mail if it cannot. */
export async function inspectKey(key: PublicKey, now: Date): Promise<KeyInspection> {
  const problems: string[] = [];
  const revoked = await key.isRevoked(undefined, undefined, now).catch(() => false);
  if (revoked) problems.push('the key is revoked');
  const exp = await key.getExpirationTime().catch(() => null);
  const expires = exp instanceof Date ? exp : undefined;
  if (expires && expires.getTime() <= now.getTime()) problems.push(`the key expired on ${expires.toISOString()}`);
  let canEncrypt = false;
  let canSign = false;
  try {
    await key.getEncryptionKey(undefined, now);
    canEncrypt = true;
  } catch {
    if (!revoked && !(expires && expires <= now)) problems.push('the key has no valid encryption subkey');
  }
  try {
    await key.getSigningKey(undefined, now);
    canSign = true;
  } catch {
    // signing is not needed to receive mail
  }
  try {
    await key.verifyPrimaryKey(now);
  } catch (e) {
    if (!revoked && !(expires && expires <= now)) problems.push(`the key is not valid: ${(e as Error).message}`);
  }
  return {
    fingerprint: fingerprintOf(key),
    keyId: key.getKeyID().toHex().toUpperCase(),
    userIds: key.getUserIDs(),
    algorithm:
      String(key.getAlgorithmInfo().algorithm) +
      ('curve' in key.getAlgorithmInfo() ? ` ${String((key.getAlgorithmInfo() as { curve?: string }).curve)}` : ''),
    created: key.getCreationTime(),
    expires,
    revoked,
    canEncrypt: canEncrypt && problems.length === 0,
    canSign,
    problems,
  };
}

/** A new signing key with an encryption subkey: Curve25519 (v4, readable by GnuPG 2.2 and later). */
export async function generateSigningKey(
  name: string,
  email: string,
  now: Date,
): Promise<{ privateKey: PrivateKey; armored: string }> {
  const { privateKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name, email }],
    date: now,
    format: 'object',
  });
  return { privateKey, armored: privateKey.armor() };
}

export async function readPrivateKey(armored: string, passphrase?: string): Promise<PrivateKey> {
  let key: PrivateKey;
  try {
    key = await openpgp.readPrivateKey({ armoredKey: armored });
  } catch (e) {
    throw new KeyParseError(`not an ASCII-armored OpenPGP private key (${(e as Error).message})`);
  }
  if (!key.isDecrypted()) {
    if (!passphrase) throw new KeyParseError('the private key is protected by a passphrase, and none was given');
    key = await openpgp.decryptKey({ privateKey: key, passphrase });
  }
  return key;
}

/** A detached, ASCII-armored signature over `data` (binary signature, as for a file). */
export async function signDetached(key: PrivateKey, data: Uint8Array | string, date?: Date): Promise<string> {
  const message = await openpgp.createMessage({ binary: typeof data === 'string' ? new TextEncoder().encode(data) : data });
  return openpgp.sign({ message, signingKeys: key, detached: true, format: 'armored', ...(date ? { date } : {}) });
}

/** True when `signature` is a valid detached signature by `key` over `data`. */
export async function verifyDetached(key: PublicKey, data: Uint8Array | string, signature: string): Promise<boolean> {
  try {
    const message = await openpgp.createMessage({ binary: typeof data === 'string' ? new TextEncoder().encode(data) : data });
    const sig = await openpgp.readSignature({ armoredSignature: signature });
    const result = await openpgp.verify({ message, signature: sig, verificationKeys: key, expectSigned: true });
    await result.signatures[0]?.verified;
    return true;
  } catch {
    return false;
  }
}
