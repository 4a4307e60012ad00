// One thread of the mail protection pool (src/mail/protect-pool.ts): signs and encrypts planned
// messages (sealMail) with the instance key it was started with. Recipient keys arrive as their
// binary OpenPGP form and are parsed once per fingerprint and content.
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import * as openpgp from 'openpgp';
import type { PublicKey } from '../crypto/openpgp.ts';
import { type MailPlan, sealMail } from './protect.ts';

export interface SealRequest {
  id: number;
  plan: MailPlan;
  recipientKey: { bytes: Uint8Array; fingerprint: string } | null;
  now: Date;
}
export type SealReply =
  | { id: number; ok: true; raw: string; protection: MailPlan['protection']; protectedTo: string | null }
  | { id: number; ok: false; error: string };

const port = parentPort;
if (!port) throw new Error('protect-worker runs as a worker thread');

/** Parsed recipient keys; a key whose bytes change (new subkey, new expiry) is parsed again. */
const KEY_CACHE_MAX = 20_000;
const keys = new Map<string, { digest: string; key: PublicKey }>();

async function recipientKey(r: NonNullable<SealRequest['recipientKey']>): Promise<PublicKey> {
  const digest = createHash('sha256').update(r.bytes).digest('base64');
  const hit = keys.get(r.fingerprint);
  if (hit && hit.digest === digest) return hit.key;
  const key = await openpgp.readKey({ binaryKey: r.bytes });
  if (keys.size >= KEY_CACHE_MAX) keys.delete(keys.keys().next().value as string);
  keys.set(r.fingerprint, { digest, key });
  return key;
}

const signingKey = await openpgp.readPrivateKey({ binaryKey: (workerData as { signingKey: Uint8Array }).signingKey });

port.on('message', async (req: SealRequest) => {
  let reply: SealReply;
  try {
    const rk = req.recipientKey ? { key: await recipientKey(req.recipientKey), fingerprint: req.recipientKey.fingerprint } : null;
    const sealed = await sealMail(req.plan, { signingKey, recipientKey: rk, now: req.now });
    reply = { id: req.id, ok: true, ...sealed };
  } catch (e) {
    reply = { id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});
