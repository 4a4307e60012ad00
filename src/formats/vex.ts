// VEX (Vulnerability Exploitability eXchange) statement statuses and justifications, with their names
// in the formats Village writes:
//  - CSAF 2.0 (shared/schemas/csaf/csaf_json_schema.json): vulnerabilities[].product_status keys and
//    the vulnerabilities[].flags[].label enum (the justification list below is that enum, verbatim);
//  - OpenVEX 0.2.0: statement `status` and `justification` (same words as Village's);
//  - CycloneDX 1.5/1.6: vulnerabilities[].analysis.state.
import { z } from 'zod';

/** Village's statement statuses (the OpenVEX words). */
export const VEX_STATUSES = ['under_investigation', 'affected', 'not_affected', 'fixed'] as const;
export type VexStatus = (typeof VEX_STATUSES)[number];
export const VexStatusSchema = z.enum(VEX_STATUSES);

/** CSAF 2.0 flags[].label enum, in the schema's order. Identical to the OpenVEX justifications. */
export const VEX_JUSTIFICATIONS = [
  'component_not_present',
  'inline_mitigations_already_exist',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_not_present',
] as const;
export type VexJustification = (typeof VEX_JUSTIFICATIONS)[number];
export const VexJustificationSchema = z.enum(VEX_JUSTIFICATIONS);

/** CSAF 2.0 product_status key for each status. */
export const CSAF_PRODUCT_STATUS = {
  under_investigation: 'under_investigation',
  affected: 'known_affected',
  not_affected: 'known_not_affected',
  fixed: 'fixed',
} as const satisfies Record<VexStatus, string>;
export type CsafProductStatus = (typeof CSAF_PRODUCT_STATUS)[VexStatus];

/** OpenVEX 0.2.0 statement status for each status. */
export const OPENVEX_STATUS = {
  under_investigation: 'under_investigation',
  affected: 'affected',
  not_affected: 'not_affected',
  fixed: 'fixed',
} as const satisfies Record<VexStatus, string>;

/** CycloneDX analysis.state for each status. */
export const CYCLONEDX_ANALYSIS_STATE = {
  under_investigation: 'in_triage',
  affected: 'exploitable',
  not_affected: 'not_affected',
  fixed: 'resolved',
} as const satisfies Record<VexStatus, string>;

/** Status for a CSAF 2.0 product_status key. The other keys (first_affected, last_affected,
 * first_fixed, recommended) are version-range markers, not VEX statuses: they map to the status they
 * imply (affected / fixed) or, for `recommended`, to undefined. */
export function vexStatusFromCsaf(key: string): VexStatus | undefined {
  switch (key) {
    case 'known_affected':
    case 'first_affected':
    case 'last_affected':
      return 'affected';
    case 'known_not_affected':
      return 'not_affected';
    case 'fixed':
    case 'first_fixed':
      return 'fixed';
    case 'under_investigation':
      return 'under_investigation';
    default:
      return undefined;
  }
}

export const VEX_STATUS_DESCRIPTIONS: Readonly<Record<VexStatus, string>> = {
  under_investigation: 'It is not yet known whether the product is affected; the vendor is investigating.',
  affected: 'The product is affected; an action statement should say what to do about it.',
  not_affected: 'The product is not affected; a justification or impact statement must say why.',
  fixed: 'These product versions contain a fix for the vulnerability.',
};

export const VEX_JUSTIFICATION_DESCRIPTIONS: Readonly<Record<VexJustification, string>> = {
  component_not_present: 'The vulnerable component is not included in the product.',
  inline_mitigations_already_exist: 'Built-in protections keep the vulnerability from being exploited.',
  vulnerable_code_cannot_be_controlled_by_adversary: 'The vulnerable code is present but an attacker cannot reach or control it.',
  vulnerable_code_not_in_execute_path: 'The vulnerable code is present but never executed by the product.',
  vulnerable_code_not_present: 'The component is included but not the vulnerable code (e.g. it was removed or not compiled in).',
};

const text = z.string().trim().min(1).max(4000);

/**
 * The status part of a VEX statement, with the rules CSAF's VEX profile and OpenVEX both impose:
 * not_affected needs a justification or an impact statement; affected needs an action statement;
 * a justification is only meaningful for not_affected.
 */
export const VexStatementStatus = z
  .object({
    status: VexStatusSchema,
    justification: VexJustificationSchema.optional(),
    impactStatement: text.optional(),
    actionStatement: text.optional(),
  })
  .superRefine((s, ctx) => {
    if (s.status === 'not_affected' && !s.justification && !s.impactStatement) {
      ctx.addIssue({
        code: 'custom',
        path: ['justification'],
        message: 'A not_affected statement needs a justification or an impact statement',
      });
    }
    if (s.status !== 'not_affected' && s.justification) {
      ctx.addIssue({ code: 'custom', path: ['justification'], message: 'A justification is only allowed with not_affected' });
    }
    if (s.status === 'affected' && !s.actionStatement) {
      ctx.addIssue({ code: 'custom', path: ['actionStatement'], message: 'An affected statement needs an action statement' });
    }
  });
export type VexStatementStatus = z.infer<typeof VexStatementStatus>;
