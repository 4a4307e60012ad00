// Feeds (operators): the sources Village polls for signals that pull parachute cords — CISA KEV,
// OSV records, RSS/Atom — with when each was last read and what went wrong; add, edit, poll now,
// disable, remove. Validation errors come from the API's problem details, shown at their fields.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { del, get, post, put } from '../api.ts';
import { EMPTY_FEED, everyText, FEED_KINDS, type Feed, type FeedDraft, feedBody, feedDraftOf } from '../feeds.ts';
import {
  Badge,
  DataTable,
  Empty,
  ErrorNote,
  Field,
  fieldError,
  Loading,
  Page,
  Section,
  Time,
  useAction,
  useLoad,
  useSession,
} from '../ui.tsx';

export function FeedsPage() {
  const { me } = useSession();
  const feeds = useLoad(() => get<Feed[]>('/feeds'), []);
  const [editing, setEditing] = useState<string | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);
  const act = useAction();
  const list = feeds.data ?? [];
  // Polls asked for and not yet reported (a job reads the feed): feed id → its lastPolledAt before.
  const [waiting, setWaiting] = useState<Record<string, string | null>>({});
  const { reload } = feeds;
  useEffect(() => {
    const ids = Object.keys(waiting);
    if (!ids.length) return;
    const done = ids.filter((id) => {
      const f = list.find((x) => x.id === id);
      return !f || f.lastPolledAt !== waiting[id];
    });
    if (done.length) {
      setWaiting(Object.fromEntries(Object.entries(waiting).filter(([id]) => !done.includes(id))));
      return;
    }
    const t = setTimeout(() => void reload(), 1500);
    return () => clearTimeout(t);
  }, [waiting, list, reload]);
  if (me && !me.user.isOperator)
    return (
      <Page title="Feeds">
        <p>Feeds are managed by the instance's operators.</p>
      </Page>
    );
  const change = (f: Feed, body: Partial<FeedDraft>) =>
    act.run(async () => {
      await put(`/feeds/${f.id}`, feedBody({ ...feedDraftOf(f), ...body }));
      await feeds.reload();
    });
  const poll = (f: Feed) =>
    act.run(async () => {
      await post(`/feeds/${f.id}/poll`);
      setWaiting({ ...waiting, [f.id]: f.lastPolledAt });
    });
  const remove = (f: Feed) =>
    act.run(async () => {
      await del(`/feeds/${f.id}`);
      setRemoving(null);
      await feeds.reload();
    });
  const current = list.find((f) => f.id === editing);
  return (
    <Page title="Feeds">
      <p className="lead">
        Sources Village reads for signals about embargoed cases: CISA's Known Exploited Vulnerabilities, OSV records and RSS/Atom
        news. A signal that names a case's CVE id, package or keyword pulls that case's parachute cords.
      </p>
      <ErrorNote error={feeds.error} />
      <Section id="feed-list" title="Configured feeds">
        {feeds.loading && !feeds.data ? <Loading what="Loading the feeds" /> : null}
        {feeds.data && list.length === 0 ? <Empty>No feeds yet: add one below.</Empty> : null}
        <ErrorNote error={act.error} />
        {list.length ? (
          <DataTable
            label="Feeds"
            rows={list}
            rowKey={(f) => f.id}
            columns={[
              {
                head: 'Name',
                cell: (f) => (
                  <>
                    {f.name}
                    {f.fromEnv ? <div className="small muted">from VILLAGE_FEEDS</div> : null}
                  </>
                ),
              },
              { head: 'Kind', cell: (f) => FEED_KINDS[f.kind] },
              {
                head: 'Source',
                cell: (f) => (
                  <>
                    {f.url ? <code className="wrap">{f.url}</code> : null}
                    {f.path ? (
                      <div className="small">
                        read from <code className="wrap">{f.path}</code>
                      </div>
                    ) : null}
                    <div className="small muted">
                      {everyText(f.intervalSeconds)}
                      {f.keywords.length ? ` · keywords: ${f.keywords.join(', ')}` : ''}
                    </div>
                  </>
                ),
              },
              {
                head: 'Last poll',
                cell: (f) =>
                  f.id in waiting ? (
                    <span className="muted">polling…</span>
                  ) : f.lastPolledAt ? (
                    <>
                      <Time iso={f.lastPolledAt} />
                      {f.lastItems !== null ? (
                        <div className="small muted">
                          {f.lastItems} item{f.lastItems === 1 ? '' : 's'}
                        </div>
                      ) : null}
                    </>
                  ) : (
                    <span className="muted">never</span>
                  ),
              },
              {
                head: 'Status',
                cell: (f) => (
                  <>
                    {f.enabled ? <Badge kind="ok">enabled</Badge> : <Badge>disabled</Badge>}
                    {f.lastError ? (
                      <div className="small feed-error">
                        <Badge kind="bad">last poll failed</Badge> {f.lastError}
                      </div>
                    ) : null}
                  </>
                ),
              },
            ]}
            actions={(f) =>
              removing === f.id ? (
                <ConfirmRemove feed={f} busy={act.busy} onRemove={() => remove(f)} onKeep={() => setRemoving(null)} />
              ) : (
                <div className="actions">
                  <button type="button" className="small" onClick={() => setEditing(f.id)}>
                    Edit<span className="visually-hidden"> {f.name}</span>
                  </button>
                  <button type="button" className="small" disabled={act.busy || !f.enabled} onClick={() => poll(f)}>
                    Poll now<span className="visually-hidden"> {f.name}</span>
                  </button>
                  <button type="button" className="small" disabled={act.busy} onClick={() => change(f, { enabled: !f.enabled })}>
                    {f.enabled ? 'Disable' : 'Enable'}
                    <span className="visually-hidden"> {f.name}</span>
                  </button>
                  <button type="button" className="small danger" onClick={() => setRemoving(f.id)}>
                    Remove<span className="visually-hidden"> {f.name}</span>
                  </button>
                </div>
              )
            }
          />
        ) : null}
      </Section>
      <FeedForm
        key={current?.id ?? 'new'}
        feed={current ?? null}
        onCancel={() => setEditing(null)}
        onSaved={async () => {
          setEditing(null);
          await feeds.reload();
        }}
      />
    </Page>
  );
}

/** The confirmation that replaced a feed's buttons; the keyboard lands on its safe choice. */
function ConfirmRemove({
  feed,
  busy,
  onRemove,
  onKeep,
}: {
  feed: Feed;
  busy: boolean;
  onRemove: () => void;
  onKeep: () => void;
}) {
  const keep = useRef<HTMLButtonElement>(null);
  useEffect(() => keep.current?.focus(), []);
  return (
    <div className="confirm" role="alert">
      <p>Remove “{feed.name}”? Signals already stored stay.</p>
      <button type="button" className="danger small" disabled={busy} onClick={onRemove}>
        Remove now
      </button>{' '}
      <button type="button" className="small" ref={keep} onClick={onKeep}>
        Keep it
      </button>
    </div>
  );
}

function FeedForm({ feed, onCancel, onSaved }: { feed: Feed | null; onCancel: () => void; onSaved: () => Promise<void> }) {
  const [d, setD] = useState<FeedDraft>(feed ? feedDraftOf(feed) : EMPTY_FEED);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const nameRef = useRef<HTMLInputElement>(null);
  // Editing starts in the form (the button that opened it stays in the table).
  useEffect(() => {
    if (feed) nameRef.current?.focus();
  }, [feed]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (feed) await put(`/feeds/${feed.id}`, feedBody(d));
      else await post('/feeds', feedBody(d));
      if (!feed) setD(EMPTY_FEED);
      await onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const title = feed ? `Edit “${feed.name}”` : 'Add a feed';
  return (
    <Section id="feed-form" title={title}>
      <form className="inline-form" onSubmit={submit} noValidate aria-labelledby="feed-form-h">
        {feed?.fromEnv ? (
          <p className="notice">This feed comes from VILLAGE_FEEDS: the next start sets it back to what that says.</p>
        ) : null}
        <ErrorNote error={error} />
        <div className="row">
          <Field id="feed-kind" label="Kind">
            <select value={d.kind} onChange={(e) => setD({ ...d, kind: e.target.value as Feed['kind'] })}>
              {Object.entries(FEED_KINDS).map(([k, v]) => (
                <option key={k} value={k}>
                  {v}
                </option>
              ))}
            </select>
          </Field>
          <Field id="feed-name" label="Name" error={fieldError(error, 'name')} className="grow">
            <input ref={nameRef} required value={d.name} onChange={(e) => setD({ ...d, name: e.target.value })} />
          </Field>
        </div>
        <div className="row">
          <Field
            id="feed-url"
            label="URL"
            className="grow"
            hint={d.kind === 'rss' ? 'Required: cords name an RSS/Atom feed by this address.' : 'https; or give a path below.'}
            error={fieldError(error, 'url')}
          >
            <input
              type="url"
              inputMode="url"
              placeholder="https://"
              value={d.url}
              onChange={(e) => setD({ ...d, url: e.target.value })}
            />
          </Field>
          <Field
            id="feed-path"
            label="Local file (optional)"
            className="grow"
            hint="An absolute path read instead of the URL."
            error={fieldError(error, 'path')}
          >
            <input value={d.path} onChange={(e) => setD({ ...d, path: e.target.value })} />
          </Field>
        </div>
        <div className="row">
          <Field
            id="feed-every"
            label="Poll every (minutes)"
            hint="1 minute to 7 days."
            error={fieldError(error, 'intervalSeconds')}
          >
            <input
              type="number"
              min={1}
              max={10080}
              inputMode="numeric"
              value={d.minutes}
              onChange={(e) => setD({ ...d, minutes: e.target.value })}
            />
          </Field>
          <Field
            id="feed-keywords"
            label="Keywords (comma-separated)"
            className="grow"
            hint="RSS/Atom: keep only items naming one of these."
            error={fieldError(error, 'keywords')}
          >
            <input value={d.keywords} onChange={(e) => setD({ ...d, keywords: e.target.value })} />
          </Field>
        </div>
        <div className="check">
          <input
            id="feed-enabled"
            type="checkbox"
            checked={d.enabled}
            onChange={(e) => setD({ ...d, enabled: e.target.checked })}
          />
          <label htmlFor="feed-enabled">Enabled (polled on its schedule)</label>
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {feed ? 'Save the feed' : 'Add the feed'}
          </button>
          {feed ? (
            <button type="button" onClick={onCancel} disabled={busy}>
              Cancel
            </button>
          ) : null}
        </div>
      </form>
    </Section>
  );
}
