// A release's error, taken apart for the case page: which document, and each problem's test and
// JSON path. The server writes it as `WHAT is invalid: TEST at PATH: MESSAGE; … (and N more)`
// (src/formats/document-validation.ts, describeProblems); anything else is kept as plain text.

export interface ReleaseProblem {
  /** `schema`, or a CSAF mandatory test such as `mandatoryTest_6_1_31`. */
  test: string;
  /** A JSON pointer into the document (`/` for the whole document). */
  path: string;
  message: string;
}

export interface ReleaseFailure {
  /** The document that failed, e.g. "CSAF document VC-2026-0001"; null when the error is not a validation one. */
  document: string | null;
  problems: ReleaseProblem[];
  /** Problems beyond those listed. */
  more: number;
  text: string;
}

export function parseReleaseError(error: string): ReleaseFailure {
  const m = /^(.*?) is invalid: ([\s\S]*)$/.exec(error);
  if (!m) return { document: null, problems: [], more: 0, text: error };
  let rest = m[2] as string;
  let more = 0;
  const tail = / \(and (\d+) more\)$/.exec(rest);
  if (tail) {
    more = Number(tail[1]);
    rest = rest.slice(0, tail.index);
  }
  const problems = rest.split(/; (?=\S+ at \/)/).map((part) => {
    const p = /^(\S+) at (\/\S*): ([\s\S]*)$/.exec(part);
    return p ? { test: p[1] as string, path: p[2] as string, message: p[3] as string } : { test: '', path: '', message: part };
  });
  return { document: m[1] as string, problems, more, text: error };
}

/** "CSAF mandatory test 6.1.31" for `mandatoryTest_6_1_31`, "JSON schema" for `schema`; otherwise the name. */
export function testName(test: string): string {
  const t = /^(mandatory|optional|informative)Test_(\d+(?:_\d+)*)$/.exec(test);
  if (t) return `CSAF ${t[1]} test ${(t[2] as string).replace(/_/g, '.')}`;
  if (test === 'schema') return 'JSON schema';
  return test;
}
