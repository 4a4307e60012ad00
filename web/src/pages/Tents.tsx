// A case's tents (who learns what, when), their timeline up to the release date, the reader's
// briefing packet, and the NDA gate a community case puts before its first read.
import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import { get, post } from '../api.ts';
import { formatLocal } from '../format.ts';
import { tlpClass } from '../tlp.ts';
import { Badge, DataTable, Empty, ErrorNote, Loading, Section, Time, TlpBadge, useAction, useLoad } from '../ui.tsx';
import { TentEditor } from './TentEditor.tsx';

export interface Tent {
  id: string;
  name: string;
  members: { orgIds: string[]; tiers: string[] };
  opens: { kind: 'absolute'; at: string } | { kind: 'relative'; offsetDays: number } | { kind: 'immediately' };
  tlpCeiling: string;
  artifacts: 'all' | string[];
  openedAt: string | null;
  openedEarly: { at: string; by: string; reason: string } | null;
  scheduledAt: string | null;
}

const TIER_NAMES: Record<string, string> = {
  '*': 'everyone in the case',
  'fix-provider': 'fix providers',
  enabler: 'enablers',
  'affinity-group': 'affinity groups',
  'protection-vendor': 'protection vendors',
  'government-cert': 'government CERTs',
};

function tierName(t: string): string {
  const cert = /^government-cert:([A-Z]{2})$/.exec(t);
  if (cert) return `government CERT (${cert[1]})`;
  return TIER_NAMES[t] ?? `tier “${t}”`;
}

export function tentMembers(t: Tent, names: Record<string, string>): string {
  const parts = [
    ...t.members.tiers.map(tierName),
    ...t.members.orgIds.map((id) => names[id] ?? `organization ${id.slice(0, 8)}`),
  ];
  return parts.length ? parts.join(', ') : 'nobody yet';
}

/** A tent's rule for opening; an absolute time in the viewer's zone, UTC on hover. */
export function opensRule(t: Tent): ReactNode {
  const o = t.opens;
  if (o.kind === 'immediately') return 'At once';
  if (o.kind === 'absolute')
    return (
      <>
        At <Time iso={o.at} />
      </>
    );
  if (o.offsetDays === 0) return 'At release';
  return `Release − ${-o.offsetDays} day${o.offsetDays === -1 ? '' : 's'}`;
}

/** When the tent opened or will open, as a cell. */
function When({ t }: { t: Tent }) {
  if (t.openedAt)
    return (
      <>
        <Badge kind="ok">Open</Badge> since <Time iso={t.openedAt} />
        {t.openedEarly ? <div className="muted small">Opened early: {t.openedEarly.reason}</div> : null}
      </>
    );
  if (t.scheduledAt)
    return (
      <>
        <Badge kind="warn">Closed</Badge> opens <Time iso={t.scheduledAt} relative />
      </>
    );
  return (
    <>
      <Badge kind="warn">Closed</Badge> <span className="muted">no time yet (no release date)</span>
    </>
  );
}

export function TentsSection({
  caseId,
  coordinator,
  releaseAt,
  names,
  tick,
  onChange,
  hideWhenNone = false,
  candidates = [],
}: {
  caseId: string;
  coordinator: boolean;
  releaseAt: string | null;
  names: Record<string, string>;
  tick: number;
  onChange: () => Promise<void>;
  /** For participants: render nothing while the case has no tents (a case outside any community). */
  hideWhenNone?: boolean;
  /** The organizations the coordinator may put in a tent. */
  candidates?: Array<{ orgId: string; orgName: string }>;
}) {
  const tents = useLoad(() => get<Tent[]>(`/cases/${caseId}/tents`), [caseId, tick]);
  const [opening, setOpening] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const list = tents.data ?? [];
  if (hideWhenNone && !coordinator && list.length === 0 && !tents.error) return null;
  const title = coordinator ? 'Tents' : 'My tents';
  return (
    <Section
      id="tents"
      title={title}
      actions={
        coordinator && !editing && tents.data ? (
          <button type="button" className="small" onClick={() => setEditing(true)}>
            {list.length ? 'Edit the tents…' : 'Set up tents…'}
          </button>
        ) : null
      }
    >
      <p className="muted small">
        {coordinator
          ? 'Who learns of the case, what they may see, and when: each tent opens at its time and brings in its members.'
          : 'The tents your organization is in: what it may see of this case, and since when.'}
      </p>
      <ErrorNote error={tents.error} />
      {tents.loading && !tents.data ? <Loading what="Loading the tents" /> : null}
      {coordinator && editing && tents.data ? (
        <TentEditor
          caseId={caseId}
          tents={list}
          candidates={candidates}
          onCancel={() => setEditing(false)}
          onSaved={async () => {
            setEditing(false);
            await tents.reload();
            await onChange();
          }}
        />
      ) : null}
      {tents.data && list.length === 0 && !editing ? (
        <Empty>{coordinator ? 'This case has no tents: participants see it as invited.' : 'No open tent.'}</Empty>
      ) : null}
      {list.length > 0 ? (
        <>
          {coordinator ? <TentChart tents={list} releaseAt={releaseAt} /> : null}
          <DataTable
            label={coordinator ? 'Tents and when each opens' : 'My open tents'}
            className="tents"
            rows={list}
            rowKey={(t) => t.id}
            columns={[
              { head: 'Tent', cell: (t) => t.name },
              {
                head: 'Members',
                cell: (t) => (
                  <>
                    {tentMembers(t, names)}
                    {t.artifacts !== 'all' ? (
                      <div className="muted small">
                        {t.artifacts.length} artifact{t.artifacts.length === 1 ? '' : 's'} only
                      </div>
                    ) : null}
                  </>
                ),
              },
              { head: 'TLP ceiling', cell: (t) => <TlpBadge label={t.tlpCeiling} /> },
              { head: 'Opens', cell: (t) => opensRule(t) },
              { head: 'Open?', cell: (t) => <When t={t} /> },
            ]}
            actions={
              coordinator
                ? (t) =>
                    !t.openedAt && opening !== t.id ? (
                      <button type="button" className="small" onClick={() => setOpening(t.id)}>
                        Open early<span className="visually-hidden"> {t.name}</span>
                      </button>
                    ) : null
                : undefined
            }
          />
          {coordinator && opening ? (
            <OpenEarlyForm
              key={opening}
              caseId={caseId}
              tent={list.find((t) => t.id === opening)}
              onCancel={() => setOpening(null)}
              onDone={async () => {
                setOpening(null);
                await tents.reload();
                await onChange();
              }}
            />
          ) : null}
        </>
      ) : null}
    </Section>
  );
}

function OpenEarlyForm({
  caseId,
  tent,
  onCancel,
  onDone,
}: {
  caseId: string;
  tent: Tent | undefined;
  onCancel: () => void;
  onDone: () => Promise<void>;
}) {
  const act = useAction();
  const [reason, setReason] = useState('');
  // The button that opened this form is gone: the keyboard continues in the form.
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  useEffect(() => reasonRef.current?.focus(), []);
  if (!tent) return null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      await post(`/cases/${caseId}/tents/${tent.id}/open`, { reason });
      await onDone();
    });
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-labelledby="open-early-h">
      <h3 id="open-early-h">Open “{tent.name}” early</h3>
      <p className="hint">
        Its members ({tent.members.tiers.length + tent.members.orgIds.length} rule
        {tent.members.tiers.length + tent.members.orgIds.length === 1 ? '' : 's'}) are brought in now and sent their briefing. The
        reason is kept in the case's timeline.
      </p>
      <ErrorNote error={act.error} />
      <div className="row">
        <div className="grow">
          <label htmlFor="open-early-reason">Reason for opening early</label>
          <textarea
            ref={reasonRef}
            id="open-early-reason"
            required
            rows={2}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
          />
        </div>
        <div className="row-go actions">
          <button type="submit" className="primary" disabled={act.busy || !reason.trim()}>
            Open now
          </button>
          <button type="button" onClick={onCancel} disabled={act.busy}>
            Cancel
          </button>
        </div>
      </div>
    </form>
  );
}

const DAY = 86_400_000;
const shortDate = (ms: number) => new Date(ms).toLocaleDateString(undefined, { day: 'numeric', month: 'short' });

/**
 * The tents on a line from now to the release date: one row per tent, a marker where it opens
 * (at the left edge when already open). An SVG image with a title and description; the table
 * below it carries the same facts as text.
 */
export function TentChart({ tents, releaseAt, now = Date.now() }: { tents: Tent[]; releaseAt: string | null; now?: number }) {
  const times = tents.map((t) => (t.openedAt ? null : t.scheduledAt ? Date.parse(t.scheduledAt) : null));
  const release = releaseAt ? Date.parse(releaseAt) : null;
  const end = Math.max(release ?? 0, ...times.map((x) => x ?? 0), now + DAY);
  const W = 800;
  const LEFT = 190;
  const RIGHT = 24;
  const ROW = 30;
  const TOP = 34;
  const H = TOP + tents.length * ROW + 26;
  const x = (ms: number) => LEFT + ((Math.min(Math.max(ms, now), end) - now) / (end - now)) * (W - LEFT - RIGHT);
  // Ticks: every week (or every day for a short span), plus the release.
  const span = end - now;
  const step = span > 60 * DAY ? 14 * DAY : span > 14 * DAY ? 7 * DAY : DAY;
  const ticks: number[] = [];
  for (let t = now + step; t < end - step / 2; t += step) ticks.push(t);
  const open = tents.filter((t) => t.openedAt).length;
  const summary =
    `${tents.length} tent${tents.length === 1 ? '' : 's'}: ${open} open now` +
    (release ? `; release on ${formatLocal(releaseAt as string)}` : '; no release date yet') +
    '. ' +
    tents
      .map((t, i) => {
        const at = times[i];
        return `${t.name} (TLP:${t.tlpCeiling}) ${t.openedAt ? 'is open' : at ? `opens ${formatLocal(new Date(at).toISOString())}` : 'has no time yet'}`;
      })
      .join('; ') +
    '.';
  return (
    <figure className="tent-chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby="tent-chart-title tent-chart-desc"
        preserveAspectRatio="xMinYMin meet"
      >
        <title id="tent-chart-title">When each tent opens, from now to the release date</title>
        <desc id="tent-chart-desc">{summary}</desc>
        <line className="axis" x1={LEFT} x2={W - RIGHT} y1={TOP - 10} y2={TOP - 10} />
        <text className="tick-label" x={LEFT} y={TOP - 16} textAnchor="start">
          now
        </text>
        {ticks.map((t) => (
          <g key={t}>
            <line className="grid" x1={x(t)} x2={x(t)} y1={TOP - 14} y2={H - 20} />
            <text className="tick-label" x={x(t)} y={TOP - 16} textAnchor="middle">
              {shortDate(t)}
            </text>
          </g>
        ))}
        {release ? (
          <g>
            <line className="release" x1={x(release)} x2={x(release)} y1={TOP - 14} y2={H - 14} />
            <text className="release-label" x={x(release)} y={H - 2} textAnchor="end">
              release {shortDate(release)}
            </text>
          </g>
        ) : null}
        {tents.map((t, i) => {
          const y = TOP + i * ROW + ROW / 2;
          const at = t.openedAt ? now : times[i];
          return (
            <g key={t.id} className={t.openedAt ? 'tent-row is-open' : 'tent-row'}>
              <text className="tent-name" x={LEFT - 10} y={y + 4} textAnchor="end">
                {t.name.length > 26 ? `${t.name.slice(0, 25)}…` : t.name}
              </text>
              <line className="lane" x1={LEFT} x2={W - RIGHT} y1={y} y2={y} />
              {at !== null && at !== undefined ? (
                <>
                  <rect
                    className={`span ${tlpClass(t.tlpCeiling)}`}
                    x={x(at)}
                    y={y - 5}
                    width={Math.max(2, (release ? x(release) : W - RIGHT) - x(at))}
                    height={10}
                    rx={3}
                  />
                  <circle className={`mark ${tlpClass(t.tlpCeiling)}`} cx={x(at)} cy={y} r={7} />
                </>
              ) : (
                <text className="tick-label" x={LEFT + 6} y={y + 4}>
                  no time yet
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="muted small">
        Each bar starts when its tent opens (at the left edge: open now) and is coloured by its TLP ceiling; the table below lists
        the same.
      </figcaption>
    </figure>
  );
}

/** Long preformatted text in a region that scrolls; focusable so the keyboard can scroll it. */
export function ScrollText({ label, children }: { label: string; children: string }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (WCAG 2.1.1)
    <section className="scroll-text" aria-label={label} tabIndex={0}>
      <pre>{children}</pre>
    </section>
  );
}

/** The reader's briefing packet as text, loaded on request (each read is audited). */
export function BriefingSection({ caseId }: { caseId: string }) {
  const act = useAction();
  const [text, setText] = useState<string | null>(null);
  const load = () =>
    act.run(async () => {
      const b = await get<{ text: string }>(`/cases/${caseId}/briefing`);
      setText(b.text);
    });
  return (
    <Section
      id="briefing"
      title="Briefing"
      actions={
        text === null ? (
          <button type="button" className="small" onClick={load} disabled={act.busy}>
            Show my briefing
          </button>
        ) : null
      }
    >
      <p className="muted small">
        The case as your tents let you see it — vulnerabilities, affected products, timeline, statements and the release date — to
        get up to speed.
      </p>
      <ErrorNote error={act.error} />
      {text !== null ? <ScrollText label="Briefing packet">{text}</ScrollText> : null}
    </Section>
  );
}

export interface NdaRequired {
  communityId: string;
  version: number;
  hash: string;
}

interface Nda {
  version: number;
  text: string;
  hash: string;
  publishedAt: string;
  acceptedAt: string | null;
}

/** The community's NDA and an accept button: what a case in a community asks before the first read. */
export function NdaGate({ nda, onAccepted }: { nda: NdaRequired; onAccepted: () => Promise<void> }) {
  const doc = useLoad(() => get<Nda>(`/communities/${nda.communityId}/nda`), [nda.communityId, nda.version]);
  const community = useLoad(() => get<{ name: string }>(`/communities/${nda.communityId}`), [nda.communityId]);
  const act = useAction();
  const d = doc.data;
  const accept = () =>
    act.run(async () => {
      if (!d) return;
      // The hash of the text shown here: the server refuses it if a newer version came out meanwhile.
      await post(`/communities/${nda.communityId}/nda/${d.version}/accept`, { hash: d.hash });
      await onAccepted();
    });
  return (
    <section className="card nda-gate" aria-labelledby="nda-h">
      <h2 id="nda-h">{community.data ? `${community.data.name}: ` : ''}NDA acceptance required</h2>
      <p>
        This case belongs to a trust community. Before you read anything of it, accept the community's current non-disclosure
        agreement (version {nda.version}). Your acceptance — you, the version and its fingerprint, the time — is recorded.
      </p>
      <ErrorNote error={doc.error} />
      {doc.loading && !d ? <Loading what="Loading the agreement" /> : null}
      {d ? (
        <>
          <ScrollText label={`Agreement, version ${d.version}`}>{d.text}</ScrollText>
          <p className="muted small">
            Version {d.version}, published <Time iso={d.publishedAt} /> · SHA-256 <code className="hash">{d.hash}</code>
          </p>
          <ErrorNote error={act.error} />
          <div className="actions">
            <button type="button" className="primary" onClick={accept} disabled={act.busy}>
              I accept version {d.version}
            </button>
          </div>
        </>
      ) : null}
    </section>
  );
}
