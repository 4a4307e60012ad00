// A case's release: the coordinator previews the documents and the landing page, confirms by
// typing the case ref, and follows the run's steps; everyone in the case sees the status and,
// once released, the link to the public landing page.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { get, post } from '../api.ts';
import { parseReleaseError, testName } from '../release.ts';
import { Badge, DataTable, Empty, ErrorNote, Loading, Section, Time, useAction, useLoad } from '../ui.tsx';

type Step = 'freeze' | 'build' | 'validate' | 'sign' | 'publish' | 'notify';

export interface ReleaseStatus {
  caseId: string;
  advisoryId: string;
  status: 'not_started' | 'running' | 'failed' | 'done';
  error: string | null;
  releasedAt: string | null;
  revision: number | null;
  steps: Array<{ revision: number; step: Step; status: 'done' | 'failed'; error: string | null; at: string }>;
  landingPage: string | null;
}

interface Preview {
  advisoryId: string;
  landingPage: { url: string; html: string };
  valid: boolean;
  problem: string | null;
  documents: Array<{ kind: 'csaf' | 'cve' | 'osv'; id: string; content: unknown }>;
}

const STEPS: Array<[Step, string]> = [
  ['freeze', 'End the embargo and freeze the case'],
  ['build', 'Build the documents'],
  ['validate', 'Validate them'],
  ['sign', 'Sign them'],
  ['publish', 'Publish the landing page and documents'],
  ['notify', 'Tell every participant and reporter'],
];
const KIND_NAMES: Record<Preview['documents'][number]['kind'], string> = {
  csaf: 'CSAF 2.0 advisory',
  cve: 'CVE JSON 5.1 record',
  osv: 'OSV record',
};
const STATUS: Record<ReleaseStatus['status'], [string, string]> = {
  not_started: ['neutral', 'not released'],
  running: ['warn', 'releasing…'],
  failed: ['bad', 'release failed'],
  done: ['ok', 'released'],
};

export function ReleaseSection({
  caseId,
  caseRef,
  coordinator,
  tick,
  onChange,
}: {
  caseId: string;
  caseRef: string;
  coordinator: boolean;
  tick: number;
  onChange: () => Promise<void>;
}) {
  const status = useLoad(() => get<ReleaseStatus>(`/cases/${caseId}/release`), [caseId, tick]);
  const s = status.data;
  const running = s?.status === 'running';
  const { reload } = status;
  // Follow a running release until it ends, then refresh the case (its state changed).
  useEffect(() => {
    if (!running) return;
    const t = setTimeout(() => {
      void reload();
    }, 2000);
    return () => clearTimeout(t);
  });
  // Where focus goes once the release has started (the form that had it is gone).
  const statusRef = useRef<HTMLParagraphElement>(null);
  const started = async () => {
    await reload();
    statusRef.current?.focus();
  };
  const [wasRunning, setWasRunning] = useState(false);
  useEffect(() => {
    if (running) setWasRunning(true);
    else if (wasRunning && s) {
      setWasRunning(false);
      void onChange();
    }
  }, [running, wasRunning, s, onChange]);

  return (
    <Section id="release" title="Release">
      <ErrorNote error={status.error} />
      {!s ? (
        status.loading ? (
          <Loading />
        ) : null
      ) : (
        <>
          <p aria-live="polite" ref={statusRef} tabIndex={-1}>
            <Badge kind={STATUS[s.status][0]}>{STATUS[s.status][1]}</Badge>{' '}
            {s.status === 'done' ? (
              <>
                <Time iso={s.releasedAt} />
                {s.revision && s.revision > 1 ? ` · revision ${s.revision}` : ''}
              </>
            ) : null}
          </p>
          {coordinator && s.status === 'failed' && s.error ? <Failure s={s} error={s.error} /> : null}
          {coordinator && s.status !== 'failed' && s.error ? <ErrorNote error={s.error} /> : null}
          {s.status === 'done' && s.landingPage ? (
            <p>
              Public advisory: <a href={s.landingPage}>{s.advisoryId}</a>
            </p>
          ) : null}
          {coordinator && s.steps.length ? <Steps s={s} /> : null}
          {!coordinator && s.status !== 'done' ? (
            <p className="muted small">The coordinator releases the case; its public advisory will be linked here.</p>
          ) : null}
          {coordinator && s.status !== 'done' && s.status !== 'running' ? (
            <ReleaseForm caseId={caseId} caseRef={caseRef} retry={s.status === 'failed'} onStarted={started} />
          ) : null}
        </>
      )}
    </Section>
  );
}

/**
 * Where a failed release stopped and why: the step, the document, and each problem's test and JSON
 * path; then what may still be fixed (the case's facts are frozen once the first step ran, vendors'
 * statements are not) before releasing again.
 */
function Failure({ s, error }: { s: ReleaseStatus; error: string }) {
  const failed = s.steps.find((x) => x.status === 'failed');
  const step = STEPS.find(([id]) => id === failed?.step)?.[1] ?? 'unknown step';
  const f = parseReleaseError(error);
  const frozen = s.steps.some((x) => x.step === 'freeze' && x.status === 'done');
  return (
    <section className="release-failure" aria-labelledby="release-failure-h">
      <h3 id="release-failure-h">The release stopped at “{step}”</h3>
      {f.document ? (
        <>
          <p>
            {f.document} is invalid{f.problems.length > 1 ? `: ${f.problems.length + f.more} problems` : ''}.
          </p>
          <DataTable
            label="Why the release stopped"
            rows={f.problems}
            rowKey={(p) => `${p.test}:${p.path}:${p.message}`}
            columns={[
              {
                head: 'Test',
                cell: (p) => (
                  <>
                    {testName(p.test)}
                    {p.test && testName(p.test) !== p.test ? <div className="small muted">{p.test}</div> : null}
                  </>
                ),
              },
              { head: 'JSON path', cell: (p) => <code className="json-path">{p.path}</code> },
              { head: 'Problem', cell: (p) => p.message },
            ]}
          />
          {f.more ? <p className="small muted">And {f.more} more.</p> : null}
        </>
      ) : (
        <p className="error">{f.text}</p>
      )}
      <p className="small">
        {frozen
          ? 'The case is frozen: its vulnerabilities and products no longer change, but vendors may still correct their statements (fixed versions, justifications). Once the cause is fixed, release again: the steps already done are not repeated.'
          : 'Once the cause is fixed, release again.'}
      </p>
    </section>
  );
}

function Steps({ s }: { s: ReleaseStatus }) {
  const revision = s.revision ?? Math.max(...s.steps.map((x) => x.revision));
  const mine = s.steps.filter((x) => x.revision === revision);
  return (
    <DataTable
      label={`Release steps${revision > 1 ? ` (revision ${revision})` : ''}`}
      rows={STEPS}
      rowKey={([step]) => step}
      columns={[
        { head: 'Step', cell: ([, label]) => label },
        {
          head: 'Status',
          cell: ([step]) => {
            const x = mine.find((y) => y.step === step);
            return (
              <>
                {x ? (
                  <Badge kind={x.status === 'done' ? 'ok' : 'bad'}>{x.status}</Badge>
                ) : (
                  <span className="muted">{s.status === 'running' ? 'waiting' : '—'}</span>
                )}
                {x?.error && s.status !== 'failed' ? <span className="small"> {x.error}</span> : null}
              </>
            );
          },
        },
        {
          head: 'When',
          cell: ([step]) => {
            const x = mine.find((y) => y.step === step);
            return x ? <Time iso={x.at} /> : null;
          },
        },
      ]}
    />
  );
}

function ReleaseForm({
  caseId,
  caseRef,
  retry,
  onStarted,
}: {
  caseId: string;
  caseRef: string;
  retry: boolean;
  onStarted: () => Promise<void>;
}) {
  const [preview, setPreview] = useState<Preview | null>(null);
  const [showPage, setShowPage] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState('');
  const load = useAction();
  const act = useAction();
  const matches = typed.trim().toUpperCase() === caseRef.toUpperCase();
  const release = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      await post(`/cases/${caseId}/release`, { confirm: typed.trim() });
      setConfirming(false);
      setTyped('');
      await onStarted();
    });
  };
  return (
    <>
      <p className="small muted">
        Releasing ends the embargo, opens every tent, freezes the vulnerabilities and products, publishes the advisory (landing
        page, CSAF, CVE and OSV records, signed) and tells everyone. It cannot be undone.
      </p>
      <div className="actions">
        <button
          type="button"
          disabled={load.busy}
          onClick={() =>
            load.run(async () => {
              setPreview(await get<Preview>(`/cases/${caseId}/release/preview`));
            })
          }
        >
          {preview ? 'Refresh the preview' : 'Preview the release'}
        </button>
        {!confirming ? (
          <button type="button" className="danger" onClick={() => setConfirming(true)}>
            {retry ? 'Release again…' : 'Release…'}
          </button>
        ) : null}
      </div>
      <ErrorNote error={load.error} />
      {load.busy ? <Loading what="Building the preview" /> : null}
      {preview ? (
        <div className="release-preview">
          <h3>What would be published</h3>
          {preview.valid ? (
            <p className="notice ok">Every document is valid.</p>
          ) : (
            <p className="error" role="alert">
              The release would fail: {preview.problem}
            </p>
          )}
          {preview.documents.length === 0 ? <Empty>No documents.</Empty> : null}
          <ul className="plain">
            {preview.documents.map((d) => (
              <li key={`${d.kind}:${d.id}`}>
                <details>
                  <summary>
                    {KIND_NAMES[d.kind]} <code>{d.id}</code>
                  </summary>
                  <div className="scroll-text">
                    <pre>{JSON.stringify(d.content, null, 2)}</pre>
                  </div>
                </details>
              </li>
            ))}
          </ul>
          <p>
            Landing page: <code>{preview.landingPage.url}</code>{' '}
            <button type="button" className="small" aria-expanded={showPage} onClick={() => setShowPage(!showPage)}>
              {showPage ? 'Hide the landing page preview' : 'Show the landing page preview'}
            </button>
          </p>
          {showPage ? (
            <iframe
              className="landing-preview"
              title={`Landing page preview of ${preview.advisoryId}`}
              sandbox=""
              srcDoc={preview.landingPage.html}
            />
          ) : null}
        </div>
      ) : null}
      {confirming ? (
        <form className="inline-form confirm-release" onSubmit={release}>
          <p className="confirm">
            This publishes {caseRef} to everyone. Type <strong>{caseRef}</strong> to confirm.
          </p>
          <div className="row">
            <div>
              <label htmlFor="release-confirm">Case ref</label>
              <input
                id="release-confirm"
                autoComplete="off"
                // biome-ignore lint/a11y/noAutofocus: the confirmation field is what the button opened
                autoFocus
                value={typed}
                onChange={(e) => setTyped(e.target.value)}
              />
            </div>
            <div className="row-go">
              <button type="submit" className="danger" disabled={!matches || act.busy}>
                Release {caseRef} now
              </button>{' '}
              <button type="button" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </div>
          </div>
          <ErrorNote error={act.error} />
        </form>
      ) : null}
    </>
  );
}
