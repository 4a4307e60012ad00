#!/usr/bin/env node
// `npm run bench`: every benchmark in bench/ (audit, start, login, affected, ingest), each in its own process
// (TypeScript through tsx). `npm run bench -- NAME [NAME...]` runs the named ones; options such as
// `--entries N` (audit), `--runs N` (start) or `--requests N` (login) are passed to each.
// Each benchmark prints readable figures and, as its last line, one JSON object of them; with
// more than one benchmark this script ends with one JSON object holding all of them.
// They use the embedded database; with DATABASE_URL set they also run on that PostgreSQL server
// (in a fresh database they create and drop).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BENCHES = ['audit', 'start', 'login', 'tents', 'eject', 'affected', 'ingest', 'xsd', 'release', 'trace', 'fanout'];
const TIME_LIMIT_MS = 45 * 60_000; // per benchmark, a safety net only

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    'usage: npm run bench [-- [audit|start|login ...] [--entries N] [--runs N] [--requests N]]\n' +
      '  audit   audit chain verification of N entries (default 1,000,000) against plain SHA-256\n' +
      '  start   cold start of `npm start` on an existing data directory, to the first 200 from /readyz\n' +
      '  login   POST /api/v1/auth/login (argon2id) requests per second at concurrency 2, 4, 8\n' +
      '  affected  who-is-affected p50/p99 over many advisories (with and without a path) vs a naive scan [--tier small|medium]\n' +
      '  ingest    ingest time per 1,000-component SBOM into a portfolio of the tier [--tier small|medium]\n' +
      '            (both: --engine postgres --keep NAME keeps the portfolio in a named database and reuses it)\n' +
      '  xsd       CycloneDX XML schema validation: 1,000 components, the largest sample, 16 MiB, and 300,000 past the bound [--runs N --big N]\n' +
      '  release   a case of 12 vendors, 5 vulnerabilities, 50 products: action to landing page and documents live [--runs N]\n' +
      '  trace     leak tracing accuracy and false accusations per excerpt length, 1,000 recipients [--cases N --leakers N]\n' +
      '  fanout    PGP/MIME encrypt + sign + SMTP of one notification per recipient vs raw OpenPGP.js [--recipients N]\n' +
      'DATABASE_URL=postgres://... also runs them on PostgreSQL (in a scratch database).\n',
  );
  process.exit(0);
}
const names = [];
const options = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a.startsWith('-')) {
    options.push(a);
    if (!a.includes('=') && i + 1 < args.length && !args[i + 1].startsWith('-')) options.push(args[++i]);
  } else if (BENCHES.includes(a)) {
    names.push(a);
  } else {
    process.stderr.write(`bench: unknown benchmark "${a}"; known: ${BENCHES.join(', ')}\n`);
    process.exit(2);
  }
}
const selected = names.length ? [...new Set(names)] : BENCHES;

/** Runs one benchmark, echoing its output; resolves to its last line parsed, or an error. */
function runBench(name) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('bench', `${name}.ts`), ...options], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let tail = '';
    child.stdout.on('data', (b) => {
      process.stdout.write(b);
      tail = (tail + b.toString('utf8')).slice(-100_000);
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), TIME_LIMIT_MS);
    const forward = (sig) => child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      const last = tail.trimEnd().split('\n').pop() ?? '';
      if (code !== 0) {
        resolve({ bench: name, error: `exited with ${code ?? signal}` });
        return;
      }
      try {
        resolve(JSON.parse(last));
      } catch {
        resolve({ bench: name, error: 'its last line is not JSON' });
      }
    });
  });
}

const results = {};
let failed = false;
const started = Date.now();
for (const name of selected) {
  if (selected.length > 1) process.stdout.write(`\n######## bench ${name}\n`);
  const r = await runBench(name);
  if (r.error) {
    failed = true;
    process.stderr.write(`bench ${name}: ${r.error}\n`);
  }
  results[name] = r;
}
if (selected.length > 1) {
  process.stdout.write(
    `\nall benchmarks done in ${Math.round((Date.now() - started) / 1000)} s${failed ? ' (some failed)' : ''}\n`,
  );
  process.stdout.write(`${JSON.stringify({ bench: 'all', results })}\n`);
}
process.exit(failed ? 1 : 0);
