// Artifacts over OpenPGP: an upload may come already encrypted to the instance's key (it has
// an encryption subkey; /.well-known/openpgp-key.asc), and is decrypted here before the usual
// content checks and storage; a download may be asked for encrypted to the reader's key and
// signed by the instance. Kept apart from how artifacts are stored.
import * as openpgp from 'openpgp';
import type { AppContext } from '../context.ts';
import { fingerprintOf, type PublicKey } from '../crypto/openpgp.ts';
import { signingTime } from '../mail/protect.ts';
import { Problem } from '../problem.ts';
import { readerKey } from './pgp-keys.ts';
import { MAX_FILE_BYTES } from './uploads.ts';

const ARMORED = /^\s*-----BEGIN PGP MESSAGE-----/;
/** A binary OpenPGP message starts with a public-key encrypted session key packet (tag 1). */
function isBinaryPgpMessage(b: Buffer): boolean {
  const first = b[0];
  if (first === undefined || (first & 0x80) === 0) return false;
  const tag = first & 0x40 ? first & 0x3f : (first & 0x3c) >> 2;
  return tag === 1;
}

const unreadable = (field: string, reason: string) =>
  new Problem(422, 'unreadable-pgp-message', 'Encrypted upload cannot be read', `${field}: ${reason}`, {
    errors: [{ field, message: reason }],
  });

/**
 * When `content` is an OpenPGP message, decrypts it with the instance key and returns the
 * plaintext (its name loses a .gpg/.pgp/.asc suffix); otherwise returns it as it is. A message
 * not encrypted to this instance, or that does not decrypt, is a 422 problem saying so.
 */
export async function openUpload(
  ctx: AppContext,
  field: string,
  filename: string,
  content: Buffer,
): Promise<{ filename: string; content: Buffer; encrypted: boolean }> {
  const armored = content.length < 64 * 1024 * 1024 && ARMORED.test(content.subarray(0, 200).toString('latin1'));
  if (!armored && !isBinaryPgpMessage(content)) return { filename, content, encrypted: false };
  let message: openpgp.Message<Uint8Array>;
  try {
    message = armored
      ? ((await openpgp.readMessage({ armoredMessage: content.toString('utf8') })) as openpgp.Message<Uint8Array>)
      : await openpgp.readMessage({ binaryMessage: new Uint8Array(content) });
  } catch (e) {
    throw unreadable(field, `not a readable OpenPGP message (${(e as Error).message})`);
  }
  const instance = ctx.keys.signing.privateKey;
  const ours = new Set(instance.getKeys().map((k) => k.getKeyID().toHex()));
  if (!message.getEncryptionKeyIDs().some((id) => ours.has(id.toHex()))) {
    throw unreadable(
      field,
      `not encrypted to this instance's key ${ctx.keys.signing.fingerprint} (published at /.well-known/openpgp-key.asc)`,
    );
  }
  let data: Uint8Array;
  try {
    const out = await openpgp.decrypt({
      message,
      decryptionKeys: instance,
      format: 'binary',
      date: signingTime(instance, ctx.clock.now()),
      // A compressed message must not expand past the upload limit.
      config: { maxDecompressedMessageSize: MAX_FILE_BYTES + 1 },
    });
    data = out.data as Uint8Array;
  } catch (e) {
    throw unreadable(field, `the message does not decrypt (${(e as Error).message})`);
  }
  return { filename: filename.replace(/\.(gpg|pgp|asc)$/i, '') || 'file', content: Buffer.from(data), encrypted: true };
}

/** Whether a download asks to be encrypted: ?encrypted=1 or Accept: application/pgp-encrypted. */
export function wantsEncrypted(query: { encrypted?: string | undefined }, accept: string | undefined): boolean {
  if (query.encrypted !== undefined) return query.encrypted === '1' || query.encrypted === 'true';
  return /\bapplication\/pgp-encrypted\b/i.test(accept ?? '');
}

/** The reader's usable key (their own, else their organization's), or a 409 problem saying how to add one. */
export async function readerKeyOrConflict(ctx: AppContext, userId: string, orgId: string): Promise<PublicKey> {
  const k = await readerKey(ctx.db, userId, orgId, ctx.clock.now());
  if (!k) {
    throw new Problem(
      409,
      'no-pgp-key',
      'No usable OpenPGP key',
      'There is no usable OpenPGP key for you or your organization to encrypt to: add one (POST /api/v1/account/pgp-keys).',
    );
  }
  return k.key;
}

/** `content` as an armored OpenPGP message encrypted to `key` and signed by the instance. */
export async function encryptForReader(ctx: AppContext, key: PublicKey, filename: string, content: Buffer) {
  const armored = await openpgp.encrypt({
    message: await openpgp.createMessage({ binary: new Uint8Array(content), filename, date: ctx.clock.now() }),
    encryptionKeys: key,
    signingKeys: ctx.keys.signing.privateKey,
    format: 'armored',
    date: signingTime(ctx.keys.signing.privateKey, ctx.clock.now()),
  });
  return { filename: `${filename}.asc`, content: Buffer.from(armored, 'utf8'), fingerprint: fingerprintOf(key) };
}
