// Text normalization shared by the renderer and the detector: what a copy to plain text, a
// re-wrap or a change of case does to the text must not change what the detector reads.
// NFKC folds compatibility forms (full-width letters, ligatures, non-breaking spaces); curly
// quotes become straight; every run of whitespace becomes one space; letters become lower case.
const QUOTES: Array<[RegExp, string]> = [
  [/[\u2018\u2019\u201a\u2032]/g, "'"],
  [/[\u201c\u201d\u201e\u2033]/g, '"'],
  [/\u2026/g, '...'],
  // Soft hyphens and zero-width characters vanish in most copies.
  [/[\u00ad\u200b-\u200d\u2060\ufeff]/g, ''],
];

export function normalizeText(text: string): string {
  let s = text.normalize('NFKC');
  for (const [re, to] of QUOTES) s = s.replace(re, to);
  return s.replace(/\s+/gu, ' ').trim().toLowerCase();
}

/** The first `n` space-separated tokens of normalized text (fewer when it ends first). */
export function firstTokens(normalized: string, n: number): string[] {
  return tokensAndEnd(normalized, n).tokens;
}

/** The first `n` tokens of normalized text and the index just after the last of them. */
export function tokensAndEnd(normalized: string, n: number): { tokens: string[]; end: number } {
  const tokens: string[] = [];
  let i = 0;
  let end = 0;
  while (tokens.length < n && i < normalized.length) {
    while (normalized[i] === ' ') i++;
    if (i >= normalized.length) break;
    let j = normalized.indexOf(' ', i);
    if (j < 0) j = normalized.length;
    tokens.push(normalized.slice(i, j));
    i = j;
    end = j;
  }
  return { tokens, end };
}
