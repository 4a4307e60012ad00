import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivateKey } from '../crypto/openpgp.ts';
import { type PlainMail, planMail } from './protect.ts';
import { createMailSealer, type MailSealer } from './protect-pool.ts';

const now = new Date('2026-11-23T12:00:00Z');
const mail = (to: string, tlp: PlainMail['tlp']): PlainMail => ({
  from: 'Village <village@example.org>',
  to,
  subject: 'VIL-2026-0001: a new message',
  text: `Embargoed details for ${to}.`,
  messageId: `<${to}@example.org>`,
  date: now,
  tlp,
  toReporter: false,
});

async function key(email: string): Promise<PrivateKey> {
  const { privateKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ email }],
    date: new Date('2026-01-01T00:00:00Z'),
    format: 'object',
  });
  return privateKey;
}

const armoredPart = (raw: string, kind: 'MESSAGE' | 'SIGNATURE') =>
  new RegExp(`-----BEGIN PGP ${kind}-----[\\s\\S]+?-----END PGP ${kind}-----`).exec(raw)?.[0] ?? '';

describe('mail sealing on worker threads', () => {
  let instance: PrivateKey;
  let recipients: PrivateKey[];
  let pool: MailSealer;

  beforeAll(async () => {
    instance = await key('village@example.org');
    recipients = await Promise.all([0, 1, 2].map((i) => key(`r${i}@example.org`)));
    pool = createMailSealer({ signingKey: instance, threads: 2, idleMs: 200 });
  }, 60_000);
  afterAll(async () => pool.close());

  it('encrypts to each recipient and signs by the instance, in parallel, as the calling thread would', async () => {
    expect(pool.threads).toBe(2);
    const jobs = Array.from({ length: 12 }, async (_, i) => {
      const r = recipients[i % 3] as PrivateKey;
      const pub = r.toPublic();
      const m = mail(`r${i % 3}@example.org`, 'AMBER');
      const transform = (text: string) => `${text}\nCopy ${i}.`;
      const plan = await planMail(m, {
        publicUrl: 'https://v.example',
        transform,
        recipient: { key: `k${i}`, kind: 'case.message' },
        hasRecipientKey: true,
      });
      const sealed = await pool.seal(plan, { recipientKey: { key: pub, fingerprint: pub.getFingerprint().toUpperCase() }, now });
      expect(sealed.protection).toBe('encrypted');
      expect(sealed.protectedTo).toBe(pub.getFingerprint().toUpperCase());
      expect(sealed.raw).toMatch(/Content-Type: multipart\/encrypted; protocol="application\/pgp-encrypted"/);
      expect(sealed.raw).not.toContain('Embargoed details');
      const out = await openpgp.decrypt({
        message: await openpgp.readMessage({ armoredMessage: armoredPart(sealed.raw, 'MESSAGE') }),
        decryptionKeys: r,
        verificationKeys: instance.toPublic(),
        expectSigned: true,
        format: 'binary',
      });
      const inner = Buffer.from(out.data as Uint8Array).toString('utf8');
      expect(inner).toContain(`Embargoed details for r${i % 3}@example.org.`);
      expect(inner).toContain(`Copy ${i}.`);
    });
    await Promise.all(jobs);
  }, 60_000);

  it('signs in clear (GREEN) and withholds AMBER from a recipient without a key', async () => {
    const green = await planMail(mail('nokey@example.org', 'GREEN'), {
      publicUrl: 'https://v.example',
      recipient: { key: 'g', kind: null },
      hasRecipientKey: false,
    });
    const signed = await pool.seal(green, { recipientKey: null, now });
    expect(signed.protection).toBe('signed');
    // The signed part is the first body part, exactly as sent (RFC 3156 section 5).
    const from = signed.raw.indexOf(`--${green.boundary}\r\n`) + green.boundary.length + 4;
    const entity = signed.raw.slice(from, signed.raw.indexOf(`\r\n--${green.boundary}`, from));
    expect(entity).toContain('Embargoed details for nokey@example.org.');
    const ok = await openpgp.verify({
      message: await openpgp.createMessage({ binary: Buffer.from(entity, 'utf8') }),
      signature: await openpgp.readSignature({ armoredSignature: armoredPart(signed.raw, 'SIGNATURE') }),
      verificationKeys: instance.toPublic(),
    });
    await expect(ok.signatures[0]?.verified).resolves.toBe(true);

    const amber = await planMail(mail('nokey@example.org', 'AMBER'), {
      publicUrl: 'https://v.example',
      recipient: { key: 'a', kind: null },
      hasRecipientKey: false,
    });
    const withheld = await pool.seal(amber, { recipientKey: null, now });
    expect(withheld.protection).toBe('withheld');
    expect(withheld.raw).not.toContain('Embargoed details');
  }, 60_000);

  it('fails one message clearly on a bad key and keeps serving; restarts after close and when idle', async () => {
    const plan = await planMail(mail('r0@example.org', 'AMBER'), {
      publicUrl: 'https://v.example',
      recipient: { key: 'x', kind: null },
      hasRecipientKey: true,
    });
    const broken = { key: { write: () => new Uint8Array([1, 2, 3]) } as unknown as openpgp.PublicKey, fingerprint: 'BAD' };
    await expect(pool.seal(plan, { recipientKey: broken, now })).rejects.toThrow(/sealing mail failed/);
    const pub = (recipients[0] as PrivateKey).toPublic();
    const good = { key: pub, fingerprint: pub.getFingerprint().toUpperCase() };
    await expect(pool.seal(plan, { recipientKey: good, now })).resolves.toMatchObject({ protection: 'encrypted' });
    await pool.close();
    await expect(pool.seal(plan, { recipientKey: good, now })).resolves.toMatchObject({ protection: 'encrypted' });
    await new Promise((r) => setTimeout(r, 400)); // idle: the threads stop
    await expect(pool.seal(plan, { recipientKey: good, now })).resolves.toMatchObject({ protection: 'encrypted' });
  }, 60_000);

  it('seals on the calling thread when configured with no threads', async () => {
    const inline = createMailSealer({ signingKey: instance, threads: 0 });
    expect(inline.threads).toBe(0);
    const plan = await planMail(mail('r1@example.org', 'RED'), {
      publicUrl: 'https://v.example',
      recipient: { key: 'y', kind: null },
      hasRecipientKey: false,
    });
    await expect(inline.seal(plan, { recipientKey: null, now })).resolves.toMatchObject({ protection: 'withheld' });
  });
});
