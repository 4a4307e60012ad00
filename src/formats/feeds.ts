// RSS 2.0 and Atom 1.0 feeds, read with saxes (a streaming, non-validating XML parser) into items,
// and items into Signals for the cord matcher (domain/cords.ts).
//
// saxes does not read DTDs: an entity a feed declares in its DOCTYPE is reported as undefined, so
// no external entity is fetched and no entity expansion can blow up. Only XML's five predefined
// entities and character references are accepted in the markup; HTML entities such as &nbsp;
// appear (escaped) inside descriptions, which are HTML and are reduced to text here.
//
// Both formats carry the same few facts we need: title, link, an id (RSS guid, Atom id), a date
// and a summary. Elements in other namespaces are ignored, except RSS's content:encoded and
// dc:date, used when description or pubDate are missing.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { SaxesParser, SaxesTagNS } from 'saxes';
import type { Signal } from '../domain/cords.ts';
import { type CveId, normaliseCveId } from './cve-id.ts';
import { normalizePurl } from './purl-normal.ts';

const ATOM_NS = 'http://www.w3.org/2005/Atom';
const CONTENT_NS = 'http://purl.org/rss/1.0/modules/content/';
const DC_NS = 'http://purl.org/dc/elements/1.1/';

export const DEFAULT_MAX_ITEMS = 10_000;

// saxes (CommonJS) is required with the first feed read, not when the server starts; require keeps
// parseFeed synchronous.
let saxes: typeof import('saxes') | undefined;
const xmlParser = (): SaxesParser<{ xmlns: true; position: true }> => {
  saxes ??= createRequire(import.meta.url)('saxes') as typeof import('saxes');
  return new saxes.SaxesParser({ xmlns: true, position: true });
};
/** Longest text kept per field; feeds are untrusted and a summary only feeds keyword matching. */
const MAX_FIELD_CHARS = 100_000;

export interface FeedItem {
  /** RSS guid or Atom id; else the link; else the title. */
  id: string;
  title: string;
  link: string | null;
  published: Date | null;
  /** Plain text (HTML reduced to text, whitespace collapsed). */
  summary: string;
}

export interface Feed {
  format: 'rss' | 'atom';
  title: string;
  items: FeedItem[];
}

export class FeedError extends Error {}

export interface FeedOptions {
  maxItems?: number;
}

// --- text helpers ------------------------------------------------------------------------------

const NAMED: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  copy: '©',
  reg: '®',
};

function decodeEntities(s: string): string {
  return s.replace(/&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,8});/g, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : m;
    }
    return NAMED[e] ?? m;
  });
}

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();

/** HTML (as found escaped in descriptions) reduced to its text, for matching and display. */
export function htmlToText(html: string): string {
  const noCode = html.replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ');
  const noTags = noCode.replace(/<!--[\s\S]*?-->/g, ' ').replace(/<\/?[a-zA-Z][^>]*>/g, ' ');
  return collapse(decodeEntities(noTags));
}

function parseDate(s: string | undefined): Date | null {
  if (!s) return null;
  const t = Date.parse(s.trim());
  return Number.isNaN(t) ? null : new Date(t);
}

function httpUrl(s: string | null | undefined): string | null {
  if (!s) return null;
  try {
    const u = new URL(s.trim());
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

// --- parser ------------------------------------------------------------------------------------

interface RawItem {
  fields: Map<string, { text: string; type: string | null }>;
  links: { rel: string; href: string }[];
}

/** The name we keep a field under, or null to ignore it. */
function fieldKey(node: SaxesTagNS, format: 'rss' | 'atom'): string | null {
  const uri = node.uri ?? '';
  if (format === 'rss' && uri === '') return node.local;
  if (format === 'atom' && uri === ATOM_NS) return node.local;
  if (format === 'rss' && uri === CONTENT_NS && node.local === 'encoded') return 'content:encoded';
  if (format === 'rss' && uri === DC_NS && node.local === 'date') return 'dc:date';
  return null;
}

function attr(node: SaxesTagNS, name: string): string | null {
  const a = node.attributes[name];
  return a ? a.value : null;
}

function textOf(f: { text: string; type: string | null } | undefined, html: boolean): string {
  if (!f) return '';
  // Atom: type="html" is escaped HTML, "xhtml" arrives as markup (its text is already gathered).
  return html || f.type === 'html' ? htmlToText(f.text) : collapse(f.text);
}

function finishItem(raw: RawItem, format: 'rss' | 'atom'): FeedItem {
  const f = raw.fields;
  if (format === 'rss') {
    const title = textOf(f.get('title'), false);
    const link = httpUrl(f.get('link')?.text);
    const guid = collapse(f.get('guid')?.text ?? '');
    const summary = textOf(f.get('description') ?? f.get('content:encoded'), true);
    return {
      id: guid || link || title,
      title,
      link,
      published: parseDate(f.get('pubDate')?.text ?? f.get('dc:date')?.text),
      summary,
    };
  }
  const title = textOf(f.get('title'), false);
  const alt = raw.links.find((l) => l.rel === 'alternate') ?? raw.links[0];
  const link = httpUrl(alt?.href);
  return {
    id: collapse(f.get('id')?.text ?? '') || link || title,
    title,
    link,
    published: parseDate(f.get('published')?.text ?? f.get('updated')?.text),
    summary: textOf(f.get('summary') ?? f.get('content'), false),
  };
}

/** Incremental feed reader: write chunks, then end(). */
class FeedReader {
  private readonly p = xmlParser();
  private format: 'rss' | 'atom' | null = null;
  private title = '';
  private readonly items: FeedItem[] = [];
  private depth = 0;
  private item: RawItem | null = null;
  private field: { key: string; text: string; type: string | null } | null = null;
  private feedTitle: string | null = null;

  constructor(private readonly maxItems: number) {
    const itemDepth = () => (this.format === 'rss' ? 3 : 2);
    this.p.on('opentag', (node) => {
      this.depth++;
      if (this.depth === 1) {
        if (node.local === 'rss' && (node.uri ?? '') === '') {
          const v = attr(node, 'version') ?? '';
          if (!/^(2\.0|0\.9[12])/.test(v)) throw new FeedError(`RSS version "${v.slice(0, 20)}" is not supported (2.0 is)`);
          this.format = 'rss';
        } else if (node.local === 'feed' && node.uri === ATOM_NS) this.format = 'atom';
        else throw new FeedError(`not an RSS 2.0 or Atom 1.0 feed (root element <${node.name}>)`);
        return;
      }
      const format = this.format as 'rss' | 'atom';
      // Feed title: rss/channel/title or feed/title.
      if (this.depth === itemDepth() && !this.item && node.local === 'title' && fieldKey(node, format) === 'title') {
        this.feedTitle = '';
      }
      if (this.depth === itemDepth() && fieldKey(node, format) === (format === 'rss' ? 'item' : 'entry')) {
        if (this.items.length >= this.maxItems) throw new FeedError(`the feed has more than ${this.maxItems} items`);
        this.item = { fields: new Map(), links: [] };
        return;
      }
      if (this.item && this.depth === itemDepth() + 1) {
        const key = fieldKey(node, format);
        if (key === 'link' && format === 'atom') {
          const href = attr(node, 'href');
          if (href) this.item.links.push({ rel: attr(node, 'rel') ?? 'alternate', href });
        }
        if (key) this.field = { key, text: '', type: attr(node, 'type') };
      }
    });
    const onText = (t: string) => {
      if (this.field) {
        if (this.field.text.length < MAX_FIELD_CHARS) this.field.text += t.slice(0, MAX_FIELD_CHARS);
      } else if (this.feedTitle !== null && this.feedTitle.length < 1000) this.feedTitle += t;
    };
    this.p.on('text', onText);
    this.p.on('cdata', onText);
    this.p.on('closetag', () => {
      if (this.item && this.field && this.depth === itemDepth() + 1) {
        if (!this.item.fields.has(this.field.key)) this.item.fields.set(this.field.key, this.field);
        this.field = null;
      } else if (this.item && this.depth === itemDepth()) {
        this.items.push(finishItem(this.item, this.format as 'rss' | 'atom'));
        this.item = null;
      } else if (this.feedTitle !== null && this.depth === itemDepth()) {
        if (!this.title) this.title = collapse(this.feedTitle);
        this.feedTitle = null;
      }
      this.depth--;
    });
  }

  write(chunk: string): void {
    this.run(() => this.p.write(chunk));
  }

  end(): Feed {
    this.run(() => this.p.close());
    if (!this.format) throw new FeedError('the feed is empty');
    return { format: this.format, title: this.title, items: this.items };
  }

  private run(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (e instanceof FeedError) throw e;
      throw new FeedError(`malformed feed XML: ${(e as Error).message}`);
    }
  }
}

/** Parses a whole RSS 2.0 or Atom 1.0 document; throws FeedError saying what is wrong and where. */
export function parseFeed(xml: string, opts: FeedOptions = {}): Feed {
  const r = new FeedReader(opts.maxItems ?? DEFAULT_MAX_ITEMS);
  r.write(xml.replace(/^\uFEFF/, ''));
  return r.end();
}

/** Parses a feed as it arrives (bytes in UTF-8, or strings). */
export async function parseFeedStream(source: AsyncIterable<Uint8Array | string>, opts: FeedOptions = {}): Promise<Feed> {
  const r = new FeedReader(opts.maxItems ?? DEFAULT_MAX_ITEMS);
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  for await (const chunk of source) {
    let s: string;
    try {
      s = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    } catch {
      throw new FeedError('the feed is not valid UTF-8');
    }
    if (s) r.write(s);
  }
  return r.end();
}

// --- signals -----------------------------------------------------------------------------------

const CVE_IN_TEXT = /(?<![A-Za-z0-9])CVE-[0-9]{4}-[0-9]{4,19}(?![0-9])/gi;
const PURL_IN_TEXT = /(?<![A-Za-z0-9])pkg:[A-Za-z][A-Za-z0-9.+-]*\/[^\s"'<>()[\]{},;]+/g;

/** The CVE ids a text names, canonical, each once. */
export function cveIdsInText(text: string): CveId[] {
  const ids = new Set<CveId>();
  for (const m of text.matchAll(CVE_IN_TEXT)) {
    const id = normaliseCveId(m[0]);
    if (id) ids.add(id);
  }
  return [...ids];
}

/** The package URLs a text names that parse, canonical, each once. */
export function purlsInText(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(PURL_IN_TEXT)) {
    try {
      out.add(normalizePurl(m[0].replace(/[.:]+$/, '')).full);
    } catch {
      // Not a purl after all.
    }
  }
  return [...out];
}

/**
 * The Signal for a feed item: a mention, dated by the item (or `fetchedAt` when it has no date).
 * Its id is stable for the same feed and item id, so a re-polled item is recognised.
 */
export function feedItemSignal(item: FeedItem, feedUrl: string, fetchedAt: Date): Signal {
  const text = [item.title, item.summary].filter((s) => s.length > 0).join('\n');
  const itemId = item.id.slice(0, 2000);
  const key = createHash('sha256').update(`${feedUrl}\n${itemId}`, 'utf8').digest('hex').slice(0, 32);
  const link = item.link && item.link.length <= 2000 ? item.link : null;
  return {
    id: `rss:${key}`,
    kind: 'mention',
    source: { kind: 'rss', feedUrl, itemId, ...(link ? { link } : {}) },
    at: item.published ?? fetchedAt,
    cveIds: cveIdsInText(text),
    purls: purlsInText(text),
    text: text.slice(0, 100_000),
  };
}

/** One Signal per item of a feed. */
export function feedSignals(feed: Feed, feedUrl: string, fetchedAt: Date): Signal[] {
  return feed.items.map((i) => feedItemSignal(i, feedUrl, fetchedAt));
}
