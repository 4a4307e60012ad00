// TLP 2.0 labels and their official colours (FIRST, "Traffic Light Protocol (TLP): FIRST
// Standards Definitions and Usage Guidance — Version 2.0", https://www.first.org/tlp/, section
// "Colour-coding TLP"): each label's text colour on a black background; TLP:AMBER+STRICT uses the
// TLP:AMBER colour. The same values as src/formats/tlp.ts (test/web-format.test.ts checks they agree).
export const TLP_LABELS = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'] as const;
export type TlpLabel = (typeof TLP_LABELS)[number];

export const TLP_COLOURS: Record<TlpLabel, { text: string; background: string }> = {
  CLEAR: { text: '#FFFFFF', background: '#000000' },
  GREEN: { text: '#33FF00', background: '#000000' },
  AMBER: { text: '#FFC000', background: '#000000' },
  'AMBER+STRICT': { text: '#FFC000', background: '#000000' },
  RED: { text: '#FF2B2B', background: '#000000' },
};

export const TLP_SHARING: Record<TlpLabel, string> = {
  CLEAR: 'No limit on disclosure.',
  GREEN: 'Within the community, not via public channels.',
  AMBER: 'Need-to-know within the recipient organization and its clients.',
  'AMBER+STRICT': 'Need-to-know within the recipient organization only.',
  RED: 'Individual recipients only; no further disclosure.',
};

export function isTlp(v: string): v is TlpLabel {
  return (TLP_LABELS as readonly string[]).includes(v);
}

/** The CSS class for a label's badge: tlp-clear, tlp-amber-strict, … */
export function tlpClass(label: string): string {
  return `tlp-${label.toLowerCase().replace('+', '-')}`;
}
