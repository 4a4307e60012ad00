// FIRST Traffic Light Protocol 2.0 ("FIRST Standards Definitions and Usage Guidance — Version 2.0",
// authoritative from August 2022): https://www.first.org/tlp/
//
// Village stores the bare label ('CLEAR' … 'RED', as in store/schema-cases.ts) and writes it as
// "TLP:<LABEL>" (no spaces, capitals, never translated). Labels are ordered from least to most
// restrictive: CLEAR < GREEN < AMBER < AMBER+STRICT < RED.
//
// Colours: the colour-coding section of the same FIRST page gives, for each label, a text colour on a
// black (#000000) background; TLP:AMBER+STRICT uses the TLP:AMBER colour. The page text reached while
// writing this (https://www.first.org/tlp/) was only its introduction, so the RGB/hex values below
// were not re-read from FIRST's own table; they agree with third-party TLP tooling
// (e.g. https://gist.github.com/0xtf/a3fdd54786ecea38f868ab3cadb2361a). Check them against the page
// before relying on them for print.
import { z } from 'zod';

export const TLP_LABELS = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'] as const;
export type TlpLabel = (typeof TLP_LABELS)[number];

export interface TlpColour {
  readonly rgb: readonly [number, number, number];
  readonly hex: string;
}

export interface TlpInfo {
  readonly label: TlpLabel;
  /** Written form, e.g. "TLP:AMBER+STRICT". */
  readonly marking: `TLP:${TlpLabel}`;
  /** 0 (CLEAR) … 4 (RED). */
  readonly rank: number;
  /** Who a recipient may share with, in one line. */
  readonly sharing: string;
  readonly colour: { readonly text: TlpColour; readonly background: TlpColour };
}

const BLACK: TlpColour = { rgb: [0, 0, 0], hex: '#000000' };
const colour = (r: number, g: number, b: number, hex: string) => ({ text: { rgb: [r, g, b] as const, hex }, background: BLACK });

export const TLP: Readonly<Record<TlpLabel, TlpInfo>> = Object.freeze({
  CLEAR: {
    label: 'CLEAR',
    marking: 'TLP:CLEAR',
    rank: 0,
    sharing: 'Recipients can spread this to the world; there is no limit on disclosure (subject to standard copyright rules).',
    colour: colour(255, 255, 255, '#FFFFFF'),
  },
  GREEN: {
    label: 'GREEN',
    marking: 'TLP:GREEN',
    rank: 1,
    sharing:
      'Limited disclosure: recipients can spread this within their community (peers and partner organizations), not via publicly accessible channels.',
    colour: colour(51, 255, 0, '#33FF00'),
  },
  AMBER: {
    label: 'AMBER',
    marking: 'TLP:AMBER',
    rank: 2,
    sharing:
      'Limited disclosure: recipients can only spread this on a need-to-know basis within their organization and its clients.',
    colour: colour(255, 192, 0, '#FFC000'),
  },
  'AMBER+STRICT': {
    label: 'AMBER+STRICT',
    marking: 'TLP:AMBER+STRICT',
    rank: 3,
    sharing: 'Limited disclosure: recipients can only spread this on a need-to-know basis within their own organization.',
    colour: colour(255, 192, 0, '#FFC000'),
  },
  RED: {
    label: 'RED',
    marking: 'TLP:RED',
    rank: 4,
    sharing: 'For the eyes and ears of individual recipients only; no further disclosure.',
    colour: colour(255, 43, 43, '#FF2B2B'),
  },
});

/** Anyone wishing to share more widely than the label allows must first get the source's explicit permission. */
export const TLP_WIDER_SHARING_RULE =
  'Recipients who want to share more widely than the label allows must first get explicit permission from the source.';

export function isTlpLabel(value: unknown): value is TlpLabel {
  return typeof value === 'string' && (TLP_LABELS as readonly string[]).includes(value);
}

export function tlpRank(label: TlpLabel): number {
  return TLP[label].rank;
}

/** True when `label` is no more restrictive than `ceiling` (e.g. GREEN within an AMBER ceiling). */
export function tlpAtMost(label: TlpLabel, ceiling: TlpLabel): boolean {
  return tlpRank(label) <= tlpRank(ceiling);
}

/** The more restrictive of two labels (e.g. for content derived from both). */
export function tlpMax(a: TlpLabel, b: TlpLabel): TlpLabel {
  return tlpRank(a) >= tlpRank(b) ? a : b;
}

/** The less restrictive of two labels. */
export function tlpMin(a: TlpLabel, b: TlpLabel): TlpLabel {
  return tlpRank(a) <= tlpRank(b) ? a : b;
}

export function formatTlp(label: TlpLabel): `TLP:${TlpLabel}` {
  return TLP[label].marking;
}

/**
 * Reads "RED", "TLP:RED", " tlp:amber+strict " → the bare label; undefined for anything else,
 * including TLP 1.0's WHITE (use tlpFromCsaf20 for CSAF 2.0 documents).
 */
export function parseTlp(value: string): TlpLabel | undefined {
  const v = value.trim().toUpperCase();
  const bare = v.startsWith('TLP:') ? v.slice(4) : v;
  return isTlpLabel(bare) ? bare : undefined;
}

/** CSAF 2.0 distribution.tlp.label can only say WHITE/GREEN/AMBER/RED: CLEAR is written WHITE, and
 * AMBER+STRICT becomes AMBER (lossy: say "AMBER+STRICT" in distribution.text as well). */
export function tlpToCsaf20(label: TlpLabel): 'WHITE' | 'GREEN' | 'AMBER' | 'RED' {
  if (label === 'CLEAR') return 'WHITE';
  if (label === 'AMBER+STRICT') return 'AMBER';
  return label;
}

export function tlpFromCsaf20(label: string): TlpLabel | undefined {
  if (label === 'WHITE') return 'CLEAR';
  return label === 'GREEN' || label === 'AMBER' || label === 'RED' ? label : undefined;
}

/** Exact bare label, as stored. */
export const TlpLabelSchema = z.enum(TLP_LABELS).describe('TLP 2.0 label: CLEAR, GREEN, AMBER, AMBER+STRICT or RED');

/** Lenient input: bare or "TLP:"-prefixed, any case; outputs the bare label. */
export const TlpInput = z
  .string()
  .max(20)
  .transform((v, ctx) => {
    const label = parseTlp(v);
    if (!label) {
      ctx.addIssue({
        code: 'custom',
        message: 'Expected a TLP 2.0 label: CLEAR, GREEN, AMBER, AMBER+STRICT or RED (optionally prefixed TLP:)',
      });
      return z.NEVER;
    }
    return label;
  });
