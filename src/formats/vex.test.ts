import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CSAF_PRODUCT_STATUS,
  CYCLONEDX_ANALYSIS_STATE,
  OPENVEX_STATUS,
  VEX_JUSTIFICATION_DESCRIPTIONS,
  VEX_JUSTIFICATIONS,
  VEX_STATUS_DESCRIPTIONS,
  VEX_STATUSES,
  VexJustificationSchema,
  VexStatementStatus,
  VexStatusSchema,
  vexStatusFromCsaf,
} from './vex.ts';

// The CSAF 2.0 schema in shared/ (beside the repository) is read by the tests only; the product never reads it.
const csafSchema = new URL('../../../shared/schemas/csaf/csaf_json_schema.json', import.meta.url);
const vuln = () => JSON.parse(readFileSync(csafSchema, 'utf8')).properties.vulnerabilities.items.properties;

describe.skipIf(!existsSync(csafSchema))('against the CSAF 2.0 schema', () => {
  it('justifications are exactly the CSAF 2.0 flags[].label enum', () => {
    expect([...VEX_JUSTIFICATIONS]).toEqual(vuln().flags.items.properties.label.enum);
  });

  it('every status maps to a CSAF 2.0 product_status key', () => {
    const keys = Object.keys(vuln().product_status.properties);
    for (const s of VEX_STATUSES) expect(keys).toContain(CSAF_PRODUCT_STATUS[s]);
  });
});

describe('VEX vocabularies', () => {
  it('justifications are the five CSAF 2.0 flag labels', () => {
    expect(VEX_JUSTIFICATIONS).toEqual([
      'component_not_present',
      'inline_mitigations_already_exist',
      'vulnerable_code_cannot_be_controlled_by_adversary',
      'vulnerable_code_not_in_execute_path',
      'vulnerable_code_not_present',
    ]);
  });

  it('maps every status to a CSAF 2.0 product_status key', () => {
    expect(CSAF_PRODUCT_STATUS).toEqual({
      under_investigation: 'under_investigation',
      affected: 'known_affected',
      not_affected: 'known_not_affected',
      fixed: 'fixed',
    });
  });

  it('maps CSAF product_status keys back', () => {
    for (const s of VEX_STATUSES) expect(vexStatusFromCsaf(CSAF_PRODUCT_STATUS[s])).toBe(s);
    expect(vexStatusFromCsaf('first_affected')).toBe('affected');
    expect(vexStatusFromCsaf('last_affected')).toBe('affected');
    expect(vexStatusFromCsaf('first_fixed')).toBe('fixed');
    expect(vexStatusFromCsaf('recommended')).toBeUndefined();
    expect(vexStatusFromCsaf('nonsense')).toBeUndefined();
  });

  it('OpenVEX uses the same words; CycloneDX has its own', () => {
    for (const s of VEX_STATUSES) expect(OPENVEX_STATUS[s]).toBe(s);
    expect(CYCLONEDX_ANALYSIS_STATE).toEqual({
      under_investigation: 'in_triage',
      affected: 'exploitable',
      not_affected: 'not_affected',
      fixed: 'resolved',
    });
  });

  it('describes every status and justification', () => {
    for (const s of VEX_STATUSES) expect(VEX_STATUS_DESCRIPTIONS[s]).toBeTruthy();
    for (const j of VEX_JUSTIFICATIONS) expect(VEX_JUSTIFICATION_DESCRIPTIONS[j]).toBeTruthy();
  });

  it('schemas accept the vocabularies only', () => {
    expect(VexStatusSchema.safeParse('not_affected').success).toBe(true);
    expect(VexStatusSchema.safeParse('known_not_affected').success).toBe(false);
    expect(VexJustificationSchema.safeParse('component_not_present').success).toBe(true);
    expect(VexJustificationSchema.safeParse('code_not_present').success).toBe(false);
  });
});

describe('VexStatementStatus', () => {
  const ok = (v: unknown) => VexStatementStatus.safeParse(v).success;
  const paths = (v: unknown) => VexStatementStatus.safeParse(v).error?.issues.map((i) => i.path.join('.')) ?? [];

  it('accepts well-formed statements', () => {
    expect(ok({ status: 'under_investigation' })).toBe(true);
    expect(ok({ status: 'fixed' })).toBe(true);
    expect(ok({ status: 'not_affected', justification: 'vulnerable_code_not_present' })).toBe(true);
    expect(ok({ status: 'not_affected', impactStatement: 'Only reachable from localhost in our build.' })).toBe(true);
    expect(ok({ status: 'affected', actionStatement: 'Upgrade to 2.4.1.' })).toBe(true);
  });

  it('not_affected needs a justification or an impact statement', () => {
    expect(paths({ status: 'not_affected' })).toEqual(['justification']);
    expect(paths({ status: 'not_affected', impactStatement: '   ' })).toContain('impactStatement');
  });

  it('affected needs an action statement', () => {
    expect(paths({ status: 'affected' })).toEqual(['actionStatement']);
  });

  it('a justification only goes with not_affected', () => {
    expect(paths({ status: 'fixed', justification: 'component_not_present' })).toEqual(['justification']);
  });

  it('refuses unknown statuses and justifications', () => {
    expect(ok({ status: 'known_affected', actionStatement: 'x' })).toBe(false);
    expect(ok({ status: 'not_affected', justification: 'requires_configuration' })).toBe(false);
  });
});
