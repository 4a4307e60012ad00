// Release fan-out: one individually fingerprinted PGP/MIME notification per recipient, each
// encrypted to the recipient's own key, signed by the instance key and handed to a local SMTP
// server, through the production code the mail job runs: planMail (decision and the per-recipient
// body transform, here a recipient-specific reference line), the mail sealing pool
// (src/mail/protect-pool.ts: OpenPGP and MIME on worker threads, one per core) and the pooled
// SMTP mailer (src/mail/mailer.ts). The SMTP server (smtp-server) runs in its own process.
// Compared with raw OpenPGP.js encryption (openpgp.encrypt of the same UTF-8 texts to the same
// keys: no signature, no MIME, no SMTP) in the same run, on as many threads:
//   ratio_vs_raw = raw_s / total_s   (1.0: no cost beyond raw encryption; target ≥ 0.5)
// The outbox's database work (claiming and recording each row) is not part of this figure.
// Recipient keys (Curve25519) are generated before timing and cached in .tmp/.
//   npm run bench -- fanout [--recipients 10000] [--threads N] [--concurrency 16]
import { fork } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as openpgp from 'openpgp';
import { createSmtpMailer } from '../src/mail/mailer.ts';
import { planMail, type RecipientBodyTransform } from '../src/mail/protect.ts';
import { createMailSealer } from '../src/mail/protect-pool.ts';
import { emit, fmt, inFlight, intOption, machine, out, ROOT, round } from './lib.ts';

const N = intOption('recipients', 10_000);
const THREADS = intOption('threads', Math.max(1, os.availableParallelism?.() ?? os.cpus().length));
const CONCURRENCY = intOption('concurrency', 16);
const WORKER_URL = new URL('./fanout-worker.ts', import.meta.url).href;
/** Worker threads do not inherit the tsx loader on Node 20: register it in each, then load the worker. */
const WORKER = new URL(
  `data:text/javascript,${encodeURIComponent(
    `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(WORKER_URL)});`,
  )}`,
);

function runWorker<T>(data: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { workerData: data });
    w.once('message', (m: T) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

/** N recipient public keys (and recipient 0's private key), cached in .tmp/. */
async function recipientKeys(): Promise<{ keys: string[]; private0: string }> {
  const file = path.join(ROOT, '.tmp', `bench-fanout-keys-${N}.json`);
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
  // A cache made for more recipients serves fewer.
  const bigger = path.join(ROOT, '.tmp', 'bench-fanout-keys-10000.json');
  if (N < 10_000 && fs.existsSync(bigger)) {
    const all = JSON.parse(fs.readFileSync(bigger, 'utf8')) as { keys: string[]; private0: string };
    return { keys: all.keys.slice(0, N), private0: all.private0 };
  }
  const t0 = performance.now();
  const per = Math.ceil(N / THREADS);
  const parts = await Promise.all(
    Array.from({ length: THREADS }, (_, t) =>
      runWorker<{ keys: string[]; privates: string[] }>({
        task: 'generate',
        count: Math.max(0, Math.min(per, N - t * per)),
        seed: t * per,
      }),
    ),
  );
  const result = { keys: parts.flatMap((p) => p.keys), private0: parts[0]?.privates[0] ?? '' };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(result));
  out(
    `  generated ${fmt(N)} recipient keys in ${fmt((performance.now() - t0) / 1000, 1)} s (cached in ${path.relative(ROOT, file)})`,
  );
  return result;
}

out(`fanout: ${fmt(N)} recipients, ${THREADS} sealing threads, ${CONCURRENCY * THREADS} messages in flight`);
const { keys, private0 } = await recipientKeys();

// The instance key, as generated at first start.
const { privateKey: instance } = await openpgp.generateKey({
  type: 'ecc',
  curve: 'curve25519Legacy',
  userIDs: [{ name: 'Village at bench.example', email: 'village@bench.example' }],
  date: new Date(Date.now() - 86_400_000),
  format: 'object',
});

const FROM = 'Village <village@bench.example>';
const BASE_TEXT = [
  'Case VIL-2026-0042: the coordinator posted a new message (TLP:AMBER).',
  '',
  'Summary: a heap overflow in the record-length parser of libwidget 2.x lets a remote peer',
  'write past a 4 KiB buffer. Fixed versions: 2.7.4 and 3.0.1. The embargo ends on',
  '2026-12-01 12:00 UTC; please have advisories ready by then and do not share this',
  'outside your PSIRT.',
  '',
  'Sign in to read the whole thread: https://village.example/cases/0b9f6a1e',
  '',
  '-- ',
  'Village, coordinated vulnerability disclosure',
].join('\n');
/** The per-recipient transform: a reference line only the instance can tie to the recipient. */
const fingerprint: RecipientBodyTransform = (text, r) =>
  `${text}\nRef: ${createHmac('sha256', 'bench').update(r.key).digest('base64url').slice(0, 22)}\n`;
const recipients = await Promise.all(
  keys.map(async (armored, i) => {
    const key = await openpgp.readKey({ armoredKey: armored });
    return {
      i,
      key,
      fingerprint: key.getFingerprint().toUpperCase(),
      to: `r${i}@bench.example`,
      outboxKey: `case-message:42:${i}`,
    };
  }),
);
type Recipient = (typeof recipients)[number];

// The SMTP server, in its own process.
const sink = fork(path.join(ROOT, 'bench', 'fanout-sink.ts'), [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
const ask = <T>(m: Record<string, unknown>): Promise<T> =>
  new Promise((resolve) => {
    sink.once('message', (r) => resolve(r as T));
    sink.send(m);
  });
const { port } = await new Promise<{ port: number }>((resolve) => sink.once('message', (m) => resolve(m as { port: number })));

// The production path: plan (and fingerprint) on this thread, seal on the pool's threads, send.
const sealer = createMailSealer({ signingKey: instance, threads: THREADS });
const mailer = createSmtpMailer({ url: `smtp://127.0.0.1:${port}`, maxConnections: CONCURRENCY * THREADS });
const now = new Date();
async function ours(r: Recipient): Promise<void> {
  const messageId = `<${r.i}.fanout@bench.example>`;
  const plan = await planMail(
    {
      from: FROM,
      to: r.to,
      subject: '[Village] VIL-2026-0042: a new message',
      text: BASE_TEXT,
      messageId,
      date: now,
      tlp: 'AMBER',
      toReporter: false,
      headers: { 'Auto-Submitted': 'auto-generated' },
    },
    {
      publicUrl: 'https://village.example',
      transform: fingerprint,
      recipient: { key: r.outboxKey, kind: 'case.message' },
      hasRecipientKey: true,
    },
  );
  const built = await sealer.seal(plan, { recipientKey: { key: r.key, fingerprint: r.fingerprint }, now });
  await mailer.send({ from: FROM, to: r.to, messageId, raw: built.raw });
}

// The raw baseline: as many threads, each encrypting its slice of the same texts.
const texts = await Promise.all(
  recipients.map(async (r) => await fingerprint(BASE_TEXT, { key: r.outboxKey, to: r.to, kind: 'case.message', tlp: 'AMBER' })),
);
const per = Math.ceil(N / THREADS);
const rawWorkers = await Promise.all(
  Array.from({ length: THREADS }, (_, t) => {
    const w = new Worker(WORKER, {
      workerData: {
        task: 'raw',
        keys: keys.slice(t * per, Math.min(N, (t + 1) * per)),
        texts: texts.slice(t * per, Math.min(N, (t + 1) * per)),
        concurrency: CONCURRENCY,
      },
    });
    return new Promise<Worker>((resolve, reject) => {
      w.once('message', () => resolve(w));
      w.once('error', reject);
    });
  }),
);
async function raw(warmup: boolean): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    rawWorkers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          w.once('message', () => resolve());
          w.once('error', reject);
          w.postMessage({ warmup });
        }),
    ),
  );
  return (performance.now() - t0) / 1000;
}

// Warm-up (threads started, code compiled), then the timed runs.
await inFlight(recipients.slice(0, 40), CONCURRENCY * THREADS, ours);
await raw(true);
const sinkBefore = await ask<{ cpuMs: number }>({ reset: true });
const cpuBefore = process.cpuUsage();
const t0 = performance.now();
await inFlight(recipients, CONCURRENCY * THREADS, ours);
const totalS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const report = await ask<{ received: number; bytes: number; sample?: string; cpuMs: number }>({ report: true });
/** CPU seconds: this process (all its threads: planning, sealing, SMTP client) and the SMTP server's. */
const oursCpuS = (cpu.user + cpu.system) / 1e6;
const sinkCpuS = (report.cpuMs - sinkBefore.cpuMs) / 1000;
const rawS = await raw(false);
for (const w of rawWorkers) await w.terminate();
await sealer.close();
await mailer.close();
sink.kill();
const delivered = report.received;
const sample = report.sample;
const bytes = report.bytes;

// The sample: decrypts with recipient 0's key and carries the instance's signature.
let sampleOk = false;
if (sample && private0) {
  const armored = /-----BEGIN PGP MESSAGE-----[\s\S]+?-----END PGP MESSAGE-----/.exec(sample)?.[0] ?? '';
  const r = await openpgp.decrypt({
    message: await openpgp.readMessage({ armoredMessage: armored }),
    decryptionKeys: await openpgp.readPrivateKey({ armoredKey: private0 }),
    verificationKeys: instance.toPublic(),
    expectSigned: true,
    format: 'binary',
  });
  sampleOk = /multipart\/encrypted/.test(sample) && /Ref: /.test(Buffer.from(r.data as Uint8Array).toString('utf8'));
}

const ratio = rawS / totalS;
out(`  ours (plan + fingerprint + encrypt + sign + PGP/MIME + SMTP): ${fmt(totalS, 1)} s, ${fmt(N / totalS)} messages/s`);
out(
  `    CPU: ${fmt(oursCpuS, 1)} s in Village's process (all threads), ${fmt(sinkCpuS, 1)} s in the SMTP server's, on ${os.cpus().length} cores`,
);
out(`  raw OpenPGP.js encryption of the same texts:               ${fmt(rawS, 1)} s, ${fmt(N / rawS)} messages/s`);
out(
  `  delivered ${fmt(delivered)} of ${fmt(N)} (${fmt(bytes / Math.max(1, delivered))} bytes each); sample decrypts and verifies: ${sampleOk}`,
);
out(`  ratio_vs_raw = raw_s / total_s = ${fmt(ratio, 2)} (1.0: no overhead beyond raw encryption)`);
out(
  `target ≤ 60 s and ratio ≥ 0.5: ${totalS <= 60 && ratio >= 0.5 && delivered === N && sampleOk ? 'met' : 'NOT met'} (on ${os.cpus().length} cores, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')})`,
);
emit({
  bench: 'fanout',
  recipients: N,
  total_s: round(totalS, 2),
  raw_s: round(rawS, 2),
  ratio_vs_raw: round(ratio, 3),
  ratio_definition: 'raw OpenPGP.js encryption time of the same messages / our total time',
  cpu_s: round(oursCpuS, 1),
  smtp_server_cpu_s: round(sinkCpuS, 1),
  delivered,
  sample_verified: sampleOk,
  threads: THREADS,
  concurrency: CONCURRENCY * THREADS,
  machine: machine(),
});
