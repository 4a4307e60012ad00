// The release error as the case page takes it apart (web/src/release.ts).
import { describe, expect, it } from 'vitest';
import { describeProblems } from '../src/formats/document-validation.ts';
import { parseReleaseError, testName } from '../web/src/release.ts';

describe('parseReleaseError', () => {
  it('names the document, each test and JSON path, and how many more there are', () => {
    const problems = Array.from({ length: 7 }, (_, i) => ({
      test: i === 0 ? 'mandatoryTest_6_1_31' : 'schema',
      path: i === 0 ? '/product_tree/branches/0/branches/0/branches/1/name' : `/vulnerabilities/${i}`,
      message: i === 0 ? 'Version range used in product_version; use a fixed version' : `must be string; or not`,
    }));
    const text = describeProblems('CSAF document VC-2026-0001', { valid: false, problems });
    const f = parseReleaseError(text);
    expect(f.document).toBe('CSAF document VC-2026-0001');
    expect(f.more).toBe(2);
    expect(f.problems).toHaveLength(5);
    expect(f.problems[0]).toEqual(problems[0]);
    expect(f.problems[1]).toEqual(problems[1]);
    expect(f.text).toBe(text);
  });

  it('keeps any other error as text', () => {
    expect(parseReleaseError('connection refused')).toEqual({
      document: null,
      problems: [],
      more: 0,
      text: 'connection refused',
    });
  });

  it('names the tests', () => {
    expect(testName('mandatoryTest_6_1_31')).toBe('CSAF mandatory test 6.1.31');
    expect(testName('mandatoryTest_6_1_27_10')).toBe('CSAF mandatory test 6.1.27.10');
    expect(testName('schema')).toBe('JSON schema');
    expect(testName('other')).toBe('other');
  });
});
