#!/usr/bin/env node
// Entry point for `village` and `npm start`. The TypeScript sources are bundled with esbuild into
// dist/village.mjs (rebuilt whenever a source is newer), so a start loads one file and the
// dependencies natively; if bundling is not possible, the sources run through tsx's loader.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const out = path.join(root, 'dist', 'village.mjs');
// Worker threads' entries (src/worker-entry.ts), bundled beside the main one: mail sealing
// (src/mail/protect-pool.ts) and CycloneDX XML schema validation (src/formats/cyclonedx-xsd-thread.ts).
const workers = {
  'protect-worker': path.join(root, 'src', 'mail', 'protect-worker.ts'),
  'cyclonedx-xsd-worker': path.join(root, 'src', 'formats', 'cyclonedx-xsd-worker.ts'),
};
const workerOuts = Object.keys(workers).map((name) => path.join(root, 'dist', `${name}.mjs`));

// Packages stay in node_modules and load from there at run time, except these, which are bundled:
// pure ES modules of hundreds of small files each (kysely, zod), several times faster to load from
// inside the bundle. fastify-type-provider-zod is bundled with zod, so both use one copy of it.
const BUNDLED_PACKAGES = new Set(['kysely', 'zod', 'fastify-type-provider-zod']);
const externalPackages = {
  name: 'external-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      const parts = args.path.split('/');
      const name = args.path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
      return BUNDLED_PACKAGES.has(name) ? undefined : { path: args.path, external: true };
    });
  },
};

function newestSource(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

async function bundle() {
  try {
    // The sources, and this file (it holds the build options).
    const newest = Math.max(newestSource(path.join(root, 'src')), fs.statSync(fileURLToPath(import.meta.url)).mtimeMs);
    const fresh = (f) => fs.existsSync(f) && fs.statSync(f).mtimeMs >= newest;
    if (fresh(out) && workerOuts.every(fresh)) return out;
    const { build } = await import('esbuild');
    const result = await build({
      entryPoints: { village: path.join(root, 'src', 'cli', 'main.ts'), ...workers },
      outdir: path.join(root, 'dist'),
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      plugins: [externalPackages],
      write: false,
      logLevel: 'silent',
    });
    fs.mkdirSync(path.dirname(out), { recursive: true });
    // Write then rename: processes starting together never read a half-written bundle. The
    // workers go first, so a fresh main bundle always has its workers beside it.
    for (const file of [...workerOuts, out]) {
      const built = result.outputFiles.find((f) => f.path === file);
      if (!built) throw new Error(`esbuild did not produce ${file}`);
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, built.contents);
      fs.renameSync(tmp, file);
    }
    return out;
  } catch {
    return undefined;
  }
}

// The web UI (web/ → dist/web), rebuilt with Vite when a file under web/ is newer. A server
// without it still runs (its pages say the UI is not built), so a failed build is only reported.
async function buildUi() {
  if (!fs.existsSync(path.join(root, 'web'))) return;
  try {
    const { webStale, buildWeb } = await import('../web/build.mjs');
    if (webStale(root)) await buildWeb(root);
  } catch (e) {
    process.stderr.write(`village: the web UI could not be built: ${e instanceof Error ? e.message : e}\n`);
  }
}

// Until the command has done its work (for `serve`: until the server is ready), a referenced timer
// keeps the event loop from ever running dry. Each time it does (between two asynchronous file
// reads, say), Node waits for all of V8's background work (concurrent marking, compilation) to
// finish before going on; on a busy machine that stalled a start for up to a second at a time.
const keepAlive = setInterval(() => undefined, 60_000);

// `serve` on the embedded database: PGlite's WebAssembly is compiled (by V8, on background threads)
// while the server's modules load rather than after them. src/store/database.ts takes it from here.
if (process.argv[2] === 'serve' && !process.env.DATABASE_URL) {
  try {
    const wasm = new URL('pglite.wasm', import.meta.resolve('@electric-sql/pglite'));
    const compiled = fs.promises.readFile(wasm).then((bytes) => WebAssembly.compile(bytes));
    compiled.catch(() => undefined); // PGlite compiles it itself then
    globalThis[Symbol.for('village.pglite.wasm')] = compiled;
  } catch {
    // not installed where expected: PGlite finds its own
  }
}
try {
  if (process.argv[2] === 'serve') await buildUi();
  const bundled = await bundle();
  if (bundled) {
    await import(pathToFileURL(bundled).href);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import('../src/cli/main.ts');
  }
} finally {
  clearInterval(keepAlive);
}
