import { describe, expect, it } from 'vitest';
import { CaseFactsSchema, matchSignal, SignalSchema } from '../domain/cords.ts';
import {
  cveIdsInText,
  FeedError,
  feedItemSignal,
  feedSignals,
  htmlToText,
  parseFeed,
  parseFeedStream,
  purlsInText,
} from './feeds.ts';

const RSS = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>Security &amp; Friends</title>
    <link>https://news.example/</link>
    <image><title>not the feed title</title></image>
    <item>
      <title>Exploit for cve-2026-1234 in Frobnicator &lt;3.2</title>
      <link>https://news.example/a</link>
      <guid isPermaLink="false">item-1</guid>
      <pubDate>Mon, 02 Mar 2026 10:00:00 GMT</pubDate>
      <description><![CDATA[<p>Proof of concept for <b>pkg:npm/left-pad@1.0.0</b>&nbsp;published.</p><script>alert(1)</script>]]></description>
    </item>
    <item>
      <title>Second</title>
      <link>https://news.example/b</link>
      <dc:date>2026-03-03T08:00:00Z</dc:date>
      <description>Escaped &lt;i&gt;HTML&lt;/i&gt; &amp;amp; entities &#8212; CVE-2026-1234 again</description>
      <content:encoded><![CDATA[ignored when a description exists]]></content:encoded>
    </item>
    <item>
      <title>No link, no guid</title>
      <content:encoded><![CDATA[<div>Only content</div>]]></content:encoded>
    </item>
  </channel>
</rss>`;

const ATOM = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:x="urn:other">
  <title type="text">Advisories</title>
  <id>urn:uuid:feed</id>
  <updated>2026-03-02T12:00:00Z</updated>
  <entry>
    <title type="html">Leak of &lt;em&gt;Frobnicator&lt;/em&gt; details</title>
    <link rel="self" href="https://adv.example/self/1"/>
    <link rel="alternate" href="https://adv.example/1"/>
    <id>tag:adv.example,2026:1</id>
    <updated>2026-03-02T12:00:00Z</updated>
    <published>2026-03-01T09:30:00+01:00</published>
    <x:summary>not Atom's summary</x:summary>
    <summary><![CDATA[Affects CVE-2026-9999 & friends]]></summary>
  </entry>
  <entry>
    <title>XHTML content</title>
    <link href="https://adv.example/2"/>
    <id>tag:adv.example,2026:2</id>
    <updated>2026-03-03T00:00:00Z</updated>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Attacks <b>observed</b> against frobnicator</p></div></content>
  </entry>
</feed>`;

describe('parseFeed: RSS 2.0', () => {
  const feed = parseFeed(RSS);

  it('reads the channel title and items, decoding entities and CDATA', () => {
    expect(feed.format).toBe('rss');
    expect(feed.title).toBe('Security & Friends');
    expect(feed.items).toHaveLength(3);
    expect(feed.items[0]).toEqual({
      id: 'item-1',
      title: 'Exploit for cve-2026-1234 in Frobnicator <3.2',
      link: 'https://news.example/a',
      published: new Date('2026-03-02T10:00:00Z'),
      summary: 'Proof of concept for pkg:npm/left-pad@1.0.0 published.',
    });
  });

  it('reduces escaped HTML to text and falls back to dc:date, link and content:encoded', () => {
    expect(feed.items[1]).toMatchObject({
      id: 'https://news.example/b',
      published: new Date('2026-03-03T08:00:00Z'),
      summary: 'Escaped HTML & entities — CVE-2026-1234 again',
    });
    expect(feed.items[2]).toEqual({
      id: 'No link, no guid',
      title: 'No link, no guid',
      link: null,
      published: null,
      summary: 'Only content',
    });
  });
});

describe('parseFeed: Atom 1.0', () => {
  const feed = parseFeed(ATOM);

  it('reads entries: alternate link, id, published before updated, summary', () => {
    expect(feed.format).toBe('atom');
    expect(feed.title).toBe('Advisories');
    expect(feed.items[0]).toEqual({
      id: 'tag:adv.example,2026:1',
      title: 'Leak of Frobnicator details',
      link: 'https://adv.example/1',
      published: new Date('2026-03-01T08:30:00Z'),
      summary: 'Affects CVE-2026-9999 & friends',
    });
  });

  it('takes the text of xhtml content and a link without rel, and falls back to updated', () => {
    expect(feed.items[1]).toMatchObject({
      link: 'https://adv.example/2',
      published: new Date('2026-03-03T00:00:00Z'),
      summary: 'Attacks observed against frobnicator',
    });
  });
});

describe('parseFeed: errors', () => {
  it('says a malformed feed is malformed, and where', () => {
    expect(() => parseFeed('<rss version="2.0"><channel><item><title>x</item></channel></rss>')).toThrow(FeedError);
    expect(() => parseFeed('<rss version="2.0"><channel><item><title>x</item></channel></rss>')).toThrow(
      /malformed feed XML: 1:\d+: unexpected close tag/,
    );
    expect(() => parseFeed('<rss version="2.0"><channel>')).toThrow(/malformed feed XML/);
    expect(() => parseFeed('<rss version="2.0"><channel><title>a &nbsp; b</title></channel></rss>')).toThrow(/undefined entity/);
  });

  it('refuses what is not a feed', () => {
    expect(() => parseFeed('')).toThrow(/malformed|empty/);
    expect(() => parseFeed('<html><body/></html>')).toThrow(/not an RSS 2.0 or Atom 1.0 feed \(root element <html>\)/);
    expect(() => parseFeed('<feed><entry/></feed>')).toThrow(/not an RSS 2.0 or Atom 1.0 feed/);
    expect(() => parseFeed('<rss version="3.0"><channel/></rss>')).toThrow(/RSS version "3.0"/);
    expect(() => parseFeed(RSS, { maxItems: 2 })).toThrow(/more than 2 items/);
  });

  it('does not expand entities declared in a DOCTYPE', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><title>&x;</title></item></channel></rss>`;
    expect(() => parseFeed(xxe)).toThrow(FeedError);
  });
});

it('parseFeedStream reads UTF-8 split anywhere, even inside a character', async () => {
  const bytes = new TextEncoder().encode(ATOM.replace('Advisories', 'Avis de sécurité — 脆弱性'));
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
  }
  const feed = await parseFeedStream(chunks());
  expect(feed.title).toBe('Avis de sécurité — 脆弱性');
  expect(feed.items).toHaveLength(2);
  async function* bad() {
    yield new Uint8Array([0x3c, 0xff, 0xfe]);
  }
  await expect(parseFeedStream(bad())).rejects.toThrow(/not valid UTF-8/);
});

describe('signals from feed items', () => {
  const fetchedAt = new Date('2026-03-05T00:00:00Z');
  const url = 'https://news.example/feed.xml';

  it('extract CVE ids and purls, and keep a stable id', () => {
    const [a, b, c] = feedSignals(parseFeed(RSS), url, fetchedAt);
    expect(a).toMatchObject({
      kind: 'mention',
      source: { kind: 'rss', feedUrl: url, itemId: 'item-1', link: 'https://news.example/a' },
      at: new Date('2026-03-02T10:00:00Z'),
      cveIds: ['CVE-2026-1234'],
      purls: ['pkg:npm/left-pad@1.0.0'],
    });
    expect(c?.at).toEqual(fetchedAt);
    for (const s of [a, b, c]) SignalSchema.parse(s);
    const again = feedSignals(parseFeed(RSS), url, new Date());
    expect(again.map((s) => s.id)).toEqual([a, b, c].map((s) => s?.id));
    expect(new Set(again.map((s) => s.id)).size).toBe(3);
  });

  it('fire a feed-match cord watching the feed', () => {
    const facts = CaseFactsSchema.parse({
      caseId: 'c',
      cveIds: [],
      affected: [],
      keywords: [],
      embargo: 'A',
      cords: [
        {
          id: 'watch',
          kind: 'feed-match',
          action: 'alert',
          watch: { keywords: ['frobnicator'], purls: ['pkg:npm/left-pad'] },
          feeds: [{ source: 'rss', url }],
        },
      ],
      participants: [],
      acks: [],
    });
    const [a, b] = feedSignals(parseFeed(RSS), url, fetchedAt).map((s) => matchSignal(s, facts));
    expect(a?.[0]?.reasons).toEqual([
      { by: 'purl', value: 'pkg:npm/left-pad' },
      { by: 'keyword', value: 'frobnicator' },
    ]);
    expect(b).toEqual([]);
    const other = feedItemSignal(parseFeed(RSS).items[0] as never, 'https://other.example/rss', fetchedAt);
    expect(matchSignal(other, facts)).toEqual([]);
  });

  it('text helpers', () => {
    expect(cveIdsInText('cve-2026-0001, CVE-2026-0001 and XCVE-2026-0002 or CVE-2026-00031')).toEqual([
      'CVE-2026-0001',
      'CVE-2026-00031',
    ]);
    expect(purlsInText('see pkg:pypi/django@4.2. Also (pkg:maven/org.x/y@1) and pkg:bad')).toEqual([
      'pkg:pypi/django@4.2',
      'pkg:maven/org.x/y@1',
    ]);
    expect(htmlToText('<style>p{}</style>a<br/>b &lt;c&gt; &#x41;&#66; &bogus;')).toBe('a b <c> AB &bogus;');
  });
});
