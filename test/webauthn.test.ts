// Passkeys end to end over the HTTP API, with a real software authenticator (P-256, CBOR,
// DER signatures): registration, sign-in, replay, origin, counter, ownership and input checks.
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOrg, makeUser, Session, signIn, startTestVillage, type TestVillage } from './support/app.ts';
import { SoftAuthenticator } from './support/soft-authenticator.ts';

const ORIGIN = 'http://localhost:8080'; // testConfig's VILLAGE_PUBLIC_URL
const RP_ID = 'localhost';

let v: TestVillage;
let orgId: string;
let aliceId: string;
let alice: Session;
let bob: Session;
const aliceKey = new SoftAuthenticator(RP_ID, ORIGIN);

beforeAll(async () => {
  v = await startTestVillage({ env: { VILLAGE_LOGIN_IP_LIMIT: '1000' } });
  orgId = (await makeOrg(v, 'acme')).id;
  aliceId = (await makeUser(v, orgId, 'alice@acme.example')).id;
  await makeUser(v, orgId, 'bob@acme.example');
  alice = await signIn(v, 'alice@acme.example');
  bob = await signIn(v, 'bob@acme.example');
});
afterAll(async () => v?.close());

function expectProblem(res: LightMyRequestResponse, status: number, slug: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.json().type).toBe(`urn:village:problem:${slug}`);
  return res.json() as { errors?: { field: string; message: string }[]; detail?: string };
}

async function registerOptions(s: Session) {
  const res = await s.request({ method: 'POST', url: '/api/v1/me/webauthn/register/options' });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function register(s: Session, key: SoftAuthenticator, name?: string) {
  const options = await registerOptions(s);
  const res = await s.request({
    method: 'POST',
    url: '/api/v1/me/webauthn/register/verify',
    payload: { response: key.register(options), ...(name ? { name } : {}) },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; name: string };
}

async function loginOptions(email?: string) {
  const res = await v.app.inject({
    method: 'POST',
    url: '/api/v1/auth/webauthn/login/options',
    payload: email ? { email } : {},
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

const loginVerify = (response: unknown, headers: Record<string, string> = {}) =>
  v.app.inject({ method: 'POST', url: '/api/v1/auth/webauthn/login/verify', payload: { response }, headers });

/** Options, assertion, verify: the whole sign-in as a browser would do it. */
async function passkeyLogin(key: SoftAuthenticator, email?: string) {
  return loginVerify(key.assert(await loginOptions(email)));
}

const auditActions = async (action: string) =>
  v.db.selectFrom('audit_log').select(['actor_user_id', 'details']).where('action', '=', action).orderBy('seq').execute();

describe('registering a passkey', () => {
  it('issues creation options for the signed-in user', async () => {
    const o = await registerOptions(alice);
    expect(o.rp).toEqual({ name: 'Village', id: RP_ID });
    expect(o.user.name).toBe('alice@acme.example');
    // The user handle is the account's UUID bytes: no email inside the authenticator's handle.
    expect(Buffer.from(o.user.id, 'base64url').toString('hex')).toBe(aliceId.replace(/-/g, ''));
    expect(o.attestation).toBe('none');
    expect(o.authenticatorSelection).toMatchObject({ residentKey: 'preferred', userVerification: 'preferred' });
    expect(o.pubKeyCredParams.map((p: { alg: number }) => p.alg)).toContain(-7);
    expect(o.challenge).toMatch(/^[\w-]{20,}$/);
  });

  it('registers, lists, audits, and excludes the credential from further registrations', async () => {
    const c = await register(alice, aliceKey, 'work laptop');
    expect(c).toMatchObject({ name: 'work laptop', deviceType: 'singleDevice', backedUp: false, lastUsedAt: null });

    const list = await alice.request({ method: 'GET', url: '/api/v1/me/webauthn' });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toHaveLength(1);
    expect(Object.keys(list.json()[0]).sort()).toEqual(['backedUp', 'createdAt', 'deviceType', 'id', 'lastUsedAt', 'name']);

    const stored = await v.db.selectFrom('webauthn_credentials').selectAll().where('id', '=', c.id).executeTakeFirstOrThrow();
    expect(stored.credential_id).toBe(aliceKey.credentialId);
    expect(stored.transports).toEqual(['internal']);
    expect(stored.public_key.length).toBeGreaterThan(60);

    const audit = await auditActions('webauthn.register');
    expect(audit.at(-1)?.actor_user_id).toBe(aliceId);

    const again = await registerOptions(alice);
    expect(again.excludeCredentials).toEqual([{ id: aliceKey.credentialId, type: 'public-key', transports: ['internal'] }]);
  });

  it('refuses the same authenticator credential twice', async () => {
    const options = await registerOptions(alice);
    const res = await alice.request({
      method: 'POST',
      url: '/api/v1/me/webauthn/register/verify',
      payload: { response: aliceKey.register(options) },
    });
    expectProblem(res, 409, 'conflict');
  });

  it('refuses a wrong origin, a reused challenge, and a challenge issued to someone else', async () => {
    const key = new SoftAuthenticator(RP_ID, ORIGIN);
    const options = await registerOptions(alice);
    const verify = (s: Session, response: unknown) =>
      s.request({ method: 'POST', url: '/api/v1/me/webauthn/register/verify', payload: { response } });

    const p = expectProblem(
      await verify(alice, key.register(options, { origin: 'https://evil.example' })),
      400,
      'webauthn-rejected',
    );
    expect(p.errors?.[0]?.field).toBe('body.response');
    // The failed attempt burnt the challenge.
    expectProblem(await verify(alice, key.register(options)), 400, 'webauthn-rejected');

    const bobsOptions = await registerOptions(bob);
    expectProblem(await verify(alice, key.register(bobsOptions)), 400, 'webauthn-rejected');
    // A sign-in challenge is not a registration challenge.
    const loginChallenge = (await loginOptions()).challenge;
    expectProblem(await verify(alice, key.register(options, { challenge: loginChallenge })), 400, 'webauthn-rejected');
    // A challenge the server never issued.
    expectProblem(await verify(alice, key.register(options, { challenge: 'bm90LWlzc3VlZC1ieS11cw' })), 400, 'webauthn-rejected');
  });

  it('cannot be done with an API token, only a session', async () => {
    const t = await alice.request({ method: 'POST', url: '/api/v1/me/tokens', payload: { name: 'ci', scopes: ['org:read'] } });
    expect(t.statusCode, t.body).toBe(201);
    const bearer = { authorization: `Bearer ${t.json().token}` };
    expectProblem(
      await v.app.inject({ method: 'POST', url: '/api/v1/me/webauthn/register/options', headers: bearer }),
      403,
      'forbidden',
    );
    const key = new SoftAuthenticator(RP_ID, ORIGIN);
    const options = await registerOptions(alice);
    expectProblem(
      await v.app.inject({
        method: 'POST',
        url: '/api/v1/me/webauthn/register/verify',
        headers: bearer,
        payload: { response: key.register(options) },
      }),
      403,
      'forbidden',
    );
    expectProblem(await v.app.inject({ method: 'GET', url: '/api/v1/me/webauthn', headers: bearer }), 403, 'forbidden');
    expectProblem(await v.app.inject({ method: 'POST', url: '/api/v1/me/webauthn/register/options' }), 401, 'unauthenticated');
  });
});

describe('signing in with a passkey', () => {
  it('creates an MFA session usable on GET /me, sets the cookie, updates the credential and audits', async () => {
    const options = await loginOptions('Alice@Acme.example');
    expect(options.userVerification).toBe('required');
    expect(options.rpId).toBe(RP_ID);
    expect(options.allowCredentials).toEqual([{ id: aliceKey.credentialId, type: 'public-key', transports: ['internal'] }]);

    const res = await loginVerify(aliceKey.assert(options));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.userId).toBe(aliceId);
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(v.clock.now().getTime());
    const cookie = res.cookies.find((c) => c.name === 'village_session');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });

    const s = new Session(v.app);
    s.cookie = `village_session=${cookie?.value}`;
    s.csrf = body.csrfToken;
    const me = await s.request({ method: 'GET', url: '/api/v1/me' });
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json()).toMatchObject({ user: { id: aliceId, email: 'alice@acme.example' }, via: 'session' });
    const sessions = await s.request({ method: 'GET', url: '/api/v1/me/sessions' });
    expect(sessions.json().find((x: { current: boolean }) => x.current)).toMatchObject({ mfa: true });

    const [cred] = (await alice.request({ method: 'GET', url: '/api/v1/me/webauthn' })).json();
    expect(cred.lastUsedAt).not.toBeNull();
    const row = await v.db
      .selectFrom('webauthn_credentials')
      .select('counter')
      .where('id', '=', cred.id)
      .executeTakeFirstOrThrow();
    expect(Number(row.counter)).toBe(aliceKey.counter);

    const login = (await auditActions('auth.login')).at(-1);
    expect(login?.actor_user_id).toBe(aliceId);
    expect(login?.details).toMatchObject({ method: 'webauthn', credentialId: cred.id });
  });

  it('works without an email (discoverable credential)', async () => {
    const options = await loginOptions();
    expect(options.allowCredentials).toBeUndefined();
    expect((await loginVerify(aliceKey.assert(options))).statusCode).toBe(200);
  });

  it('answers an unknown email exactly like no email, so accounts cannot be discovered', async () => {
    const unknown = await loginOptions('nobody@acme.example');
    const none = await loginOptions();
    const bobs = await loginOptions('bob@acme.example'); // a real account without passkeys
    const shape = (o: Record<string, unknown>) => Object.keys(o).sort();
    expect(shape(unknown)).toEqual(shape(none));
    expect(shape(bobs)).toEqual(shape(none));
    expect({ ...unknown, challenge: '' }).toEqual({ ...none, challenge: '' });
    expect(unknown.challenge).not.toBe(none.challenge);
  });

  it('refuses a replayed assertion, and a fresh assertion over a used challenge', async () => {
    const options = await loginOptions();
    const assertion = aliceKey.assert(options);
    expect((await loginVerify(assertion)).statusCode).toBe(200);
    expectProblem(await loginVerify(assertion), 401, 'invalid-credentials');
    // Even correctly signed with a higher counter: the challenge itself is single use.
    expectProblem(await loginVerify(aliceKey.assert(options)), 401, 'invalid-credentials');
  });

  it('lets only one of two concurrent uses of one assertion through', async () => {
    const assertion = aliceKey.assert(await loginOptions());
    const results = await Promise.all([loginVerify(assertion), loginVerify(assertion)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
  });

  it('refuses a wrong origin, and the failed attempt burns the challenge', async () => {
    const options = await loginOptions();
    expectProblem(await loginVerify(aliceKey.assert(options, { origin: 'https://evil.example' })), 401, 'invalid-credentials');
    expectProblem(await loginVerify(aliceKey.assert(options)), 401, 'invalid-credentials');
    // Another RP ID's credential scope is refused too.
    expectProblem(await loginVerify(aliceKey.assert(await loginOptions(), { rpId: 'evil.example' })), 401, 'invalid-credentials');
    // And a cross-site page cannot post the sign-in at all.
    expectProblem(
      await loginVerify(aliceKey.assert(await loginOptions()), { origin: 'https://evil.example' }),
      403,
      'bad-origin',
    );
  });

  it('refuses a counter that goes backwards (a cloned authenticator) and audits it', async () => {
    aliceKey.counter = 100;
    expect((await passkeyLogin(aliceKey)).statusCode).toBe(200);
    aliceKey.counter = 40; // the clone's counter: 41 < 101
    expectProblem(await passkeyLogin(aliceKey), 401, 'invalid-credentials');
    const failed = (await auditActions('auth.login_failed')).at(-1);
    expect(failed?.details).toMatchObject({ method: 'webauthn', reason: 'counter' });
    // An equal counter is not an increase either.
    aliceKey.counter = 100;
    expectProblem(await passkeyLogin(aliceKey), 401, 'invalid-credentials');
    aliceKey.counter = 200;
    expect((await passkeyLogin(aliceKey)).statusCode).toBe(200);
  });

  it('refuses an unknown credential', async () => {
    const stranger = new SoftAuthenticator(RP_ID, ORIGIN);
    expectProblem(await passkeyLogin(stranger), 401, 'invalid-credentials');
  });

  it('refuses an assertion without user verification', async () => {
    expectProblem(await loginVerify(aliceKey.assert(await loginOptions(), { userVerified: false })), 401, 'invalid-credentials');
  });

  it('refuses an assertion whose user handle names someone else', async () => {
    const a = aliceKey.assert(await loginOptions());
    a.response.userHandle = Buffer.from(crypto.randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
    expectProblem(await loginVerify(a), 401, 'invalid-credentials');
  });

  it('refuses an expired challenge', async () => {
    const options = await loginOptions();
    v.clock.advance(5 * 60_000 + 1_000);
    expectProblem(await loginVerify(aliceKey.assert(options)), 401, 'invalid-credentials');
  });

  it('refuses a disabled user, whose passkeys are no longer offered', async () => {
    const carolId = (await makeUser(v, orgId, 'carol@acme.example')).id;
    const key = new SoftAuthenticator(RP_ID, ORIGIN);
    await register(await signIn(v, 'carol@acme.example'), key);
    await v.db.updateTable('users').set({ disabled_at: v.clock.now() }).where('id', '=', carolId).execute();
    expect((await loginOptions('carol@acme.example')).allowCredentials).toBeUndefined();
    expectProblem(await passkeyLogin(key), 401, 'invalid-credentials');
  });
});

describe('removing a passkey', () => {
  it("is limited to one's own: someone else's is not found", async () => {
    const bobKey = new SoftAuthenticator(RP_ID, ORIGIN);
    const c = await register(bob, bobKey, 'phone');
    expectProblem(await alice.request({ method: 'DELETE', url: `/api/v1/me/webauthn/${c.id}` }), 404, 'not-found');
    expect((await passkeyLogin(bobKey)).statusCode).toBe(200);

    const del = await bob.request({ method: 'DELETE', url: `/api/v1/me/webauthn/${c.id}` });
    expect(del.statusCode, del.body).toBe(200);
    expect((await auditActions('webauthn.delete')).at(-1)?.actor_user_id).not.toBe(aliceId);
    expect((await bob.request({ method: 'GET', url: '/api/v1/me/webauthn' })).json()).toEqual([]);
    expectProblem(await passkeyLogin(bobKey), 401, 'invalid-credentials');
    expectProblem(await bob.request({ method: 'DELETE', url: `/api/v1/me/webauthn/${c.id}` }), 404, 'not-found');
  });

  it('refuses to remove the last way a password-less user can sign in', async () => {
    const daveId = (await makeUser(v, orgId, 'dave@acme.example')).id;
    const dave = await signIn(v, 'dave@acme.example');
    const c = await register(dave, new SoftAuthenticator(RP_ID, ORIGIN));
    await v.db.updateTable('users').set({ password_hash: null }).where('id', '=', daveId).execute();
    expectProblem(await dave.request({ method: 'DELETE', url: `/api/v1/me/webauthn/${c.id}` }), 409, 'conflict');
  });
});

describe('malformed requests', () => {
  const post = (url: string, payload: unknown, s?: Session) =>
    s
      ? s.request({ method: 'POST', url, payload: payload as object })
      : v.app.inject({ method: 'POST', url, payload: payload as object });
  const fields = (p: { errors?: { field: string }[] }) => p.errors?.map((e) => e.field) ?? [];

  it('answer 400 problem+json naming the field', async () => {
    const loginV = '/api/v1/auth/webauthn/login/verify';
    expect(fields(expectProblem(await post(loginV, {}), 400, 'validation-error'))).toContain('body.response');
    const good = aliceKey.assert(await loginOptions());

    const noSig = { ...good, response: { ...good.response, signature: undefined } };
    expect(fields(expectProblem(await post(loginV, { response: noSig }), 400, 'validation-error'))).toContain(
      'body.response.response.signature',
    );
    const badId = { ...good, id: 'not base64url!' };
    expect(fields(expectProblem(await post(loginV, { response: badId }), 400, 'validation-error'))).toContain('body.response.id');
    const badType = { ...good, type: 'password' };
    expect(fields(expectProblem(await post(loginV, { response: badType }), 400, 'validation-error'))).toContain(
      'body.response.type',
    );
    expect(fields(expectProblem(await post(loginV, { response: good, extra: 1 }), 400, 'validation-error'))).toContain(
      'body.extra',
    );
    const notJson = await v.app.inject({
      method: 'POST',
      url: loginV,
      headers: { 'content-type': 'application/json' },
      payload: '{"response":',
    });
    expectProblem(notJson, 400, 'malformed-json');

    const loginO = '/api/v1/auth/webauthn/login/options';
    expect(fields(expectProblem(await post(loginO, { email: 'not an email' }), 400, 'validation-error'))).toContain('body.email');

    const regV = '/api/v1/me/webauthn/register/verify';
    const reg = new SoftAuthenticator(RP_ID, ORIGIN).register(await registerOptions(alice));
    const noAtt = { ...reg, response: { ...reg.response, attestationObject: undefined } };
    expect(fields(expectProblem(await post(regV, { response: noAtt }, alice), 400, 'validation-error'))).toContain(
      'body.response.response.attestationObject',
    );
    expect(fields(expectProblem(await post(regV, { response: reg, name: '' }, alice), 400, 'validation-error'))).toContain(
      'body.name',
    );
    expectProblem(await alice.request({ method: 'DELETE', url: '/api/v1/me/webauthn/not-a-uuid' }), 400, 'validation-error');
  });

  it('answer a garbled clientDataJSON with 401, not a crash', async () => {
    const good = aliceKey.assert(await loginOptions());
    const garbled = {
      ...good,
      response: { ...good.response, clientDataJSON: Buffer.from('{"challenge":').toString('base64url') },
    };
    expectProblem(await loginVerify(garbled), 401, 'invalid-credentials');
  });
});

describe('OpenAPI', () => {
  it('documents the passkey routes', async () => {
    const res = await v.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const paths = Object.keys(res.json().paths).filter((p) => p.includes('webauthn'));
    expect(paths.sort()).toEqual([
      '/api/v1/auth/webauthn/login/options',
      '/api/v1/auth/webauthn/login/verify',
      '/api/v1/me/webauthn',
      '/api/v1/me/webauthn/register/options',
      '/api/v1/me/webauthn/register/verify',
      '/api/v1/me/webauthn/{id}',
    ]);
  });
});
