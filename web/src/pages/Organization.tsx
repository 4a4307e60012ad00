// My organization: who it is, its members, and (for its admins) the audit entries by or about
// it, newest first, a page at a time.
import { useState } from 'react';
import { ApiError, get } from '../api.ts';
import { detailsText } from '../products.ts';
import { Badge, DataTable, Empty, ErrorNote, Loading, Page, Section, Time, useAction, useLoad, useSession } from '../ui.tsx';
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
            <DataTable
              label="Members of my organization"
              rows={users.data}
              rowKey={(u) => u.id}
              columns={[
                {
                  head: 'Name',
                  cell: (u) => (
                    <>
                      {u.displayName}
                      {u.id === me?.user.id ? <span className="muted"> (you)</span> : null}
                    </>
                  ),
                },
                { head: 'Email', cell: (u) => u.email },
                {
                  head: 'Role',
                  cell: (u) => (
                    <>
                      {u.orgRole}
                      {u.isOperator ? ', operator' : ''}
                      {u.disabled ? (
                        <>
                          {' '}
                          <Badge kind="bad">disabled</Badge>
                        </>
                      ) : null}
                    </>
                  ),
                },
                {
                  head: 'Second factor',
                  cell: (u) => (u.totpEnabled ? 'authenticator app' : <span className="muted">password only</span>),
                },
                { head: 'Since', cell: (u) => <Time iso={u.createdAt} /> },
              ]}
            />
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
        <DataTable
          label="Audit entries"
          rows={entries}
          rowKey={(e) => e.seq}
          rowHeader={2}
          columns={[
            { head: '#', cell: (e) => e.seq, className: 'muted' },
            { head: 'When', cell: (e) => <Time iso={e.at} /> },
            { head: 'Action', cell: (e) => <code>{e.action}</code> },
            { head: 'By', cell: (e) => who(e) },
            {
              head: 'Object',
              cell: (e) => (
                <>
                  {e.objectType}
                  {e.objectId ? <span className="muted small"> {e.objectId.slice(0, 8)}</span> : null}
                </>
              ),
            },
            {
              head: 'Details',
              cell: (e) => detailsText(e.details),
              className: 'small',
              title: (e) => (e.details ? JSON.stringify(e.details) : undefined),
            },
          ]}
        />
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
