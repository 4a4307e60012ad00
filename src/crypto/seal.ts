// Sealing of stored values (encryption at rest): AES-256-GCM under a data key, with a random
// 96-bit IV and associated data that names the value's place (table.column and row), so a sealed
// value copied to another column or row fails to open.
// Layout: version (1) ‖ 12-byte IV ‖ ciphertext ‖ 16-byte GCM tag.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 1;
const OVERHEAD = 1 + 12 + 16;

export class SealError extends Error {
  override readonly name = 'SealError';
}

/** The associated data a sealed value is bound to: its column (`table.column`) and its row. */
export function sealAad(column: string, row: string): Buffer {
  return Buffer.from(`village-seal-1|${column}|${row}`, 'utf8');
}

export function seal(key: Buffer, plain: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, body, c.getAuthTag()]);
}

export function unseal(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < OVERHEAD || sealed[0] !== VERSION) throw new SealError('not a sealed value (unknown format)');
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 13));
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    return Buffer.concat([d.update(sealed.subarray(13, sealed.length - 16)), d.final()]);
  } catch {
    throw new SealError('a sealed value failed authentication (wrong key, or the value was altered or moved)');
  }
}
