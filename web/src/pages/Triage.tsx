import { type FormEvent, useState } from 'react';
import { get, post } from '../api.ts';
import { humanSize, RM_ACTION_LABELS, RM_STATES } from '../format.ts';
import { Link, navigate } from '../router.tsx';
import { Badge, Empty, ErrorNote, Loading, Page, Section, TableWrap, Time, useAction, useLoad } from '../ui.tsx';

interface InboxRow {
  id: string;
  ref: string;
  title: string;
  vendorName: string | null;
  productName: string | null;
  cveIds: string[];
  state: string;
  caseId: string | null;
  createdAt: string;
  ageDays: number;
}

export function TriagePage() {
  const [filters, setFilters] = useState({ state: 'R', vendor: '', olderThanDays: '', q: '' });
  const [applied, setApplied] = useState(filters);
  const query = new URLSearchParams();
  if (applied.state) query.set('state', applied.state);
  if (applied.vendor.trim()) query.set('vendor', applied.vendor.trim());
  if (applied.olderThanDays) query.set('olderThanDays', applied.olderThanDays);
  if (applied.q.trim()) query.set('q', applied.q.trim());
  const qs = query.toString();
  const { data, error, loading } = useLoad(() => get<InboxRow[]>(`/reports${qs ? `?${qs}` : ''}`), [qs]);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setApplied(filters);
  };
  return (
    <Page title="Triage inbox">
      <form className="filters card" onSubmit={apply} aria-label="Filter reports">
        <div>
          <label htmlFor="f-state">State</label>
          <select id="f-state" value={filters.state} onChange={(e) => setFilters({ ...filters, state: e.target.value })}>
            <option value="">Any</option>
            {Object.entries(RM_STATES)
              .filter(([k]) => k !== 'S')
              .map(([k, v]) => (
                <option key={k} value={k}>
                  {v}
                </option>
              ))}
          </select>
        </div>
        <div>
          <label htmlFor="f-vendor">Vendor</label>
          <input id="f-vendor" value={filters.vendor} onChange={(e) => setFilters({ ...filters, vendor: e.target.value })} />
        </div>
        <div>
          <label htmlFor="f-age">Older than (days)</label>
          <input
            id="f-age"
            type="number"
            min={0}
            value={filters.olderThanDays}
            onChange={(e) => setFilters({ ...filters, olderThanDays: e.target.value })}
          />
        </div>
        <div>
          <label htmlFor="f-q">Text</label>
          <input id="f-q" type="search" value={filters.q} onChange={(e) => setFilters({ ...filters, q: e.target.value })} />
        </div>
        <div className="filters-go">
          <button type="submit" className="primary">
            Filter
          </button>
        </div>
      </form>
      <ErrorNote error={error} />
      {loading && !data ? <Loading /> : null}
      {data && data.length === 0 ? <Empty>No reports match.</Empty> : null}
      {data && data.length > 0 ? (
        <TableWrap label="Reports">
          <table>
            <caption className="visually-hidden">Reports</caption>
            <thead>
              <tr>
                <th scope="col">Report</th>
                <th scope="col">Vendor / product</th>
                <th scope="col">State</th>
                <th scope="col">Received</th>
                <th scope="col">Case</th>
              </tr>
            </thead>
            <tbody>
              {data.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link href={`/triage/${r.id}`}>
                      <span className="ref">{r.ref}</span> {r.title}
                    </Link>
                    {r.cveIds.length ? <div className="muted small">{r.cveIds.join(', ')}</div> : null}
                  </td>
                  <td>{[r.vendorName, r.productName].filter(Boolean).join(' / ') || '—'}</td>
                  <td>
                    <Badge kind="state">{RM_STATES[r.state] ?? r.state}</Badge>
                  </td>
                  <td>
                    <Time iso={r.createdAt} />
                    <div className="muted small">{r.ageDays === 0 ? 'today' : `${r.ageDays} days`}</div>
                  </td>
                  <td>{r.caseId ? <Link href={`/cases/${r.caseId}`}>Open case</Link> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
    </Page>
  );
}

interface ReportDetail {
  report: InboxRow & {
    description: string;
    purl: string | null;
    reporterName: string | null;
    reporterEmail: string;
    plannedDisclosureAt: string | null;
    creditConsent: boolean;
    creditName: string | null;
    attachments: Array<{ id: string; filename: string; mediaType: string; sizeBytes: number; sha256: string }>;
  };
  history: Array<{ at: string; kind: string; from: string | null; to: string | null; note: string | null }>;
  allowedActions: string[];
}
interface Duplicate {
  reportId: string;
  ref: string;
  title: string;
  caseId: string | null;
  score: number;
  reasons: string[];
}
interface CaseSummary {
  id: string;
  ref: string;
  title: string;
}
interface ReporterMessage {
  id: string;
  fromReporter: boolean;
  body: string;
  createdAt: string;
}

export function ReportDetailPage({ id }: { id: string }) {
  const detail = useLoad(() => get<ReportDetail>(`/reports/${id}`), [id]);
  const dups = useLoad(() => get<Duplicate[]>(`/reports/${id}/duplicates`), [id]);
  const msgs = useLoad(() => get<ReporterMessage[]>(`/reports/${id}/messages`), [id]);
  const cases = useLoad(() => get<CaseSummary[]>('/cases?open=true'), []);
  const act = useAction();
  const [note, setNote] = useState('');
  const [caseTitle, setCaseTitle] = useState<string | null>(null);
  const [mergeInto, setMergeInto] = useState('');
  const [message, setMessage] = useState('');

  if (detail.loading && !detail.data) return <Loading />;
  if (!detail.data)
    return (
      <Page title="Report">
        <ErrorNote error={detail.error} />
      </Page>
    );
  const { report: r, history, allowedActions } = detail.data;
  const transition = (action: string) =>
    act.run(async () => {
      await post(`/reports/${id}/transition`, { action, ...(note.trim() ? { note: note.trim() } : {}) });
      setNote('');
      await detail.reload();
    });
  const openCase = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      const c = await post<{ id: string }>('/cases', {
        title: caseTitle ?? r.title,
        summary: r.description.slice(0, 2000),
        reportIds: [id],
      });
      navigate(`/cases/${c.id}`);
    });
  };
  const merge = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      await post(`/reports/${id}/merge`, { caseId: mergeInto });
      navigate(`/cases/${mergeInto}`);
    });
  };
  const sendMessage = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      await post(`/reports/${id}/messages`, { body: message });
      setMessage('');
      await msgs.reload();
    });
  };
  const canOpen = !r.caseId && ['V', 'D', 'A'].includes(r.state);

  return (
    <Page title={`${r.ref}: ${r.title}`} actions={<Link href="/triage">Back to the inbox</Link>}>
      <p className="lead">
        <Badge kind="state">{RM_STATES[r.state] ?? r.state}</Badge> · received <Time iso={r.createdAt} />
        {r.caseId ? (
          <>
            {' '}
            · in <Link href={`/cases/${r.caseId}`}>its case</Link>
          </>
        ) : null}
      </p>
      <ErrorNote error={act.error} />
      <div className="grid-side wide-main">
        <div className="stack">
          <Section id="report" title="Report">
            <dl className="facts">
              <dt>Vendor</dt>
              <dd>{r.vendorName ?? '—'}</dd>
              <dt>Product</dt>
              <dd>{r.productName ?? '—'}</dd>
              <dt>Package URL</dt>
              <dd>{r.purl ? <code>{r.purl}</code> : '—'}</dd>
              <dt>CVE ids</dt>
              <dd>{r.cveIds.length ? r.cveIds.join(', ') : '—'}</dd>
              <dt>Reporter</dt>
              <dd>
                {r.reporterName ?? 'Anonymous'} &lt;{r.reporterEmail}&gt;
              </dd>
              <dt>Credit</dt>
              <dd>{r.creditConsent ? `Yes, as ${r.creditName ?? r.reporterName ?? 'the reporter'}` : 'Declined'}</dd>
              <dt>Reporter's planned publication</dt>
              <dd>
                <Time iso={r.plannedDisclosureAt} relative />
              </dd>
            </dl>
            <p className="prewrap">{r.description}</p>
            {r.attachments.length ? (
              <>
                <h3>Attachments</h3>
                <ul>
                  {r.attachments.map((a) => (
                    <li key={a.id}>
                      <a href={`/api/v1/reports/${id}/attachments/${a.id}`} download>
                        {a.filename}
                      </a>{' '}
                      <span className="muted small">
                        {a.mediaType}, {humanSize(a.sizeBytes)}, SHA-256 {a.sha256.slice(0, 12)}…
                      </span>
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
          </Section>
          <Section id="reporter-thread" title="Conversation with the reporter">
            {msgs.data?.length === 0 ? <Empty>No messages yet.</Empty> : null}
            <ol className="thread">
              {(msgs.data ?? []).map((m) => (
                <li key={m.id} className={m.fromReporter ? 'theirs' : 'mine'}>
                  <div className="meta">
                    <strong>{m.fromReporter ? 'Reporter' : 'Coordinator'}</strong> · <Time iso={m.createdAt} />
                  </div>
                  <p className="prewrap">{m.body}</p>
                </li>
              ))}
            </ol>
            <form onSubmit={sendMessage}>
              <label htmlFor="to-reporter">Write to the reporter</label>
              <textarea id="to-reporter" rows={3} required value={message} onChange={(e) => setMessage(e.target.value)} />
              <div className="actions">
                <button type="submit" disabled={act.busy}>
                  Send to the reporter
                </button>
              </div>
            </form>
          </Section>
        </div>
        <div className="stack">
          <Section id="decide" title="Decide">
            {allowedActions.length ? (
              <>
                <label htmlFor="t-note">Note (optional, kept in the history)</label>
                <input id="t-note" value={note} onChange={(e) => setNote(e.target.value)} />
                <div className="actions wrap">
                  {allowedActions.map((a) => (
                    <button key={a} type="button" onClick={() => transition(a)} disabled={act.busy}>
                      {RM_ACTION_LABELS[a] ?? a}
                    </button>
                  ))}
                </div>
              </>
            ) : (
              <Empty>No transitions from this state.</Empty>
            )}
            {canOpen ? (
              <form onSubmit={openCase}>
                <h3>Open a case</h3>
                <label htmlFor="c-title">Case title</label>
                <input id="c-title" required value={caseTitle ?? r.title} onChange={(e) => setCaseTitle(e.target.value)} />
                <div className="actions">
                  <button type="submit" className="primary" disabled={act.busy}>
                    Open a case
                  </button>
                </div>
              </form>
            ) : null}
            {!r.caseId && (cases.data?.length ?? 0) > 0 ? (
              <form onSubmit={merge}>
                <h3>Merge into a case</h3>
                <label htmlFor="m-case">Case</label>
                <select id="m-case" required value={mergeInto} onChange={(e) => setMergeInto(e.target.value)}>
                  <option value="">Choose a case…</option>
                  {(cases.data ?? []).map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.ref}: {c.title}
                    </option>
                  ))}
                </select>
                <div className="actions">
                  <button type="submit" disabled={act.busy || !mergeInto}>
                    Merge
                  </button>
                </div>
              </form>
            ) : null}
          </Section>
          <Section id="duplicates" title="Possible duplicates">
            {dups.data?.length === 0 ? <Empty>None found.</Empty> : null}
            <ul className="plain">
              {(dups.data ?? []).map((d) => (
                <li key={d.reportId}>
                  <Link href={`/triage/${d.reportId}`}>
                    <span className="ref">{d.ref}</span> {d.title}
                  </Link>
                  <div className="muted small">
                    {d.reasons.join(', ')} · score {d.score.toFixed(2)}
                    {d.caseId ? (
                      <>
                        {' '}
                        · <Link href={`/cases/${d.caseId}`}>in a case</Link>
                      </>
                    ) : null}
                  </div>
                </li>
              ))}
            </ul>
          </Section>
          <Section id="history" title="History">
            <ol className="timeline">
              {history.map((h) => (
                <li key={`${h.at}-${h.kind}-${h.to}`}>
                  <Time iso={h.at} /> — {h.kind}
                  {h.from || h.to
                    ? `: ${RM_STATES[h.from ?? ''] ?? h.from ?? '·'} → ${RM_STATES[h.to ?? ''] ?? h.to ?? '·'}`
                    : ''}
                  {h.note ? <div className="muted small">{h.note}</div> : null}
                </li>
              ))}
            </ol>
          </Section>
        </div>
      </div>
    </Page>
  );
}
