// My organization: who it is, its members, and (for its admins) the audit entries by or about
// it, newest first, a page at a time.
import { useState } from 'react';
import { ApiError, get } from '../api.ts';
import { detailsText } from '../products.ts';
import { Badge, Empty, ErrorNote, Loading, Page, Section, TableWrap, Time, useAction, useLoad, useSession } from '../ui.tsx';
import { PgpKeysSection } from './PgpKeys.tsx';

interface Org {
  id: string;
  slug: string;
  name: string;
  kind: string;
  securityTxtUrl: string | null;
  country: string | null;
  createdAt: string;
}
interface User {
  id: string;
  email: string;
  displayName: string;
  orgRole: string;
  isOperator: boolean;
  totpEnabled: boolean;
  disabled: boolean;
  createdAt: string;
}
export interface AuditEntry {
  seq: string;
  at: string;
  actorUserId: string | null;
  actorOrgId: string | null;
  subjectOrgId: string | null;
  action: string;
  objectType: string;
  objectId: string | null;
  requestId: string | null;
  details: unknown;
  hash: string;
}

export const AUDIT_PAGE = 25;

export function OrganizationPage() {
  const { me } = useSession();
  const orgId = me?.user.orgId ?? '';
  const org = useLoad(() => get<Org>(`/orgs/${orgId}`), [orgId]);
  const users = useLoad(() => get<User[]>(`/orgs/${orgId}/users`), [orgId]);
  const admin = me?.user.orgRole === 'admin' || me?.user.isOperator === true;
  const names: Record<string, string> = Object.fromEntries((users.data ?? []).map((u) => [u.id, u.displayName]));
  const o = org.data;
  return (
    <Page title={o?.name ?? me?.organization.name ?? 'My organization'}>
      <ErrorNote error={org.error} />
      {o ? (
        <p className="lead">
          {o.kind} · <code>{o.slug}</code>
          {o.country ? ` · ${o.country}` : ''}
          {o.securityTxtUrl ? (
            <>
              {' '}
              · <a href={o.securityTxtUrl}>security.txt</a>
            </>
          ) : null}{' '}
          · since <Time iso={o.createdAt} />
        </p>
      ) : null}
      <div className="stack">
        <Section id="members" title="Members">
          <ErrorNote error={users.error} />
          {users.loading && !users.data ? <Loading /> : null}
          {users.data ? (
            <TableWrap label="Members of my organization">
              <table>
                <caption className="visually-hidden">Members of my organization</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Email</th>
                    <th scope="col">Role</th>
                    <th scope="col">Second factor</th>
                    <th scope="col">Since</th>
                  </tr>
                </thead>
                <tbody>
                  {users.data.map((u) => (
                    <tr key={u.id}>
                      <th scope="row">
                        {u.displayName}
                        {u.id === me?.user.id ? <span className="muted"> (you)</span> : null}
                      </th>
                      <td>{u.email}</td>
                      <td>
                        {u.orgRole}
                        {u.isOperator ? ', operator' : ''}
                        {u.disabled ? (
                          <>
                            {' '}
                            <Badge kind="bad">disabled</Badge>
                          </>
                        ) : null}
                      </td>
                      <td>{u.totpEnabled ? 'authenticator app' : <span className="muted">password only</span>}</td>
                      <td>
                        <Time iso={u.createdAt} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          ) : null}
        </Section>
        {orgId ? (
          <PgpKeysSection
            id="org-pgp-keys"
            title="Organization OpenPGP keys"
            path={`/orgs/${orgId}/pgp-keys`}
            canWrite={admin}
            intro={
              admin
                ? "Mail to members without a key of their own is encrypted to the organization's key (e.g. the PSIRT key)."
                : "Mail to members without a key of their own is encrypted to the organization's key. Admins change these keys."
            }
          />
        ) : null}
        {admin ? (
          <AuditSection orgId={orgId} names={names} />
        ) : (
          <Section id="audit" title="Audit log">
            <Empty>The audit log is for the organization's admins.</Empty>
          </Section>
        )}
      </div>
    </Page>
  );
}

function AuditSection({ orgId, names }: { orgId: string; names: Record<string, string> }) {
  const first = useLoad(
    () => get<{ entries: AuditEntry[]; next: string | null }>(`/orgs/${orgId}/audit?limit=${AUDIT_PAGE}`),
    [orgId],
  );
  const [more, setMore] = useState<{ entries: AuditEntry[]; next: string | null } | null>(null);
  const act = useAction();
  const entries = [...(first.data?.entries ?? []), ...(more?.entries ?? [])];
  const next = more ? more.next : (first.data?.next ?? null);
  const older = () =>
    act.run(async () => {
      if (!next) return;
      const page = await get<{ entries: AuditEntry[]; next: string | null }>(
        `/orgs/${orgId}/audit?limit=${AUDIT_PAGE}&before=${next}`,
      );
      setMore({ entries: [...(more?.entries ?? []), ...page.entries], next: page.next });
    });
  const who = (e: AuditEntry) => {
    if (e.actorUserId && names[e.actorUserId]) return names[e.actorUserId];
    if (e.actorOrgId && e.actorOrgId !== orgId) return 'another organization';
    if (e.actorUserId) return 'a former member';
    return 'the system';
  };
  const forbidden = first.error instanceof ApiError && first.error.status === 403;
  return (
    <Section id="audit" title="Audit log">
      <p className="hint">Every action by or about your organization, newest first. Entries are hash-chained.</p>
      {forbidden ? <Empty>The audit log is for the organization's admins.</Empty> : <ErrorNote error={first.error} />}
      {first.loading && !first.data ? <Loading /> : null}
      {first.data && entries.length === 0 ? <Empty>No entry yet.</Empty> : null}
      {entries.length > 0 ? (
        <TableWrap label="Audit entries">
          <table>
            <caption className="visually-hidden">Audit entries</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">By</th>
                <th scope="col">Object</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.seq}>
                  <td className="muted">{e.seq}</td>
                  <td>
                    <Time iso={e.at} />
                  </td>
                  <th scope="row">
                    <code>{e.action}</code>
                  </th>
                  <td>{who(e)}</td>
                  <td>
                    {e.objectType}
                    {e.objectId ? <span className="muted small"> {e.objectId.slice(0, 8)}</span> : null}
                  </td>
                  <td className="small" title={e.details ? JSON.stringify(e.details) : undefined}>
                    {detailsText(e.details)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      <ErrorNote error={act.error} />
      {next ? (
        <div className="actions">
          <button type="button" onClick={older} disabled={act.busy}>
            Older entries
          </button>
        </div>
      ) : entries.length > 0 ? (
        <p className="small muted">The beginning of the log.</p>
      ) : null}
    </Section>
  );
}
