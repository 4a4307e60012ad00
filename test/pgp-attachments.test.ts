// Artifacts over OpenPGP: uploads encrypted to the instance key are decrypted, checked and
// stored as usual; downloads come encrypted to the reader's key and signed by the instance.
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestVillage, type TestVillage } from './support/app.ts';
import { b64, openCase, type Party, partyWithAdmin } from './support/cases.ts';
import { makeKeyPair, type TestKeyPair } from './support/pgp.ts';

let v: TestVillage;
let coord: Party;
let caseId = '';
let instanceKey: openpgp.PublicKey;
let mine: TestKeyPair;
const CONTENT = 'Proof of concept: send 0x41 * 4096 to port 8443.\n';

const upload = (filename: string, content: Buffer | string) =>
  coord.api.raw('POST', `/api/v1/cases/${caseId}/artifacts`, { filename, contentBase64: b64(content), tlp: 'AMBER' });

beforeAll(async () => {
  v = await startTestVillage({ workers: false });
  coord = await partyWithAdmin(v, 'coord', 'coordinator');
  caseId = (await openCase(coord.api, { title: 'Widget overflow' })).id;
  instanceKey = await openpgp.readKey({ armoredKey: (await v.app.inject({ url: '/.well-known/openpgp-key.asc' })).body });
  mine = await makeKeyPair('admin@coord.example', { created: new Date(v.clock.now().getTime() - 86_400_000) });
}, 60_000);
afterAll(async () => v?.close());

describe('encrypted uploads', () => {
  it('decrypts an armored or binary message encrypted to the instance key, then checks and stores it as usual', async () => {
    const message = await openpgp.createMessage({ binary: new TextEncoder().encode(CONTENT) });
    const armored = await openpgp.encrypt({ message, encryptionKeys: instanceKey, format: 'armored' });
    const res = await upload('poc.txt.asc', armored);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ name: 'poc.txt', mediaType: 'text/plain; charset=utf-8', sizeBytes: CONTENT.length });
    const id = res.json().id as string;
    const plain = await coord.api.raw('GET', `/api/v1/cases/${caseId}/artifacts/${id}`);
    expect(plain.body).toBe(CONTENT);

    const binary = await openpgp.encrypt({ message, encryptionKeys: instanceKey, format: 'binary' });
    const res2 = await upload('poc2.txt.gpg', Buffer.from(binary as Uint8Array));
    expect(res2.statusCode, res2.body).toBe(201);
    expect(res2.json()).toMatchObject({ name: 'poc2.txt', sizeBytes: CONTENT.length });
  });

  it('refuses a message encrypted to another key (422), and still checks the decrypted content', async () => {
    const other = await makeKeyPair('x@example.org');
    const message = await openpgp.createMessage({ binary: new TextEncoder().encode(CONTENT) });
    const res = await upload('x.asc', await openpgp.encrypt({ message, encryptionKeys: other.privateKey.toPublic() }));
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().detail).toMatch(/not encrypted to this instance's key/);
    // An executable inside the encryption is refused like a plain one.
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(64)]);
    const bad = await openpgp.encrypt({ message: await openpgp.createMessage({ binary: elf }), encryptionKeys: instanceKey });
    expect((await upload('tool.gpg', bad)).statusCode).toBe(400);
  });
});

describe('encrypted downloads', () => {
  it('409 without a usable key; then an armored message to my key, signed by the instance', async () => {
    const art = await upload('plain.txt', CONTENT);
    expect(art.statusCode, art.body).toBe(201);
    const url = `/api/v1/cases/${caseId}/artifacts/${art.json().id}`;
    const none = await coord.api.raw('GET', `${url}?encrypted=1`);
    expect(none.statusCode).toBe(409);
    expect(none.json()).toMatchObject({ type: 'urn:village:problem:no-pgp-key' });
    await coord.api.post('/api/v1/account/pgp-keys', { armored: mine.publicArmored }, 201);

    for (const res of [
      await coord.api.raw('GET', `${url}?encrypted=1`),
      await coord.api.raw('GET', url, undefined, { accept: 'application/pgp-encrypted' }),
    ]) {
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/pgp-encrypted/);
      expect(res.headers['content-disposition']).toMatch(/filename="plain\.txt\.asc"/);
      expect(res.headers['x-pgp-encrypted-to']).toBe(mine.fingerprint);
      expect(res.body).not.toContain('Proof of concept');
      const out = await openpgp.decrypt({
        message: await openpgp.readMessage({ armoredMessage: res.body }),
        decryptionKeys: mine.privateKey,
        verificationKeys: instanceKey,
        expectSigned: true,
        format: 'binary',
        date: v.clock.now(),
      });
      expect(Buffer.from(out.data as Uint8Array).toString('utf8')).toBe(CONTENT);
    }
    // Plain downloads are unchanged.
    expect((await coord.api.raw('GET', `${url}?encrypted=0`)).body).toBe(CONTENT);
  });
});
