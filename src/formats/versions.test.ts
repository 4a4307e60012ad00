import { describe, expect, it } from 'vitest';
import { COMPARATORS, type Compare, compareFor, ecosystemOf } from './versions.ts';

/** Each list is strictly ascending; every pair is checked both ways. */
function ascending(cmp: Compare, list: string[]): void {
  for (let i = 0; i < list.length; i++)
    for (let j = 0; j < list.length; j++) {
      const want = Math.sign(i - j);
      expect(Math.sign(cmp(list[i] as string, list[j] as string)), `${list[i]} vs ${list[j]}`).toBe(want);
    }
}
const equal = (cmp: Compare, a: string, b: string) => expect(cmp(a, b), `${a} = ${b}`).toBe(0);

describe('npm (semver)', () => {
  // semver.org §11's precedence example.
  it('orders the semver.org example', () =>
    ascending(COMPARATORS.npm, [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '2.0.0',
      '2.1.0',
      '2.1.1',
    ]));
  it('ignores build metadata', () => equal(COMPARATORS.npm, '1.0.0+build.1', '1.0.0'));
});

describe('PyPI (PEP 440)', () => {
  // PEP 440 "Summary of permitted suffixes and relative ordering".
  it('orders the PEP 440 example', () =>
    ascending(COMPARATORS.pypi, [
      '1.dev0',
      '1.0.dev456',
      '1.0a1',
      '1.0a2.dev456',
      '1.0a12.dev456',
      '1.0a12',
      '1.0b1.dev456',
      '1.0b2',
      '1.0b2.post345.dev456',
      '1.0b2.post345',
      '1.0rc1.dev456',
      '1.0rc1',
      '1.0',
      '1.0+abc.5',
      '1.0+abc.7',
      '1.0+5',
      '1.0.post456.dev34',
      '1.0.post456',
      '1.1.dev1',
    ]));
  it('normalises spellings', () => {
    equal(COMPARATORS.pypi, '1.0', '1.0.0');
    equal(COMPARATORS.pypi, '1.0alpha1', '1.0a1');
    equal(COMPARATORS.pypi, '1!1.0', '1!1.0.0');
    expect(COMPARATORS.pypi('1!0.1', '2.0')).toBe(1);
  });
});

describe('Maven (ComparableVersion)', () => {
  const m = COMPARATORS.maven;
  // Examples from Maven's "Version Order Specification" (maven.apache.org/pom.html#version-order-specification)
  it('orders qualifiers', () =>
    ascending(m, ['1-alpha', '1-beta', '1-milestone', '1-rc', '1-snapshot', '1', '1-sp', '1-abc', '1-xyz']));
  it('orders the spec examples', () => {
    ascending(m, ['1', '1.1']);
    ascending(m, ['1-snapshot', '1', '1-sp']);
    ascending(m, ['1-foo2', '1-foo10']);
    ascending(m, ['1.foo', '1-1', '1.1']);
    ascending(m, ['1-sp-1', '1-ga-1']);
    ascending(m, ['1-ga.1', '1-sp.1']);
    ascending(m, ['1.0-alpha1', '1.0-alpha2', '1.0-beta1', '1.0-rc1', '1.0-SNAPSHOT', '1.0', '1.0.1', '1.1', '2.0']);
  });
  it('treats equivalent spellings as equal', () => {
    for (const v of ['1.ga', '1-ga', '1-0', '1.0', '1', '1.0.0', '1-final', '1.release']) equal(m, v, '1');
    equal(m, '1-a1', '1-alpha-1');
    equal(m, '1-cr1', '1-rc1');
    equal(m, '1.0.0-RC1', '1.0.0-rc1');
  });
  it('compares numbers as numbers', () => ascending(m, ['2.9', '2.10', '10.0', '10.0.1']));
});

describe('Debian (Policy §5.6.12)', () => {
  const d = COMPARATORS.debian;
  it('sorts ~ before everything, even the end', () => ascending(d, ['1.0~~', '1.0~~a', '1.0~', '1.0', '1.0a', '1.0+', '1.0.1']));
  it('epochs, revisions and real package versions', () => {
    ascending(d, ['1.1.1n-0+deb11u3', '1.1.1n-0+deb11u4', '1.1.1w-0+deb11u1', '3.0.11-1~deb12u2', '3.0.11-1', '1:0.9']);
    ascending(d, ['2.30-1', '2.30-1ubuntu1', '2.30-2']);
    ascending(d, ['7.6p1-4', '7.6p2-1', '7.9p1-10+deb10u2']);
    equal(d, '0:1.0-1', '1.0-1');
    equal(d, '1.0', '1.0-0');
  });
});

describe('RPM (rpmvercmp)', () => {
  const r = COMPARATORS.rpm;
  // Cases from rpm's tests/rpmvercmp.at.
  it('passes rpm test-suite examples', () => {
    const cases: Array<[string, string, number]> = [
      ['1.0', '1.0', 0],
      ['1.0', '2.0', -1],
      ['2.0.1', '2.0.1a', -1],
      ['2.0.1a', '2.0.1', 1],
      ['5.5p1', '5.5p2', -1],
      ['5.5p10', '5.5p1', 1],
      ['10xyz', '10.1xyz', -1],
      ['xyz10', 'xyz10.1', -1],
      ['xyz.4', '8', -1],
      ['8', 'xyz.4', 1],
      ['5.5p1', '5.5.p1', 0],
      ['1.0~rc1', '1.0', -1],
      ['1.0~rc1', '1.0~rc2', -1],
      ['1.0~rc1~git123', '1.0~rc1', -1],
      ['1.0^', '1.0', 1],
      ['1.0^git1', '1.0', 1],
      ['1.0^git1', '1.01', -1],
      ['1.0^git1~pre', '1.0^git1', -1],
      ['1.0~rc1^git1', '1.0~rc1', 1],
      ['1b.fc17', '1.fc17', -1],
      ['1.0.0', '1.0', 1],
      ['20101121', '20101122', -1],
    ];
    for (const [a, b, want] of cases) expect(Math.sign(r(a, b)), `${a} vs ${b}`).toBe(want);
  });
  it('epoch and release', () => ascending(r, ['1.0-1.el8', '1.0-2.el8', '1.1-1.el8', '1:0.5-1']));
});

describe('RubyGems (Gem::Version)', () => {
  const g = COMPARATORS.rubygems;
  it('orders prereleases before releases', () =>
    ascending(g, ['1.0.0.a', '1.0.0.a1', '1.0.0.b1', '1.0.0.pre', '1.0.0.rc1', '1.0.0', '1.0.1', '1.1', '2']));
  it('drops trailing zeros', () => {
    equal(g, '1.0', '1');
    equal(g, '1.0.0', '1');
    equal(g, '1.0.a', '1.a');
    equal(g, '1.0-1', '1.0.pre.1');
  });
});

describe('Go (module semver)', () => {
  it('orders releases, prereleases and pseudo-versions', () =>
    ascending(COMPARATORS.go, [
      'v0.0.0-20191109021931-daa7c04131f5',
      'v1.1.7',
      'v1.2.0-pre',
      'v1.2.0',
      'v1.10.0',
      'v2.0.0+incompatible-ignored'.replace('-ignored', ''),
      'v2.1.0',
    ]));
});

describe('NuGet (SemVer 2.0 with four parts)', () => {
  const n = COMPARATORS.nuget;
  it('orders releases and prereleases', () =>
    ascending(n, ['1.0.0-alpha', '1.0.0-Beta', '1.0.0-rc.1', '1.0.0', '1.0.0.1', '1.0.1', '1.1']));
  it('is case-insensitive and pads parts', () => {
    equal(n, '1.0.0-BETA', '1.0.0-beta');
    equal(n, '1.0', '1.0.0.0');
    equal(n, '1.0.0+meta', '1.0.0');
  });
});

describe('generic', () => {
  it("orders OpenSSL's letter releases", () =>
    ascending(COMPARATORS.generic, ['0.9.8za', '1.0.1', '1.0.1a', '1.0.1f', '1.0.1g', '1.0.2', '1.1.0', '1.1.1w', '3.0.0']));
});

describe('ecosystemOf', () => {
  it('maps purl types', () => {
    expect(ecosystemOf('deb')).toBe('debian');
    expect(ecosystemOf('gem')).toBe('rubygems');
    expect(ecosystemOf('golang')).toBe('go');
    expect(ecosystemOf('cargo')).toBe('semver');
    expect(ecosystemOf('conan')).toBe('generic');
    expect(compareFor('PyPI')('1.0', '1.0.0')).toBe(0);
  });
  it('falls back to the generic order for versions a library cannot read', () => {
    expect(COMPARATORS.npm('not.a.version', 'not.a.version2')).toBe(-1);
    expect(COMPARATORS.pypi('foo-1', 'foo-2')).toBe(-1);
  });
});
