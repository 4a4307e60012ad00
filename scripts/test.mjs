#!/usr/bin/env node
// `npm test`: type-check, lint, then every suite on the embedded database and, when a
// PostgreSQL server is given (VILLAGE_TEST_DATABASE_URL), again on the server.
// A suite that cannot run says so; with VILLAGE_REQUIRE_ALL=1 a skip is a failure.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const requireAll = process.env.VILLAGE_REQUIRE_ALL === '1';
const extraArgs = process.argv.slice(2);
const bin = (name) => path.join('node_modules', '.bin', name);
const totals = { passed: 0, failed: 0, skipped: 0 };
const skips = [];
let failed = false;

function step(title, cmd, args, env = {}) {
  process.stdout.write(`\n=== ${title}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    failed = true;
    process.stdout.write(`=== ${title}: FAILED (exit ${r.status ?? r.signal})\n`);
  }
  return r.status === 0;
}

function vitest(title, env, more = [], name = env.VILLAGE_TEST_ENGINE) {
  fs.mkdirSync('.tmp', { recursive: true });
  const report = path.join('.tmp', `vitest-${name}.json`);
  fs.rmSync(report, { force: true });
  step(
    title,
    bin('vitest'),
    ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...more, ...extraArgs],
    env,
  );
  try {
    const r = JSON.parse(fs.readFileSync(report, 'utf8'));
    totals.passed += r.numPassedTests;
    totals.failed += r.numFailedTests;
    totals.skipped += r.numPendingTests + r.numTodoTests;
    if (r.numTotalTests === 0) {
      failed = true;
      process.stdout.write(`=== ${title}: no tests ran\n`);
    }
  } catch {
    failed = true;
  }
}

if (extraArgs.length === 0) {
  step('type-check (tsc --noEmit)', bin('tsc'), ['--noEmit', '-p', '.']);
  step('type-check the web UI (tsc --noEmit -p web)', bin('tsc'), ['--noEmit', '-p', 'web']);
  step('lint (biome)', bin('biome'), ['check', '.']);
}

// The web UI is built before the suites, so the browser tests drive what the sources say.
step('build the web UI (web/ → dist/web)', process.execPath, [
  '--input-type=module',
  '-e',
  "const { buildWeb } = await import('./web/build.mjs'); await buildWeb(process.cwd());",
]);

// The browser tests (test/e2e) drive Debian's Chromium; without it they skip, and say so.
const CHROMIUM = process.env.VILLAGE_CHROMIUM ?? '/usr/bin/chromium';
if (!fs.existsSync(CHROMIUM)) {
  skips.push(`browser tests (test/e2e): no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`);
}

// The browser tests get a run of their own after the others (a browser and a server process
// compete for the CPU with timing-sensitive suites), unless the command line picks the files.
const ownBrowserRun = extraArgs.length === 0;
vitest(
  'tests on the embedded database (PGlite)',
  { VILLAGE_TEST_ENGINE: 'pglite' },
  ownBrowserRun ? ['--exclude', 'test/e2e/**'] : [],
);
if (ownBrowserRun) vitest('browser tests (Chromium, embedded database)', { VILLAGE_TEST_ENGINE: 'pglite' }, ['test/e2e'], 'e2e');

if (process.env.VILLAGE_TEST_DATABASE_URL) {
  // The browser tests run once, on the embedded database, above.
  vitest('tests on PostgreSQL (VILLAGE_TEST_DATABASE_URL)', { VILLAGE_TEST_ENGINE: 'postgres' }, ['--exclude', 'test/e2e/**']);
} else {
  skips.push('PostgreSQL suites: VILLAGE_TEST_DATABASE_URL is not set (.ci/run starts a server and sets it)');
}

process.stdout.write('\n');
for (const s of skips) process.stdout.write(`SKIPPED: ${s}\n`);
if (skips.length && requireAll) {
  failed = true;
  process.stdout.write('VILLAGE_REQUIRE_ALL=1: a skipped suite is a failure\n');
}
process.stdout.write(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(failed || totals.failed > 0 ? 1 : 0);
