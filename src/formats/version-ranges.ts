// A stored version range (a purl vers string, a JSON array of OSV events, or free text) read as
// intervals, for the CVE JSON 5 `versions` list and OSV `ranges`.
import { osvEventsFromJson, parseVers } from './vers.ts';
import { compareFor } from './versions.ts';

export interface Interval {
  /** Inclusive lower bound; "0": from the first version. */
  introduced: string;
  /** Exclusive upper bound (the fix), or inclusive (last affected), or none (still affected). */
  upper: { fixed: string } | { lastAffected: string } | null;
}

export type ReadRange =
  | { kind: 'all' }
  | { kind: 'intervals'; intervals: Interval[]; exact: string[] }
  | { kind: 'text'; text: string };

export function readRange(purlType: string | null, range: string | null): ReadRange {
  if (!range?.trim()) return { kind: 'all' };
  const text = range.trim();
  if (text.startsWith('[')) {
    try {
      const events = osvEventsFromJson(text);
      const intervals: Interval[] = [];
      let open: string | null = null;
      for (const e of events) {
        if ('introduced' in e) {
          open = e.introduced;
          continue;
        }
        if ('fixed' in e) intervals.push({ introduced: open ?? '0', upper: { fixed: e.fixed } });
        else if ('last_affected' in e) intervals.push({ introduced: open ?? '0', upper: { lastAffected: e.last_affected } });
        else continue;
        open = null;
      }
      if (open !== null) intervals.push({ introduced: open, upper: null });
      return { kind: 'intervals', intervals, exact: [] };
    } catch {
      return { kind: 'text', text };
    }
  }
  if (!/^vers:/i.test(text)) return { kind: 'text', text };
  let vers: ReturnType<typeof parseVers>;
  try {
    vers = parseVers(text);
  } catch {
    return { kind: 'text', text };
  }
  if (vers.constraints === null) return { kind: 'all' };
  const cmp = compareFor(purlType ?? vers.type);
  const exact = vers.constraints.filter((c) => c.op === '=').map((c) => c.version);
  const bounds = vers.constraints.filter((c) => c.op !== '=' && c.op !== '!=').sort((a, b) => cmp(a.version, b.version));
  const intervals: Interval[] = [];
  let open: string | null = null;
  for (const c of bounds) {
    if (c.op === '>=' || c.op === '>') open = c.version;
    else {
      intervals.push({ introduced: open ?? '0', upper: c.op === '<' ? { fixed: c.version } : { lastAffected: c.version } });
      open = null;
    }
  }
  if (open !== null) intervals.push({ introduced: open, upper: null });
  return { kind: 'intervals', intervals, exact };
}
