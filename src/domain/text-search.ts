// In-process text search over decrypted report text (the database holds no plaintext index):
// words are lower-cased, split on anything but letters and digits, short and common English
// words dropped, and crudely stemmed, so "overflows" finds "overflow" and "crashing" "crash".
const STOP = new Set(
  'a an and are as at be but by for from has have in into is it its of on or that the this to was were will with'.split(' '),
);

export function stem(word: string): string {
  let w = word;
  const suf = ['ing', 'ed'].find((x) => w.length > x.length + 2 && w.endsWith(x));
  if (suf) w = w.slice(0, -suf.length);
  else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) w = w.slice(0, -1);
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

/** The distinct stemmed words of a text. */
export function wordSet(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    const w = m[0];
    if (w.length < 2 || STOP.has(w)) continue;
    out.add(stem(w));
  }
  return out;
}

/**
 * Whether a text matches a web-search-style query: every word must occur, a word with a leading
 * '-' must not; "quoted phrases" must occur as written (case-insensitively).
 */
export function matchesQuery(query: string, text: string): boolean {
  const lower = text.toLowerCase();
  const words = wordSet(text);
  let rest = query;
  for (const m of query.matchAll(/"([^"]*)"/g)) {
    const phrase = (m[1] ?? '').trim().toLowerCase();
    if (phrase && !lower.includes(phrase)) return false;
    rest = rest.replace(m[0], ' ');
  }
  for (const term of rest.split(/\s+/).filter(Boolean)) {
    const negate = term.startsWith('-');
    const ws = [...wordSet(negate ? term.slice(1) : term)];
    if (!ws.length) continue;
    const found = ws.every((w) => words.has(w));
    if (negate ? found : !found) return false;
  }
  return true;
}

/** Cosine similarity of two word sets (0..1). */
export function wordSimilarity(a: Set<string>, b: Set<string>): number {
  if (!a.size || !b.size) return 0;
  let shared = 0;
  for (const w of a) if (b.has(w)) shared++;
  return shared / Math.sqrt(a.size * b.size);
}
