// TLP 2.0 labels in order of restriction: CLEAR < GREEN < AMBER < AMBER+STRICT < RED.
// Kept apart from policy.ts so that the tent and community modules can share it without a cycle.
import type { Tlp } from '../store/schema-cases.ts';

export const TLP_ORDER: readonly Tlp[] = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'];

/** Whether a label is at or below a ceiling. */
export function tlpWithin(label: Tlp, ceiling: Tlp): boolean {
  return TLP_ORDER.indexOf(label) <= TLP_ORDER.indexOf(ceiling);
}

/** The more restrictive of two labels. */
export function maxTlp(a: Tlp, b: Tlp): Tlp {
  return tlpWithin(a, b) ? b : a;
}

/** The less restrictive of two labels (the tighter of two ceilings). */
export function minTlp(a: Tlp, b: Tlp): Tlp {
  return tlpWithin(a, b) ? a : b;
}
