// Random secrets and their stored digests. Secrets with 256 bits of entropy are stored as
// SHA-256 (a slow hash adds nothing for them); human passwords use argon2id (passwords.ts).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/**
 * A stable UUID named by `input`: the first 16 bytes of its SHA-256 with the given version
 * nibble and the RFC 9562 variant bits, so the same input always gives the same id.
 */
export function uuidFromSha256(input: string, version: 4 | 5 | 8): string {
  const b = createHash('sha256').update(input).digest().subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | (version << 4);
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
