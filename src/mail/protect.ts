// How one outbound mail is protected, decided and done at send time (no database: the caller
// looks the recipient's key up):
//  - the recipient has a usable key: PGP/MIME encrypted to it and signed by the instance
//    (one OpenPGP message, signed then encrypted, RFC 3156 section 6.2);
//  - no usable key, content CLEAR or GREEN: sent in clear, PGP/MIME signed by the instance;
//  - no usable key, content AMBER, AMBER+STRICT or RED: the content is withheld; a signed
//    notice to sign in and read it goes instead.
// The per-recipient body transform (watermarks) runs on the text just before it is encrypted
// or signed, so every recipient's copy is signed as it was sent; it never sees a notice.
import { randomBytes } from 'node:crypto';
import * as openpgp from 'openpgp';
import type { PrivateKey, PublicKey } from '../crypto/openpgp.ts';
import { tlpWithin } from '../domain/tlp-order.ts';
import type { Tlp } from '../store/schema-cases.ts';
import type { MailProtection } from '../store/schema-pgp.ts';
import {
  type EnvelopeHeaders,
  encryptedMessage,
  micalgFor,
  type ProtectedHeaders,
  signedMessage,
  textEntity,
} from './pgp-mime.ts';

/** The message as queued: plain text and its label. */
export interface PlainMail {
  from: string;
  to: string;
  replyTo?: string | undefined;
  subject: string;
  text: string;
  messageId: string;
  date: Date;
  /** The highest TLP label of anything in the message. */
  tlp: Tlp;
  /** The recipient is a report's reporter (no account: a withheld notice points to the reply link). */
  toReporter: boolean;
  /** Extra envelope headers (Auto-Submitted …). */
  headers?: Record<string, string>;
}

/** Who the copy is for, for a per-recipient body transform. */
export interface RecipientContext {
  /** The outbox key (unique per message and recipient). */
  key: string;
  to: string;
  kind: string | null;
  tlp: Tlp;
}

/**
 * The hook for per-recipient fingerprinting (watermarks): returns the text this recipient gets.
 * Runs once per message that carries content (encrypted or signed-only), never for a withheld
 * notice. Must be deterministic for a key: a retried send must produce the same text.
 */
export type RecipientBodyTransform = (text: string, recipient: RecipientContext) => string | Promise<string>;

export const identityTransform: RecipientBodyTransform = (text) => text;

export interface ProtectOptions {
  /** The instance's signing key (ctx.keys.signing.privateKey). */
  signingKey: PrivateKey;
  /** The recipient's usable key and its fingerprint, or null. */
  recipientKey: { key: PublicKey; fingerprint: string } | null;
  /** The instance's public URL (for the withheld notice). */
  publicUrl: string;
  /** Signature time and key validity time (ctx.clock.now()). */
  now: Date;
  transform?: RecipientBodyTransform | undefined;
  /** Key and kind of the outbox row, for the transform. */
  recipient: { key: string; kind: string | null };
  /** Fixed boundary (tests); default random. */
  boundary?: string;
}

export interface ProtectedMail {
  /** The whole RFC 5322 message, CRLF line ends. */
  raw: string;
  protection: MailProtection;
  /** The fingerprint the message was encrypted to (encrypted only). */
  protectedTo: string | null;
}

/** Labels that are never sent in clear. */
export const needsEncryption = (tlp: Tlp): boolean => !tlpWithin(tlp, 'GREEN');

/** The subject an encrypted message shows outside (the real one is inside, protected). */
export const ENCRYPTED_SUBJECT = '[Village] Encrypted message';

/** The notice a recipient without a usable key gets instead of AMBER-or-above content. */
export function withheldNotice(publicUrl: string, tlp: Tlp, toReporter: boolean): { subject: string; text: string } {
  const site = publicUrl.replace(/\/+$/, '');
  const how = toReporter
    ? ['Open the private reply link you were given when you sent your report to read it.']
    : [
        'Sign in to Village to read it:',
        '',
        `  ${site}/`,
        '',
        'To receive such messages by mail, encrypted, add your OpenPGP public key to your account',
        '(POST /api/v1/account/pgp-keys), or ask your organization to add its key.',
      ];
  return {
    subject: '[Village] A message is waiting for you',
    text: [
      `Village has a message for you labelled TLP:${tlp}. Content with this label is sent by mail`,
      'only encrypted, and there is no usable OpenPGP key for you, so it is not in this mail.',
      '',
      ...how,
      '',
      '-- ',
      `Village, coordinated vulnerability disclosure: ${site}`,
      'This message was sent automatically; replies are not read.',
    ].join('\n'),
  };
}

const newBoundary = () =>
  `village-${randomBytes(18)
    .toString('base64url')
    .replace(/[^A-Za-z0-9]/g, 'x')}`;

function envelopeOf(mail: PlainMail, subject: string): EnvelopeHeaders {
  return {
    from: mail.from,
    to: mail.to,
    replyTo: mail.replyTo,
    subject,
    date: mail.date,
    messageId: mail.messageId,
    extra: mail.headers,
  };
}

/**
 * What one message will be, decided and fingerprinted but not yet signed or encrypted: plain
 * data, so the costly part (sealMail) can run on a worker thread (src/mail/protect-pool.ts).
 */
export interface MailPlan {
  protection: MailProtection;
  envelope: EnvelopeHeaders;
  /** The text this recipient gets (after the body transform), or the withheld notice. */
  text: string;
  /** Headers repeated inside the protected entity (RFC 9788 style protected subject). */
  inner: ProtectedHeaders;
  boundary: string;
}

/** Decides how the message is protected and runs the per-recipient transform; no cryptography. */
export async function planMail(
  mail: PlainMail,
  opts: Pick<ProtectOptions, 'publicUrl' | 'transform' | 'recipient' | 'boundary'> & { hasRecipientKey: boolean },
): Promise<MailPlan> {
  const recipient: RecipientContext = { key: opts.recipient.key, to: mail.to, kind: opts.recipient.kind, tlp: mail.tlp };
  const transform = opts.transform ?? identityTransform;
  const boundary = opts.boundary ?? newBoundary();
  if (opts.hasRecipientKey) {
    const outer = needsEncryption(mail.tlp) ? ENCRYPTED_SUBJECT : mail.subject;
    return {
      protection: 'encrypted',
      envelope: envelopeOf(mail, outer),
      text: await transform(mail.text, recipient),
      inner: { subject: mail.subject, from: mail.from, to: mail.to },
      boundary,
    };
  }
  if (!needsEncryption(mail.tlp)) {
    return {
      protection: 'signed',
      envelope: envelopeOf(mail, mail.subject),
      text: await transform(mail.text, recipient),
      inner: { subject: mail.subject, from: mail.from, to: mail.to },
      boundary,
    };
  }
  const notice = withheldNotice(opts.publicUrl, mail.tlp, mail.toReporter);
  return {
    protection: 'withheld',
    envelope: envelopeOf(mail, notice.subject),
    text: notice.text,
    inner: { subject: notice.subject, from: mail.from, to: mail.to },
    boundary,
  };
}

/** Signs (and, for 'encrypted', encrypts) a planned message and builds its PGP/MIME form. */
export async function sealMail(
  plan: MailPlan,
  keys: { signingKey: PrivateKey; recipientKey: { key: PublicKey; fingerprint: string } | null; now: Date },
): Promise<ProtectedMail> {
  const entity = textEntity(plan.text, plan.inner);
  const message = await openpgp.createMessage({ binary: new TextEncoder().encode(entity) });
  const date = signingTime(keys.signingKey, keys.now);
  if (plan.protection === 'encrypted') {
    if (!keys.recipientKey) throw new Error('an encrypted mail needs the recipient key');
    const armored = await openpgp.encrypt({
      message,
      encryptionKeys: keys.recipientKey.key,
      signingKeys: keys.signingKey,
      format: 'armored',
      date,
    });
    return {
      raw: encryptedMessage(plan.envelope, armored, plan.boundary),
      protection: 'encrypted',
      protectedTo: keys.recipientKey.fingerprint,
    };
  }
  // Signed in clear (CLEAR/GREEN content, or the withheld notice): detached, binary over the
  // entity's exact bytes, multipart/signed with the micalg of the hash actually used.
  const armored = await openpgp.sign({ message, signingKeys: keys.signingKey, detached: true, format: 'armored', date });
  const sig = await openpgp.readSignature({ armoredSignature: armored });
  const hash = sig.packets[0]?.hashAlgorithm;
  if (hash === null || hash === undefined) throw new Error('signature without a hash algorithm');
  const micalg = micalgFor(openpgp.enums.read(openpgp.enums.hash, hash));
  return {
    raw: signedMessage(plan.envelope, entity, armored, micalg, plan.boundary),
    protection: plan.protection,
    protectedTo: null,
  };
}

/** Signature time: now, but never before the signing key was made (a clock set back, in tests or after a restore). */
export function signingTime(key: PrivateKey, now: Date): Date {
  return new Date(Math.max(now.getTime(), key.getCreationTime().getTime()));
}

export async function protectMail(mail: PlainMail, opts: ProtectOptions): Promise<ProtectedMail> {
  const plan = await planMail(mail, { ...opts, hasRecipientKey: opts.recipientKey !== null });
  return await sealMail(plan, { signingKey: opts.signingKey, recipientKey: opts.recipientKey, now: opts.now });
}
