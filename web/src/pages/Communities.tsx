// Trust communities: the list, and a community's page — its rules, members, and for stewards
// the membership steps, the NDA versions and acceptances, and what a member has seen.
import { type FormEvent, type ReactNode, useState } from 'react';
import { ApiError, get, patch, post } from '../api.ts';
import { Link } from '../router.tsx';
import {
  Badge,
  DataTable,
  Empty,
  ErrorNote,
  Field,
  Loading,
  Page,
  Section,
  Time,
  useAction,
  useLoad,
  useSession,
} from '../ui.tsx';
import { ScrollText } from './Tents.tsx';

interface Community {
  id: string;
  slug: string;
  name: string;
  charter: string;
  tiers: string[];
  embargo: { defaultDays: number; maxDays: number };
  admission: unknown;
  governmentCerts: unknown;
  nda: { version: number; hash: string; publishedAt: string } | null;
  members: number;
  createdAt: string;
}
interface Member {
  orgId: string;
  orgName: string;
  state: string;
  tier: string | null;
  functions: string[];
  since: string | null;
  updatedAt: string;
}
interface Membership {
  member: Member | null;
  history: Array<{
    type: string;
    to: string;
    at: string;
    byUserId: string;
    byOrgId: string;
    reason: string | null;
    vote: 'yes' | 'no' | null;
    derived: boolean;
  }>;
  admission: { satisfied: boolean; missing: string[] } | null;
}
interface Acceptance {
  version: number;
  hash: string;
  acceptedAt: string;
  userId: string;
  displayName: string;
  orgId: string;
  orgName: string;
}
interface Exposure {
  caseId: string;
  ref: string;
  participantSince: string;
  reads: Array<{ part: string; count: number; first: string; last: string }>;
  briefings: Array<{ tentId: string; at: string }>;
}

const FUNCTIONS = ['fix-provider', 'enabler', 'affinity-group', 'protection-vendor', 'government-cert'] as const;
const FUNCTION_NAMES: Record<string, string> = {
  'fix-provider': 'Fix provider',
  enabler: 'Enabler',
  'affinity-group': 'Affinity group',
  'protection-vendor': 'Protection vendor',
  'government-cert': 'Government CERT',
};
const STATE_KIND: Record<string, string> = {
  admitted: 'ok',
  applied: 'warn',
  sponsored: 'warn',
  suspended: 'bad',
  ejected: 'bad',
};
const EVENT_NAMES: Record<string, string> = {
  apply: 'Applied',
  sponsor: 'Sponsored',
  approve: 'Approved by a steward',
  vote: 'Steward vote',
  admit: 'Admitted',
  suspend: 'Suspended',
  reinstate: 'Reinstated',
  eject: 'Ejected',
  readmit: 'Readmission requested',
};

function admissionText(a: unknown): string {
  const r = a as
    | { kind: 'sponsors'; sponsors: number; stewardApproval: boolean }
    | { kind: 'steward-vote'; quorum: { kind: 'count'; count: number } | { kind: 'fraction'; fraction: number } }
    | null;
  if (!r) return '—';
  if (r.kind === 'sponsors') {
    const s = r.sponsors > 0 ? `${r.sponsors} sponsoring member${r.sponsors === 1 ? '' : 's'}` : '';
    return [s, r.stewardApproval ? "a steward's approval" : ''].filter(Boolean).join(' and ');
  }
  if (r.kind === 'steward-vote') {
    const q = r.quorum.kind === 'count' ? `${r.quorum.count} votes` : `${Math.round(r.quorum.fraction * 100)} % of the stewards`;
    return `A steward vote: a quorum of ${q}, more yes than no`;
  }
  return JSON.stringify(a);
}

function govCertText(g: unknown): string {
  const p = g as {
    certs: Array<{ kind: 'org'; orgId: string } | { kind: 'country'; country: string }>;
    notify: { when: 'at-open' } | { when: 'release-minus-days'; days: number } | { when: 'at-release' };
  } | null;
  if (!p?.certs) return '—';
  if (p.certs.length === 0) return 'No government CERT is told.';
  const who = p.certs.map((c) =>
    c.kind === 'country' ? `the national CERT of ${c.country}` : `organization ${c.orgId.slice(0, 8)}`,
  );
  const when =
    p.notify.when === 'at-open'
      ? 'when a case opens'
      : p.notify.when === 'at-release'
        ? 'at release'
        : `${p.notify.days} day${p.notify.days === 1 ? '' : 's'} before release`;
  return `${who.join(', ')}, ${when}`;
}

export function CommunitiesPage() {
  const list = useLoad(() => get<Community[]>('/communities'), []);
  return (
    <Page title="Trust communities">
      <p className="lead">
        Communities vet their members before an incident; a case opened in a community reveals itself in tents, each to the
        members it needs at the agreed time.
      </p>
      <ErrorNote error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.length === 0 ? <Empty>No community yet.</Empty> : null}
      {list.data && list.data.length > 0 ? (
        <DataTable
          label="Trust communities"
          rows={list.data}
          rowKey={(c) => c.id}
          columns={[
            { head: 'Community', cell: (c) => <Link href={`/communities/${c.id}`}>{c.name}</Link> },
            { head: 'Members', cell: (c) => c.members },
            { head: 'Tiers', cell: (c) => c.tiers.join(', ') },
            { head: 'Embargo (default / maximum)', cell: (c) => `${c.embargo.defaultDays} / ${c.embargo.maxDays} days` },
            { head: 'NDA', cell: (c) => (c.nda ? `version ${c.nda.version}` : <span className="muted">none</span>) },
          ]}
        />
      ) : null}
    </Page>
  );
}

export function CommunityPage({ id }: { id: string }) {
  const { me } = useSession();
  const [tick, setTick] = useState(0);
  const bump = () => setTick((t) => t + 1);
  const community = useLoad(() => get<Community>(`/communities/${id}`), [id, tick]);
  // Stewards alone may list the acceptances: a 200 says this user is one.
  const acceptances = useLoad(
    () =>
      get<Acceptance[]>(`/communities/${id}/nda/acceptances`).catch((e) => {
        if (e instanceof ApiError && (e.status === 403 || e.status === 404)) return null;
        throw e;
      }),
    [id, tick],
  );
  const members = useLoad(
    () =>
      get<Member[]>(`/communities/${id}/members`).catch((e) => {
        if (e instanceof ApiError && (e.status === 403 || e.status === 404)) return null;
        throw e;
      }),
    [id, tick],
  );
  const mine = useLoad(
    () => (me ? get<Membership>(`/communities/${id}/members/${me.user.orgId}`) : Promise.resolve(null)),
    [id, me?.user.orgId, tick],
  );
  const [selected, setSelected] = useState<string | null>(null);
  if (community.loading && !community.data) return <Loading />;
  const c = community.data;
  if (!c || !me)
    return (
      <Page title="Community">
        <ErrorNote error={community.error ?? 'This community does not exist.'} />
      </Page>
    );
  const steward = acceptances.data !== null && acceptances.data !== undefined;
  const applications = (members.data ?? []).filter((m) => m.state === 'applied' || m.state === 'sponsored');
  const orgNames: Record<string, string> = Object.fromEntries((members.data ?? []).map((m) => [m.orgId, m.orgName]));
  const selectedMember = (members.data ?? []).find((m) => m.orgId === selected) ?? null;
  const myState = mine.data?.member?.state ?? null;
  // Admins of admitted members sponsor applicants (the API lists open applications to them).
  const sponsor = me.user.orgRole === 'admin' && myState === 'admitted';
  return (
    <Page title={c.name}>
      <p className="lead">
        {c.members} admitted member{c.members === 1 ? '' : 's'}
        {myState ? (
          <>
            {' '}
            · your organization: <Badge kind={STATE_KIND[myState] ?? 'neutral'}>{myState}</Badge>
          </>
        ) : null}
        {steward ? ' · you are a steward' : ''}
      </p>
      <nav className="toc" aria-label="Community sections">
        <a href="#rules">Charter and rules</a>
        <a href="#members">Members</a>
        {steward || sponsor ? <a href="#applications">Applications</a> : null}
        <a href="#nda">NDA</a>
      </nav>
      <div className="stack">
        {!mine.loading && !myState && !steward ? <Apply community={c} onDone={bump} /> : null}
        {myState === 'ejected' ? <Readmit community={c} onDone={bump} /> : null}
        <Section id="rules" title="Charter and rules">
          <p className="prewrap">{c.charter}</p>
          <dl className="facts">
            <dt>Trust tiers</dt>
            <dd>{c.tiers.join(' → ')} (most trusted first)</dd>
            <dt>Embargo</dt>
            <dd>
              {c.embargo.defaultDays} days by default, at most {c.embargo.maxDays} days
            </dd>
            <dt>Admission</dt>
            <dd>{admissionText(c.admission)}</dd>
            <dt>Government CERTs</dt>
            <dd>{govCertText(c.governmentCerts)}</dd>
            <dt>NDA</dt>
            <dd>
              {c.nda ? (
                <>
                  Version {c.nda.version}, published <Time iso={c.nda.publishedAt} />
                </>
              ) : (
                'None yet'
              )}
            </dd>
          </dl>
        </Section>
        <Section id="members" title="Members">
          <ErrorNote error={members.error} />
          {members.data === null ? <Empty>The member list is for the community's members.</Empty> : null}
          {members.data && members.data.length === 0 ? <Empty>No members yet.</Empty> : null}
          {members.data && members.data.length > 0 ? (
            <DataTable
              label="Member organizations"
              rows={members.data}
              rowKey={(m) => m.orgId}
              columns={[
                { head: 'Organization', cell: (m) => m.orgName },
                { head: 'State', cell: (m) => <Badge kind={STATE_KIND[m.state] ?? 'neutral'}>{m.state}</Badge> },
                { head: 'Tier', cell: (m) => m.tier ?? <span className="muted">—</span> },
                {
                  head: 'Functions',
                  cell: (m) => (m.functions.length ? m.functions.map((f) => FUNCTION_NAMES[f] ?? f).join(', ') : '—'),
                },
                { head: 'Since', cell: (m) => <Time iso={m.since} /> },
              ]}
              actions={
                steward
                  ? (m) => (
                      <button
                        type="button"
                        className="small"
                        aria-pressed={selected === m.orgId}
                        onClick={() => setSelected(selected === m.orgId ? null : m.orgId)}
                      >
                        Manage<span className="visually-hidden"> {m.orgName}</span>
                      </button>
                    )
                  : undefined
              }
            />
          ) : null}
        </Section>
        {steward && selectedMember ? (
          <MemberPanel
            names={orgNames}
            key={selectedMember.orgId}
            community={c}
            member={selectedMember}
            onDone={bump}
            onClose={() => setSelected(null)}
          />
        ) : null}
        {steward || sponsor ? (
          <Section id="applications" title="Applications">
            {applications.length === 0 ? <Empty>No open application.</Empty> : null}
            {applications.map((m) => (
              <Application
                names={orgNames}
                key={m.orgId}
                communityId={c.id}
                member={m}
                tick={tick}
                steward={steward}
                maySponsor={sponsor && m.orgId !== me.user.orgId}
                myOrgId={me.user.orgId}
                onReview={() => setSelected(m.orgId)}
                onDone={bump}
              />
            ))}
          </Section>
        ) : null}
        <NdaSection community={c} steward={steward} acceptances={acceptances.data ?? []} onDone={bump} />
      </div>
    </Page>
  );
}

/** An admin's request about its own organization's membership: apply, or ask to be readmitted. */
function MembershipRequest({
  community,
  type,
  text,
  label,
  primary = false,
  onDone,
}: {
  community: Community;
  type: 'apply' | 'readmit';
  text: ReactNode;
  label: string;
  primary?: boolean;
  onDone: () => void;
}) {
  const { me } = useSession();
  const act = useAction();
  if (me?.user.orgRole !== 'admin') return null;
  return (
    <div className="notice">
      <p>{text}</p>
      <ErrorNote error={act.error} />
      <button
        type="button"
        className={primary ? 'primary' : undefined}
        disabled={act.busy}
        onClick={() =>
          act.run(async () => {
            await post(`/communities/${community.id}/members/${me.user.orgId}/events`, { type });
            onDone();
          })
        }
      >
        {label}
      </button>
    </div>
  );
}

function Apply({ community, onDone }: { community: Community; onDone: () => void }) {
  const { me } = useSession();
  return (
    <MembershipRequest
      community={community}
      type="apply"
      primary
      label="Apply for membership"
      text={`${me?.organization.name ?? 'Your organization'} is not a member of ${community.name}. Applying starts the admission: ${admissionText(community.admission)}.`}
      onDone={onDone}
    />
  );
}

function Readmit({ community, onDone }: { community: Community; onDone: () => void }) {
  return (
    <MembershipRequest
      community={community}
      type="readmit"
      label="Ask to be readmitted"
      text={`Your organization was ejected from ${community.name}. It may ask to be readmitted, which starts a new application.`}
      onDone={onDone}
    />
  );
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** The recorded steps; organization ids in a reason (e.g. "sponsored by <id>") read as names where known. */
function History({ history, names = {} }: { history: Membership['history']; names?: Record<string, string> }) {
  if (history.length === 0) return <Empty>No recorded step.</Empty>;
  return (
    <ol className="history">
      {history.map((h, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the history is append-only, in order
        <li key={i}>
          <Time iso={h.at} /> — {EVENT_NAMES[h.type] ?? h.type}
          {h.vote ? `: ${h.vote}` : ''}
          {h.derived ? ' (the admission rule is met)' : ''} → <strong>{h.to}</strong>
          {h.reason ? <span className="muted"> · “{h.reason.replace(UUID, (id) => names[id] ?? id)}”</span> : null}
        </li>
      ))}
    </ol>
  );
}

function Application({
  names,
  communityId,
  member,
  tick,
  steward,
  maySponsor,
  myOrgId,
  onReview,
  onDone,
}: {
  names: Record<string, string>;
  communityId: string;
  member: Member;
  tick: number;
  steward: boolean;
  maySponsor: boolean;
  myOrgId: string;
  onReview: () => void;
  onDone: () => void;
}) {
  // The record (history, what the rule still needs) is for stewards and the applicant itself.
  const rec = useLoad(
    () => (steward ? get<Membership>(`/communities/${communityId}/members/${member.orgId}`) : Promise.resolve(null)),
    [communityId, member.orgId, tick, steward],
  );
  const act = useAction();
  const [sponsored, setSponsored] = useState(false);
  const mine = sponsored || (rec.data?.history ?? []).some((h) => h.type === 'sponsor' && h.byOrgId === myOrgId);
  const sponsor = () =>
    act.run(async () => {
      await post(`/communities/${communityId}/members/${member.orgId}/events`, { type: 'sponsor' });
      setSponsored(true);
      onDone();
    });
  return (
    <article className="row-item" aria-labelledby={`app-${member.orgId}`}>
      <div>
        <h3 id={`app-${member.orgId}`}>
          {member.orgName} <Badge kind="warn">{member.state}</Badge>
        </h3>
        <ErrorNote error={rec.error} />
        {rec.data ? (
          <>
            <History history={rec.data.history} names={names} />
            {rec.data.admission ? (
              <p className="small">
                {rec.data.admission.satisfied
                  ? 'The admission rule is met.'
                  : `Still needed: ${rec.data.admission.missing.join('; ')}.`}
              </p>
            ) : null}
          </>
        ) : null}
        <ErrorNote error={act.error} />
        {mine ? <p className="small">Your organization sponsors this application.</p> : null}
      </div>
      <div className="actions">
        {maySponsor && !mine ? (
          <button type="button" className="small" disabled={act.busy} onClick={sponsor}>
            Sponsor<span className="visually-hidden"> {member.orgName}</span>
          </button>
        ) : null}
        {steward ? (
          <button type="button" className="small" onClick={onReview}>
            Review<span className="visually-hidden"> {member.orgName}</span>
          </button>
        ) : null}
      </div>
    </article>
  );
}

function MemberPanel({
  names,
  community,
  member,
  onDone,
  onClose,
}: {
  names: Record<string, string>;
  community: Community;
  member: Member;
  onDone: () => void;
  onClose: () => void;
}) {
  const act = useAction();
  const rec = useLoad(() => get<Membership>(`/communities/${community.id}/members/${member.orgId}`), [community.id, member]);
  const exposure = useLoad(
    () => get<Exposure[]>(`/communities/${community.id}/members/${member.orgId}/exposure`),
    [community.id, member],
  );
  const [reason, setReason] = useState('');
  const [confirmEject, setConfirmEject] = useState(false);
  const [tier, setTier] = useState(member.tier ?? '');
  const [functions, setFunctions] = useState<string[]>(member.functions);
  const step = (type: string, extra: Record<string, unknown> = {}) =>
    act.run(async () => {
      await post(`/communities/${community.id}/members/${member.orgId}/events`, { type, ...extra });
      setReason('');
      setConfirmEject(false);
      onDone();
    });
  const saveStanding = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      await patch(`/communities/${community.id}/members/${member.orgId}`, { tier: tier || null, functions });
      onDone();
    });
  };
  const s = member.state;
  const pending = s === 'applied' || s === 'sponsored';
  const needsReason = s === 'admitted' || s === 'suspended';
  return (
    <Section
      id="member"
      title={`Membership of ${member.orgName}`}
      actions={
        <button type="button" className="small" onClick={onClose}>
          Close
        </button>
      }
    >
      <p>
        State: <Badge kind={STATE_KIND[s] ?? 'neutral'}>{s}</Badge>
      </p>
      <ErrorNote error={act.error} />
      <h3>History</h3>
      <ErrorNote error={rec.error} />
      {rec.data ? <History history={rec.data.history} names={names} /> : <Loading />}
      {rec.data?.admission && pending ? (
        <p className="small">
          {rec.data.admission.satisfied
            ? 'The admission rule is met.'
            : `Still needed: ${rec.data.admission.missing.join('; ')}.`}
        </p>
      ) : null}
      {pending ? (
        <div className="actions wrap">
          <button type="button" disabled={act.busy} onClick={() => step('approve')}>
            Approve
          </button>
          <button type="button" disabled={act.busy} onClick={() => step('vote', { vote: 'yes' })}>
            Vote yes
          </button>
          <button type="button" disabled={act.busy} onClick={() => step('vote', { vote: 'no' })}>
            Vote no
          </button>
          <button type="button" className="primary" disabled={act.busy} onClick={() => step('admit')}>
            Admit
          </button>
        </div>
      ) : null}
      {s === 'suspended' ? (
        <div className="actions">
          <button type="button" disabled={act.busy} onClick={() => step('reinstate')}>
            Reinstate
          </button>
        </div>
      ) : null}
      {s === 'ejected' ? (
        <div className="actions">
          <button type="button" disabled={act.busy} onClick={() => step('readmit')}>
            Start readmission
          </button>
        </div>
      ) : null}
      {needsReason ? (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
          }}
        >
          <h3>{s === 'admitted' ? 'Suspend or eject' : 'Eject'}</h3>
          <p className="hint">
            Takes effect on the organization's next request. Ejection ends its participation in the community's cases; each
            coordinator is told what it had seen.
          </p>
          <label htmlFor="m-reason">Reason (recorded)</label>
          <textarea id="m-reason" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
          <div className="actions">
            {s === 'admitted' ? (
              <button type="button" disabled={act.busy || !reason.trim()} onClick={() => step('suspend', { reason })}>
                Suspend
              </button>
            ) : null}
            <button type="button" className="danger" disabled={act.busy || !reason.trim()} onClick={() => setConfirmEject(true)}>
              Eject…
            </button>
          </div>
          {confirmEject ? (
            <div className="confirm" role="alert">
              <p>
                Eject {member.orgName} from {community.name}? Its access to every case of the community ends at once.
              </p>
              <div className="actions">
                <button type="button" className="danger" disabled={act.busy} onClick={() => step('eject', { reason })}>
                  Yes, eject {member.orgName}
                </button>
                <button type="button" onClick={() => setConfirmEject(false)}>
                  Cancel
                </button>
              </div>
            </div>
          ) : null}
        </form>
      ) : null}
      <form className="inline-form" onSubmit={saveStanding}>
        <h3>Tier and functions</h3>
        <div className="row">
          <Field id="m-tier" label="Trust tier">
            <select value={tier} onChange={(e) => setTier(e.target.value)}>
              <option value="">None</option>
              {community.tiers.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </Field>
          <fieldset className="grow">
            <legend>Functions</legend>
            <div className="fn-checks">
              {FUNCTIONS.map((f) => (
                <div className="check" key={f}>
                  <input
                    id={`m-fn-${f}`}
                    type="checkbox"
                    checked={functions.includes(f)}
                    onChange={(e) => setFunctions(e.target.checked ? [...functions, f] : functions.filter((x) => x !== f))}
                  />
                  <label htmlFor={`m-fn-${f}`}>{FUNCTION_NAMES[f]}</label>
                </div>
              ))}
            </div>
          </fieldset>
          <div className="row-go">
            <button type="submit" disabled={act.busy}>
              Save tier and functions
            </button>
          </div>
        </div>
      </form>
      <h3>What {member.orgName} has seen</h3>
      <ErrorNote error={exposure.error} />
      {exposure.data && exposure.data.length === 0 ? <Empty>Nothing of the community's cases.</Empty> : null}
      {exposure.data && exposure.data.length > 0 ? (
        <DataTable
          label={`Exposure of ${member.orgName}`}
          rows={exposure.data}
          rowKey={(x) => x.caseId}
          columns={[
            { head: 'Case', cell: (x) => <Link href={`/cases/${x.caseId}`}>{x.ref}</Link> },
            { head: 'Participant since', cell: (x) => <Time iso={x.participantSince} /> },
            { head: 'Reads', cell: (x) => (x.reads.length ? x.reads.map((r) => `${r.part} ×${r.count}`).join(', ') : '—') },
            {
              head: 'Briefings',
              cell: (x) =>
                x.briefings.length
                  ? x.briefings.map((b) => (
                      <div key={`${b.tentId}-${b.at}`}>
                        {b.tentId}, <Time iso={b.at} />
                      </div>
                    ))
                  : '—',
            },
          ]}
        />
      ) : null}
    </Section>
  );
}

interface Nda {
  version: number;
  text: string;
  hash: string;
  publishedAt: string;
  acceptedAt: string | null;
}

function NdaSection({
  community,
  steward,
  acceptances,
  onDone,
}: {
  community: Community;
  steward: boolean;
  acceptances: Acceptance[];
  onDone: () => void;
}) {
  const nda = useLoad(
    () =>
      community.nda
        ? get<Nda>(`/communities/${community.id}/nda`).catch((e) => {
            if (e instanceof ApiError && (e.status === 403 || e.status === 404)) return null;
            throw e;
          })
        : Promise.resolve(null),
    [community.id, community.nda?.version],
  );
  const act = useAction();
  const [text, setText] = useState<string | null>(null);
  const publish = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      await post(`/communities/${community.id}/nda`, { text });
      setText(null);
      onDone();
    });
  };
  const accept = () =>
    act.run(async () => {
      if (!nda.data) return;
      await post(`/communities/${community.id}/nda/${nda.data.version}/accept`, { hash: nda.data.hash });
      await nda.reload();
    });
  const d = nda.data;
  return (
    <Section id="nda" title="Non-disclosure agreement">
      <ErrorNote error={nda.error} />
      {!community.nda ? <Empty>No NDA published yet.</Empty> : null}
      {d ? (
        <details>
          <summary>
            Version {d.version}, published <Time iso={d.publishedAt} />
            {d.acceptedAt ? (
              <>
                {' '}
                · you accepted it <Time iso={d.acceptedAt} />
              </>
            ) : (
              ' · not accepted by you yet'
            )}
          </summary>
          <ScrollText label={`Agreement, version ${d.version}`}>{d.text}</ScrollText>
          <p className="muted small">
            SHA-256 <code className="hash">{d.hash}</code>
          </p>
          {!d.acceptedAt ? (
            <button type="button" className="primary" onClick={accept} disabled={act.busy}>
              I accept version {d.version}
            </button>
          ) : null}
        </details>
      ) : null}
      <ErrorNote error={act.error} />
      {steward ? (
        text === null ? (
          <div className="actions">
            <button type="button" onClick={() => setText(d?.text ?? '')}>
              Publish a new version…
            </button>
          </div>
        ) : (
          <form className="inline-form" onSubmit={publish}>
            <h3>Publish version {(community.nda?.version ?? 0) + 1}</h3>
            <p className="hint">Every user must accept the new version before their next read of a community case.</p>
            <label htmlFor="nda-text">Agreement text</label>
            <textarea id="nda-text" rows={8} required value={text} onChange={(e) => setText(e.target.value)} />
            <div className="actions">
              <button type="submit" className="primary" disabled={act.busy || !text.trim()}>
                Publish version {(community.nda?.version ?? 0) + 1}
              </button>
              <button type="button" onClick={() => setText(null)} disabled={act.busy}>
                Cancel
              </button>
            </div>
          </form>
        )
      ) : null}
      {steward ? (
        <>
          <h3>Acceptances</h3>
          {acceptances.length === 0 ? <Empty>Nobody has accepted a version yet.</Empty> : null}
          {acceptances.length > 0 ? (
            <DataTable
              label="NDA acceptances"
              rows={acceptances}
              rowKey={(a) => `${a.userId}-${a.version}`}
              columns={[
                { head: 'Person', cell: (a) => a.displayName },
                { head: 'Organization', cell: (a) => a.orgName },
                {
                  head: 'Version',
                  cell: (a) => `${a.version}${community.nda && a.version === community.nda.version ? ' (current)' : ''}`,
                },
                { head: 'Accepted', cell: (a) => <Time iso={a.acceptedAt} /> },
              ]}
            />
          ) : null}
        </>
      ) : null}
    </Section>
  );
}
