// The web UI's pure helpers: dates (viewer's zone, UTC on hover), and TLP colours that agree with
// src/formats/tlp.ts and with the stylesheet the badges use.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TLP } from '../src/formats/tlp.ts';
import { formatLocal, formatRelative, formatUtc, localInputToIso } from '../web/src/format.ts';
import { TLP_COLOURS, TLP_LABELS, tlpClass } from '../web/src/tlp.ts';

describe('web UI dates', () => {
  const iso = '2026-03-12T14:05:00.000Z';
  it('shows the viewer’s zone and gives UTC for the hover title', () => {
    expect(formatLocal(iso, { timeZone: 'Europe/Brussels', locale: 'en-GB' })).toMatch(/12 Mar 2026.*15:05/);
    expect(formatLocal(iso, { timeZone: 'America/New_York', locale: 'en-GB' })).toMatch(/12 Mar 2026.*10:05/);
    expect(formatUtc(iso)).toBe('2026-03-12 14:05 UTC');
    expect(formatUtc('not a date')).toBe('not a date');
  });
  it('says how far away a deadline is', () => {
    const now = new Date('2026-03-09T14:05:00Z');
    expect(formatRelative(iso, now, 'en')).toBe('in 3 days');
    expect(formatRelative('2026-03-09T12:05:00Z', now, 'en')).toBe('2 hours ago');
  });
  it('reads a datetime-local value as local time', () => {
    expect(localInputToIso('')).toBeUndefined();
    expect(localInputToIso('2026-03-12T14:05')).toBe(new Date(2026, 2, 12, 14, 5).toISOString());
  });
});

describe('web UI TLP badges', () => {
  const css = fs.readFileSync('web/src/styles.css', 'utf8');
  it.each(TLP_LABELS)('TLP:%s uses FIRST’s colours, as src/formats/tlp.ts does', (label) => {
    expect(TLP_COLOURS[label].text).toBe(TLP[label].colour.text.hex);
    expect(TLP_COLOURS[label].background).toBe(TLP[label].colour.background.hex);
    const rule = new RegExp(`\\.${tlpClass(label)}\\s*\\{\\s*color:\\s*(#[0-9A-F]{6});`, 'i');
    expect(rule.exec(css)?.[1]?.toUpperCase()).toBe(TLP[label].colour.text.hex);
  });
  it('draws every badge on black', () => {
    expect(css).toMatch(/\.tlp \{[^}]*background: #000000;/);
  });
});
