import { describe, expect, it } from 'vitest';
import { backoffSeconds } from './webhook-delivery.ts';

describe('backoffSeconds', () => {
  it('doubles from the base, honours a longer Retry-After, and stops growing at six hours', () => {
    expect([1, 2, 3, 4].map((a) => backoffSeconds(30, a, null))).toEqual([30, 60, 120, 240]);
    expect(backoffSeconds(30, 1, 600)).toBe(600);
    expect(backoffSeconds(30, 3, 5)).toBe(120);
    expect(backoffSeconds(30, 40, null)).toBe(6 * 3600);
    expect(backoffSeconds(30, 1, 10 ** 6)).toBe(6 * 3600);
  });
});
