import { type FormEvent, useState } from 'react';
import { get, post } from '../api.ts';
import { humanSize, RM_STATES } from '../format.ts';
import { Badge, Empty, ErrorNote, Loading, Page, Section, Time, useAction, useLoad } from '../ui.tsx';

interface ReplyView {
  report: {
    ref: string;
    title: string;
    description: string;
    vendorName: string | null;
    productName: string | null;
    cveIds: string[];
    state: string;
    createdAt: string;
    creditConsent: boolean;
    creditName: string | null;
    plannedDisclosureAt: string | null;
    attachments: Array<{ id: string; filename: string; sizeBytes: number }>;
  };
  messages: Array<{ id: string; fromReporter: boolean; body: string; createdAt: string }>;
}

export function ReplyPage({ token }: { token: string }) {
  const path = `/reply/${encodeURIComponent(token)}`;
  const { data, error, loading, reload } = useLoad(() => get<ReplyView>(path), [token]);
  const [body, setBody] = useState('');
  const act = useAction();
  const send = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      await post(`${path}/messages`, { body });
      setBody('');
      await reload();
    });
  };
  if (loading && !data) return <Loading />;
  if (!data)
    return (
      <Page title="Your report">
        <ErrorNote error={error ?? 'This link is not valid.'} />
      </Page>
    );
  const r = data.report;
  return (
    <Page title={`${r.ref}: ${r.title}`}>
      <p className="lead">
        State: <Badge kind="state">{RM_STATES[r.state] ?? r.state}</Badge> · received <Time iso={r.createdAt} />
      </p>
      <div className="grid-side">
        <Section id="details" title="Your report">
          <dl className="facts">
            <dt>Vendor</dt>
            <dd>{r.vendorName ?? '—'}</dd>
            <dt>Product</dt>
            <dd>{r.productName ?? '—'}</dd>
            <dt>CVE ids</dt>
            <dd>{r.cveIds.length ? r.cveIds.join(', ') : '—'}</dd>
            <dt>Your planned publication</dt>
            <dd>
              <Time iso={r.plannedDisclosureAt} />
            </dd>
            <dt>Credit</dt>
            <dd>{r.creditConsent ? `Yes, as ${r.creditName ?? 'you'}` : 'No credit'}</dd>
            <dt>Attachments</dt>
            <dd>
              {r.attachments.length ? r.attachments.map((a) => `${a.filename} (${humanSize(a.sizeBytes)})`).join(', ') : '—'}
            </dd>
          </dl>
          <p className="prewrap">{r.description}</p>
        </Section>
        <Section id="conversation" title="Conversation with the coordinator">
          {data.messages.length === 0 ? <Empty>No messages yet. We will write here when we have questions.</Empty> : null}
          <ol className="thread">
            {data.messages.map((m) => (
              <li key={m.id} className={m.fromReporter ? 'mine' : 'theirs'}>
                <div className="meta">
                  <strong>{m.fromReporter ? 'You' : 'Coordinator'}</strong> · <Time iso={m.createdAt} />
                </div>
                <p className="prewrap">{m.body}</p>
              </li>
            ))}
          </ol>
          <form onSubmit={send}>
            <label htmlFor="reply-body">Write to the coordinator</label>
            <textarea id="reply-body" rows={4} required value={body} onChange={(e) => setBody(e.target.value)} />
            <ErrorNote error={act.error} />
            <div className="actions">
              <button type="submit" className="primary" disabled={act.busy}>
                Send
              </button>
            </div>
          </form>
        </Section>
      </div>
    </Page>
  );
}
