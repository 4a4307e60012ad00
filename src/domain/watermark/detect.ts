// Reading slots back from an excerpt: where each slot's alternatives occur in the normalized
// excerpt, which alternative each occurrence shows, and the words that key it.
import { normalizeText, tokensAndEnd } from './normalize.ts';
import type { Slot } from './slots.ts';
import { instanceKey } from './weave.ts';

export interface Observation {
  /** The slot instance's key (slot name and following words). */
  key: string;
  /** Which alternative the excerpt shows. */
  alt: number;
  /** How many alternatives the slot has. */
  k: number;
}

interface Occurrence {
  slot: Slot;
  alt: number;
  start: number;
  end: number;
}

const isBoundary = (s: string, i: number) => i >= s.length || s[i] === ' ';

function occurrences(text: string, slots: readonly Slot[]): Occurrence[] {
  const found: Occurrence[] = [];
  for (const slot of slots) {
    if (slot.kind === 'phrase') {
      slot.alts.forEach((raw, alt) => {
        const p = normalizeText(raw);
        if (!p) return;
        for (let i = text.indexOf(p); i >= 0; i = text.indexOf(p, i + 1)) {
          const end = i + p.length;
          if ((i === 0 || text[i - 1] === ' ') && isBoundary(text, end)) found.push({ slot, alt, start: i, end });
        }
      });
    } else {
      slot.alts.forEach((f, alt) => {
        const re = new RegExp(f.pattern.source, 'g');
        for (const m of text.matchAll(re)) {
          const i = m.index ?? 0;
          if (i === 0 || text[i - 1] === ' ') found.push({ slot, alt, start: i, end: i + m[0].length });
        }
      });
    }
  }
  // Where occurrences overlap, the longest wins ("cvss 3.1 base score" over "cvss 3.1").
  found.sort((a, b) => a.start - b.start || b.end - b.start - (a.end - a.start));
  const kept: Occurrence[] = [];
  for (const o of found) {
    const prev = kept[kept.length - 1];
    if (prev && o.start < prev.end) {
      if (o.end - o.start > prev.end - prev.start) kept[kept.length - 1] = o;
      continue;
    }
    kept.push(o);
  }
  return kept;
}

/**
 * For each alternative of a phrase slot, how far before it a longer alternative ending in it
 * begins ("the case is coordinated by" ends in "coordinated by": 13 characters more). An excerpt
 * that starts closer than that to a match may have cut the longer one short, so the match is not
 * read. Zero when no alternative ends in another.
 */
const cutRisk = new WeakMap<Slot, number[]>();
function prefixAtRisk(slot: Slot, alt: number): number {
  if (slot.kind !== 'phrase') return 0;
  let risk = cutRisk.get(slot);
  if (!risk) {
    const norm = slot.alts.map((a) => normalizeText(a));
    risk = norm.map((short) =>
      norm.reduce(
        (m, long) => (long.length > short.length && long.endsWith(short) ? Math.max(m, long.length - short.length) : m),
        0,
      ),
    );
    cutRisk.set(slot, risk);
  }
  return risk[alt] ?? 0;
}

/**
 * The slot instances an excerpt shows. Left out: occurrences at the very start of the excerpt or
 * so near it that they may be the end of a longer alternative cut off, and those whose key words
 * run to its very end (possibly cut off); a key seen with two different alternatives (which one
 * copy never shows) is dropped.
 */
export function observe(excerpt: string, slots: readonly Slot[]): Observation[] {
  const text = normalizeText(excerpt);
  const byKey = new Map<string, Observation | null>();
  for (const o of occurrences(text, slots)) {
    if (o.start === 0 || o.start < prefixAtRisk(o.slot, o.alt)) continue;
    const rest = text.slice(o.end);
    const { tokens: following, end } = tokensAndEnd(rest, o.slot.context);
    if (following.length < o.slot.context) continue;
    // The last key word must be followed by more text, or it may be cut short.
    if (o.slot.context > 0 && end >= rest.length) continue;
    const key = instanceKey(o.slot, following);
    const obs = { key, alt: o.alt, k: o.slot.alts.length };
    const prev = byKey.get(key);
    if (prev === undefined) byKey.set(key, obs);
    else if (prev && prev.alt !== obs.alt) byKey.set(key, null);
  }
  return [...byKey.values()].filter((o): o is Observation => o !== null);
}
