import { type FormEvent, useState } from 'react';
import { ApiError, del, fileToBase64, get, post, put } from '../api.ts';
import {
  EM_STATES,
  humanSize,
  localInputToIso,
  RM_ACTION_LABELS,
  RM_STATES,
  STATEMENT_STATUS,
  VEX_JUSTIFICATIONS,
} from '../format.ts';
import { TLP_LABELS } from '../tlp.ts';
import {
  Badge,
  DataTable,
  Empty,
  ErrorNote,
  Field,
  Loading,
  Page,
  Section,
  TableWrap,
  Time,
  TlpBadge,
  TlpSelect,
  useAction,
  useLoad,
  useSession,
} from '../ui.tsx';
import { AffectedSection } from './Affected.tsx';
import { CordsSection } from './Cords.tsx';
import { ReleaseSection } from './Release.tsx';
import { BriefingSection, NdaGate, type NdaRequired, TentsSection } from './Tents.tsx';

interface Participant {
  orgId: string;
  orgName: string;
  role: string;
  rmState: string;
  tlpCeiling: string;
  vendorAwareAt: string | null;
  fixReadyAt: string | null;
  fixDeployedAt: string | null;
  invitedAt: string;
  acknowledgedAt: string | null;
  removedAt: string | null;
}
interface CaseView {
  id: string;
  ref: string;
  title: string;
  summary: string;
  coordinatorOrgId: string;
  communityId: string | null;
  emState: string;
  releaseAt: string | null;
  embargoEndedReason: string | null;
  publicAwareAt: string | null;
  exploitPublicAt: string | null;
  attacksObservedAt: string | null;
  closedAt: string | null;
  createdAt: string;
  myRole: string;
  participants: Participant[];
}
interface Proposal {
  id: string;
  kind: string;
  proposer: string;
  proposedAt: string;
  releaseAt: string;
  status: string;
  acceptedBy: string[];
  rejectedBy: string[];
  responses: Array<{ participant: string; decision: string; at: string; reason?: string }>;
}
interface Embargo {
  state: string;
  releaseAt: string | null;
  active: Proposal | null;
  pending: Proposal | null;
  proposals: Proposal[];
  consent: Record<string, { state: string }>;
  termination: { by: string; at: string; reason: string; detail: string | null; early: boolean } | null;
}
interface Vulnerability {
  id: string;
  cveId: string | null;
  title: string;
  description: string;
  cweIds: string[];
  cvss31: { vector: string; baseScore: number } | null;
  cvss40: { vector: string; baseScore: number } | null;
  products: Array<{ id: string; productName: string; purl: string | null; versionRange: string | null }>;
}
interface Statement {
  vulnerabilityId: string;
  orgId: string;
  status: string;
  justification: string | null;
  fixedVersions: string[];
  remediation: string | null;
  publicStatement: string | null;
  advisoryUrl: string | null;
  updatedAt: string;
}
interface Statements {
  vulnerabilities: Array<{ id: string; cveId: string | null; title: string }>;
  vendors: Array<{ orgId: string; name: string }>;
  statements: Statement[];
  missing: Array<{ orgId: string; orgName: string; vulnerabilityId: string }>;
}
interface Message {
  id: string;
  threadId: string;
  subject: string;
  body: string;
  tlp: string;
  audience: string;
  audienceOrgId: string | null;
  authorOrgId: string;
  createdAt: string;
}
interface Artifact {
  id: string;
  name: string;
  mediaType: string;
  sizeBytes: number;
  sha256: string;
  tlp: string;
  audience: string;
  audienceOrgId: string | null;
  uploadedByOrg: string;
  createdAt: string;
}
interface TimelineEntry {
  id: string;
  at: string;
  kind: string;
  summary: string;
}
interface Desiderata {
  rows: Array<{
    id: string;
    description: string;
    scope: string;
    participant: string | null;
    status: string;
    beforeAt: string | null;
    afterAt: string | null;
  }>;
}

const vulnName = (v: { cveId: string | null; title: string }) => v.cveId ?? v.title;

/** The labels my organization may write with: up to its TLP ceiling in the case (the coordinator: all). */
function writableLabels({ c, coordinator, myOrgId }: Ctx): readonly string[] {
  if (coordinator) return TLP_LABELS;
  const ceiling = c.participants.find((p) => p.orgId === myOrgId)?.tlpCeiling ?? 'CLEAR';
  return TLP_LABELS.slice(0, TLP_LABELS.indexOf(ceiling as (typeof TLP_LABELS)[number]) + 1);
}

export function CasePage({ id }: { id: string }) {
  const { me } = useSession();
  const kase = useLoad(() => get<CaseView>(`/cases/${id}`), [id]);
  const [tick, setTick] = useState(0);
  const refreshAll = async () => {
    await kase.reload();
    setTick((t) => t + 1);
  };
  if (kase.loading && !kase.data) return <Loading />;
  const nda = kase.error instanceof ApiError && kase.error.type === 'nda-required' ? (kase.error.body.nda as NdaRequired) : null;
  if (nda && !kase.data)
    return (
      <Page title="Case">
        <NdaGate nda={nda} onAccepted={kase.reload} />
      </Page>
    );
  if (!kase.data || !me)
    return (
      <Page title="Case">
        <ErrorNote error={kase.error ?? 'This case does not exist or is not shared with you.'} />
      </Page>
    );
  const c = kase.data;
  const coordinator = c.myRole === 'coordinator';
  const names: Record<string, string> = Object.fromEntries(c.participants.map((p) => [p.orgId, p.orgName]));
  const mine = c.participants.find((p) => p.orgId === me.user.orgId);
  const ctx = { c, coordinator, names, myOrgId: me.user.orgId, refreshAll, tick };
  return (
    <Page title={`${c.ref}: ${c.title}`}>
      <p className="lead">
        <Badge kind={`em-${c.emState}`}>{EM_STATES[c.emState] ?? c.emState}</Badge>{' '}
        {c.releaseAt ? (
          <>
            · release <Time iso={c.releaseAt} relative />
          </>
        ) : (
          '· no release date agreed'
        )}{' '}
        · you are the {c.myRole}
        {c.closedAt ? ' · closed' : ''}
      </p>
      {c.summary ? <p className="prewrap summary">{c.summary}</p> : null}
      <nav className="toc" aria-label="Case sections">
        <a href="#participants">Participants</a>
        {c.communityId || coordinator ? <a href="#tents">{coordinator ? 'Tents' : 'My tents'}</a> : null}
        <a href="#briefing">Briefing</a>
        <a href="#embargo">Embargo</a>
        <a href="#cords">Parachute cords</a>
        <a href="#release">Release</a>
        <a href="#vulnerabilities">Vulnerabilities and statements</a>
        {coordinator ? <a href="#affected">Who is affected</a> : null}
        <a href="#messages">Messages</a>
        <a href="#artifacts">Artifacts</a>
        <a href="#timeline">Timeline</a>
        <a href="#desiderata">Desiderata</a>
      </nav>
      {mine && !mine.acknowledgedAt && !coordinator ? <Acknowledge caseId={c.id} onDone={refreshAll} /> : null}
      <div className="stack">
        <Participants {...ctx} />
        {/* A community case always has its tents section; another case only once it has tents. */}
        <TentsSection
          caseId={c.id}
          coordinator={coordinator}
          releaseAt={c.releaseAt}
          names={names}
          tick={tick}
          onChange={refreshAll}
          hideWhenNone={!c.communityId}
          candidates={c.participants
            .filter((p) => !p.removedAt && p.role !== 'coordinator')
            .map((p) => ({ orgId: p.orgId, orgName: p.orgName }))}
        />
        <BriefingSection caseId={c.id} />
        <EmbargoSection {...ctx} />
        <CordsSection caseId={c.id} coordinator={coordinator} tick={tick} onChange={refreshAll} />
        <ReleaseSection caseId={c.id} caseRef={c.ref} coordinator={coordinator} tick={tick} onChange={refreshAll} />
        <VulnerabilitiesSection {...ctx} />
        {coordinator ? (
          <AffectedSection
            caseId={c.id}
            present={new Set(c.participants.filter((p) => !p.removedAt).map((p) => p.orgId))}
            tick={tick}
            onInvited={refreshAll}
          />
        ) : null}
        <MessagesSection {...ctx} />
        <ArtifactsSection {...ctx} />
        <div className="grid-2">
          <TimelineSection {...ctx} />
          <DesiderataSection {...ctx} />
        </div>
      </div>
    </Page>
  );
}

interface Ctx {
  c: CaseView;
  coordinator: boolean;
  names: Record<string, string>;
  myOrgId: string;
  refreshAll: () => Promise<void>;
  tick: number;
}

function Acknowledge({ caseId, onDone }: { caseId: string; onDone: () => Promise<void> }) {
  const act = useAction();
  return (
    <div className="notice" role="status">
      <p>Your organization has been invited to this case. Acknowledge the invitation to tell the coordinator you are on it.</p>
      <ErrorNote error={act.error} />
      <button
        type="button"
        className="primary"
        disabled={act.busy}
        onClick={() =>
          act.run(async () => {
            await post(`/cases/${caseId}/acknowledge`);
            await onDone();
          })
        }
      >
        Acknowledge
      </button>
    </div>
  );
}

const RM_FROM: Record<string, string[]> = {
  S: ['receive'],
  R: ['validate', 'invalidate'],
  I: ['validate', 'close'],
  V: ['accept', 'defer'],
  D: ['accept', 'close'],
  A: ['defer', 'close'],
  C: [],
};

function Participants({ c, coordinator, myOrgId, refreshAll }: Ctx) {
  const act = useAction();
  const orgs = useLoad(
    () => (coordinator ? get<Array<{ id: string; name: string; kind: string }>>('/orgs') : Promise.resolve([])),
    [coordinator],
  );
  const [add, setAdd] = useState({ orgId: '', role: 'vendor', tlpCeiling: 'AMBER' });
  const present = new Set(c.participants.filter((p) => !p.removedAt).map((p) => p.orgId));
  const candidates = (orgs.data ?? []).filter((o) => !present.has(o.id));
  const event = (ev: string, orgId?: string) =>
    act.run(async () => {
      await post(`/cases/${c.id}/state`, { event: ev, ...(orgId ? { orgId } : {}) });
      await refreshAll();
    });
  const invite = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      await post(`/cases/${c.id}/participants`, add);
      setAdd({ ...add, orgId: '' });
      await refreshAll();
    });
  };
  const remove = (orgId: string, name: string) => {
    const reason = window.prompt(`Why remove ${name} from the case? They lose access at once.`);
    if (!reason) return;
    void act.run(async () => {
      await del(`/cases/${c.id}/participants/${orgId}`, { reason });
      await refreshAll();
    });
  };
  const rm = (action: string) =>
    act.run(async () => {
      await post(`/cases/${c.id}/report-management`, { action });
      await refreshAll();
    });
  const flag = (label: string, at: string | null, ev: string, orgId?: string, mayRecord = false) =>
    at ? (
      <Time iso={at} />
    ) : mayRecord ? (
      <button type="button" className="small" onClick={() => event(ev, orgId)} disabled={act.busy}>
        Record {label}
      </button>
    ) : (
      <span className="muted">not yet</span>
    );
  const active = c.participants.filter((p) => !p.removedAt);
  return (
    <Section id="participants" title="Participants">
      <ErrorNote error={act.error} />
      <DataTable
        label="Participants and their Vultron states"
        rows={active}
        rowKey={(p) => p.orgId}
        columns={[
          { head: 'Organization', cell: (p) => p.orgName },
          { head: 'Role', cell: (p) => p.role },
          { head: 'Report state', cell: (p) => <Badge kind="state">{RM_STATES[p.rmState] ?? p.rmState}</Badge> },
          { head: 'TLP ceiling', cell: (p) => <TlpBadge label={p.tlpCeiling} /> },
          ...(
            [
              ['Vendor aware', 'aware', 'vendorAwareAt', 'V'],
              ['Fix ready', 'fix ready', 'fixReadyAt', 'F'],
              ['Fix deployed', 'deployed', 'fixDeployedAt', 'D'],
            ] as const
          ).map(([head, label, field, ev]) => ({
            head,
            cell: (p: Participant) =>
              p.role === 'vendor'
                ? flag(label, p[field], ev, p.orgId, p.role === 'vendor' && (coordinator || p.orgId === myOrgId))
                : '—',
          })),
          {
            head: 'Acknowledged',
            cell: (p) => (p.acknowledgedAt ? <Time iso={p.acknowledgedAt} /> : <span className="muted">waiting</span>),
          },
        ]}
        actions={
          coordinator
            ? (p) =>
                p.role !== 'coordinator' ? (
                  <button type="button" className="small danger" onClick={() => remove(p.orgId, p.orgName)}>
                    Remove<span className="visually-hidden"> {p.orgName}</span>
                  </button>
                ) : null
            : undefined
        }
      />
      <h3>Case-wide</h3>
      <dl className="facts inline">
        <dt>Public aware</dt>
        <dd>{flag('public aware', c.publicAwareAt, 'P', undefined, coordinator)}</dd>
        <dt>Exploit public</dt>
        <dd>{flag('exploit public', c.exploitPublicAt, 'X', undefined, coordinator)}</dd>
        <dt>Attacks observed</dt>
        <dd>{flag('attacks', c.attacksObservedAt, 'A', undefined, coordinator)}</dd>
      </dl>
      {!coordinator ? (
        <div className="actions wrap">
          <span>Your report-management state:</span>
          {(RM_FROM[c.participants.find((p) => p.orgId === myOrgId)?.rmState ?? 'C'] ?? []).map((a) => (
            <button key={a} type="button" onClick={() => rm(a)} disabled={act.busy}>
              {RM_ACTION_LABELS[a] ?? a}
            </button>
          ))}
        </div>
      ) : (
        <form className="inline-form" onSubmit={invite}>
          <h3>Invite an organization</h3>
          <div className="row">
            <div>
              <label htmlFor="p-org">Organization</label>
              {/* Coordinators and operators get the directory from GET /orgs; a lone entry falls back to an id field. */}
              {orgs.loading || (orgs.data?.length ?? 0) > 1 ? (
                <select
                  id="p-org"
                  required
                  disabled={orgs.loading}
                  value={add.orgId}
                  onChange={(e) => setAdd({ ...add, orgId: e.target.value })}
                >
                  <option value="">{orgs.loading ? 'Loading…' : 'Choose…'}</option>
                  {candidates.map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.name} ({o.kind})
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  id="p-org"
                  required
                  placeholder="Organization id"
                  value={add.orgId}
                  onChange={(e) => setAdd({ ...add, orgId: e.target.value.trim() })}
                />
              )}
            </div>
            <Field id="p-role" label="Role">
              <select value={add.role} onChange={(e) => setAdd({ ...add, role: e.target.value })}>
                <option value="vendor">Vendor</option>
                <option value="other">Other</option>
                <option value="reporter">Reporter</option>
              </select>
            </Field>
            <TlpSelect
              id="p-tlp"
              label="TLP ceiling"
              labels={TLP_LABELS}
              value={add.tlpCeiling}
              onChange={(tlpCeiling) => setAdd({ ...add, tlpCeiling })}
            />
            <div className="row-go">
              <button type="submit" className="primary" disabled={act.busy}>
                Invite
              </button>
            </div>
          </div>
        </form>
      )}
    </Section>
  );
}

const TERMINATION_REASONS: Record<string, string> = {
  'public-awareness': 'The vulnerability became public',
  'exploit-public': 'An exploit was published',
  'attacks-observed': 'Attacks were observed',
  'vendor-quorum-fix-ready': 'Fixes are ready',
  other: 'Other reason',
};

function EmbargoSection({ c, coordinator, names, myOrgId, refreshAll, tick }: Ctx) {
  const em = useLoad(() => get<Embargo>(`/cases/${c.id}/embargo`), [c.id, tick]);
  const act = useAction();
  const [date, setDate] = useState('');
  const [reason, setReason] = useState('public-awareness');
  const [detail, setDetail] = useState('');
  const e = em.data;
  const after = async () => {
    await refreshAll();
  };
  const propose = (ev: FormEvent) => {
    ev.preventDefault();
    void act.run(async () => {
      const releaseAt = localInputToIso(date);
      await post(`/cases/${c.id}/embargo/proposals`, releaseAt ? { releaseAt } : {});
      setDate('');
      await after();
    });
  };
  const respond = (p: Proposal, decision: 'accept' | 'reject') =>
    act.run(async () => {
      let body: Record<string, string> = {};
      if (decision === 'reject') {
        const why = window.prompt('Why do you reject these terms? (optional)') ?? '';
        body = why ? { reason: why } : {};
      }
      await post(`/cases/${c.id}/embargo/proposals/${p.id}/${decision}`, body);
      await after();
    });
  const terminate = (ev: FormEvent) => {
    ev.preventDefault();
    void act.run(async () => {
      await post(`/cases/${c.id}/embargo/terminate`, { reason, ...(detail.trim() ? { detail: detail.trim() } : {}) });
      await after();
    });
  };
  const name = (orgId: string) => names[orgId] ?? orgId;
  const pending = e?.pending;
  const responded = pending ? [...pending.acceptedBy, ...pending.rejectedBy].includes(myOrgId) : false;
  return (
    <Section id="embargo" title="Embargo">
      {em.loading && !e ? <Loading /> : null}
      <ErrorNote error={em.error ?? act.error} />
      {e ? (
        <>
          <dl className="facts inline">
            <dt>State</dt>
            <dd>
              <Badge kind={`em-${e.state}`}>{EM_STATES[e.state] ?? e.state}</Badge>
            </dd>
            <dt>Agreed release</dt>
            <dd>
              <Time iso={e.releaseAt} relative />
            </dd>
          </dl>
          {e.termination ? (
            <p>
              Ended <Time iso={e.termination.at} /> by {name(e.termination.by)}: {e.termination.reason}
              {e.termination.detail ? ` (${e.termination.detail})` : ''}.
            </p>
          ) : null}
          {pending ? (
            <div className="notice">
              <p>
                <strong>{name(pending.proposer)}</strong> proposes{' '}
                {pending.kind === 'revision' ? 'moving the release to' : 'releasing on'}{' '}
                <strong>
                  <Time iso={pending.releaseAt} />
                </strong>
                .
              </p>
              <p className="small">
                Accepted by: {pending.acceptedBy.map(name).join(', ') || 'nobody yet'}
                {pending.rejectedBy.length ? ` · rejected by: ${pending.rejectedBy.map(name).join(', ')}` : ''}
              </p>
              {!responded ? (
                <div className="actions">
                  <button type="button" className="primary" disabled={act.busy} onClick={() => respond(pending, 'accept')}>
                    Accept {pending.kind === 'revision' ? 'revision' : 'proposal'}
                  </button>
                  <button type="button" disabled={act.busy} onClick={() => respond(pending, 'reject')}>
                    Reject
                  </button>
                </div>
              ) : (
                <p className="small">Your organization has answered.</p>
              )}
            </div>
          ) : null}
          <h3>Who is bound</h3>
          <ul className="plain consent">
            {Object.entries(e.consent).map(([org, s]) => (
              <li key={org}>
                {name(org)}:{' '}
                <Badge kind={s.state === 'Signatory' ? 'ok' : s.state === 'Declined' ? 'bad' : 'neutral'}>{s.state}</Badge>
              </li>
            ))}
          </ul>
          {e.state !== 'X' && !c.closedAt ? (
            <form className="inline-form" onSubmit={propose}>
              <div className="row">
                <div>
                  <label htmlFor="em-date">{e.state === 'A' ? 'Propose a new release date' : 'Propose a release date'}</label>
                  <input id="em-date" type="datetime-local" value={date} onChange={(ev) => setDate(ev.target.value)} />
                  <p className="hint">Leave empty for the community's default embargo.</p>
                </div>
                <div className="row-go">
                  <button type="submit" disabled={act.busy}>
                    Propose
                  </button>
                </div>
              </div>
            </form>
          ) : null}
          {coordinator && (e.state === 'A' || e.state === 'R') ? (
            <form className="inline-form" onSubmit={terminate}>
              <h3>End the embargo early</h3>
              <div className="row">
                <Field id="em-reason" label="Reason">
                  <select value={reason} onChange={(ev) => setReason(ev.target.value)}>
                    {Object.entries(TERMINATION_REASONS).map(([k, v]) => (
                      <option key={k} value={k}>
                        {v}
                      </option>
                    ))}
                  </select>
                </Field>
                <Field id="em-detail" label="Detail">
                  <input value={detail} onChange={(ev) => setDetail(ev.target.value)} />
                </Field>
                <div className="row-go">
                  <button type="submit" className="danger" disabled={act.busy}>
                    End embargo
                  </button>
                </div>
              </div>
            </form>
          ) : null}
          {e.proposals.length ? (
            <details>
              <summary>Negotiation history ({e.proposals.length})</summary>
              <ol className="timeline">
                {e.proposals.map((p) => (
                  <li key={p.id}>
                    <Time iso={p.proposedAt} /> — {name(p.proposer)} proposed <Time iso={p.releaseAt} /> ({p.status})
                    {p.responses.map((r) => (
                      <div key={`${r.participant}-${r.at}`} className="small muted">
                        {name(r.participant)} {r.decision} <Time iso={r.at} />
                        {r.reason ? `: ${r.reason}` : ''}
                      </div>
                    ))}
                  </li>
                ))}
              </ol>
            </details>
          ) : null}
        </>
      ) : null}
    </Section>
  );
}

function statusKind(s: string | undefined) {
  if (s === 'fixed' || s === 'not_affected') return 'ok';
  if (s === 'affected') return 'bad';
  if (s === 'under_investigation') return 'warn';
  return 'neutral';
}

function VulnerabilitiesSection({ c, coordinator, myOrgId, refreshAll, tick }: Ctx) {
  const vulns = useLoad(() => get<Vulnerability[]>(`/cases/${c.id}/vulnerabilities`), [c.id, tick]);
  const st = useLoad(() => get<Statements>(`/cases/${c.id}/statements`), [c.id, tick]);
  const act = useAction();
  const [nv, setNv] = useState({ title: '', cveId: '', cweIds: '', cvss31: '', cvss40: '' });
  // Affected products by vendor: a comma-separated list of product names per vendor in the case.
  const [productsBy, setProductsBy] = useState<Record<string, string>>({});
  const vendors = c.participants.filter((p) => p.role === 'vendor' && !p.removedAt);
  const addVuln = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      const opt = (s: string) => (s.trim() ? s.trim() : undefined);
      const products = vendors.flatMap((p) =>
        (productsBy[p.orgId] ?? '')
          .split(',')
          .map((n) => n.trim())
          .filter(Boolean)
          .map((productName) => ({ vendorOrgId: p.orgId, productName })),
      );
      await post(`/cases/${c.id}/vulnerabilities`, {
        title: nv.title,
        cveId: opt(nv.cveId),
        cweIds: nv.cweIds.split(/[\s,]+/).filter(Boolean),
        cvss31: opt(nv.cvss31),
        cvss40: opt(nv.cvss40),
        ...(products.length ? { products } : {}),
      });
      setNv({ title: '', cveId: '', cweIds: '', cvss31: '', cvss40: '' });
      setProductsBy({});
      await refreshAll();
    });
  };
  const s = st.data;
  const cell = (vulnId: string, orgId: string) => s?.statements.find((x) => x.vulnerabilityId === vulnId && x.orgId === orgId);
  const vendor = c.participants.some((p) => p.orgId === myOrgId && p.role === 'vendor' && !p.removedAt);
  return (
    <Section id="vulnerabilities" title="Vulnerabilities and statements">
      <ErrorNote error={vulns.error ?? st.error ?? act.error} />
      {vulns.data?.length === 0 ? <Empty>No vulnerabilities recorded yet.</Empty> : null}
      <ul className="plain vulns">
        {(vulns.data ?? []).map((v) => (
          <li key={v.id}>
            <strong>{v.cveId ?? 'No CVE yet'}</strong> — {v.title}
            <div className="small muted">
              {v.cweIds.join(', ')}
              {v.cvss31 ? ` · CVSS 3.1 ${v.cvss31.baseScore.toFixed(1)}` : ''}
              {v.cvss40 ? ` · CVSS 4.0 ${v.cvss40.baseScore.toFixed(1)}` : ''}
              {v.products.length ? ` · ${v.products.map((p) => p.productName).join(', ')}` : ''}
            </div>
          </li>
        ))}
      </ul>
      {s && s.vulnerabilities.length > 0 && s.vendors.length > 0 ? (
        <>
          <h3>Statements</h3>
          <TableWrap label="Statements: vendors by vulnerability">
            <table className="matrix">
              <caption className="visually-hidden">Statements: vendors by vulnerability</caption>
              <thead>
                <tr>
                  <th scope="col">Vendor</th>
                  {s.vulnerabilities.map((v) => (
                    <th scope="col" key={v.id}>
                      {vulnName(v)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {s.vendors.map((o) => (
                  <tr key={o.orgId}>
                    <th scope="row">{o.name}</th>
                    {s.vulnerabilities.map((v) => {
                      const x = cell(v.id, o.orgId);
                      return (
                        <td key={v.id}>
                          {x ? (
                            <>
                              <Badge kind={statusKind(x.status)}>{STATEMENT_STATUS[x.status] ?? x.status}</Badge>
                              {x.fixedVersions.length ? <div className="small">fixed in {x.fixedVersions.join(', ')}</div> : null}
                              {x.justification ? <div className="small muted">{VEX_JUSTIFICATIONS[x.justification]}</div> : null}
                            </>
                          ) : (
                            <span className="muted">No answer</span>
                          )}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          {coordinator && s.missing.length ? (
            <p className="small">
              Waiting for {s.missing.length} statement{s.missing.length > 1 ? 's' : ''} from{' '}
              {[...new Set(s.missing.map((m) => m.orgName))].join(', ')}.
            </p>
          ) : null}
        </>
      ) : null}
      {vendor && s
        ? s.vulnerabilities.map((v) => (
            <StatementForm key={v.id} caseId={c.id} vuln={v} current={cell(v.id, myOrgId)} onDone={refreshAll} />
          ))
        : null}
      {coordinator ? (
        <form className="inline-form" onSubmit={addVuln}>
          <h3>Add a vulnerability</h3>
          <div className="row">
            <Field id="v-title" label="Title">
              <input required value={nv.title} onChange={(e) => setNv({ ...nv, title: e.target.value })} />
            </Field>
            <Field id="v-cve" label="CVE id">
              <input placeholder="CVE-2026-12345" value={nv.cveId} onChange={(e) => setNv({ ...nv, cveId: e.target.value })} />
            </Field>
            <Field id="v-cwe" label="CWE ids">
              <input placeholder="CWE-787" value={nv.cweIds} onChange={(e) => setNv({ ...nv, cweIds: e.target.value })} />
            </Field>
          </div>
          <div className="row">
            <Field id="v-cvss31" label="CVSS 3.1 vector">
              <input value={nv.cvss31} onChange={(e) => setNv({ ...nv, cvss31: e.target.value })} />
            </Field>
            <Field id="v-cvss40" label="CVSS 4.0 vector">
              <input value={nv.cvss40} onChange={(e) => setNv({ ...nv, cvss40: e.target.value })} />
            </Field>
          </div>
          {vendors.length ? (
            <fieldset className="products-by-vendor">
              <legend>Affected products (comma-separated, per vendor)</legend>
              <div className="row">
                {vendors.map((p) => (
                  <Field key={p.orgId} id={`v-products-${p.orgId}`} label={`Products of ${p.orgName}`}>
                    <input
                      value={productsBy[p.orgId] ?? ''}
                      onChange={(e) => setProductsBy({ ...productsBy, [p.orgId]: e.target.value })}
                    />
                  </Field>
                ))}
              </div>
            </fieldset>
          ) : null}
          <div className="row">
            <div className="row-go">
              <button type="submit" disabled={act.busy}>
                Add vulnerability
              </button>
            </div>
          </div>
        </form>
      ) : null}
    </Section>
  );
}

function StatementForm({
  caseId,
  vuln,
  current,
  onDone,
}: {
  caseId: string;
  vuln: { id: string; cveId: string | null; title: string };
  current: Statement | undefined;
  onDone: () => Promise<void>;
}) {
  const act = useAction();
  const [f, setF] = useState({
    status: current?.status ?? 'under_investigation',
    justification: current?.justification ?? 'vulnerable_code_not_present',
    fixedVersions: current?.fixedVersions.join(', ') ?? '',
    remediation: current?.remediation ?? '',
    publicStatement: current?.publicStatement ?? '',
    advisoryUrl: current?.advisoryUrl ?? '',
  });
  const pre = `st-${vuln.id}`;
  const save = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      const opt = (s: string) => (s.trim() ? s.trim() : undefined);
      await put(`/cases/${caseId}/vulnerabilities/${vuln.id}/statement`, {
        status: f.status,
        ...(f.status === 'not_affected' ? { justification: f.justification } : {}),
        ...(f.status === 'fixed' || f.status === 'affected'
          ? { fixedVersions: f.fixedVersions.split(/[\s,]+/).filter(Boolean), remediation: opt(f.remediation) }
          : {}),
        publicStatement: opt(f.publicStatement),
        advisoryUrl: opt(f.advisoryUrl),
      });
      await onDone();
    });
  };
  return (
    <form className="inline-form statement" onSubmit={save} aria-labelledby={`${pre}-h`}>
      <h3 id={`${pre}-h`}>Your statement on {vulnName(vuln)}</h3>
      <div className="row">
        <Field id={`${pre}-status`} label="Status">
          <select value={f.status} onChange={(e) => setF({ ...f, status: e.target.value })}>
            {Object.entries(STATEMENT_STATUS).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
        </Field>
        {f.status === 'not_affected' ? (
          <Field id={`${pre}-just`} label="Justification (VEX)">
            <select value={f.justification} onChange={(e) => setF({ ...f, justification: e.target.value })}>
              {Object.entries(VEX_JUSTIFICATIONS).map(([k, v]) => (
                <option key={k} value={k}>
                  {v}
                </option>
              ))}
            </select>
          </Field>
        ) : null}
        {f.status === 'fixed' || f.status === 'affected' ? (
          <>
            <Field id={`${pre}-fixed`} label="Fixed versions">
              <input value={f.fixedVersions} onChange={(e) => setF({ ...f, fixedVersions: e.target.value })} />
            </Field>
            <Field id={`${pre}-rem`} label="Remediation">
              <input value={f.remediation} onChange={(e) => setF({ ...f, remediation: e.target.value })} />
            </Field>
          </>
        ) : null}
      </div>
      <div className="row">
        <Field id={`${pre}-public`} label="Public statement">
          <input value={f.publicStatement} onChange={(e) => setF({ ...f, publicStatement: e.target.value })} />
        </Field>
        <Field id={`${pre}-url`} label="Advisory URL">
          <input type="url" value={f.advisoryUrl} onChange={(e) => setF({ ...f, advisoryUrl: e.target.value })} />
        </Field>
        <div className="row-go">
          <button type="submit" className="primary" disabled={act.busy}>
            Save statement
          </button>
        </div>
      </div>
      <ErrorNote error={act.error} />
    </form>
  );
}

function MessagesSection(ctx: Ctx) {
  const { c, names, refreshAll, tick, coordinator } = ctx;
  const labels = writableLabels(ctx);
  const msgs = useLoad(() => get<Message[]>(`/cases/${c.id}/messages`), [c.id, tick]);
  const act = useAction();
  const [f, setF] = useState({
    subject: '',
    body: '',
    tlp: labels.includes('AMBER') ? 'AMBER' : (labels.at(-1) ?? 'CLEAR'),
    audience: 'all',
    audienceOrgId: '',
  });
  const send = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      await post(`/cases/${c.id}/messages`, {
        subject: f.subject,
        body: f.body,
        tlp: f.tlp,
        audience: f.audience,
        ...(f.audience === 'org' ? { audienceOrgId: f.audienceOrgId } : {}),
      });
      setF({ ...f, subject: '', body: '' });
      await refreshAll();
    });
  };
  const others = c.participants.filter((p) => !p.removedAt && p.role !== 'coordinator');
  return (
    <Section id="messages" title="Messages">
      <ErrorNote error={msgs.error} />
      {msgs.data?.length === 0 ? <Empty>No messages yet.</Empty> : null}
      <ol className="messages">
        {(msgs.data ?? []).map((m) => (
          <li key={m.id}>
            <div className="meta">
              <TlpBadge label={m.tlp} /> <strong>{m.subject}</strong>
            </div>
            <div className="small muted">
              {names[m.authorOrgId] ?? 'Unknown'} · <Time iso={m.createdAt} /> ·{' '}
              {m.audience === 'all'
                ? 'to everyone in the case'
                : `to ${names[m.audienceOrgId ?? ''] ?? 'one participant'} and the coordinator`}
            </div>
            <p className="prewrap">{m.body}</p>
          </li>
        ))}
      </ol>
      <form className="inline-form" onSubmit={send}>
        <h3>Write a message</h3>
        <div className="row">
          <div className="grow">
            <label htmlFor="m-subject">Subject</label>
            <input id="m-subject" required value={f.subject} onChange={(e) => setF({ ...f, subject: e.target.value })} />
          </div>
          <TlpSelect id="m-tlp" label="TLP label" labels={labels} value={f.tlp} onChange={(tlp) => setF({ ...f, tlp })} />
          <Field id="m-aud" label="To">
            <select value={f.audience} onChange={(e) => setF({ ...f, audience: e.target.value })}>
              <option value="all">Everyone in the case</option>
              <option value="org">{coordinator ? 'One participant' : 'The coordinator only'}</option>
            </select>
          </Field>
          {f.audience === 'org' && coordinator ? (
            <Field id="m-org" label="Participant">
              <select required value={f.audienceOrgId} onChange={(e) => setF({ ...f, audienceOrgId: e.target.value })}>
                <option value="">Choose…</option>
                {others.map((p) => (
                  <option key={p.orgId} value={p.orgId}>
                    {p.orgName}
                  </option>
                ))}
              </select>
            </Field>
          ) : null}
        </div>
        <label htmlFor="m-body">Message</label>
        <textarea id="m-body" rows={4} required value={f.body} onChange={(e) => setF({ ...f, body: e.target.value })} />
        <ErrorNote error={act.error} />
        <div className="actions">
          <button type="submit" className="primary" disabled={act.busy}>
            Send message
          </button>
        </div>
      </form>
    </Section>
  );
}

function ArtifactsSection(ctx: Ctx) {
  const { c, names, refreshAll, tick } = ctx;
  const labels = writableLabels(ctx);
  const list = useLoad(() => get<Artifact[]>(`/cases/${c.id}/artifacts`), [c.id, tick]);
  const act = useAction();
  const [file, setFile] = useState<File | null>(null);
  const [tlp, setTlp] = useState(labels.includes('AMBER') ? 'AMBER' : (labels.at(-1) ?? 'CLEAR'));
  const upload = (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    void act.run(async () => {
      await post(`/cases/${c.id}/artifacts`, { filename: file.name, contentBase64: await fileToBase64(file), tlp });
      setFile(null);
      (e.target as HTMLFormElement).reset();
      await refreshAll();
    });
  };
  return (
    <Section id="artifacts" title="Artifacts">
      <ErrorNote error={list.error ?? act.error} />
      {list.data?.length === 0 ? <Empty>No artifacts yet.</Empty> : null}
      <ul className="plain">
        {(list.data ?? []).map((a) => (
          <li key={a.id}>
            <TlpBadge label={a.tlp} />{' '}
            <a href={`/api/v1/cases/${c.id}/artifacts/${a.id}`} download>
              {a.name}
            </a>{' '}
            <span className="small muted">
              {a.mediaType}, {humanSize(a.sizeBytes)}, from {names[a.uploadedByOrg] ?? 'unknown'}, <Time iso={a.createdAt} />
            </span>
          </li>
        ))}
      </ul>
      <form className="inline-form" onSubmit={upload}>
        <div className="row">
          <div className="grow">
            <label htmlFor="a-file">File</label>
            <input id="a-file" type="file" required onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          </div>
          <TlpSelect id="a-tlp" label="TLP label" labels={labels} value={tlp} onChange={setTlp} />
          <div className="row-go">
            <button type="submit" disabled={act.busy || !file}>
              Upload
            </button>
          </div>
        </div>
      </form>
    </Section>
  );
}

function TimelineSection({ c, tick }: Ctx) {
  const tl = useLoad(() => get<TimelineEntry[]>(`/cases/${c.id}/timeline`), [c.id, tick]);
  return (
    <Section id="timeline" title="Timeline">
      <ErrorNote error={tl.error} />
      <ol className="timeline">
        {(tl.data ?? []).map((t) => (
          <li key={t.id}>
            <Time iso={t.at} /> — {t.kind === 'cord.fired' ? <Badge kind="bad">cord pulled</Badge> : null} {t.summary}
          </li>
        ))}
      </ol>
    </Section>
  );
}

function DesiderataSection({ c, names, tick }: Ctx) {
  const d = useLoad(() => get<Desiderata>(`/cases/${c.id}/desiderata`), [c.id, tick]);
  return (
    <Section id="desiderata" title="Vultron desiderata">
      <ErrorNote error={d.error} />
      <TableWrap label="The case history scored against Vultron's desiderata">
        <table>
          <caption className="visually-hidden">The case history scored against Vultron's desiderata</caption>
          <thead>
            <tr>
              <th scope="col">Desideratum</th>
              <th scope="col">Who</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {(d.data?.rows ?? []).map((r) => (
              <tr key={`${r.id}-${r.participant ?? 'case'}`}>
                <td>{r.description}</td>
                <td>{r.participant ? (names[r.participant] ?? r.participant) : 'case'}</td>
                <td>
                  <Badge kind={r.status === 'met' ? 'ok' : r.status === 'missed' ? 'bad' : 'neutral'}>{r.status}</Badge>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </Section>
  );
}
