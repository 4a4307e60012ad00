// One worker thread of the fan-out benchmark (bench/fanout.ts): generates recipient keys, or
// for its slice of recipients either runs the production path (per-recipient body transform,
// PGP/MIME encrypt + sign in src/mail/protect.ts, hand to SMTP with src/mail/mailer.ts) or
// raw OpenPGP.js encryption of the same texts.
import { createHmac } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import * as openpgp from 'openpgp';
import { createSmtpMailer } from '../src/mail/mailer.ts';
import { protectMail, type RecipientBodyTransform } from '../src/mail/protect.ts';

interface Data {
  signingKey: string;
  smtpUrl: string;
  keys: string[];
  offset: number;
  /** Messages in flight per worker (the mail job's concurrency per process). */
  concurrency: number;
}
const port = parentPort;
if (!port) throw new Error('bench/fanout-worker.ts runs as a worker thread');

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

/** Stands in for per-recipient fingerprinting: an invisible-in-effect, recipient-specific line. */
const fingerprint: RecipientBodyTransform = (text, r) =>
  `${text}\nRef: ${createHmac('sha256', 'bench').update(r.key).digest('base64url').slice(0, 22)}\n`;

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i] as T);
      }
    }),
  );
}

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
  const d = workerData as Data;
  const signingKey = await openpgp.readPrivateKey({ armoredKey: d.signingKey });
  const keys = await Promise.all(d.keys.map((k) => openpgp.readKey({ armoredKey: k })));
  const recipients = keys.map((key, i) => ({
    i: d.offset + i,
    key,
    fingerprint: key.getFingerprint().toUpperCase(),
    to: `r${d.offset + i}@bench.example`,
  }));
  // One connection per message in flight: SMTP round trips overlap the encryption of others.
  const mailer = createSmtpMailer({ url: d.smtpUrl, maxConnections: d.concurrency });
  const now = new Date();
  const textFor = async (r: (typeof recipients)[number]) =>
    await fingerprint(BASE_TEXT, { key: `case-message:42:${r.i}`, to: r.to, kind: 'case.message', tlp: 'AMBER' });

  const ours = async (r: (typeof recipients)[number]) => {
    const built = await protectMail(
      {
        from: FROM,
        to: r.to,
        subject: '[Village] VIL-2026-0042: a new message',
        text: BASE_TEXT,
        messageId: `<${r.i}.fanout@bench.example>`,
        date: now,
        tlp: 'AMBER',
        toReporter: false,
        headers: { 'Auto-Submitted': 'auto-generated' },
      },
      {
        signingKey,
        recipientKey: { key: r.key, fingerprint: r.fingerprint },
        publicUrl: 'https://village.example',
        now,
        transform: fingerprint,
        recipient: { key: `case-message:42:${r.i}`, kind: 'case.message' },
      },
    );
    await mailer.send({ from: FROM, to: r.to, messageId: `<${r.i}.fanout@bench.example>`, raw: built.raw });
  };
  const raw = async (r: (typeof recipients)[number]) => {
    await openpgp.encrypt({
      // The same bytes ours encrypts the MIME entity of: the text as UTF-8, a binary literal.
      message: await openpgp.createMessage({ binary: new TextEncoder().encode(await textFor(r)) }),
      encryptionKeys: r.key,
      format: 'armored',
    });
  };

  port.on('message', async (m: { phase: 'warmup' | 'ours' | 'raw' }) => {
    const list = m.phase === 'warmup' ? recipients.slice(0, 20) : recipients;
    const t0 = performance.now();
    if (m.phase === 'warmup') {
      await pool(list, d.concurrency, ours);
      await pool(list, d.concurrency, raw);
    } else {
      await pool(list, d.concurrency, m.phase === 'ours' ? ours : raw);
    }
    const ms = performance.now() - t0;
    if (m.phase === 'ours' || m.phase === 'warmup') await mailer.close();
    port.postMessage({ phase: m.phase, ms, count: list.length });
  });
  port.postMessage({ ready: true });
}
