import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CWE_ID_PATTERN, CweIdInput, CweIdSchema, cweNumber, isCweId, normaliseCweId } from './cwe.ts';

describe('CWE ids', () => {
  // The schemas in shared/ (beside the repository) are read by this test only; the product never reads them.
  const cveSchema = new URL('../../../shared/schemas/cve/CVE_JSON_5.1_bundled.json', import.meta.url);
  const csafSchema = new URL('../../../shared/schemas/csaf/csaf_json_schema.json', import.meta.url);
  it.skipIf(!existsSync(cveSchema) || !existsSync(csafSchema))(
    'accepts only ids valid under both the CVE JSON 5 and the CSAF 2.0 patterns',
    () => {
      const cve = readFileSync(cveSchema, 'utf8');
      const csaf = readFileSync(csafSchema, 'utf8');
      const cvePattern = new RegExp(JSON.parse(`"${/"pattern": "(\^CWE-[^"]*)"/.exec(cve)?.[1]}"`));
      const csafPattern = new RegExp(JSON.parse(`"${/"pattern": "(\^CWE-[^"]*)"/.exec(csaf)?.[1]}"`));
      for (const id of ['CWE-1', 'CWE-79', 'CWE-1321', 'CWE-999999', 'CWE-1000000', 'CWE-0', 'CWE-079', 'CWE-', 'cwe-79']) {
        expect(isCweId(id), id).toBe(cvePattern.test(id) && csafPattern.test(id));
      }
    },
  );

  it('pattern is the intersection of CVE JSON 5 ^CWE-[1-9][0-9]*$ and CSAF 2.0 ^CWE-[1-9]\\d{0,5}$', () => {
    expect(CWE_ID_PATTERN.source).toBe('^CWE-[1-9][0-9]{0,5}$');
  });

  it.each(['CWE-20', 'CWE-79', 'CWE-1333'])('accepts %s', (id) => {
    expect(CweIdSchema.parse(id)).toBe(id);
    expect(cweNumber(id)).toBe(Number(id.slice(4)));
  });

  it.each(['NVD-CWE-Other', 'NVD-CWE-noinfo', 'CWE-0', 'CWE-079', 'CWE-1000000', 'CWE79', 'cwe-79', ' CWE-79', ''])(
    'refuses %j',
    (id) => {
      expect(CweIdSchema.safeParse(id).success).toBe(false);
      expect(cweNumber(id)).toBeUndefined();
    },
  );

  it('normalises lenient input', () => {
    expect(normaliseCweId(' cwe-79 ')).toBe('CWE-79');
    expect(normaliseCweId('79')).toBe('CWE-79');
    expect(normaliseCweId(352)).toBe('CWE-352');
    expect(normaliseCweId(-1)).toBeUndefined();
    expect(normaliseCweId(1.5)).toBeUndefined();
    expect(CweIdInput.parse('cwe-22')).toBe('CWE-22');
    expect(CweIdInput.parse(22)).toBe('CWE-22');
    expect(CweIdInput.safeParse('NVD-CWE-Other').success).toBe(false);
  });
});
