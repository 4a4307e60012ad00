import { describe, expect, it } from 'vitest';
import {
  formatTlp,
  isTlpLabel,
  parseTlp,
  TLP,
  TLP_LABELS,
  TlpInput,
  TlpLabelSchema,
  tlpAtMost,
  tlpFromCsaf20,
  tlpMax,
  tlpMin,
  tlpRank,
  tlpToCsaf20,
} from './tlp.ts';

describe('TLP 2.0', () => {
  it('has the five labels of the standard, least to most restrictive', () => {
    expect(TLP_LABELS).toEqual(['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED']);
    expect(TLP_LABELS.map(tlpRank)).toEqual([0, 1, 2, 3, 4]);
    expect(TLP_LABELS.map(formatTlp)).toEqual(['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED']);
  });

  it('carries FIRST colours: label colour on black', () => {
    expect(TLP.RED.colour.text).toEqual({ rgb: [255, 43, 43], hex: '#FF2B2B' });
    expect(TLP.AMBER.colour.text).toEqual({ rgb: [255, 192, 0], hex: '#FFC000' });
    expect(TLP['AMBER+STRICT'].colour.text).toEqual(TLP.AMBER.colour.text);
    expect(TLP.GREEN.colour.text).toEqual({ rgb: [51, 255, 0], hex: '#33FF00' });
    expect(TLP.CLEAR.colour.text).toEqual({ rgb: [255, 255, 255], hex: '#FFFFFF' });
    for (const l of TLP_LABELS) {
      expect(TLP[l].colour.background.hex).toBe('#000000');
      const [r, g, b] = TLP[l].colour.text.rgb;
      expect(TLP[l].colour.text.hex).toBe(
        `#${[r, g, b]
          .map((n) => n.toString(16).padStart(2, '0'))
          .join('')
          .toUpperCase()}`,
      );
      expect(TLP[l].sharing.length).toBeGreaterThan(20);
      expect(TLP[l].label).toBe(l);
    }
  });

  it('tlpAtMost compares against a ceiling', () => {
    expect(tlpAtMost('GREEN', 'AMBER')).toBe(true);
    expect(tlpAtMost('AMBER', 'AMBER')).toBe(true);
    expect(tlpAtMost('AMBER+STRICT', 'AMBER')).toBe(false);
    expect(tlpAtMost('RED', 'AMBER+STRICT')).toBe(false);
    for (const l of TLP_LABELS) {
      expect(tlpAtMost('CLEAR', l)).toBe(true);
      expect(tlpAtMost(l, 'RED')).toBe(true);
    }
  });

  it('tlpMax and tlpMin pick the more and less restrictive label', () => {
    expect(tlpMax('GREEN', 'AMBER+STRICT')).toBe('AMBER+STRICT');
    expect(tlpMax('RED', 'CLEAR')).toBe('RED');
    expect(tlpMax('AMBER', 'AMBER')).toBe('AMBER');
    expect(tlpMin('GREEN', 'AMBER+STRICT')).toBe('GREEN');
    for (const a of TLP_LABELS)
      for (const b of TLP_LABELS) {
        expect(tlpMax(a, b)).toBe(tlpMax(b, a));
        expect(tlpAtMost(a, tlpMax(a, b)) && tlpAtMost(b, tlpMax(a, b))).toBe(true);
      }
  });

  it('parses bare and prefixed labels, refusing others', () => {
    expect(parseTlp('RED')).toBe('RED');
    expect(parseTlp('TLP:AMBER+STRICT')).toBe('AMBER+STRICT');
    expect(parseTlp(' tlp:clear ')).toBe('CLEAR');
    for (const bad of ['WHITE', 'TLP:WHITE', 'AMBER STRICT', 'TLP: RED', 'AMBER+', 'PURPLE', ''])
      expect(parseTlp(bad)).toBeUndefined();
    expect(isTlpLabel('AMBER+STRICT')).toBe(true);
    expect(isTlpLabel('amber')).toBe(false);
  });

  it('zod schemas', () => {
    expect(TlpLabelSchema.parse('AMBER+STRICT')).toBe('AMBER+STRICT');
    expect(TlpLabelSchema.safeParse('TLP:RED').success).toBe(false);
    expect(TlpInput.parse('TLP:RED')).toBe('RED');
    expect(TlpInput.parse('green')).toBe('GREEN');
    const bad = TlpInput.safeParse('TLP:WHITE');
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/TLP 2.0 label/);
  });

  it('maps to and from CSAF 2.0 labels', () => {
    expect(TLP_LABELS.map(tlpToCsaf20)).toEqual(['WHITE', 'GREEN', 'AMBER', 'AMBER', 'RED']);
    expect(tlpFromCsaf20('WHITE')).toBe('CLEAR');
    expect(tlpFromCsaf20('AMBER')).toBe('AMBER');
    expect(tlpFromCsaf20('CLEAR')).toBeUndefined();
  });
});
