// How the server hands out the web UI: every UI path answers the page under the strict CSP and
// no-cache; hashed assets are cached for a year with the right type; an unknown asset is a 404
// problem; without a build, the page says so instead of failing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { registerErrorHandling } from '../src/http/errors.ts';
import { UI_CSP, UI_ROUTES, webRoutes } from '../src/http/web.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function appWith(files: Record<string, string>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'village-web-'));
  dirs.push(dir);
  for (const [name, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), body);
  }
  const app = Fastify({ logger: false });
  registerErrorHandling(app);
  await app.register(webRoutes(dir));
  return app;
}

describe('the web UI routes', () => {
  it('answer every UI path with the page, under the strict CSP and no-cache', async () => {
    const app = await appWith({
      'index.html': '<!doctype html><title>Village</title>',
      'assets/index-abc123.js': 'console.log(1)',
    });
    for (const route of UI_ROUTES) {
      const res = await app.inject({ url: route.replace(/:\w+/, 'some-id') });
      expect(res.statusCode, route).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['content-security-policy']).toBe(UI_CSP);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toContain('<title>Village</title>');
    }
    expect(UI_CSP).not.toMatch(/unsafe-inline|unsafe-eval/);
  });

  it('serve hashed assets for a year, with their type, and 404 an unknown one as a problem', async () => {
    const app = await appWith({ 'index.html': '<!doctype html>', 'assets/index-abc123.js': 'console.log(1)' });
    const js = await app.inject({ url: '/assets/index-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const missing = await app.inject({ url: '/assets/..%2Findex.html' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('say plainly when the UI has not been built', async () => {
    const app = await appWith({});
    const res = await app.inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('has not been built');
  });
});
