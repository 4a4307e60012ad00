import { describe, expect, it } from 'vitest';
import { inOsvRange, inVers, parseVers, rangeMatcher, VersionRangeError } from './vers.ts';
import { COMPARATORS } from './versions.ts';

describe('OSV events', () => {
  const npm = COMPARATORS.npm;
  it('introduced / fixed', () => {
    const ev = [{ introduced: '1.0.0' }, { fixed: '1.2.3' }];
    expect(inOsvRange('0.9.9', ev, npm)).toBe(false);
    expect(inOsvRange('1.0.0', ev, npm)).toBe(true);
    expect(inOsvRange('1.2.2', ev, npm)).toBe(true);
    expect(inOsvRange('1.2.3', ev, npm)).toBe(false);
  });
  it('several introduced/fixed pairs and "0"', () => {
    const ev = [{ introduced: '0' }, { fixed: '1.0.1' }, { introduced: '2.0.0' }, { fixed: '2.0.5' }];
    expect(['0.1.0', '1.0.0', '1.0.1', '1.5.0', '2.0.0', '2.0.4', '2.0.5'].map((v) => inOsvRange(v, ev, npm))).toEqual([
      true,
      true,
      false,
      false,
      true,
      true,
      false,
    ]);
  });
  it('last_affected is inclusive; limit bounds', () => {
    expect(inOsvRange('1.5.0', [{ introduced: '1.0.0' }, { last_affected: '1.5.0' }], npm)).toBe(true);
    expect(inOsvRange('1.5.1', [{ introduced: '1.0.0' }, { last_affected: '1.5.0' }], npm)).toBe(false);
    expect(inOsvRange('3.0.0', [{ introduced: '0' }, { limit: '2.0.0' }], npm)).toBe(false);
    expect(inOsvRange('1.0.0', [{ introduced: '0' }, { limit: '2.0.0' }], npm)).toBe(true);
  });
  it('Heartbleed in OpenSSL, generic order', () => {
    const ev = [{ introduced: '1.0.1' }, { fixed: '1.0.1g' }];
    const g = COMPARATORS.generic;
    expect(['1.0.0', '1.0.1', '1.0.1f', '1.0.1g', '1.0.2'].map((v) => inOsvRange(v, ev, g))).toEqual([
      false,
      true,
      true,
      false,
      false,
    ]);
  });
  it('refuses events without introduced, or fixed with last_affected', () => {
    expect(() => inOsvRange('1', [{ fixed: '2' }], npm)).toThrow(VersionRangeError);
    expect(() => inOsvRange('1', [{ introduced: '0' }, { fixed: '2' }, { last_affected: '3' }], npm)).toThrow(VersionRangeError);
  });
});

describe('vers', () => {
  it('parses', () => {
    expect(parseVers('vers:npm/1.2.3|>=2.0.0|<5.0.0')).toEqual({
      type: 'npm',
      constraints: [
        { op: '=', version: '1.2.3' },
        { op: '>=', version: '2.0.0' },
        { op: '<', version: '5.0.0' },
      ],
    });
    expect(parseVers('vers:pypi/*').constraints).toBeNull();
    expect(() => parseVers('npm/1.0')).toThrow(VersionRangeError);
    expect(() => parseVers('vers:npm/>=1.0|<')).toThrow(VersionRangeError);
  });
  // Examples from the vers specification (package-url/vers-spec).
  it('vers:npm/1.2.3|>=2.0.0|<5.0.0', () => {
    const r = parseVers('vers:npm/1.2.3|>=2.0.0|<5.0.0');
    expect(['1.2.3', '1.2.4', '2.0.0', '4.9.9', '5.0.0'].map((v) => inVers(v, r))).toEqual([true, false, true, true, false]);
  });
  it('vers:pypi/0.0.0|0.0.1|0.0.2|0.0.3|1.0|2.0pre1 (PEP 440: 1.0.0 is 1.0, pre1 is rc1)', () => {
    const r = parseVers('vers:pypi/0.0.0|0.0.1|0.0.2|0.0.3|1.0|2.0pre1');
    expect(['1.0.0', '2.0rc1', '2.0a1', '0.0.2', '0.0.4'].map((v) => inVers(v, r))).toEqual([true, true, false, true, false]);
  });
  it('vers:tomee/>=1.0.0-beta1|<=1.7.5|>=7.0.0-M1|<=7.0.7|>=7.1.0|<=7.1.2|>=8.0.0-M1|<=8.0.1 (maven order)', () => {
    const r = parseVers('vers:maven/>=1.0.0-beta1|<=1.7.5|>=7.0.0-M1|<=7.0.7|>=7.1.0|<=7.1.2|>=8.0.0-M1|<=8.0.1');
    expect(['1.7.5', '1.7.6', '7.0.0', '7.0.8', '7.1.1', '8.0.0', '8.0.2', '0.9'].map((v) => inVers(v, r))).toEqual([
      true,
      false,
      true,
      false,
      true,
      true,
      false,
      false,
    ]);
  });
  it('!= and open ends', () => {
    expect(inVers('1.5.0', parseVers('vers:npm/<2.0.0|!=1.5.0'))).toBe(false);
    expect(inVers('1.4.0', parseVers('vers:npm/<2.0.0|!=1.5.0'))).toBe(true);
    expect(inVers('9.0.0', parseVers('vers:npm/>=2.0.0'))).toBe(true);
    expect(inVers('1.0.0', parseVers('vers:npm/<1.0.0|>=3.0.0'))).toBe(false);
    expect(inVers('3.0.0', parseVers('vers:npm/<1.0.0|>=3.0.0'))).toBe(true);
    expect(inVers('0.5.0', parseVers('vers:npm/<1.0.0|>=3.0.0'))).toBe(true);
    expect(inVers('7.7.7', parseVers('vers:npm/*'))).toBe(true);
  });
  it('Debian versions through vers:deb', () => {
    const r = parseVers('vers:deb/>=1.1.1n-0+deb11u3|<1.1.1n-0+deb11u5');
    expect(inVers('1.1.1n-0+deb11u4', r)).toBe(true);
    expect(inVers('1.1.1n-0+deb11u5', r)).toBe(false);
  });
});

describe('rangeMatcher', () => {
  it('matches each kind', () => {
    expect(rangeMatcher('npm', { kind: 'exact', version: '1.0.0' })('1.0.0')).toBe(true);
    expect(rangeMatcher('npm', { kind: 'all' })('x')).toBe(true);
    expect(rangeMatcher('pypi', { kind: 'osv', events: [{ introduced: '0' }, { fixed: '2.0' }] })('1.9.post1')).toBe(true);
    expect(() => rangeMatcher('npm', { kind: 'osv', events: [{ fixed: '1' }] })).toThrow(VersionRangeError);
  });
});
