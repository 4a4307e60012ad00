// A worker thread of the fan-out benchmark (bench/fanout.ts): generates recipient keys, or runs
// the raw baseline (OpenPGP.js encryption of the same texts to the same keys, no signature, no
// MIME, no SMTP) for its slice of recipients. The production path runs in src/mail/protect-pool.ts's
// own threads.
import { parentPort, workerData } from 'node:worker_threads';
import * as openpgp from 'openpgp';
import { inFlight } from './lib.ts';

const port = parentPort;
if (!port) throw new Error('bench/fanout-worker.ts runs as a worker thread');

if (workerData.task === 'generate') {
  const { count, seed } = workerData as { count: number; seed: number };
  const out: string[] = [];
  const privates: string[] = [];
  for (let i = 0; i < count; i++) {
    const { privateKey } = await openpgp.generateKey({
      type: 'ecc',
      curve: 'curve25519Legacy',
      userIDs: [{ email: `r${seed + i}@bench.example` }],
      date: new Date(Date.now() - 86_400_000),
      format: 'object',
    });
    out.push(privateKey.toPublic().armor());
    if (seed + i === 0) privates.push(privateKey.armor());
  }
  port.postMessage({ keys: out, privates });
} else {
  const d = workerData as { keys: string[]; texts: string[]; concurrency: number };
  const keys = await Promise.all(d.keys.map((k) => openpgp.readKey({ armoredKey: k })));
  const items = keys.map((key, i) => ({ key, text: d.texts[i] as string }));
  const raw = async (r: (typeof items)[number]) => {
    await openpgp.encrypt({
      // The bytes the production path encrypts a MIME entity of: the text as UTF-8, a binary literal.
      message: await openpgp.createMessage({ binary: new TextEncoder().encode(r.text) }),
      encryptionKeys: r.key,
      format: 'armored',
    });
  };
  port.on('message', async (m: { warmup?: boolean }) => {
    const t0 = performance.now();
    await inFlight(m.warmup ? items.slice(0, 20) : items, d.concurrency, raw);
    port.postMessage({ ms: performance.now() - t0 });
  });
  port.postMessage({ ready: true });
}
