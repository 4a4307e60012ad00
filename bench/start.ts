// Cold start: `npm start` (node bin/village.js serve) on an existing data directory, from
// spawning npm to the first 200 from /readyz. The data directory is created by one start and
// stop first (not timed: migrations and demo data); then N starts are timed (default 5).
// Target on the embedded database: <= 3 s.
//
//   node --import tsx bench/start.ts [--runs N]
import fs from 'node:fs';
import path from 'node:path';
import type { Engine } from '../src/store/database.ts';
import {
  emit,
  engines,
  fmt,
  freePort,
  intOption,
  machine,
  now,
  out,
  quantile,
  round,
  scratchDatabase,
  spawnServer,
  villageEnv,
  waitReady,
} from './lib.ts';

const TARGET_MS = 3_000;
const READY_TIMEOUT_MS = 60_000;

/** One `npm start`: ms from spawn to the first 200 from /readyz, and ms from SIGTERM to exit. */
async function startOnce(
  env: NodeJS.ProcessEnv,
  port: number,
  lockFile: string | undefined,
  direct = false,
): Promise<{ readyMs: number; stopMs: number }> {
  const t0 = now();
  const server = direct
    ? spawnServer(process.execPath, ['bin/village.js', 'serve'], env)
    : spawnServer('npm', ['start', '--silent'], env);
  let ok: boolean;
  try {
    ok = await waitReady(server, `http://127.0.0.1:${port}`, { everyMs: 20, timeoutMs: READY_TIMEOUT_MS });
  } catch (e) {
    await server.stop();
    throw e;
  }
  const readyMs = now() - t0;
  const t1 = now();
  const stopped = await server.stop();
  const stopMs = now() - t1;
  if (!ok) throw new Error(`the server did not become ready:\n${server.output()}`);
  if (!stopped) throw new Error(`the server did not stop within 20 s of SIGTERM:\n${server.output()}`);
  // A clean shutdown releases the embedded data directory's lock.
  if (lockFile && fs.existsSync(lockFile)) throw new Error(`the server left its lock file behind:\n${server.output()}`);
  return { readyMs, stopMs };
}

async function run(engine: Engine, runs: number): Promise<Record<string, unknown>> {
  out(`\n== start on ${engine}: npm start --silent, ${runs} timed starts`);
  const scratch = await scratchDatabase(engine, 'start');
  try {
    const port = await freePort();
    const env = villageEnv(scratch, port);
    const lockFile = engine === 'pglite' ? path.join(scratch.dataDir, 'village.lock') : undefined;
    const first = await startOnce(env, port, lockFile);
    out(`  first start (creates the data: migrations, demo data; not timed): ${fmt(first.readyMs)} ms`);
    if (engine === 'pglite' && !fs.existsSync(path.join(scratch.dataDir, 'pg')))
      throw new Error('no embedded database was created');
    const ready: number[] = [];
    const stops: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await startOnce(env, port, lockFile);
      ready.push(r.readyMs);
      stops.push(r.stopMs);
      out(`  start ${i + 1}: ready in ${fmt(r.readyMs)} ms (stopped in ${fmt(r.stopMs)} ms)`);
    }
    const direct = await startOnce(env, port, lockFile, true);
    out(`  for reference, \`node bin/village.js serve\` without npm: ready in ${fmt(direct.readyMs)} ms`);
    const min = Math.min(...ready);
    const median = quantile(ready, 0.5);
    const max = Math.max(...ready);
    const meets = max <= TARGET_MS;
    out(`  spawn -> /readyz 200: min ${fmt(min)} ms, median ${fmt(median)} ms, max ${fmt(max)} ms`);
    if (engine === 'pglite')
      out(`  target <= ${fmt(TARGET_MS)} ms on the embedded database: ${meets ? 'met' : 'NOT met'} (by the slowest start)`);
    return {
      runs,
      first_start_ms: round(first.readyMs),
      ready_ms: ready.map((r) => round(r)),
      min_ms: round(min),
      median_ms: round(median),
      max_ms: round(max),
      stop_median_ms: round(quantile(stops, 0.5)),
      without_npm_ms: round(direct.readyMs),
      ...(engine === 'pglite' ? { target_ms: TARGET_MS, meets_target: meets } : {}),
    };
  } finally {
    await scratch.drop();
  }
}

const runs = intOption('runs', 5);
const m = machine();
out(`cold start benchmark: node ${m.node}, ${m.cpus} x ${m.cpu}, load ${m.loadavg.join(' ')}`);
out('Each start: spawn `npm start --silent` (cwd = project, PORT free, VILLAGE_LOG_LEVEL=warn), poll /readyz every 20 ms.');
const result: Record<string, unknown> = { bench: 'start' };
for (const engine of engines()) result[engine] = await run(engine, runs);
result.machine = m;
emit(result);
