// Sign-in throughput: POST /api/v1/auth/login with correct credentials, over real loopback
// HTTP, against a Village server process (`node bin/village.js serve`) on this machine's cores.
// Each level sends a bounded number of requests (default 200, at most 60 s) at a fixed
// concurrency (2, 4, 8) and reports requests per second and p50/p99 latency.
//
//   node --import tsx bench/login.ts [--requests N]
import { spawn } from 'node:child_process';
import { sql } from 'kysely';
import { ARGON2_PARAMS, verifyPassword } from '../src/crypto/passwords.ts';
import type { Engine } from '../src/store/database.ts';
import {
  emit,
  engines,
  fmt,
  freePort,
  intOption,
  machine,
  now,
  openScratch,
  out,
  quantile,
  ROOT,
  round,
  scratchDatabase,
  spawnServer,
  villageEnv,
  waitReady,
} from './lib.ts';

const CONCURRENCY = [2, 4, 8];
const LEVEL_TIME_LIMIT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 30_000;
const EMAIL = 'bench-login@village-bench.example';
const PASSWORD = 'a long and correct benchmark passphrase';
// The per-address limiter counts failed sign-ins per 15 minutes (default 30); raised so that it
// can never throttle the benchmark (every sign-in here succeeds, so it would not count anyway).
const IP_LIMIT = '100000';

/** Runs the village CLI to completion (bounded), with optional standard input. */
function cli(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/village.js', ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (b: Buffer) => {
      text += b.toString('utf8');
    });
    child.stderr.on('data', (b: Buffer) => {
      text += b.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(text);
      else reject(new Error(`village ${args.join(' ')} failed (${code}):\n${text}`));
    });
    child.stdin.end(input ?? '');
  });
}

interface Level {
  concurrency: number;
  requests: number;
  ok: number;
  errors: Record<string, number>;
  seconds: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
}

async function level(url: string, concurrency: number, total: number): Promise<Level> {
  const body = JSON.stringify({ email: EMAIL, password: PASSWORD });
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let next = 0;
  const t0 = now();
  const deadline = t0 + LEVEL_TIME_LIMIT_MS;
  const worker = async () => {
    while (next < total && now() < deadline) {
      next++;
      const t = now();
      let key = '';
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const json = (await res.json()) as { csrfToken?: string };
        if (res.status !== 200 || !json.csrfToken || !res.headers.get('set-cookie')) key = `http_${res.status}`;
      } catch (e) {
        key = e instanceof Error ? e.name : 'error';
      }
      if (key) errors[key] = (errors[key] ?? 0) + 1;
      else latencies.push(now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (now() - t0) / 1000;
  return {
    concurrency,
    requests: next,
    ok: latencies.length,
    errors,
    seconds: round(seconds, 2),
    rps: round(latencies.length / seconds, 1),
    p50_ms: round(quantile(latencies, 0.5), 1),
    p99_ms: round(quantile(latencies, 0.99), 1),
  };
}

async function run(engine: Engine, requests: number): Promise<Record<string, unknown>> {
  out(`\n== login on ${engine}: ${requests} sign-ins per level, concurrency ${CONCURRENCY.join(', ')}`);
  const scratch = await scratchDatabase(engine, 'login');
  try {
    const port = await freePort();
    const env = villageEnv(scratch, port, {
      VILLAGE_DEMO: '0',
      VILLAGE_LOGIN_IP_LIMIT: IP_LIMIT,
    });
    await cli(['org', 'create', '--slug', 'bench-login', '--name', 'Benchmark', '--kind', 'vendor'], env);
    await cli(
      ['user', 'create', '--org', 'bench-login', '--email', EMAIL, '--name', 'Benchmark', '--password-stdin'],
      env,
      `${PASSWORD}\n`,
    );
    // The stored hash, to show the parameters really used, and one argon2 verification in
    // this process for reference (the floor of a sign-in's latency).
    const database = await openScratch(scratch, 1);
    let stored: string;
    try {
      const { rows } = await sql<{ h: string }>`SELECT password_hash AS h FROM users WHERE email = ${EMAIL}`.execute(database.db);
      stored = rows[0]?.h ?? '';
    } finally {
      await database.close();
    }
    const phc = /^\$(argon2\w+)\$v=\d+\$([^$]+)\$/.exec(stored);
    out(`  stored hash: ${phc ? `${phc[1]} ${phc[2]}` : 'not argon2?'}`);
    const verifyMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = now();
      if (!(await verifyPassword(stored, PASSWORD))) throw new Error('the stored hash does not verify');
      verifyMs.push(now() - t);
    }
    const oneVerify = quantile(verifyMs, 0.5);
    out(`  one argon2id verification in-process: ${fmt(oneVerify, 1)} ms (median of 5)`);

    const server = spawnServer(process.execPath, ['bin/village.js', 'serve'], env);
    try {
      if (!(await waitReady(server, `http://127.0.0.1:${port}`, { timeoutMs: 60_000 }))) {
        throw new Error(`the server did not become ready:\n${server.output()}`);
      }
      const url = `http://127.0.0.1:${port}/api/v1/auth/login`;
      const warm = await level(url, 1, 4);
      if (warm.ok !== 4) throw new Error(`warm-up sign-ins failed: ${JSON.stringify(warm.errors)}\n${server.output()}`);
      const levels: Level[] = [];
      for (const c of CONCURRENCY) {
        const l = await level(url, c, requests);
        levels.push(l);
        const errs = Object.keys(l.errors).length ? `, errors ${JSON.stringify(l.errors)}` : '';
        out(
          `  concurrency ${c}: ${l.ok}/${l.requests} ok in ${fmt(l.seconds, 2)} s = ${fmt(l.rps, 1)} req/s; ` +
            `p50 ${fmt(l.p50_ms, 1)} ms, p99 ${fmt(l.p99_ms, 1)} ms${errs}`,
        );
      }
      const best = levels.reduce((a, b) => (b.rps > a.rps ? b : a));
      out(`  best: ${fmt(best.rps, 1)} req/s at concurrency ${best.concurrency}`);
      return {
        stored_hash_params: phc?.[2] ?? null,
        argon2_verify_ms: round(oneVerify, 1),
        levels,
        best_rps: best.rps,
        best_concurrency: best.concurrency,
      };
    } finally {
      await server.stop();
    }
  } finally {
    await scratch.drop();
  }
}

const requests = intOption('requests', 200);
const m = machine();
out(`login benchmark: node ${m.node}, ${m.cpus} cores (${m.cpu}), load ${m.loadavg.join(' ')}`);
out(
  `argon2id parameters (src/crypto/passwords.ts): memoryCost ${ARGON2_PARAMS.memoryCost} KiB, ` +
    `timeCost ${ARGON2_PARAMS.timeCost}, parallelism ${ARGON2_PARAMS.parallelism}`,
);
out("  = OWASP Password Storage Cheat Sheet's argon2id recommendation: m=19 MiB (19456 KiB), t=2, p=1.");
out(
  `Rate limiting: VILLAGE_LOGIN_IP_LIMIT=${IP_LIMIT} for the server under test (default 30 failed sign-ins per address ` +
    'per 15 min), so the limiter cannot throttle; every sign-in here is correct, and the per-account lockout counts failures only.',
);
out('Client: this process, fetch over loopback; server: a separate `node bin/village.js serve` process.');
const result: Record<string, unknown> = {
  bench: 'login',
  requests_per_level: requests,
  cores: m.cpus,
  argon2: {
    algorithm: 'argon2id',
    memoryCost_KiB: ARGON2_PARAMS.memoryCost,
    timeCost: ARGON2_PARAMS.timeCost,
    parallelism: ARGON2_PARAMS.parallelism,
    reference: 'OWASP Password Storage Cheat Sheet: argon2id m=19 MiB, t=2, p=1',
  },
  login_ip_limit: Number(IP_LIMIT),
};
for (const engine of engines()) result[engine] = await run(engine, requests);
result.machine = m;
emit(result);
