// A case's parachute cords: what makes Village act at once, who has acknowledged them, which
// have fired; the coordinator's editor, the participant's acknowledgement, and a form to report
// a signal with evidence.
import { type FormEvent, useState } from 'react';
import { get, post, put } from '../api.ts';
import { localInputToIso } from '../format.ts';
import { Badge, Empty, ErrorNote, Loading, Section, TableWrap, Time, useAction, useLoad } from '../ui.tsx';

type CordKind = 'exploit-public' | 'attacks-observed' | 'leak-detected' | 'feed-match' | 'date-reached';
type CordAction = 'release-now' | 'open-next-tent' | 'alert';

interface Cord {
  id: string;
  kind: CordKind;
  action: CordAction;
  watch?: { cveIds: string[]; purls: string[]; keywords: string[]; caseTerms: boolean };
  feeds?: Array<{ source: 'kev' | 'osv' | 'rss'; url?: string }>;
  at?: string;
}

interface CordsView {
  cords: Cord[];
  keywords: string[];
  setHash: string;
  isDefault: boolean;
  updatedAt: string | null;
  acknowledgement: {
    mine: { required: boolean; acknowledgedAt: string | null };
    complete: boolean;
    pendingCount: number | null;
    organizations: Array<{ orgId: string; name: string; acknowledgedAt: string | null }> | null;
  };
  firings: Array<{
    cordId: string;
    at: string;
    did: CordAction;
    note: string | null;
    signal: { kind: string; source: string } | null;
  }>;
  /** Participants' signals with their evidence: all for the coordinator, our own otherwise. */
  signals: Array<{ id: string; kind: string; at: string; orgId: string | null; evidence: { text: string; url?: string } | null }>;
}

const KIND_NAMES: Record<CordKind, string> = {
  'exploit-public': 'Exploit made public',
  'attacks-observed': 'Attacks observed in the wild',
  'leak-detected': 'Leak detected',
  'feed-match': 'Seen in a watched feed',
  'date-reached': 'Date reached',
};
const ACTION_NAMES: Record<CordAction, string> = {
  'release-now': 'End the embargo and release now',
  'open-next-tent': 'Open the next tent now',
  alert: 'Alert the coordinator and every participant',
};
const NOTES: Record<string, string> = {
  'subsumed-by-release': 'the release told everyone',
  'no-embargo-in-force': 'no embargo was in force, so everyone was alerted',
  'cords-not-acknowledged': 'not everyone had acknowledged the cords, so everyone was alerted instead of releasing',
};
const SOURCE_NAMES: Record<string, string> = {
  person: 'a participant',
  kev: 'CISA KEV',
  osv: 'OSV',
  rss: 'an RSS/Atom feed',
};

function describeCondition(c: Cord): string {
  if (c.kind === 'date-reached') return c.at === 'release-date' ? 'at the agreed release date' : '';
  if (c.kind !== 'feed-match' || !c.watch) return '';
  const w = c.watch;
  const terms = [
    ...(w.caseTerms ? ["the case's CVE ids, packages and keywords"] : []),
    ...w.cveIds,
    ...w.purls,
    ...w.keywords.map((k) => `“${k}”`),
  ];
  const feeds = (c.feeds ?? []).map((f) => (f.source === 'rss' ? (f.url ?? 'RSS') : f.source.toUpperCase()));
  return `${terms.join(', ')} in ${feeds.join(', ')}`;
}

const splitList = (s: string) =>
  s
    .split(/[,\n]/)
    .map((x) => x.trim())
    .filter(Boolean);

/** One cord as the editor holds it: plain strings for the inputs. */
interface Draft {
  id: string;
  kind: CordKind;
  action: CordAction;
  atReleaseDate: boolean;
  at: string;
  caseTerms: boolean;
  cveIds: string;
  purls: string;
  keywords: string;
  kev: boolean;
  osv: boolean;
  rss: string;
}

function toLocalInput(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function toDraft(c: Cord): Draft {
  return {
    id: c.id,
    kind: c.kind,
    action: c.action,
    atReleaseDate: c.kind === 'date-reached' ? c.at === 'release-date' : true,
    at: c.kind === 'date-reached' && c.at && c.at !== 'release-date' ? toLocalInput(c.at) : '',
    caseTerms: c.watch?.caseTerms ?? true,
    cveIds: (c.watch?.cveIds ?? []).join(', '),
    purls: (c.watch?.purls ?? []).join(', '),
    keywords: (c.watch?.keywords ?? []).join(', '),
    kev: (c.feeds ?? []).some((f) => f.source === 'kev'),
    osv: (c.feeds ?? []).some((f) => f.source === 'osv'),
    rss: (c.feeds ?? [])
      .filter((f) => f.source === 'rss')
      .map((f) => f.url ?? '')
      .join(', '),
  };
}

function fromDraft(d: Draft): Record<string, unknown> {
  const base = { id: d.id.trim(), kind: d.kind, action: d.action };
  if (d.kind === 'date-reached') return { ...base, at: d.atReleaseDate ? 'release-date' : (localInputToIso(d.at) ?? d.at) };
  if (d.kind === 'feed-match') {
    return {
      ...base,
      watch: { caseTerms: d.caseTerms, cveIds: splitList(d.cveIds), purls: splitList(d.purls), keywords: splitList(d.keywords) },
      feeds: [
        ...(d.kev ? [{ source: 'kev' }] : []),
        ...(d.osv ? [{ source: 'osv' }] : []),
        ...splitList(d.rss).map((url) => ({ source: 'rss', url })),
      ],
    };
  }
  return base;
}

export function CordsSection({
  caseId,
  coordinator,
  tick,
  onChange,
}: {
  caseId: string;
  coordinator: boolean;
  tick: number;
  onChange: () => Promise<void>;
}) {
  const cords = useLoad(() => get<CordsView>(`/cases/${caseId}/cords`), [caseId, tick]);
  const act = useAction();
  const [editing, setEditing] = useState(false);
  const v = cords.data;
  const after = async () => {
    await cords.reload();
    await onChange();
  };
  const acknowledge = () =>
    act.run(async () => {
      if (!v) return;
      await post(`/cases/${caseId}/cords/ack`, { setHash: v.setHash });
      await after();
    });
  const fired = new Map((v?.firings ?? []).map((f) => [f.cordId, f]));
  return (
    <Section
      id="cords"
      title="Parachute cords"
      actions={
        coordinator && v && !editing ? (
          <button type="button" onClick={() => setEditing(true)}>
            Edit cords
          </button>
        ) : null
      }
    >
      {cords.loading && !v ? <Loading /> : null}
      <ErrorNote error={cords.error ?? act.error} />
      {v ? (
        <>
          <p className="small">
            When one of these happens, Village acts at once and tells everyone.{' '}
            {v.isDefault ? 'These are the default cords.' : null}{' '}
            {v.acknowledgement.complete
              ? 'Every participant has acknowledged them.'
              : `${v.acknowledgement.pendingCount === null ? 'Not every organization has' : `${v.acknowledgement.pendingCount} organization(s) have not`} acknowledged them yet: until they all do, a cord that would end the embargo only alerts.`}
          </p>
          {v.acknowledgement.mine.required && !v.acknowledgement.mine.acknowledgedAt ? (
            <div className="notice" role="status">
              <p>
                Your organization has not acknowledged the current cords. Read them, then confirm them: that is your
                organization's acknowledgement.
              </p>
              <button type="button" className="primary" disabled={act.busy} onClick={() => void acknowledge()}>
                Confirm the cords for my organization
              </button>
            </div>
          ) : v.acknowledgement.mine.acknowledgedAt ? (
            <p className="small">
              Your organization acknowledged them <Time iso={v.acknowledgement.mine.acknowledgedAt} />.
            </p>
          ) : null}
          {editing ? (
            <CordEditor
              caseId={caseId}
              view={v}
              onDone={async (saved) => {
                setEditing(false);
                if (saved) await after();
              }}
            />
          ) : v.cords.length === 0 ? (
            <Empty>No cords: nothing makes Village act on its own in this case.</Empty>
          ) : (
            <TableWrap label="The case's parachute cords">
              <table>
                <caption className="visually-hidden">The case's parachute cords</caption>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Village will</th>
                    <th scope="col">Fired</th>
                  </tr>
                </thead>
                <tbody>
                  {v.cords.map((c) => {
                    const f = fired.get(c.id);
                    return (
                      <tr key={c.id}>
                        <td>
                          <strong>{KIND_NAMES[c.kind]}</strong>
                          {c.kind === 'date-reached' && c.at && c.at !== 'release-date' ? (
                            <>
                              {' '}
                              <Time iso={c.at} />
                            </>
                          ) : null}
                          {describeCondition(c) ? <div className="small">{describeCondition(c)}</div> : null}
                        </td>
                        <td>{ACTION_NAMES[c.action]}</td>
                        <td>
                          {f ? (
                            <>
                              <Badge kind="bad">fired</Badge> <Time iso={f.at} />
                              {f.signal ? ` · from ${SOURCE_NAMES[f.signal.source] ?? f.signal.source}` : ''}
                              {f.note ? <div className="small">{NOTES[f.note] ?? f.note}</div> : null}
                            </>
                          ) : (
                            <span className="muted">no</span>
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </TableWrap>
          )}
          {v.acknowledgement.organizations ? (
            <>
              <h3>Acknowledged by</h3>
              <ul className="plain">
                {v.acknowledgement.organizations.map((o) => (
                  <li key={o.orgId}>
                    {o.name}: {o.acknowledgedAt ? <Badge kind="ok">acknowledged</Badge> : <Badge kind="neutral">not yet</Badge>}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          {v.signals.length ? (
            <>
              <h3>Signals reported</h3>
              <ul className="plain">
                {v.signals.map((x) => (
                  <li key={x.id}>
                    <Time iso={x.at} /> · {KIND_NAMES[x.kind as CordKind] ?? x.kind}
                    {x.evidence ? (
                      <div className="small">
                        {x.evidence.text}
                        {x.evidence.url ? (
                          <>
                            {' '}
                            (
                            <a href={x.evidence.url} rel="noopener noreferrer nofollow" target="_blank">
                              {x.evidence.url}
                            </a>
                            )
                          </>
                        ) : null}
                      </div>
                    ) : null}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          <SignalForm caseId={caseId} onDone={after} />
        </>
      ) : null}
    </Section>
  );
}

function CordEditor({ caseId, view, onDone }: { caseId: string; view: CordsView; onDone: (saved: boolean) => Promise<void> }) {
  const act = useAction();
  const [drafts, setDrafts] = useState<Draft[]>(view.cords.map(toDraft));
  const [keywords, setKeywords] = useState(view.keywords.join(', '));
  const change = (i: number, patch: Partial<Draft>) => setDrafts(drafts.map((d, j) => (j === i ? { ...d, ...patch } : d)));
  const save = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      await put(`/cases/${caseId}/cords`, { cords: drafts.map(fromDraft), keywords: splitList(keywords) });
      await onDone(true);
    });
  };
  const add = () => setDrafts([...drafts, toDraft({ id: `cord-${drafts.length + 1}`, kind: 'leak-detected', action: 'alert' })]);
  return (
    <form onSubmit={save} className="stack" aria-label="Edit the parachute cords">
      <p className="small">Saving changed cords asks every participant to acknowledge them again.</p>
      {drafts.map((d, i) => {
        const p = `cord-${i}`;
        return (
          <fieldset key={p} className="card">
            <legend>Cord {i + 1}</legend>
            <div className="grid-2">
              <div>
                <label htmlFor={`${p}-id`}>Name (letters, digits, dashes)</label>
                <input
                  id={`${p}-id`}
                  value={d.id}
                  required
                  pattern="[a-z0-9][a-z0-9-]{0,63}"
                  onChange={(e) => change(i, { id: e.target.value })}
                />
              </div>
              <div>
                <label htmlFor={`${p}-kind`}>When</label>
                <select id={`${p}-kind`} value={d.kind} onChange={(e) => change(i, { kind: e.target.value as CordKind })}>
                  {Object.entries(KIND_NAMES).map(([k, n]) => (
                    <option key={k} value={k}>
                      {n}
                    </option>
                  ))}
                </select>
              </div>
              <div>
                <label htmlFor={`${p}-action`}>Village will</label>
                <select id={`${p}-action`} value={d.action} onChange={(e) => change(i, { action: e.target.value as CordAction })}>
                  {Object.entries(ACTION_NAMES).map(([k, n]) => (
                    <option key={k} value={k}>
                      {n}
                    </option>
                  ))}
                </select>
              </div>
            </div>
            {d.kind === 'date-reached' ? (
              <div className="grid-2">
                <div>
                  <input
                    id={`${p}-rd`}
                    type="checkbox"
                    checked={d.atReleaseDate}
                    onChange={(e) => change(i, { atReleaseDate: e.target.checked })}
                  />{' '}
                  <label htmlFor={`${p}-rd`}>At the agreed release date</label>
                </div>
                {!d.atReleaseDate ? (
                  <div>
                    <label htmlFor={`${p}-at`}>Date and time</label>
                    <input
                      id={`${p}-at`}
                      type="datetime-local"
                      required
                      value={d.at}
                      onChange={(e) => change(i, { at: e.target.value })}
                    />
                  </div>
                ) : null}
              </div>
            ) : null}
            {d.kind === 'feed-match' ? (
              <div className="grid-2">
                <div>
                  <input
                    id={`${p}-ct`}
                    type="checkbox"
                    checked={d.caseTerms}
                    onChange={(e) => change(i, { caseTerms: e.target.checked })}
                  />{' '}
                  <label htmlFor={`${p}-ct`}>The case's CVE ids, packages and keywords</label>
                </div>
                <div>
                  <label htmlFor={`${p}-cve`}>Other CVE ids (comma-separated)</label>
                  <input id={`${p}-cve`} value={d.cveIds} onChange={(e) => change(i, { cveIds: e.target.value })} />
                </div>
                <div>
                  <label htmlFor={`${p}-purl`}>Package URLs (comma-separated)</label>
                  <input id={`${p}-purl`} value={d.purls} onChange={(e) => change(i, { purls: e.target.value })} />
                </div>
                <div>
                  <label htmlFor={`${p}-kw`}>Keywords (comma-separated)</label>
                  <input id={`${p}-kw`} value={d.keywords} onChange={(e) => change(i, { keywords: e.target.value })} />
                </div>
                <div>
                  <input id={`${p}-kev`} type="checkbox" checked={d.kev} onChange={(e) => change(i, { kev: e.target.checked })} />{' '}
                  <label htmlFor={`${p}-kev`}>In CISA KEV</label>{' '}
                  <input id={`${p}-osv`} type="checkbox" checked={d.osv} onChange={(e) => change(i, { osv: e.target.checked })} />{' '}
                  <label htmlFor={`${p}-osv`}>In OSV</label>
                </div>
                <div>
                  <label htmlFor={`${p}-rss`}>RSS/Atom feed URLs (comma-separated)</label>
                  <input id={`${p}-rss`} value={d.rss} onChange={(e) => change(i, { rss: e.target.value })} />
                </div>
              </div>
            ) : null}
            <button type="button" onClick={() => setDrafts(drafts.filter((_, j) => j !== i))}>
              Remove cord {i + 1}
            </button>
          </fieldset>
        );
      })}
      <div>
        <label htmlFor="cords-keywords">Words that name the case in feeds (comma-separated)</label>
        <input id="cords-keywords" value={keywords} onChange={(e) => setKeywords(e.target.value)} />
      </div>
      <ErrorNote error={act.error} />
      <div className="actions">
        <button type="button" onClick={add}>
          Add a cord
        </button>
        <button type="submit" className="primary" disabled={act.busy}>
          Save cords
        </button>
        <button type="button" onClick={() => void onDone(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function SignalForm({ caseId, onDone }: { caseId: string; onDone: () => Promise<void> }) {
  const act = useAction();
  const [kind, setKind] = useState('exploit-public');
  const [text, setText] = useState('');
  const [url, setUrl] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      const out = await post<{ fired: Array<{ cordId: string; did: CordAction }> }>(`/cases/${caseId}/signals`, {
        kind,
        evidence: { text, ...(url.trim() ? { url: url.trim() } : {}) },
      });
      setText('');
      setUrl('');
      setResult(
        out.fired.length
          ? `Pulled: ${out.fired.map((f) => `${f.cordId} (${ACTION_NAMES[f.did].toLowerCase()})`).join(', ')}.`
          : 'Recorded; no cord fired.',
      );
      await onDone();
    });
  };
  return (
    <form onSubmit={submit} aria-labelledby="signal-h">
      <h3 id="signal-h">Report a signal</h3>
      <div className="grid-2">
        <div>
          <label htmlFor="signal-kind">What happened</label>
          <select id="signal-kind" value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="exploit-public">An exploit was made public</option>
            <option value="attacks-observed">Attacks were observed in the wild</option>
            <option value="leak-detected">A leak was detected</option>
          </select>
        </div>
        <div>
          <label htmlFor="signal-url">Evidence link (optional)</label>
          <input id="signal-url" type="url" value={url} onChange={(e) => setUrl(e.target.value)} />
        </div>
      </div>
      <label htmlFor="signal-text">Evidence</label>
      <textarea id="signal-text" required rows={3} value={text} onChange={(e) => setText(e.target.value)} />
      <ErrorNote error={act.error} />
      {result ? (
        <p className="small" role="status">
          {result}
        </p>
      ) : null}
      <button type="submit" disabled={act.busy}>
        Report the signal
      </button>
    </form>
  );
}
