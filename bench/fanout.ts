// Release fan-out: one individually fingerprinted PGP/MIME notification per recipient, each
// encrypted to the recipient's own key, signed by the instance key and handed to a local SMTP
// server (smtp-server, in this process), through the production code: the per-recipient body
// transform hook, src/mail/protect.ts and the pooled SMTP mailer (src/mail/mailer.ts). Worker
// threads (one per core) each take a slice of recipients with the mail job's concurrency.
// Compared with raw OpenPGP.js encryption (openpgp.encrypt of the UTF-8 text, no signature, no
// MIME, no SMTP) of the same texts to the same keys in the same run, on the same threads:
//   ratio_vs_raw = raw_s / total_s   (1.0: no cost beyond raw encryption; target ≥ 0.5)
// Recipient keys (Curve25519) are generated before timing and cached in .tmp/.
//   npm run bench -- fanout [--recipients 10000] [--threads N] [--concurrency 16]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as openpgp from 'openpgp';
import { SMTPServer } from 'smtp-server';
import { protectMail } from '../src/mail/protect.ts';
import { emit, fmt, freePort, intOption, machine, out, ROOT, round } from './lib.ts';

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

out(`fanout: ${fmt(N)} recipients, ${THREADS} worker threads × ${CONCURRENCY} in flight`);
const { keys, private0 } = await recipientKeys();

// The instance key, as generated at first start.
const { privateKey: instance } = await openpgp.generateKey({
  type: 'ecc',
  curve: 'curve25519Legacy',
  userIDs: [{ name: 'Village at bench.example', email: 'village@bench.example' }],
  date: new Date(Date.now() - 86_400_000),
  format: 'object',
});

// The local SMTP server: takes every message in, keeps the first one to check.
let received = 0;
let bytes = 0;
let sample: string | undefined;
const smtp = new SMTPServer({
  secure: false,
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      received++;
      const raw = Buffer.concat(chunks);
      bytes += raw.length;
      if (session.envelope.rcptTo[0]?.address === 'r0@bench.example') sample = raw.toString('utf8');
      callback(null, 'OK');
    });
  },
});
const port = await freePort();
await new Promise<void>((resolve) => smtp.listen(port, '127.0.0.1', () => resolve()));

const per = Math.ceil(N / THREADS);
const workers = await Promise.all(
  Array.from({ length: THREADS }, (_, t) => {
    const w = new Worker(WORKER, {
      workerData: {
        task: 'send',
        signingKey: instance.armor(),
        smtpUrl: `smtp://127.0.0.1:${port}`,
        keys: keys.slice(t * per, Math.min(N, (t + 1) * per)),
        offset: t * per,
        concurrency: CONCURRENCY,
      },
    });
    return new Promise<Worker>((resolve, reject) => {
      w.once('message', () => resolve(w));
      w.once('error', reject);
    });
  }),
);

async function phase(name: 'warmup' | 'ours' | 'raw'): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          w.once('message', () => resolve());
          w.once('error', reject);
          w.postMessage({ phase: name });
        }),
    ),
  );
  return (performance.now() - t0) / 1000;
}

await phase('warmup');
received = 0;
bytes = 0;
sample = undefined;
const totalS = await phase('ours');
const delivered = received;
const rawS = await phase('raw');
for (const w of workers) await w.terminate();
await new Promise<void>((resolve) => smtp.close(() => resolve()));

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
void protectMail; // the workers run it; imported here so a type error in it fails this file too

const ratio = rawS / totalS;
out(`  ours (transform + encrypt + sign + PGP/MIME + SMTP): ${fmt(totalS, 1)} s, ${fmt(N / totalS)} messages/s`);
out(`  raw OpenPGP.js encryption of the same texts:         ${fmt(rawS, 1)} s, ${fmt(N / rawS)} messages/s`);
out(
  `  delivered ${fmt(delivered)} of ${fmt(N)} (${fmt(bytes / delivered)} bytes each); sample decrypts and verifies: ${sampleOk}`,
);
out(`  ratio_vs_raw = raw_s / total_s = ${fmt(ratio, 2)} (1.0: no overhead beyond raw encryption)`);
out(
  `target ≤ 60 s and ratio ≥ 0.5: ${totalS <= 60 && ratio >= 0.5 && delivered === N && sampleOk ? 'met' : 'NOT met'} (on ${os.cpus().length} cores)`,
);
emit({
  bench: 'fanout',
  recipients: N,
  total_s: round(totalS, 2),
  raw_s: round(rawS, 2),
  ratio_vs_raw: round(ratio, 3),
  ratio_definition: 'raw OpenPGP.js encryption time of the same messages / our total time',
  delivered,
  sample_verified: sampleOk,
  threads: THREADS,
  concurrency: CONCURRENCY,
  machine: machine(),
});
