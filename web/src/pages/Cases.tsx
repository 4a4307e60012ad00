import { useState } from 'react';
import { get } from '../api.ts';
import { EM_STATES } from '../format.ts';
import { Link } from '../router.tsx';
import { Badge, Empty, ErrorNote, Loading, Page, TableWrap, Time, useLoad, useSession } from '../ui.tsx';

export interface CaseRow {
  id: string;
  ref: string;
  title: string;
  emState: string;
  releaseAt: string | null;
  myRole: string;
  closedAt: string | null;
  nextDeadline: string | null;
  nextDeadlineKind: string | null;
  pendingAcks: number;
  ndaRequired: { communityId: string; version: number; hash: string } | null;
}

const capitalize = (s: string | null) => (s ? s.charAt(0).toUpperCase() + s.slice(1) : '');

export function CasesPage() {
  const { me } = useSession();
  const [open, setOpen] = useState(true);
  const { data, error, loading } = useLoad(() => get<CaseRow[]>(`/cases?open=${open}`), [open]);
  // Soonest deadline first; cases without one last.
  // (?open=false lists every case; the Closed view keeps the closed ones.)
  const rows = [...(data ?? [])]
    .filter((c) => open || c.closedAt)
    .sort((a, b) => (a.nextDeadline ?? '9999').localeCompare(b.nextDeadline ?? '9999'));
  const coordinator = me?.organization.kind === 'coordinator';
  return (
    <Page
      title={coordinator ? 'Open cases' : 'My cases'}
      actions={
        <fieldset className="segmented">
          <legend className="visually-hidden">Which cases</legend>
          <button type="button" aria-pressed={open} onClick={() => setOpen(true)}>
            Open
          </button>
          <button type="button" aria-pressed={!open} onClick={() => setOpen(false)}>
            Closed
          </button>
        </fieldset>
      }
    >
      <ErrorNote error={error} />
      {loading && !data ? <Loading /> : null}
      {data && rows.length === 0 ? <Empty>{open ? 'No open cases.' : 'No closed cases.'}</Empty> : null}
      {rows.length > 0 ? (
        <TableWrap label="Cases, soonest deadline first">
          <table>
            <caption className="visually-hidden">Cases, soonest deadline first</caption>
            <thead>
              <tr>
                <th scope="col">Case</th>
                <th scope="col">Embargo</th>
                <th scope="col">Release</th>
                <th scope="col">Next deadline</th>
                <th scope="col">Waiting for</th>
                <th scope="col">My role</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Link href={`/cases/${c.id}`}>
                      <span className="ref">{c.ref}</span> {c.ndaRequired ? <em>NDA acceptance required</em> : c.title}
                    </Link>
                  </td>
                  <td>
                    <Badge kind={`em-${c.emState}`}>{EM_STATES[c.emState] ?? c.emState}</Badge>
                  </td>
                  <td>
                    <Time iso={c.releaseAt} />
                  </td>
                  <td>
                    {c.nextDeadline ? (
                      <>
                        <Time iso={c.nextDeadline} relative />
                        <div className="muted small">{capitalize(c.nextDeadlineKind)}</div>
                      </>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td>{c.pendingAcks > 0 ? `${c.pendingAcks} acknowledgement${c.pendingAcks > 1 ? 's' : ''}` : '—'}</td>
                  <td>{c.myRole}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
    </Page>
  );
}
