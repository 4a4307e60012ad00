import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SealError, seal, sealAad, unseal } from './seal.ts';

describe('seal', () => {
  const key = randomBytes(32);
  it('round-trips and hides the plaintext', () => {
    const s = seal(key, Buffer.from('secret text'), sealAad('cases.title', 'c1'));
    expect(s[0]).toBe(1);
    expect(s.length).toBe(11 + 29);
    expect(s.toString('latin1')).not.toContain('secret');
    expect(unseal(key, s, sealAad('cases.title', 'c1')).toString()).toBe('secret text');
  });
  it('uses a fresh IV each time', () => {
    const a = seal(key, Buffer.from('x'), sealAad('t.c', 'r'));
    const b = seal(key, Buffer.from('x'), sealAad('t.c', 'r'));
    expect(a.equals(b)).toBe(false);
  });
  it('refuses a value moved to another row or column, or altered, or under another key', () => {
    const s = seal(key, Buffer.from('x'), sealAad('t.c', 'r1'));
    expect(() => unseal(key, s, sealAad('t.c', 'r2'))).toThrow(SealError);
    expect(() => unseal(key, s, sealAad('t.d', 'r1'))).toThrow(SealError);
    expect(() => unseal(randomBytes(32), s, sealAad('t.c', 'r1'))).toThrow(SealError);
    const bad = Buffer.from(s);
    bad[15] = (bad[15] ?? 0) ^ 1;
    expect(() => unseal(key, bad, sealAad('t.c', 'r1'))).toThrow(SealError);
    expect(() => unseal(key, Buffer.from('plain'), sealAad('t.c', 'r1'))).toThrow(/format/);
  });
});
