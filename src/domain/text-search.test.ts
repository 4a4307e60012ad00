import { describe, expect, it } from 'vitest';
import { matchesQuery, wordSet, wordSimilarity } from './text-search.ts';

describe('text search', () => {
  it('matches every word, stemmed, and honours phrases and negation', () => {
    const t = 'Heap overflows when parsing crafted TLS handshakes';
    expect(matchesQuery('overflow', t)).toBe(true);
    expect(matchesQuery('heap handshake', t)).toBe(true);
    expect(matchesQuery('heap stack', t)).toBe(false);
    expect(matchesQuery('"crafted TLS"', t)).toBe(true);
    expect(matchesQuery('"TLS crafted"', t)).toBe(false);
    expect(matchesQuery('heap -tls', t)).toBe(false);
    expect(matchesQuery('the', t)).toBe(true);
  });
  it('scores similar texts higher', () => {
    const a = wordSet('Key reinstallation in the WPA2 four-way handshake');
    expect(wordSimilarity(a, wordSet('WPA2 handshake key reinstallation'))).toBeGreaterThan(0.6);
    expect(wordSimilarity(a, wordSet('SQL injection in login form'))).toBe(0);
  });
});
