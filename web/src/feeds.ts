// The feeds page's types and pure helpers (web/src/pages/Feeds.tsx); unit-tested in test/web-tents.test.ts.

export interface Feed {
  id: string;
  kind: 'kev' | 'osv' | 'rss';
  name: string;
  url: string | null;
  path: string | null;
  intervalSeconds: number;
  keywords: string[];
  enabled: boolean;
  fromEnv: boolean;
  lastPolledAt: string | null;
  lastError: string | null;
  lastItems: number | null;
}

export const FEED_KINDS: Record<Feed['kind'], string> = {
  kev: 'CISA KEV (JSON)',
  osv: 'OSV records',
  rss: 'RSS / Atom',
};

/** "every hour", "every 15 minutes", "every 2 days". */
export function everyText(seconds: number): string {
  const units: Array<[string, number]> = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
  ];
  for (const [unit, n] of units) {
    if (seconds % n === 0 && seconds >= n) {
      const k = seconds / n;
      return k === 1 ? `every ${unit}` : `every ${k} ${unit}s`;
    }
  }
  return `every ${seconds} seconds`;
}

export interface FeedDraft {
  kind: Feed['kind'];
  name: string;
  url: string;
  path: string;
  minutes: string;
  keywords: string;
  enabled: boolean;
}
export const EMPTY_FEED: FeedDraft = { kind: 'kev', name: '', url: '', path: '', minutes: '60', keywords: '', enabled: true };
export const feedDraftOf = (f: Feed): FeedDraft => ({
  kind: f.kind,
  name: f.name,
  url: f.url ?? '',
  path: f.path ?? '',
  minutes: String(f.intervalSeconds / 60),
  keywords: f.keywords.join(', '),
  enabled: f.enabled,
});
/** The API's body for a draft: empty optional fields left out, so the server's rules speak. */
export function feedBody(d: FeedDraft): Record<string, unknown> {
  const minutes = Number(d.minutes);
  return {
    kind: d.kind,
    name: d.name,
    ...(d.url.trim() ? { url: d.url.trim() } : {}),
    ...(d.path.trim() ? { path: d.path.trim() } : {}),
    intervalSeconds: Number.isFinite(minutes) ? Math.round(minutes * 60) : 0,
    keywords: d.keywords
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
    enabled: d.enabled,
  };
}
