// OpenPGP public keys over HTTP: users and organizations upload armored public keys; Village
// refuses what it cannot encrypt to (422, saying why) and shows fingerprints, user ids, algorithm
// and expiry. The reporter's key at intake is checked the same way.
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser, signIn, startTestVillage, type TestVillage } from './support/app.ts';
import { Api, type Party, partyWithAdmin } from './support/cases.ts';
import { makeKeyPair } from './support/pgp.ts';

let v: TestVillage;
let acme: Party;
let member: Api;
const ago = (ms: number) => new Date(v.clock.now().getTime() - ms);
const DAY = 86_400_000;

interface KeyOut {
  id: string;
  fingerprint: string;
  userIds: string[];
  algorithm: string;
  expiresAt: string | null;
  usable: boolean;
  problems: string[];
}
interface ProblemOut {
  type: string;
  status: number;
  detail: string;
  errors: Array<{ field: string; message: string }>;
}

beforeAll(async () => {
  v = await startTestVillage({ workers: false, env: { VILLAGE_LOGIN_IP_LIMIT: '100000' } });
  acme = await partyWithAdmin(v, 'acme');
  await makeUser(v, acme.orgId, 'member@acme.example');
  member = Api.session('member', await signIn(v, 'member@acme.example'));
});
afterAll(async () => v?.close());

describe('account keys', () => {
  it('accepts a usable key and shows its fingerprint, user ids, algorithm and expiry', async () => {
    const k = await makeKeyPair('ada@acme.example', { created: ago(DAY), expiresInSeconds: 400 * 86_400 });
    const out = await member.post<KeyOut>('/api/v1/account/pgp-keys', { armored: k.publicArmored }, 201);
    expect(out.fingerprint).toBe(k.fingerprint);
    expect(out.fingerprint).toMatch(/^[0-9A-F]{40}$/);
    expect(out.userIds).toEqual(['ada <ada@acme.example>']);
    expect(out.algorithm).toMatch(/eddsa|ed25519/i);
    expect(out.expiresAt).not.toBeNull();
    expect(out.usable).toBe(true);
    const list = await member.get<KeyOut[]>('/api/v1/account/pgp-keys');
    expect(list.map((x) => x.fingerprint)).toEqual([k.fingerprint]);
    // The same key again is a conflict; another user's list does not show it.
    await member.expect(409, 'POST', '/api/v1/account/pgp-keys', { armored: k.publicArmored });
    expect(await acme.api.get<KeyOut[]>('/api/v1/account/pgp-keys')).toEqual([]);
    // Removing it.
    await acme.api.expect(404, 'DELETE', `/api/v1/account/pgp-keys/${out.id}`);
    await member.expect(200, 'DELETE', `/api/v1/account/pgp-keys/${out.id}`);
    expect(await member.get<KeyOut[]>('/api/v1/account/pgp-keys')).toEqual([]);
  });

  it('refuses keys it cannot encrypt to with a 422 naming why', async () => {
    const expired = await makeKeyPair('old@acme.example', { created: ago(10 * DAY), expiresInSeconds: 86_400 });
    const revoked = await makeKeyPair('rev@acme.example', { created: ago(DAY), revoked: true });
    const signOnly = await makeKeyPair('sig@acme.example', { created: ago(DAY), signOnly: true });
    const good = await makeKeyPair('a@acme.example', { created: ago(DAY) });
    const other = await makeKeyPair('b@acme.example', { created: ago(DAY) });
    const both = [
      await openpgp.readKey({ armoredKey: good.publicArmored }),
      await openpgp.readKey({ armoredKey: other.publicArmored }),
    ];
    const oneBlock = openpgp.armor(openpgp.enums.armor.publicKey, new Uint8Array(both.flatMap((k) => [...k.write()])));
    const cases: Array<[string, string, RegExp]> = [
      ['expired', expired.publicArmored, /expired/],
      ['revoked', revoked.publicArmored, /revoked/],
      ['sign-only', signOnly.publicArmored, /no valid encryption subkey/],
      ['private', good.privateKey.armor(), /private key/],
      ['several blocks', both.map((k) => k.armor()).join('\n'), /expected one public key, found 2/],
      ['several in one block', oneBlock, /expected one public key, found 2/],
      ['garbage', 'hello, I am not a key', /not an ASCII-armored OpenPGP public key/],
      [
        'broken armour',
        '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n',
        /not an ASCII-armored OpenPGP public key/,
      ],
    ];
    for (const [name, armored, why] of cases) {
      const p = await member.expect<ProblemOut>(422, 'POST', '/api/v1/account/pgp-keys', { armored });
      expect(p.type, name).toBe('urn:village:problem:unusable-pgp-key');
      expect(p.detail, name).toMatch(why);
      expect(p.errors[0]?.field, name).toBe('body.armored');
    }
    expect(await member.get<KeyOut[]>('/api/v1/account/pgp-keys')).toEqual([]);
  });

  it('shows a key that expired since upload as unusable, saying why', async () => {
    // Expires a minute from now; two minutes later it is shown as unusable.
    const k = await makeKeyPair('soon@acme.example', { created: ago(DAY - 60_000), expiresInSeconds: 86_400 });
    const out = await member.post<KeyOut>('/api/v1/account/pgp-keys', { armored: k.publicArmored }, 201);
    v.clock.set(new Date(v.clock.now().getTime() + 120_000));
    try {
      const [listed] = await member.get<KeyOut[]>('/api/v1/account/pgp-keys');
      expect(listed).toMatchObject({ fingerprint: k.fingerprint, usable: false });
      expect(listed?.problems.join(' ')).toMatch(/expired/);
    } finally {
      v.clock.set(new Date(v.clock.now().getTime() - 120_000));
      await member.expect(200, 'DELETE', `/api/v1/account/pgp-keys/${out.id}`);
    }
  });
});

describe('organization keys', () => {
  it('admins add and remove them; members read them; others see nothing', async () => {
    const k = await makeKeyPair('psirt@acme.example', { created: ago(DAY) });
    const url = `/api/v1/orgs/${acme.orgId}/pgp-keys`;
    await member.expect(403, 'POST', url, { armored: k.publicArmored });
    const out = await acme.api.post<KeyOut>(url, { armored: k.publicArmored }, 201);
    expect((await member.get<KeyOut[]>(url)).map((x) => x.fingerprint)).toEqual([k.fingerprint]);
    const outsider = await partyWithAdmin(v, 'outsider');
    await outsider.api.expect(404, 'GET', url);
    await member.expect(403, 'DELETE', `${url}/${out.id}`);
    await acme.api.expect(200, 'DELETE', `${url}/${out.id}`);
    expect(await member.get<KeyOut[]>(url)).toEqual([]);
    // Audited.
    const audit = await v.db.selectFrom('audit_log').select('entry').execute();
    const actions = audit.map((a) => (typeof a.entry === 'string' ? a.entry : JSON.stringify(a.entry)));
    expect(actions.some((e) => e.includes('pgp_key.add'))).toBe(true);
    expect(actions.some((e) => e.includes('pgp_key.delete'))).toBe(true);
  });
});

describe("the reporter's key at intake", () => {
  const report = (reporterPgpKey: string, n: number) => ({
    title: 'Overflow in the parser',
    description: 'A long enough description of the problem.',
    reporterEmail: `finder${n}@reporter.example`,
    creditConsent: false,
    reporterPgpKey,
  });
  it('is checked like an uploaded key', async () => {
    const expired = await makeKeyPair('finder@reporter.example', { created: ago(10 * DAY), expiresInSeconds: 86_400 });
    const res = await v.app.inject({ method: 'POST', url: '/api/v1/reports', payload: report(expired.publicArmored, 1) });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toMatchObject({ type: 'urn:village:problem:unusable-pgp-key' });
    expect(res.json().detail).toMatch(/body\.reporterPgpKey: the key expired/);
    const good = await makeKeyPair('finder@reporter.example', { created: ago(DAY) });
    const ok = await v.app.inject({ method: 'POST', url: '/api/v1/reports', payload: report(good.publicArmored, 2) });
    expect(ok.statusCode, ok.body).toBe(201);
    const row = await v.db
      .selectFrom('reports')
      .select('reporter_pgp_key')
      .where('id', '=', ok.json().id)
      .executeTakeFirstOrThrow();
    expect((await openpgp.readKey({ armoredKey: row.reporter_pgp_key ?? '' })).getFingerprint().toUpperCase()).toBe(
      good.fingerprint,
    );
  });
});
