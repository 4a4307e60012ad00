import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as CDX from '@cyclonedx/cyclonedx-library';
import { describe, expect, it } from 'vitest';
import { cycloneDxSchemaError, firstDuplicate } from './cyclonedx-schema.ts';

const DIR = join(import.meta.dirname, '../../../shared/data/sbom/cyclonedx');

describe('uniqueItems, checked in linear time', () => {
  it('finds the same duplicates as a pairwise deep comparison, whatever the key order', () => {
    expect(
      firstDuplicate([
        { a: 1, b: 'x' },
        { b: 'x', a: 1 },
      ]),
    ).toBe(1);
    expect(
      firstDuplicate([
        { a: 1, b: { c: [1, 2] } },
        { a: 1, b: { c: [2, 1] } },
      ]),
    ).toBe(-1);
    expect(
      firstDuplicate([
        { a: 1, b: { c: [1, 2] } },
        { a: 1, b: { c: [1, 2] } },
      ]),
    ).toBe(1);
    expect(firstDuplicate(['x', 'y', 'x'])).toBe(2);
    expect(firstDuplicate([1, '1', true, 'true', null, 'null'])).toBe(-1);
    expect(
      firstDuplicate([
        [1, 2],
        [1, 2],
      ]),
    ).toBe(1);
    expect(firstDuplicate([])).toBe(-1);
  });
});

describe('CycloneDX schema validation', () => {
  const base = {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    components: [
      { type: 'library', name: 'a', version: '1.0.0', purl: 'pkg:npm/a@1.0.0', 'bom-ref': 'a' },
      { type: 'library', name: 'b', version: '2.0.0', purl: 'pkg:npm/b@2.0.0', 'bom-ref': 'b' },
    ],
  };
  const reordered = Object.fromEntries(Object.entries(base.components[0] as object).reverse());
  const cases: Array<[string, object, boolean]> = [
    ['valid', base, true],
    ['a component of an unknown type', { ...base, components: [{ ...base.components[0], type: 'gadget' }] }, false],
    ['the same component twice (keys reordered)', { ...base, components: [base.components[0], reordered] }, false],
    ['duplicate dependsOn', { ...base, dependencies: [{ ref: 'a', dependsOn: ['b', 'b'] }] }, false],
    ['no bomFormat', { ...base, bomFormat: undefined }, false],
  ];

  it.each(cases)('agrees with the library validator: %s', async (_name, doc, valid) => {
    const lib = await new CDX.Validation.JsonValidator(CDX.Spec.Version.v1dot6).validate(JSON.stringify(doc));
    const ours = await cycloneDxSchemaError('1.6', JSON.parse(JSON.stringify(doc)));
    expect(ours === null).toBe(lib === null);
    expect(ours === null).toBe(valid);
  });

  it('agrees with the library validator on the shared samples', async () => {
    for (const f of readdirSync(DIR).filter((x) => x.endsWith('.json'))) {
      const text = readFileSync(join(DIR, f), 'utf8');
      const doc = JSON.parse(text) as { specVersion: string };
      if (!['1.2', '1.3', '1.4', '1.5', '1.6'].includes(doc.specVersion)) continue;
      const lib = await new CDX.Validation.JsonValidator(doc.specVersion as CDX.Spec.Version).validate(text);
      expect((await cycloneDxSchemaError(doc.specVersion, doc)) === null, f).toBe(lib === null);
    }
  });
});
