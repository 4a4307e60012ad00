// The web UI: the built single-page app in dist/web (web/ built by Vite; bin/village.js and
// `npm test` rebuild it when its sources are newer). Each UI path answers index.html, which loads
// hashed files from /assets/. Nothing here is in the OpenAPI document, and every HTML answer
// carries a strict Content-Security-Policy: scripts and styles only from files on this origin.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Problem } from '../problem.ts';

export const UI_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/** The paths the app answers with its page (the client-side router takes it from there). */
export const UI_ROUTES = [
  '/',
  '/sign-in',
  '/account',
  '/report',
  '/reply/:token',
  '/triage',
  '/triage/:id',
  '/cases',
  '/cases/:id',
  '/statements',
  '/communities',
  '/communities/:id',
  '/products',
  '/organization',
  '/affected',
  '/feeds',
] as const;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Village</title></head>
<body><h1>Village</h1><p>The web interface has not been built. Start the server with <code>npm start</code>
(it builds the interface from <code>web/</code>), or use the API at <a href="/docs">/docs</a>.</p></body></html>`;

/** dist/web next to the bundle (dist/village.mjs) or, from the sources, at the repository root. */
export function defaultWebDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'web'), path.resolve(here, '..', '..', 'dist', 'web')];
  return candidates.find((d) => fs.existsSync(path.join(d, 'index.html'))) ?? (candidates[1] as string);
}

interface Loaded {
  index: string;
  /** /assets/<name> → contents; read once at start (a few hundred kilobytes). */
  assets: Map<string, Buffer>;
}

function load(dir: string): Loaded {
  const indexFile = path.join(dir, 'index.html');
  if (!fs.existsSync(indexFile)) return { index: NOT_BUILT, assets: new Map() };
  const assets = new Map<string, Buffer>();
  const assetDir = path.join(dir, 'assets');
  if (fs.existsSync(assetDir)) {
    for (const name of fs.readdirSync(assetDir)) {
      const file = path.join(assetDir, name);
      if (fs.statSync(file).isFile()) assets.set(name, fs.readFileSync(file));
    }
  }
  return { index: fs.readFileSync(indexFile, 'utf8'), assets };
}

function page(reply: FastifyReply, html: string) {
  return reply
    .header('content-security-policy', UI_CSP)
    .header('cache-control', 'no-cache')
    .type('text/html; charset=utf-8')
    .send(html);
}

export function webRoutes(dir: string = defaultWebDir()) {
  return async (app: FastifyInstance) => {
    const ui = load(dir);
    for (const url of UI_ROUTES) {
      app.get(url, { schema: { hide: true } }, async (_req, reply) => page(reply, ui.index));
    }
    // Hashed file names: a changed file has a new name, so each can be cached for a year.
    app.get('/assets/:file', { schema: { hide: true } }, async (req, reply) => {
      const name = (req.params as { file: string }).file;
      const body = ui.assets.get(name);
      if (!body) throw new Problem(404, 'not-found', 'Not found', 'No such file.');
      return reply
        .header('cache-control', 'public, max-age=31536000, immutable')
        .type(TYPES[path.extname(name)] ?? 'application/octet-stream')
        .send(body);
    });
  };
}
