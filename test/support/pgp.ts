// OpenPGP keys for tests, made with OpenPGP.js: a usable Curve25519 key pair, and the kinds of
// key Village must refuse (expired, revoked, sign-only).
import * as openpgp from 'openpgp';

export interface TestKeyPair {
  publicArmored: string;
  privateKey: openpgp.PrivateKey;
  fingerprint: string;
}

export async function makeKeyPair(
  email: string,
  opts: { expiresInSeconds?: number; created?: Date; signOnly?: boolean; revoked?: boolean } = {},
): Promise<TestKeyPair> {
  const { privateKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: email.split('@')[0] ?? 'test', email }],
    format: 'object',
    ...(opts.created ? { date: opts.created } : {}),
    ...(opts.expiresInSeconds ? { keyExpirationTime: opts.expiresInSeconds } : {}),
    ...(opts.signOnly ? { subkeys: [] } : {}),
  });
  let publicArmored = privateKey.toPublic().armor();
  if (opts.revoked) {
    const r = await openpgp.revokeKey({ key: privateKey, format: 'object' });
    publicArmored = r.publicKey.armor();
  }
  return { publicArmored, privateKey, fingerprint: privateKey.getFingerprint().toUpperCase() };
}
