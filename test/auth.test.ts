// Sign-in, sessions, CSRF, throttling and lockout, TOTP and recovery codes, API tokens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../src/crypto/totp.ts';
import { makeOrg, makeUser, PASSWORD, Session, signIn, startTestVillage, type TestVillage } from './support/app.ts';

let v: TestVillage;
let orgId: string;

beforeAll(async () => {
  v = await startTestVillage({ env: { VILLAGE_LOGIN_MAX_FAILURES: '3', VILLAGE_LOGIN_IP_LIMIT: '1000' } });
  orgId = (await makeOrg(v, 'acme')).id;
  await makeUser(v, orgId, 'ada@acme.example', { role: 'admin' });
  await makeUser(v, orgId, 'bob@acme.example');
});
afterAll(async () => v?.close());

const lastAudit = async () =>
  v.db.selectFrom('audit_log').select(['action', 'actor_user_id', 'details']).orderBy('seq', 'desc').executeTakeFirstOrThrow();

describe('password sign-in', () => {
  it('sets an HttpOnly, Secure, SameSite session cookie and returns a CSRF token', async () => {
    const res = await v.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'Ada@Acme.example', password: PASSWORD },
    });
    expect(res.statusCode).toBe(200);
    const cookie = res.cookies.find((c) => c.name === 'village_session');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    expect(res.json().csrfToken).toMatch(/^[\w-]{20,}$/);
    expect((await lastAudit()).action).toBe('auth.login');
    // The cookie value is never stored: only its SHA-256.
    const stored = await v.db.selectFrom('sessions').select('id').execute();
    expect(stored.map((s) => s.id)).not.toContain(cookie?.value);
  });

  it('refuses a wrong password with a problem+json 401 and audits the failure', async () => {
    const res = await v.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'bob@acme.example', password: 'not the password' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().type).toBe('urn:village:problem:invalid-credentials');
    expect((await lastAudit()).action).toBe('auth.login_failed');
  });

  it('answers an unknown email exactly like a wrong password', async () => {
    const a = await v.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'nobody@acme.example', password: 'x' },
    });
    const b = await v.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'bob@acme.example', password: 'x' },
    });
    expect(a.statusCode).toBe(b.statusCode);
    const strip = (j: Record<string, unknown>) => ({ ...j, requestId: undefined });
    expect(strip(a.json())).toEqual(strip(b.json()));
  });

  it('refuses a cross-origin sign-in', async () => {
    const res = await v.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { origin: 'https://evil.example' },
      payload: { email: 'ada@acme.example', password: PASSWORD },
    });
    expect(res.statusCode).toBe(403);
  });
});

describe('sessions', () => {
  it('needs the CSRF token for writes made with the cookie', async () => {
    const s = await signIn(v, 'ada@acme.example');
    const without = await v.app.inject({
      method: 'POST',
      url: '/api/v1/me/logout-everywhere',
      headers: { cookie: s.cookie },
      payload: {},
    });
    expect(without.statusCode).toBe(403);
    expect(without.json().type).toBe('urn:village:problem:csrf');
    const wrong = await v.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { cookie: s.cookie, 'x-csrf-token': 'x'.repeat(32) },
    });
    expect(wrong.statusCode).toBe(403);
    expect((await s.request({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(200);
  });

  it('ends on logout, and the cookie no longer works', async () => {
    const s = await signIn(v, 'bob@acme.example');
    expect((await s.request({ method: 'POST', url: '/api/v1/auth/logout' })).statusCode).toBe(200);
    expect((await s.request({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
  });

  it('expires after the idle timeout and after the absolute lifetime', async () => {
    const s = await signIn(v, 'bob@acme.example');
    v.clock.advance((v.ctx.config.sessionIdleMinutes + 1) * 60_000);
    expect((await s.request({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
    const t = await signIn(v, 'bob@acme.example');
    for (let h = 0; h < v.ctx.config.sessionMaxHours; h++) {
      v.clock.advance(3600_000);
      await t.request({ method: 'GET', url: '/api/v1/me' });
    }
    v.clock.advance(60_000);
    expect((await t.request({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
  });

  it('logout everywhere ends every session of the user, and can revoke tokens', async () => {
    const a = await signIn(v, 'bob@acme.example');
    const b = await signIn(v, 'bob@acme.example');
    const tok = await b.request({
      method: 'POST',
      url: '/api/v1/me/tokens',
      payload: { name: 'ci', scopes: ['org:read'], expiresInDays: 30 },
    });
    const token = tok.json().token as string;
    const res = await a.request({ method: 'POST', url: '/api/v1/me/logout-everywhere', payload: { revokeTokens: true } });
    expect(res.statusCode).toBe(200);
    expect(res.json().sessions).toBeGreaterThanOrEqual(2);
    expect(res.json().tokens).toBe(1);
    expect((await a.request({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
    expect((await b.request({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
    const byToken = await v.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect(byToken.statusCode).toBe(401);
  });

  it('lists sessions and ends one of them', async () => {
    const a = await signIn(v, 'bob@acme.example');
    const b = await signIn(v, 'bob@acme.example');
    const list = (await a.request({ method: 'GET', url: '/api/v1/me/sessions' })).json() as Array<{
      id: string;
      current: boolean;
    }>;
    expect(list.filter((s) => s.current)).toHaveLength(1);
    const other = list.find((s) => !s.current);
    expect(other).toBeDefined();
    const res = await a.request({ method: 'DELETE', url: `/api/v1/me/sessions/${other?.id}` });
    expect(res.statusCode).toBe(200);
    expect((await b.request({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
  });

  it('a disabled user loses their session at once', async () => {
    const u = await makeUser(v, orgId, 'carol@acme.example');
    const carol = await signIn(v, 'carol@acme.example');
    const admin = await signIn(v, 'ada@acme.example');
    expect((await admin.request({ method: 'PATCH', url: `/api/v1/users/${u.id}`, payload: { disabled: true } })).statusCode).toBe(
      200,
    );
    expect((await carol.request({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
    expect((await new Session(v.app).login('carol@acme.example')).statusCode).toBe(401);
  });
});

describe('throttling and lockout', () => {
  it('locks an account after repeated failures, for known and unknown emails alike, then lets it in again', async () => {
    await makeUser(v, orgId, 'dave@acme.example');
    for (const email of ['dave@acme.example', 'ghost@acme.example']) {
      for (let i = 0; i < 3; i++) {
        const r = await v.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: 'wrong' } });
        expect(r.statusCode).toBe(401);
      }
      const locked = await v.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: PASSWORD } });
      expect(locked.statusCode).toBe(429);
      expect(locked.json().type).toBe('urn:village:problem:account-locked');
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    }
    v.clock.advance(v.ctx.config.loginLockMinutes * 60_000 + 1000);
    expect((await new Session(v.app).login('dave@acme.example')).statusCode).toBe(200);
  });

  it('throttles one client address across accounts', async () => {
    const w = await startTestVillage({ env: { VILLAGE_LOGIN_IP_LIMIT: '4' }, workers: false });
    try {
      for (let i = 0; i < 4; i++) {
        await w.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: `u${i}@x.example`, password: 'x' } });
      }
      const r = await w.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'other@x.example', password: 'x' },
      });
      expect(r.statusCode).toBe(429);
      expect(r.json().type).toBe('urn:village:problem:rate-limited');
      // The counter lives in the database, so every server process shares it.
      const rows = await w.db.selectFrom('rate_limits').select(['bucket', 'count']).where('bucket', '=', 'login-ip').execute();
      expect(rows[0]?.count).toBe(4);
    } finally {
      await w.close();
    }
  });
});

describe('TOTP and recovery codes', () => {
  it('enrols, then requires a code at sign-in, refuses replays, and accepts each recovery code once', async () => {
    await makeUser(v, orgId, 'erin@acme.example');
    const s = await signIn(v, 'erin@acme.example');
    const enrol = await s.request({ method: 'POST', url: '/api/v1/me/totp/enrol' });
    expect(enrol.statusCode).toBe(200);
    const { secret, otpauthUri } = enrol.json() as { secret: string; otpauthUri: string };
    expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/Village:erin%40acme\.example\?/);
    expect(otpauthUri).toContain(`secret=${secret}`);

    const bad = await s.request({ method: 'POST', url: '/api/v1/me/totp/confirm', payload: { code: '000000' } });
    expect(bad.statusCode).toBe(400);
    const confirm = await s.request({
      method: 'POST',
      url: '/api/v1/me/totp/confirm',
      payload: { code: totpCode(secret, v.clock.now()) },
    });
    expect(confirm.statusCode).toBe(200);
    const codes = confirm.json().recoveryCodes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);

    // Password alone is no longer enough.
    const noCode = await new Session(v.app).login('erin@acme.example');
    expect(noCode.statusCode).toBe(401);
    expect(noCode.json().type).toBe('urn:village:problem:mfa-required');

    // The step used at confirmation cannot be replayed; the next step works once.
    v.clock.advance(30_000);
    const code = totpCode(secret, v.clock.now());
    expect((await new Session(v.app).login('erin@acme.example', PASSWORD, { totp: code })).statusCode).toBe(200);
    expect((await new Session(v.app).login('erin@acme.example', PASSWORD, { totp: code })).statusCode).toBe(401);

    const rc = codes[0] as string;
    expect((await new Session(v.app).login('erin@acme.example', PASSWORD, { recoveryCode: rc.toLowerCase() })).statusCode).toBe(
      200,
    );
    expect((await new Session(v.app).login('erin@acme.example', PASSWORD, { recoveryCode: rc })).statusCode).toBe(401);

    // Regenerated codes replace the old ones.
    const regen = await s.request({ method: 'POST', url: '/api/v1/me/recovery-codes' });
    const fresh = regen.json().recoveryCodes as string[];
    expect((await new Session(v.app).login('erin@acme.example', PASSWORD, { recoveryCode: codes[1] as string })).statusCode).toBe(
      401,
    );
    expect((await new Session(v.app).login('erin@acme.example', PASSWORD, { recoveryCode: fresh[0] as string })).statusCode).toBe(
      200,
    );

    // Disabling needs a current code.
    v.clock.advance(30_000);
    const off = await s.request({
      method: 'POST',
      url: '/api/v1/me/totp/disable',
      payload: { code: totpCode(secret, v.clock.now()) },
    });
    expect(off.statusCode).toBe(200);
    expect((await new Session(v.app).login('erin@acme.example')).statusCode).toBe(200);
  });
});

describe('API tokens', () => {
  it('are shown once, stored hashed, scoped, expiring and revocable', async () => {
    const s = await signIn(v, 'ada@acme.example');
    const created = await s.request({
      method: 'POST',
      url: '/api/v1/me/tokens',
      payload: { name: 'automation', scopes: ['org:read', 'users:read'], expiresInDays: 7 },
    });
    expect(created.statusCode).toBe(201);
    const { token, info } = created.json() as { token: string; info: { id: string; prefix: string } };
    expect(token).toMatch(/^vlg_[\w-]{43}$/);
    expect(token.startsWith(info.prefix)).toBe(true);
    const rows = await v.db.selectFrom('api_tokens').select('token_hash').execute();
    expect(rows.map((r) => r.token_hash)).not.toContain(token);
    expect(JSON.stringify((await s.request({ method: 'GET', url: '/api/v1/me/tokens' })).json())).not.toContain(token);

    const bearer = { authorization: `Bearer ${token}` };
    expect((await v.app.inject({ method: 'GET', url: `/api/v1/orgs/${orgId}`, headers: bearer })).statusCode).toBe(200);
    // Out of scope: forbidden. Account credentials: never with a token.
    expect(
      (await v.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${orgId}`, headers: bearer, payload: { name: 'x' } })).statusCode,
    ).toBe(403);
    expect(
      (
        await v.app.inject({
          method: 'POST',
          url: '/api/v1/me/tokens',
          headers: bearer,
          payload: { name: 'escalate', scopes: ['org:write'] },
        })
      ).statusCode,
    ).toBe(403);

    // Expiry.
    v.clock.advance(8 * 86_400_000);
    expect((await v.app.inject({ method: 'GET', url: `/api/v1/orgs/${orgId}`, headers: bearer })).statusCode).toBe(401);
    v.clock.advance(-8 * 86_400_000);
    // Revocation.
    const s2 = await signIn(v, 'ada@acme.example');
    expect((await s2.request({ method: 'DELETE', url: `/api/v1/me/tokens/${info.id}` })).statusCode).toBe(200);
    const after = await v.app.inject({ method: 'GET', url: `/api/v1/orgs/${orgId}`, headers: bearer });
    expect(after.statusCode).toBe(401);
    expect(after.json().type).toBe('urn:village:problem:unauthenticated');
  });

  it('an invalid bearer token is refused, never treated as anonymous', async () => {
    const r = await v.app.inject({ method: 'GET', url: '/healthz', headers: { authorization: 'Bearer vlg_nope' } });
    expect(r.statusCode).toBe(401);
  });
});
