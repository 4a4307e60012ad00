// The tent editor's and the feeds page's pure helpers (web/src/tents.ts, feeds.ts, format.ts).
import { describe, expect, it } from 'vitest';
import { everyText, feedBody } from '../web/src/feeds.ts';
import { isoToLocalInput, localInputToIso } from '../web/src/format.ts';
import { tentId } from '../web/src/tents.ts';

describe('tent ids', () => {
  it('come from the name, within the API rule, unique', () => {
    const taken = new Set(['fix-providers']);
    expect(tentId('Fix providers', taken)).toBe('fix-providers-2');
    expect(tentId('Équipe — OEMs & clouds!', new Set())).toBe('equipe-oems-clouds');
    expect(tentId('***', new Set())).toBe('tent');
    const long = tentId('x'.repeat(200), new Set());
    expect(long).toMatch(/^[a-z0-9][a-z0-9-]{0,63}$/);
  });
});

describe('datetime-local values', () => {
  it('round-trip to the second in the local zone', () => {
    const iso = '2026-11-23T17:58:52.000Z';
    const local = isoToLocalInput(iso);
    expect(local).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    expect(localInputToIso(local)).toBe(iso);
    expect(isoToLocalInput('not a date')).toBe('');
  });
});

describe('feeds page helpers', () => {
  it('sends what the API takes, leaving empty optional fields out', () => {
    expect(
      feedBody({
        kind: 'rss',
        name: 'News',
        url: ' ',
        path: '/srv/feed.xml',
        minutes: '15',
        keywords: 'acme, , gadget ',
        enabled: false,
      }),
    ).toEqual({
      kind: 'rss',
      name: 'News',
      path: '/srv/feed.xml',
      intervalSeconds: 900,
      keywords: ['acme', 'gadget'],
      enabled: false,
    });
  });
  it('names intervals', () => {
    expect(everyText(3600)).toBe('every hour');
    expect(everyText(900)).toBe('every 15 minutes');
    expect(everyText(172_800)).toBe('every 2 days');
    expect(everyText(90)).toBe('every 90 seconds');
  });
});
