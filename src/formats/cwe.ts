// CWE identifiers ("CWE-79"). Format only: Village ships no CWE catalogue, so it checks the shape of
// an id, not that MITRE defines it, and it cannot supply the weakness name (CSAF 2.0 requires a name
// next to the id in vulnerabilities[].cwe; the name must come from the user).
//
// Patterns in the schemas Village writes:
//   CVE JSON 5 problemTypes[].descriptions[].cweId: "^CWE-[1-9][0-9]*$"
//   CSAF 2.0 vulnerabilities[].cwe.id:              "^CWE-[1-9]\d{0,5}$"
// CWE_ID_PATTERN is their intersection, so an id accepted here is valid in both.
// Placeholders such as NVD's "NVD-CWE-Other" / "NVD-CWE-noinfo" are not CWE ids and are refused.
import { z } from 'zod';

export const CWE_ID_PATTERN = /^CWE-[1-9][0-9]{0,5}$/;

export type CweId = `CWE-${number}`;

export function isCweId(value: unknown): value is CweId {
  return typeof value === 'string' && CWE_ID_PATTERN.test(value);
}

/** Accepts "CWE-79", " cwe-79 " or a bare number/"79"; returns "CWE-79", or undefined. */
export function normaliseCweId(value: string | number): CweId | undefined {
  const v = typeof value === 'number' ? `CWE-${value}` : value.trim().toUpperCase();
  const id = /^[0-9]+$/.test(v) ? `CWE-${v}` : v;
  return isCweId(id) ? id : undefined;
}

/** The number of a valid CWE id. */
export function cweNumber(id: string): number | undefined {
  return isCweId(id) ? Number(id.slice(4)) : undefined;
}

/** Exact format, for route schemas. */
export const CweIdSchema = z
  .string()
  .regex(CWE_ID_PATTERN, 'Expected a CWE id such as CWE-79')
  .describe('CWE identifier, e.g. CWE-79 (format only; not checked against the CWE catalogue)');

/** Lenient input form: trims, upper-cases, accepts a bare number; outputs "CWE-<n>". */
export const CweIdInput = z.union([z.string().max(16), z.number().int()]).transform((v, ctx) => {
  const id = normaliseCweId(v);
  if (!id) {
    ctx.addIssue({ code: 'custom', message: 'Expected a CWE id such as CWE-79' });
    return z.NEVER;
  }
  return id;
});
