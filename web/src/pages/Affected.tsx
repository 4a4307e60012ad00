// Who is affected (a case's coordinator only; the API refuses everyone else): on the case page,
// who ships a version the case's vulnerabilities affect, with the organizations not yet in the
// case suggested for an invitation; and a search page for any purl with a vers range or OSV events.
import { type FormEvent, useState } from 'react';
import { get, post } from '../api.ts';
import { type AffectedRow, type Suggestion, suggestParticipants } from '../products.ts';
import { Link } from '../router.tsx';
import { TLP_LABELS } from '../tlp.ts';
import { Badge, Empty, ErrorNote, Loading, Page, Section, TableWrap, TlpSelect, useAction, useLoad } from '../ui.tsx';
import type { CaseRow } from './Cases.tsx';

interface AffectedAnswer {
  results: AffectedRow[];
  skipped: Array<{ affectedProductId: string; vulnerabilityId: string; reason: string }>;
}

/** The results as a table: one row per organization, product version and component. */
function AffectedTable({ rows, label, vulnNames }: { rows: AffectedRow[]; label: string; vulnNames?: Record<string, string> }) {
  const showVuln = !!vulnNames && new Set(rows.map((r) => r.vulnerabilityId)).size > 1;
  return (
    <TableWrap label={label}>
      <table>
        <caption className="visually-hidden">{label}</caption>
        <thead>
          <tr>
            <th scope="col">Organization</th>
            <th scope="col">Product and version</th>
            <th scope="col">Component</th>
            <th scope="col">Dependency</th>
            <th scope="col">One path</th>
            {showVuln ? <th scope="col">Vulnerability</th> : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.sbomId}-${r.component}-${r.vulnerabilityId ?? ''}`}>
              <th scope="row">{r.orgName}</th>
              <td>
                {r.productName} {r.productVersion}
              </td>
              <td>
                <code className="purl">{r.component}</code>
                {r.versionKnown ? null : (
                  <>
                    {' '}
                    <Badge kind="warn" title="The SBOM names this package without a version: ask the vendor">
                      version not given
                    </Badge>
                  </>
                )}
              </td>
              <td>
                <Badge kind={r.relation === 'direct' ? 'bad' : 'warn'} title={`depth ${r.depth}`}>
                  {r.relation}
                </Badge>
              </td>
              <td>
                {r.path?.length ? (
                  <ol className="dep-path" aria-label={`Dependency path to ${r.component}`}>
                    {r.path.map((step, i) => (
                      // biome-ignore lint/suspicious/noArrayIndexKey: a path is a fixed sequence
                      <li key={i}>
                        <code className="purl">{step}</code>
                      </li>
                    ))}
                  </ol>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              {showVuln ? <td>{(r.vulnerabilityId && vulnNames?.[r.vulnerabilityId]) ?? '—'}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** The case page's section, shown to the case's coordinator only. */
export function AffectedSection({
  caseId,
  present,
  tick,
  onInvited,
}: {
  caseId: string;
  /** Organizations now in the case. */
  present: Set<string>;
  tick: number;
  onInvited: () => Promise<void>;
}) {
  const answer = useLoad(() => get<AffectedAnswer>(`/cases/${caseId}/affected?paths=true`), [caseId, tick]);
  const vulns = useLoad(
    () => get<Array<{ id: string; cveId: string | null; title: string }>>(`/cases/${caseId}/vulnerabilities`),
    [caseId, tick],
  );
  const act = useAction();
  const [ceiling, setCeiling] = useState('AMBER');
  const vulnNames = Object.fromEntries((vulns.data ?? []).map((v) => [v.id, v.cveId ?? v.title]));
  const rows = answer.data?.results ?? [];
  const suggestions = suggestParticipants(rows, present);
  const invite = (s: Suggestion) =>
    act.run(async () => {
      await post(`/cases/${caseId}/participants`, { orgId: s.orgId, role: 'vendor', tlpCeiling: ceiling });
      await onInvited();
    });
  const orgs = new Set(rows.map((r) => r.orgId)).size;
  return (
    <Section
      id="affected"
      title="Who is affected"
      actions={
        <Link href={`/affected?case=${caseId}`} className="small">
          Search other components
        </Link>
      }
    >
      <p className="hint">
        Registered SBOMs that ship a version this case's vulnerabilities affect. Only you, the coordinator, see this; the
        organizations are not told.
      </p>
      <ErrorNote error={answer.error} />
      {answer.loading && !answer.data ? <Loading /> : null}
      {answer.data && rows.length === 0 ? <Empty>No registered SBOM ships an affected version.</Empty> : null}
      {rows.length > 0 ? (
        <>
          <p>
            {rows.length} match{rows.length === 1 ? '' : 'es'} in {orgs} organization{orgs === 1 ? '' : 's'}.
          </p>
          <AffectedTable rows={rows} label="Affected products" vulnNames={vulnNames} />
        </>
      ) : null}
      {answer.data?.skipped.length ? (
        <p className="small muted">
          Not searched:{' '}
          {answer.data.skipped.map((s) => `${vulnNames[s.vulnerabilityId] ?? 'a vulnerability'} (${s.reason})`).join('; ')}.
        </p>
      ) : null}
      <h3>Suggested participants</h3>
      {answer.data && suggestions.length === 0 ? <Empty>Every affected organization is in the case.</Empty> : null}
      {suggestions.length > 0 ? (
        <>
          <ErrorNote error={act.error} />
          <div className="field-narrow">
            <TlpSelect
              id="aff-tlp"
              label="Highest TLP label for invitations"
              labels={TLP_LABELS}
              value={ceiling}
              onChange={setCeiling}
            />
          </div>
          <ul className="plain">
            {suggestions.map((s) => (
              <li key={s.orgId} className="suggestion">
                <span>
                  <strong>{s.orgName}</strong> <span className="muted">ships {s.products.join(', ')}</span>
                </span>
                <button type="button" className="small primary" disabled={act.busy} onClick={() => invite(s)}>
                  Invite {s.orgName}
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </Section>
  );
}

interface EventRow {
  kind: 'introduced' | 'fixed' | 'last_affected' | 'limit';
  version: string;
}

/** The search page: any purl with a `vers` range or OSV events, asked in the name of one of my cases. */
export function AffectedSearchPage({ initialCase }: { initialCase: string }) {
  const cases = useLoad(async () => (await get<CaseRow[]>('/cases')).filter((c) => c.myRole === 'coordinator'), []);
  const [caseId, setCaseId] = useState(initialCase);
  const [purl, setPurl] = useState('');
  const [mode, setMode] = useState<'vers' | 'events'>('vers');
  const [vers, setVers] = useState('');
  const [events, setEvents] = useState<EventRow[]>([
    { kind: 'introduced', version: '0' },
    { kind: 'fixed', version: '' },
  ]);
  const [rows, setRows] = useState<AffectedRow[] | null>(null);
  const act = useAction();
  const chosen = caseId || cases.data?.[0]?.id || '';
  const search = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      const component =
        mode === 'vers'
          ? { purl: purl.trim(), ...(vers.trim() ? { vers: vers.trim() } : {}) }
          : {
              purl: purl.trim(),
              events: events.filter((x) => x.version.trim()).map((x) => ({ [x.kind]: x.version.trim() })),
            };
      const r = await post<AffectedAnswer>(`/cases/${chosen}/affected`, { components: [component], paths: true });
      setRows(r.results);
    });
  };
  const setEvent = (i: number, patch: Partial<EventRow>) => setEvents(events.map((x, j) => (j === i ? { ...x, ...patch } : x)));
  return (
    <Page title="Who is affected">
      <p className="lead">
        Search every registered SBOM for a component: a package URL with a <code>vers</code> range or OSV range events. The search
        is recorded in the audit log of the case you ask for.
      </p>
      <ErrorNote error={cases.error} />
      {cases.data && cases.data.length === 0 ? (
        <Empty>Searches are made for a case you coordinate, and you coordinate none.</Empty>
      ) : null}
      {cases.data && cases.data.length > 0 ? (
        <form className="card" onSubmit={search} aria-label="Search for affected products">
          <div className="inline-form">
            <div className="row">
              <div>
                <label htmlFor="af-case">For the case</label>
                <select id="af-case" value={chosen} onChange={(e) => setCaseId(e.target.value)}>
                  {cases.data.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.ref}: {c.title}
                    </option>
                  ))}
                </select>
              </div>
              <div className="grow">
                <label htmlFor="af-purl">Package URL</label>
                <input
                  id="af-purl"
                  required
                  placeholder="pkg:npm/lodash"
                  value={purl}
                  onChange={(e) => setPurl(e.target.value)}
                />
              </div>
            </div>
            <fieldset>
              <legend>Affected versions</legend>
              <div className="segmented">
                <button type="button" aria-pressed={mode === 'vers'} onClick={() => setMode('vers')}>
                  vers range
                </button>
                <button type="button" aria-pressed={mode === 'events'} onClick={() => setMode('events')}>
                  OSV events
                </button>
              </div>
              {mode === 'vers' ? (
                <div>
                  <label htmlFor="af-vers">Range</label>
                  <input
                    id="af-vers"
                    placeholder="vers:npm/>=4.0.0|<4.17.21"
                    aria-describedby="af-vers-hint"
                    value={vers}
                    onChange={(e) => setVers(e.target.value)}
                  />
                  <p className="hint" id="af-vers-hint">
                    Empty: every version. A purl with a version (…@1.2.3) asks for that version alone.
                  </p>
                </div>
              ) : (
                <ol className="plain events">
                  {events.map((ev, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place
                    <li key={i} className="row">
                      <div>
                        <label htmlFor={`af-ev-${i}-kind`}>Event {i + 1}</label>
                        <select
                          id={`af-ev-${i}-kind`}
                          value={ev.kind}
                          onChange={(e) => setEvent(i, { kind: e.target.value as EventRow['kind'] })}
                        >
                          <option value="introduced">introduced</option>
                          <option value="fixed">fixed</option>
                          <option value="last_affected">last_affected</option>
                          <option value="limit">limit</option>
                        </select>
                      </div>
                      <div>
                        <label htmlFor={`af-ev-${i}-version`}>Version of event {i + 1}</label>
                        <input
                          id={`af-ev-${i}-version`}
                          value={ev.version}
                          onChange={(e) => setEvent(i, { version: e.target.value })}
                        />
                      </div>
                      <div className="row-go">
                        <button
                          type="button"
                          className="small"
                          onClick={() => setEvents(events.filter((_, j) => j !== i))}
                          disabled={events.length === 1}
                        >
                          Remove event {i + 1}
                        </button>
                      </div>
                    </li>
                  ))}
                  <li>
                    <button
                      type="button"
                      className="small"
                      onClick={() => setEvents([...events, { kind: 'fixed', version: '' }])}
                      disabled={events.length >= 100}
                    >
                      Add an event
                    </button>
                  </li>
                </ol>
              )}
            </fieldset>
            <ErrorNote error={act.error} />
            <div className="actions">
              <button type="submit" className="primary" disabled={act.busy || !purl.trim() || !chosen}>
                Search
              </button>
            </div>
          </div>
        </form>
      ) : null}
      {cases.loading && !cases.data ? <Loading /> : null}
      {rows ? (
        <Section id="results" title="Results">
          {rows.length === 0 ? (
            <Empty>No registered SBOM ships an affected version.</Empty>
          ) : (
            <>
              <p>
                {rows.length} match{rows.length === 1 ? '' : 'es'} in {new Set(rows.map((r) => r.orgId)).size} organization
                {new Set(rows.map((r) => r.orgId)).size === 1 ? '' : 's'}.{' '}
                {chosen ? <Link href={`/cases/${chosen}#affected`}>Back to the case</Link> : null}
              </p>
              <AffectedTable rows={rows} label="Search results" />
            </>
          )}
        </Section>
      ) : null}
    </Page>
  );
}
