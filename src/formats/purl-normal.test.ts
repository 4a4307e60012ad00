import { describe, expect, it } from 'vitest';
import { genericPurl, normalizePurl, PurlError } from './purl-normal.ts';

// Examples from the purl specification's README (package-url/purl-spec), and its rules: the type
// is lower case, '@' inside a name is percent-encoded, qualifiers and subpath follow the version.
describe('purls normalised for matching', () => {
  const cases: Array<[string, string, string | null, string]> = [
    ['pkg:npm/%40angular/animation@12.3.1', 'pkg:npm/%40angular/animation', '12.3.1', 'pkg:npm/%40angular/animation@12.3.1'],
    [
      'pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?type=pom',
      'pkg:maven/org.apache.xmlgraphics/batik-anim',
      '1.9.1',
      'pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?type=pom',
    ],
    [
      'pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie',
      'pkg:deb/debian/curl',
      '7.50.3-1',
      'pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie',
    ],
    [
      'pkg:golang/google.golang.org/genproto#googleapis/api/annotations',
      'pkg:golang/google.golang.org/genproto',
      null,
      'pkg:golang/google.golang.org/genproto#googleapis/api/annotations',
    ],
    [
      'pkg:github/package-url/purl-spec@244fd47e07d1004#everybody/loves/dogs',
      'pkg:github/package-url/purl-spec',
      '244fd47e07d1004',
      'pkg:github/package-url/purl-spec@244fd47e07d1004#everybody/loves/dogs',
    ],
    [
      'pkg:docker/customer/dockerimage@sha256%3A244fd47e07d10?repository_url=gcr.io',
      'pkg:docker/customer/dockerimage',
      'sha256:244fd47e07d10',
      'pkg:docker/customer/dockerimage@sha256:244fd47e07d10?repository_url=gcr.io',
    ],
    ['pkg:NPM/foo@1.0.0', 'pkg:npm/foo', '1.0.0', 'pkg:npm/foo@1.0.0'],
  ];
  it.each(cases)('%s: the package without version, qualifiers or subpath, and the version apart', (input, pkg, version, full) => {
    expect(normalizePurl(input)).toEqual({ pkg, type: pkg.slice(4, pkg.indexOf('/')), version, full });
    // A second call (from the memo) gives the same, and a copy the caller may change.
    const again = normalizePurl(input);
    again.pkg = 'changed';
    expect(normalizePurl(input).pkg).toBe(pkg);
  });

  it('names a component without a purl as pkg:generic/[group/]name@version', () => {
    expect(genericPurl('openssl', 'org.openssl', '1.0.1f')).toEqual({
      pkg: 'pkg:generic/org.openssl/openssl',
      type: 'generic',
      version: '1.0.1f',
      full: 'pkg:generic/org.openssl/openssl@1.0.1f',
    });
    expect(genericPurl('zlib').pkg).toBe('pkg:generic/zlib');
  });

  it('refuses what is not a purl', () => {
    expect(() => normalizePurl('not a purl')).toThrow(PurlError);
    expect(() => normalizePurl('pkg:npm')).toThrow(PurlError);
  });
});
