// RFC 6238 TOTP (SHA-1, 6 digits, 30 s: what authenticator apps expect) and recovery codes.
import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { sha256Hex } from './secrets.ts';

const PERIOD = 30;

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function totpFor(secretBase32: string, label: string, issuer: string): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD,
    secret: Secret.fromBase32(secretBase32),
  });
}

/**
 * Checks a code within ±1 step and returns the step it matched, so callers can refuse a
 * replay of a step already used; undefined when it does not match.
 */
export function matchTotp(secretBase32: string, code: string, now: Date): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const totp = totpFor(secretBase32, 'x', 'x');
  const delta = totp.validate({ token: code, timestamp: now.getTime(), window: 1 });
  if (delta === null) return undefined;
  return Math.floor(now.getTime() / 1000 / PERIOD) + delta;
}

export function totpCode(secretBase32: string, now: Date): string {
  return totpFor(secretBase32, 'x', 'x').generate({ timestamp: now.getTime() });
}

const B32 = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // no I, O, 0, 1: easy to read back

/** Ten one-time codes of 80 bits each (XXXX-XXXX-XXXX-XXXX); stored as SHA-256. */
export function newRecoveryCodes(n = 10): string[] {
  return Array.from({ length: n }, () => {
    const bytes = randomBytes(16);
    const chars = Array.from(bytes, (b) => B32[b % 32]).join('');
    return chars.match(/.{4}/g)?.join('-') ?? chars;
  });
}

export function normalizeRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

export function hashRecoveryCode(code: string): string {
  return sha256Hex(`village-recovery:${normalizeRecoveryCode(code)}`);
}
