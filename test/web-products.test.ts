// The products, who-is-affected and organization pages' pure helpers.
import { describe, expect, it } from 'vitest';
import { type AffectedRow, detailsText, sbomContentType, suggestParticipants, VERSION_PATTERN } from '../web/src/products.ts';

const row = (orgId: string, orgName: string, product: string, version: string, component: string): AffectedRow => ({
  vulnerabilityId: 'v1',
  orgId,
  orgName,
  productId: `${orgId}-${product}`,
  productName: product,
  productVersion: version,
  sbomId: `${orgId}-${product}-${version}`,
  component,
  relation: 'transitive',
  depth: 2,
  versionKnown: true,
});

describe('web UI: products and who is affected', () => {
  it('sends XML files as XML and everything else as JSON', () => {
    expect(sbomContentType({ name: 'bom.XML', type: '' })).toBe('application/xml');
    expect(sbomContentType({ name: 'bom', type: 'text/xml' })).toBe('application/xml');
    expect(sbomContentType({ name: 'bom.cdx.json', type: 'application/json' })).toBe('application/json');
    expect(sbomContentType({ name: 'bom.spdx', type: '' })).toBe('application/json');
  });

  it('checks versions by the API’s rule', () => {
    const re = new RegExp(`^(?:${VERSION_PATTERN})$`, 'v');
    for (const ok of ['5.0', '1.0.1f', '2:1.2-3', '1.0+build.7', '1.0~rc1']) expect(re.test(ok), ok).toBe(true);
    for (const bad of ['', '-1', '.5', '1 0', '1/2']) expect(re.test(bad), bad).toBe(false);
  });

  it('suggests the organizations with a hit that are not in the case, each once, by name', () => {
    const rows = [
      row('b', 'Zeta Devices', 'Router', '5.0', 'pkg:generic/tls@3.2.1'),
      row('a', 'Acme', 'AP', '7.1', 'pkg:generic/tls@3.1.0'),
      row('b', 'Zeta Devices', 'Router', '5.0', 'pkg:generic/tls@3.2.0'),
      row('b', 'Zeta Devices', 'Camera', '1.2', 'pkg:generic/tls@3.2.1'),
      row('c', 'Beta Labs', 'Hub', '2', 'pkg:generic/tls@3.0.0'),
    ];
    expect(suggestParticipants(rows, new Set(['a']))).toEqual([
      { orgId: 'c', orgName: 'Beta Labs', products: ['Hub 2'] },
      { orgId: 'b', orgName: 'Zeta Devices', products: ['Router 5.0', 'Camera 1.2'] },
    ]);
    expect(suggestParticipants(rows, new Set(['a', 'b', 'c']))).toEqual([]);
  });

  it('summarises audit details, leaving out empty values and cutting long ones', () => {
    expect(detailsText({ to: 'A', from: null, reason: '', ids: ['x'] })).toBe('to: A · ids: ["x"]');
    expect(detailsText(null)).toBe('');
    expect(detailsText('plain')).toBe('plain');
    const long = detailsText({ text: 'x'.repeat(500) }, 40);
    expect(long).toHaveLength(40);
    expect(long.endsWith('…')).toBe(true);
  });
});
