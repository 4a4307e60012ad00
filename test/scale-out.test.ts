// Two `village serve` processes on one PostgreSQL database behave as one instance:
// sessions, rate limits and schedules live in the database, and each job runs once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileKeyring } from '../src/crypto/keyring.ts';
import { createTestDatabase, type TestDatabase, testEngine } from './support/db.ts';
import { type ServerProcess, startServerProcess } from './support/process.ts';

// On the embedded engine this suite is skipped: PGlite serves one process by design.
const onServer = testEngine === 'postgres';

describe.skipIf(!onServer)('two servers on one PostgreSQL database', () => {
  let db: TestDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  const dirs: string[] = [];
  let kekDir = '';

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    kekDir = fs.mkdtempSync(path.join(os.tmpdir(), 'village-scale-kek-'));
    FileKeyring.open(path.join(kekDir, 'kek.json'), { create: true });
    const env = (dir: string) => ({
      DATABASE_URL: db.url as string,
      VILLAGE_DATA_DIR: dir,
      VILLAGE_DEMO: '1',
      VILLAGE_LOG_LEVEL: 'debug',
      VILLAGE_HOUSEKEEPING_SECONDS: '1',
      VILLAGE_LOGIN_MAX_FAILURES: '4',
      VILLAGE_COOKIE_SECURE: '0',
      // One instance: both servers share the key-encryption keyring (as a deployment must).
      VILLAGE_KEK_FILE: path.join(kekDir, 'kek.json'),
    });
    for (let i = 0; i < 2; i++) dirs.push(fs.mkdtempSync(path.join(os.tmpdir(), 'village-scale-')));
    // Started together: migrations, the job schema and the demo seed must each happen once.
    [a, b] = await Promise.all([startServerProcess(env(dirs[0] as string)), startServerProcess(env(dirs[1] as string))]);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
    for (const d of [...dirs, kekDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  const demoLogin = () => {
    for (const d of dirs) {
      const f = path.join(d, 'demo-logins.txt');
      if (fs.existsSync(f)) {
        const [, email, password] = (fs.readFileSync(f, 'utf8').split('\n')[1] ?? '').split('\t');
        return { email: email as string, password: password as string };
      }
    }
    throw new Error('no demo logins written');
  };

  async function login(srv: ServerProcess, email: string, password: string) {
    return fetch(`${srv.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
  }

  it('seeded the demo data once', async () => {
    const orgs = await db.db.selectFrom('organizations').select('slug').execute();
    expect(orgs.length).toBe(5);
    expect(new Set(orgs.map((o) => o.slug)).size).toBe(5);
  });

  it('a session made on one server works on the other, and logging out on either ends it', async () => {
    const { email, password } = demoLogin();
    const res = await login(a, email, password);
    expect(res.status).toBe(200);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    const me = await fetch(`${b.url}/api/v1/me`, { headers: { cookie } });
    expect(me.status).toBe(200);
    const tok = await fetch(`${b.url}/api/v1/me/tokens`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'from b', scopes: ['org:read'] }),
    });
    expect(tok.status).toBe(201);
    const { token } = (await tok.json()) as { token: string };
    expect((await fetch(`${a.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const out = await fetch(`${b.url}/api/v1/auth/logout`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken } });
    expect(out.status).toBe(200);
    expect((await fetch(`${a.url}/api/v1/me`, { headers: { cookie } })).status).toBe(401);
  });

  it('failed sign-ins on both servers count toward one lockout', async () => {
    const { email } = demoLogin();
    for (const srv of [a, b, a, b]) expect((await login(srv, email, 'wrong password')).status).toBe(401);
    const locked = await login(a, email, demoLogin().password);
    expect(locked.status).toBe(429);
    expect(((await locked.json()) as { type: string }).type).toBe('urn:village:problem:account-locked');
  });

  it('each scheduled job runs once, though both servers offer it', async () => {
    // Both servers offer the housekeeping job every second under the same idempotency key.
    await new Promise((r) => setTimeout(r, 5_000));
    const runs = [...a.lines, ...b.lines]
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; key?: string; pid?: number })
      .filter((l) => l.msg === 'housekeeping ran');
    const keys = runs.map((r) => r.key);
    expect(keys.length).toBeGreaterThanOrEqual(3);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
