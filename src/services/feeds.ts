// Feeds Village polls for signals that may pull parachute cords: the CISA KEV catalogue (JSON),
// OSV records (JSON) and RSS/Atom feeds with keywords. The operator configures them (API or
// VILLAGE_FEEDS); each is read from an https URL or a local file (tests, air-gapped deployments).
//
// Polling is a durable job per feed and time slot (the slot in the key: two processes, or a
// restart, never poll one feed twice in a slot). A poll reads and parses outside any transaction,
// then in one step stores the new items (a feed item is stored once, ever: re-polling finds it
// stored) and enqueues one matching job for each new item that concerns an open, embargoed case,
// records how the poll went, and enqueues the next poll.
import { promises as fs } from 'node:fs';
import type { Kysely, Selectable } from 'kysely';
import type { AppContext, RequestMeta } from '../context.ts';
import { containsKeyword, type Signal } from '../domain/cords.ts';
import type { FeedInput } from '../domain/feed-config.ts';
import { feedSignals, parseFeed } from '../formats/feeds.ts';
import { kevSignals, parseKevText } from '../formats/kev.ts';
import { osvSignals, parseOsvText } from '../formats/osv-feed.ts';
import { problems } from '../problem.ts';
import type { DB } from '../store/schema.ts';
import type { FeedKind, FeedsTable } from '../store/schema-cords.ts';
import { auditObject } from './audit-log.ts';
import { CORD_SIGNAL_JOB, casesFor, embargoedCaseFacts } from './cords.ts';

export const FEED_POLL_JOB = 'feeds.poll';
/** Largest feed document read (the whole KEV catalogue is about 1.5 MB). */
export const MAX_FEED_BYTES = 64 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 60_000;

export interface FeedView {
  id: string;
  kind: FeedKind;
  name: string;
  url: string | null;
  path: string | null;
  intervalSeconds: number;
  keywords: string[];
  enabled: boolean;
  fromEnv: boolean;
  lastPolledAt: Date | null;
  lastError: string | null;
  lastItems: number | null;
}

type FeedRow = Selectable<FeedsTable>;

const view = (f: FeedRow): FeedView => ({
  id: f.id,
  kind: f.kind,
  name: f.name,
  url: f.url,
  path: f.path,
  intervalSeconds: f.interval_seconds,
  keywords: f.keywords,
  enabled: f.enabled,
  fromEnv: f.from_env,
  lastPolledAt: f.last_polled_at,
  lastError: f.last_error,
  lastItems: f.last_items,
});

export async function listFeeds(ctx: AppContext): Promise<FeedView[]> {
  return (await ctx.db.selectFrom('feeds').selectAll().orderBy('created_at').orderBy('id').execute()).map(view);
}

async function enqueuePoll(ctx: AppContext, trx: Kysely<DB>, feedId: string, key: string, runAt?: Date) {
  await ctx.jobs.enqueue(trx, FEED_POLL_JOB, { feedId }, { key, ...(runAt ? { runAt } : {}) });
}

/** The columns a feed's input sets, on creation and on update alike. */
const feedColumns = (input: FeedInput) => ({
  kind: input.kind,
  name: input.name,
  url: input.url ?? null,
  path: input.path ?? null,
  interval_seconds: input.intervalSeconds,
  keywords: input.keywords,
  enabled: input.enabled,
});

export async function createFeed(ctx: AppContext, meta: RequestMeta, input: FeedInput, fromEnv = false): Promise<FeedView> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('feeds')
      .values({ ...feedColumns(input), from_env: fromEnv, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    await auditObject(ctx, trx, meta, { type: 'feed', id: row.id }, 'feed.create', { kind: row.kind, name: row.name }, null);
    if (row.enabled) await enqueuePoll(ctx, trx, row.id, `${row.id}:start:${now.getTime()}`);
    return view(row);
  });
}

export async function updateFeed(ctx: AppContext, meta: RequestMeta, id: string, input: FeedInput): Promise<FeedView> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('feeds')
      .set({ ...feedColumns(input), updated_at: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw problems.notFound('feed');
    await auditObject(ctx, trx, meta, { type: 'feed', id }, 'feed.update', { kind: row.kind, name: row.name }, null);
    if (row.enabled) await enqueuePoll(ctx, trx, row.id, `${row.id}:start:${now.getTime()}`);
    return view(row);
  });
}

export async function deleteFeed(ctx: AppContext, meta: RequestMeta, id: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const row = await trx.deleteFrom('feeds').where('id', '=', id).returning(['kind', 'name']).executeTakeFirst();
    if (!row) throw problems.notFound('feed');
    await auditObject(ctx, trx, meta, { type: 'feed', id }, 'feed.delete', row, null);
  });
}

/** Asks for a poll now (the operator's "poll now"); the result shows on the feed. */
export async function pollNow(ctx: AppContext, meta: RequestMeta, id: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('feeds').select('id').where('id', '=', id).executeTakeFirst();
    if (!row) throw problems.notFound('feed');
    await enqueuePoll(ctx, trx, id, `${id}:now:${now.getTime()}`);
    await auditObject(ctx, trx, meta, { type: 'feed', id }, 'feed.poll', undefined, null);
  });
}

// --- reading -------------------------------------------------------------------------------------

/** The feed's document as text: from its file when it has one, else from its https URL. */
export async function readFeedSource(feed: Pick<FeedRow, 'url' | 'path'>): Promise<string> {
  if (feed.path) {
    const st = await fs.stat(feed.path);
    if (st.size > MAX_FEED_BYTES) throw new Error(`the feed file is larger than ${MAX_FEED_BYTES} bytes`);
    return fs.readFile(feed.path, 'utf8');
  }
  const url = new URL(feed.url ?? '');
  if (url.protocol !== 'https:') throw new Error('feeds are fetched over https only');
  const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'follow' });
  if (!res.ok || !res.body) throw new Error(`fetching the feed answered HTTP ${res.status}`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    if (size > MAX_FEED_BYTES) throw new Error(`the feed is larger than ${MAX_FEED_BYTES} bytes`);
    chunks.push(chunk);
  }
  return new TextDecoder('utf-8').decode(Buffer.concat(chunks));
}

/** The signals in a feed document (RSS/Atom items only when they name one of the feed's keywords, if it has any). */
export function feedDocumentSignals(feed: Pick<FeedRow, 'kind' | 'url' | 'keywords'>, text: string, now: Date): Signal[] {
  switch (feed.kind) {
    case 'kev':
      return kevSignals(parseKevText(text));
    case 'osv':
      return osvSignals(parseOsvText(text));
    case 'rss': {
      const all = feedSignals(parseFeed(text), feed.url ?? '', now);
      if (feed.keywords.length === 0) return all;
      return all.filter((s) => feed.keywords.some((k) => containsKeyword(s.text, k)));
    }
  }
}

export interface PollResult {
  items: number;
  stored: number;
  queued: number;
  error: string | null;
}

/**
 * Polls one feed: reads it, then stores new items and queues matching for those that concern an
 * open, embargoed case, in `store` (the job's once() step, or a plain transaction).
 */
export async function pollFeed(
  ctx: AppContext,
  feedId: string,
  store: <R>(effect: (trx: Kysely<DB>) => Promise<R>) => Promise<R | undefined>,
): Promise<PollResult | null> {
  const feed = await ctx.db.selectFrom('feeds').selectAll().where('id', '=', feedId).executeTakeFirst();
  if (!feed) return null;
  const now = ctx.clock.now();
  let signals: Signal[] = [];
  let error: string | null = null;
  try {
    signals = feedDocumentSignals(feed, await readFeedSource(feed), now);
  } catch (e) {
    error = (e as Error).message.slice(0, 2000);
    ctx.log.warn({ feedId, err: error }, 'could not read a feed');
  }
  const result = await store(async (trx) => {
    let stored = 0;
    let queued = 0;
    const facts = signals.length ? await embargoedCaseFacts(ctx, trx) : [];
    // Many items (the whole KEV catalogue) go in a few statements; a stored item is skipped.
    for (let i = 0; i < signals.length; i += 500) {
      const batch = signals.slice(i, i + 500);
      const relevant = new Set(batch.filter((s) => casesFor(s, facts).length > 0).map((s) => s.id));
      const rows = await storeSignals(trx, feedId, batch, relevant, now);
      stored += rows.length;
      for (const r of rows) {
        if (!relevant.has(r.item_key)) continue;
        await ctx.jobs.enqueue(trx, CORD_SIGNAL_JOB, { signalId: r.id }, { key: `signal:${r.id}` });
        queued++;
      }
    }
    await trx
      .updateTable('feeds')
      .set({ last_polled_at: now, last_error: error, last_items: error ? null : signals.length })
      .where('id', '=', feedId)
      .execute();
    if (feed.enabled) {
      const every = feed.interval_seconds * 1000;
      const slot = Math.floor(now.getTime() / every) + 1;
      await enqueuePoll(ctx, trx, feedId, `${feedId}:slot:${every}:${slot}`, new Date(slot * every));
    }
    return { items: signals.length, stored, queued, error };
  });
  return result ?? null;
}

/** Stores a feed's items not stored before; those concerning no case are stored as processed. */
async function storeSignals(
  trx: Kysely<DB>,
  feedId: string,
  signals: readonly Signal[],
  relevant: ReadonlySet<string>,
  now: Date,
): Promise<Array<{ id: string; item_key: string }>> {
  const unique = [...new Map(signals.map((s) => [s.id, s])).values()];
  if (unique.length === 0) return [];
  return trx
    .insertInto('cord_signals')
    .values(
      unique.map((s) => ({
        feed_id: feedId,
        item_key: s.id,
        case_id: null,
        kind: s.kind,
        signal: JSON.stringify(s),
        received_at: now,
        processed_at: relevant.has(s.id) ? null : now,
      })),
    )
    .onConflict((oc) => oc.columns(['feed_id', 'item_key']).where('feed_id', 'is not', null).doNothing())
    .returning(['id', 'item_key'])
    .execute();
}

export function registerFeedJobs(ctx: AppContext): void {
  ctx.jobs.register<{ feedId: string }>(FEED_POLL_JOB, async (job) => {
    await pollFeed(ctx, job.data.feedId, async (effect) => {
      const r = await job.once(effect, 'store');
      return r.ran ? r.result : undefined;
    });
  });
}

// --- configuration from the environment -----------------------------------------------------------

/**
 * Feeds named in VILLAGE_FEEDS (a JSON array of feed objects): the environment's list replaces
 * the feeds configured from the environment before (by kind and name); API-made feeds stay.
 */
export async function syncEnvFeeds(ctx: AppContext, feeds: readonly FeedInput[]): Promise<void> {
  const meta: RequestMeta = { actor: { type: 'anonymous' }, requestId: 'village:env-feeds' };
  const existing = await ctx.db.selectFrom('feeds').selectAll().where('from_env', '=', true).execute();
  for (const f of feeds) {
    const same = existing.find((e) => e.kind === f.kind && e.name === f.name);
    const unchanged =
      same &&
      same.url === (f.url ?? null) &&
      same.path === (f.path ?? null) &&
      same.interval_seconds === f.intervalSeconds &&
      same.enabled === f.enabled &&
      JSON.stringify(same.keywords) === JSON.stringify(f.keywords);
    if (unchanged) continue;
    if (same) await updateFeed(ctx, meta, same.id, f);
    else await createFeed(ctx, meta, f, true);
  }
  for (const e of existing) {
    if (!feeds.some((f) => f.kind === e.kind && f.name === e.name)) await deleteFeed(ctx, meta, e.id);
  }
}
