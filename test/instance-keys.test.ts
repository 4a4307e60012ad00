// The instance's keys: the KEK keyring file, and the OpenPGP signing key created at first start
// (wrapped by the KEK), reloaded on the next start, published, and replaced by an operator's key.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileKeyring, KeyringError } from '../src/crypto/keyring.ts';
import { generateSigningKey, inspectKey, readPublicKey, verifyDetached } from '../src/crypto/openpgp.ts';
import { loadSigningKey } from '../src/services/instance-keys.ts';
import { testConfig } from './support/app.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';

describe('the key-encryption keyring', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'village-kek-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is created owner-only, wraps and unwraps bound to its owner, and survives a rotation', async () => {
    const file = path.join(dir, 'keys', 'kek.json');
    const ring = FileKeyring.open(file, { create: true });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const dek = Buffer.alloc(32, 7);
    const w = await ring.wrap(dek, 'case:1');
    expect(w.wrapped.includes(dek)).toBe(false);
    expect(await ring.unwrap(w, 'case:1')).toEqual(dek);
    await expect(ring.unwrap(w, 'case:2')).rejects.toBeInstanceOf(KeyringError);

    // Another process adds a KEK: this one finds it on first use, and still unwraps the old wrapping.
    const other = FileKeyring.open(file, { create: false });
    const newId = other.addKey();
    const w2 = await other.wrap(dek, 'case:1');
    expect(w2.kekId).toBe(newId);
    expect(await ring.unwrap(w2, 'case:1')).toEqual(dek);
    expect(await ring.unwrap(w, 'case:1')).toEqual(dek);
  });

  it('refuses a missing file when it is not the default, and a tampered one', () => {
    expect(() => FileKeyring.open(path.join(dir, 'nope.json'), { create: false })).toThrow(/does not exist/);
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(
      bad,
      JSON.stringify({
        format: 'village-kek-1',
        keys: [{ id: 'kek-0000000000000000', key: Buffer.alloc(32).toString('base64'), created: 'x' }],
      }),
    );
    expect(() => FileKeyring.open(bad, { create: false })).toThrow(/does not match its id/);
  });
});

describe('the instance signing key', () => {
  let database: TestDatabase;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'village-signing-'));
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is generated once, stored wrapped, reloaded, and signs verifiably', async () => {
    const config = testConfig({ VILLAGE_KEK_FILE: path.join(dir, 'kek.json') });
    fs.writeFileSync(config.kekFile, '');
    fs.rmSync(config.kekFile);
    const ring = FileKeyring.open(config.kekFile, { create: true });
    const now = new Date('2026-11-23T10:00:00Z');
    const first = await loadSigningKey(database.db, ring, config, now);
    const again = await loadSigningKey(database.db, ring, config, now);
    expect(again.fingerprint).toBe(first.fingerprint);
    const row = await database.db.selectFrom('instance_signing_keys').selectAll().executeTakeFirstOrThrow();
    expect(row.source).toBe('generated');
    expect(row.secret_wrapped?.toString('latin1')).not.toContain('PRIVATE KEY');

    const info = await inspectKey(await readPublicKey(first.publicArmored), now);
    expect(info).toMatchObject({ canEncrypt: true, canSign: true, revoked: false, problems: [] });
    const sig = await first.sign('hello');
    expect(await verifyDetached(first.publicKey, 'hello', sig)).toBe(true);
    expect(await verifyDetached(first.publicKey, 'hello!', sig)).toBe(false);

    // A different KEK cannot open it: the start fails, naming the problem.
    const wrong = FileKeyring.open(path.join(dir, 'other.json'), { create: true });
    await expect(loadSigningKey(database.db, wrong, config, now)).rejects.toThrow(/not in/);
  });

  it("takes the operator's key instead, retiring the generated one but keeping it published", async () => {
    const now = new Date('2026-11-23T11:00:00Z');
    const { privateKey } = await generateSigningKey('Operator', 'psirt@example.org', now);
    const locked = await openpgp.encryptKey({ privateKey, passphrase: 'pass phrase' });
    const file = path.join(dir, 'operator.asc');
    fs.writeFileSync(file, locked.armor());
    const config = testConfig({
      VILLAGE_KEK_FILE: path.join(dir, 'kek.json'),
      VILLAGE_SIGNING_KEY_FILE: file,
      VILLAGE_SIGNING_KEY_PASSPHRASE: 'pass phrase',
    });
    const ring = FileKeyring.open(config.kekFile, { create: false });
    const key = await loadSigningKey(database.db, ring, config, now);
    expect(key.fingerprint).toBe(privateKey.getFingerprint().toUpperCase());
    const rows = await database.db.selectFrom('instance_signing_keys').selectAll().orderBy('created_at').execute();
    // [source, current]
    expect(rows.map((r) => [r.source, r.retired_at === null])).toEqual([
      ['generated', false],
      ['operator', true],
    ]);

    // Without the file, the start refuses rather than silently generating a new key.
    const plain = testConfig({ VILLAGE_KEK_FILE: path.join(dir, 'kek.json') });
    await expect(loadSigningKey(database.db, ring, plain, now)).rejects.toThrow(/VILLAGE_SIGNING_KEY_FILE/);
  });
});

describe('the user-facing key checks', () => {
  it('refuses private keys and garbage, and reports expiry', async () => {
    const now = new Date('2026-11-23T10:00:00Z');
    const { privateKey } = await generateSigningKey('A', 'a@example.org', now);
    await expect(readPublicKey(privateKey.armor())).rejects.toThrow(/private key/);
    await expect(readPublicKey('hello')).rejects.toThrow(/not an ASCII-armored/);
    const { privateKey: short } = await openpgp.generateKey({
      type: 'ecc',
      curve: 'curve25519Legacy',
      userIDs: [{ email: 'b@example.org' }],
      keyExpirationTime: 3600,
      date: now,
      format: 'object',
    });
    const later = new Date(now.getTime() + 7200_000);
    const info = await inspectKey(short.toPublic(), later);
    expect(info.canEncrypt).toBe(false);
    expect(info.problems.join(' ')).toMatch(/expired/);
  });
});
