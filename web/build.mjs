// Builds the web UI (web/) with Vite's JS API into dist/web, used by bin/village.js at start
// (when a file under web/ is newer than the build) and by `npm test`. Plain JavaScript, so it
// runs before anything else is compiled. The build goes to a temporary folder that then
// replaces dist/web, so a server starting meanwhile never reads half a build.
import fs from 'node:fs';
import path from 'node:path';

function newest(dir) {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n = Math.max(n, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return n;
}

/** True when dist/web is missing or older than a file under web/. */
export function webStale(root) {
  const index = path.join(root, 'dist', 'web', 'index.html');
  if (!fs.existsSync(index)) return true;
  return fs.statSync(index).mtimeMs < newest(path.join(root, 'web'));
}

export async function buildWeb(root) {
  const { build } = await import('vite');
  const out = path.join(root, 'dist', 'web');
  const tmp = `${out}.${process.pid}.tmp`;
  await build({
    root: path.join(root, 'web'),
    configFile: false,
    envDir: false,
    logLevel: 'warn',
    base: '/',
    publicDir: false,
    oxc: { jsx: { runtime: 'automatic' } },
    build: {
      outDir: tmp,
      emptyOutDir: true,
      // Everything as files: the Content-Security-Policy allows no inline scripts or styles.
      assetsInlineLimit: 0,
      modulePreload: { polyfill: false },
      target: 'es2022',
      reportCompressedSize: false,
    },
  });
  const old = `${out}.${process.pid}.old`;
  try {
    fs.renameSync(out, old);
  } catch {
    // no previous build (or another process just moved it)
  }
  try {
    fs.renameSync(tmp, out);
  } catch {
    // another process starting at the same time put its (identical) build there first
    fs.rmSync(tmp, { recursive: true, force: true });
    return out;
  } finally {
    fs.rmSync(old, { recursive: true, force: true });
  }
  // The index is the build's timestamp: make it now, so the next start sees an up-to-date build.
  const now = new Date();
  fs.utimesSync(path.join(out, 'index.html'), now, now);
  return out;
}
