// Where a worker thread's code is. From the bundle (dist/village.mjs) each worker is its own file
// beside it, built by bin/village.js; from the TypeScript sources (tsx, tests) it is the .ts file,
// loaded through tsx, which worker threads do not inherit on Node 20.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The entry of a worker: `source` (relative to the calling module `from`, its import.meta.url)
 * when running from sources, else `<bundled>.mjs` beside the bundle.
 */
export function workerEntry(from: string, source: string, bundled: string): URL {
  const here = new URL(from);
  if (!here.pathname.endsWith('.ts')) return new URL(`./${bundled}.mjs`, here);
  const worker = new URL(source, here).href;
  const boot = `const { register } = await import(${JSON.stringify(tsxEsmApi(here))}); register(); await import(${JSON.stringify(worker)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}

/** tsx's ESM API as a file URL (a data: URL cannot resolve a bare specifier). */
function tsxEsmApi(from: URL): string {
  const require = createRequire(from);
  const pkgFile = require.resolve('tsx/package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const entry = pkg.exports['./esm/api']?.import.default;
  if (!entry) throw new Error('tsx has no ESM API export');
  return pathToFileURL(path.join(path.dirname(pkgFile), entry)).href;
}
