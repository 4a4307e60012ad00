// Operations and HTTP conventions: health, readiness, OpenAPI, errors, headers, and logs
// that never carry credentials.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVillage } from '../src/app.ts';
import { ManualClock } from '../src/clock.ts';
import { makeOrg, makeUser, PASSWORD, signIn, startTestVillage, type TestVillage, testConfig } from './support/app.ts';
import { createTestDatabase } from './support/db.ts';

let v: TestVillage;
beforeAll(async () => {
  v = await startTestVillage({ workers: false });
});
afterAll(async () => v?.close());

describe('operations endpoints', () => {
  it('/healthz and /readyz answer', async () => {
    expect((await v.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await v.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().database).toBe(v.ctx.database.engine);
  });

  it('serves an OpenAPI 3.1 document describing every API route, and a browsable reference', async () => {
    const doc = (await v.app.inject({ url: '/openapi.json' })).json() as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    for (const p of ['/api/v1/auth/login', '/api/v1/me/tokens', '/api/v1/orgs/{id}', '/api/v1/orgs/{id}/audit', '/readyz']) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
    expect(doc.paths['/api/v1/auth/login']?.post?.requestBody).toBeDefined();
    const docs = await v.app.inject({ url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
  });

  it('answers unknown routes with a problem+json 404', async () => {
    const r = await v.app.inject({ url: '/api/v1/nope' });
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.json()).toMatchObject({ type: 'urn:village:problem:not-found', status: 404, instance: '/api/v1/nope' });
    expect(r.json().requestId).toBe(r.headers['x-request-id']);
  });

  it('sets security headers on API responses', async () => {
    const r = await v.app.inject({ url: '/api/v1/me' });
    expect(r.headers['content-security-policy']).toContain("default-src 'none'");
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['x-frame-options']).toBe('DENY');
  });

  it('ignores a client-supplied request id (so it cannot forge audit entries)', async () => {
    const r = await v.app.inject({ url: '/healthz', headers: { 'request-id': 'forged' } });
    expect(r.headers['x-request-id']).not.toBe('forged');
  });
});

describe('logs', () => {
  it('are JSON and never contain passwords, tokens, cookies or CSRF tokens', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const database = await createTestDatabase();
    const w = await startVillage(testConfig({ VILLAGE_WORKERS: '0' }), {
      database,
      clock: new ManualClock(new Date()),
      log: pino({ level: 'trace', redact: ['req.headers.authorization', 'req.headers.cookie'] }, sink),
    });
    try {
      const tv = { ...w, clock: new ManualClock(), database, app: w.server, db: database.db, close: async () => undefined };
      const org = await makeOrg(tv, 'acme');
      await makeUser(tv, org.id, 'ada@acme.example', { role: 'admin' });
      const s = await signIn(tv, 'ada@acme.example');
      const tok = await s.request({ method: 'POST', url: '/api/v1/me/tokens', payload: { name: 't', scopes: ['org:read'] } });
      const token = tok.json().token as string;
      await w.server.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
      await w.server.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'ada@acme.example', password: 'wrong-password-123' },
      });
      const text = lines.join('');
      expect(lines.length).toBeGreaterThan(5);
      for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
      for (const secret of [PASSWORD, 'wrong-password-123', token, s.csrf, s.cookie.split('=')[1] as string]) {
        expect(text).not.toContain(secret);
      }
    } finally {
      await w.stop();
      await database.drop();
    }
  });
});

describe('shutdown', () => {
  it('is graceful and can be asked twice', async () => {
    const database = await createTestDatabase();
    const w = await startVillage(testConfig(), { database, log: pino({ level: 'silent' }), jobPollingSeconds: 0.5 });
    await Promise.all([w.stop(), w.stop()]);
    await database.drop();
  });
});
