// The coordinator's tent editor: who is in which tent, when each opens, and its TLP ceiling;
// saved whole with PUT /cases/{id}/tents. Tiers and artifact lists of existing tents (a
// community's template) are kept as they are; open tents stay open whatever their new schedule.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { put } from '../api.ts';
import { isoToLocalInput, localInputToIso } from '../format.ts';
import { tentId } from '../tents.ts';
import { TLP_LABELS } from '../tlp.ts';
import { ErrorNote, Field, TlpSelect } from '../ui.tsx';
import type { Tent } from './Tents.tsx';

type OpensKind = 'immediately' | 'absolute' | 'relative';
interface Draft {
  id: string | null;
  name: string;
  orgIds: string[];
  tiers: string[];
  artifacts: Tent['artifacts'];
  opens: OpensKind;
  at: string;
  daysBefore: string;
  tlpCeiling: string;
  open: boolean;
}

const draftOf = (t: Tent): Draft => ({
  id: t.id,
  name: t.name,
  orgIds: t.members.orgIds,
  tiers: t.members.tiers,
  artifacts: t.artifacts,
  opens: t.opens.kind,
  at: t.opens.kind === 'absolute' ? isoToLocalInput(t.opens.at) : '',
  daysBefore: t.opens.kind === 'relative' ? String(-t.opens.offsetDays) : '14',
  tlpCeiling: t.tlpCeiling,
  open: t.openedAt !== null,
});
const blank = (): Draft => ({
  id: null,
  name: '',
  orgIds: [],
  tiers: [],
  artifacts: 'all',
  opens: 'immediately',
  at: '',
  daysBefore: '14',
  tlpCeiling: 'AMBER',
  open: false,
});

export function TentEditor({
  caseId,
  tents,
  candidates,
  onCancel,
  onSaved,
}: {
  caseId: string;
  tents: Tent[];
  /** The organizations that may be put in a tent: the case's participants but the coordinator. */
  candidates: Array<{ orgId: string; orgName: string }>;
  onCancel: () => void;
  onSaved: () => Promise<void>;
}) {
  const [drafts, setDrafts] = useState<Draft[]>(() => (tents.length ? tents.map(draftOf) : [blank()]));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // The button that opened the editor is gone: the keyboard continues in the first field.
  const firstName = useRef<HTMLInputElement>(null);
  useEffect(() => firstName.current?.focus(), []);
  const set = (i: number, d: Partial<Draft>) => setDrafts(drafts.map((x, j) => (j === i ? { ...x, ...d } : x)));
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const taken = new Set(drafts.flatMap((d) => (d.id ? [d.id] : [])));
      const body = drafts.map((d) => {
        const id = d.id ?? tentId(d.name, taken);
        taken.add(id);
        const at = localInputToIso(d.at);
        return {
          id,
          name: d.name,
          members: { orgIds: d.orgIds, tiers: d.tiers },
          opens:
            d.opens === 'absolute'
              ? { kind: 'absolute', at: at ?? d.at }
              : d.opens === 'relative'
                ? { kind: 'relative', offsetDays: -Math.abs(Math.round(Number(d.daysBefore) || 0)) }
                : { kind: 'immediately' },
          tlpCeiling: d.tlpCeiling,
          artifacts: d.artifacts,
        };
      });
      await put(`/cases/${caseId}/tents`, { tents: body });
      await onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline-form tent-editor" onSubmit={save} aria-labelledby="tent-editor-h">
      <h3 id="tent-editor-h">Set the tents</h3>
      <p className="hint">
        Each tent opens at its time and brings its members into the case with their briefing. An open tent stays open; its members
        and ceiling may still change.
      </p>
      <ErrorNote error={error} />
      {drafts.map((d, i) => {
        const pre = `tent-${i}`;
        return (
          <fieldset key={d.id ?? `new-${i}`}>
            <legend>
              Tent {i + 1}
              {d.name ? `: ${d.name}` : ''}
              {d.open ? ' (open)' : ''}
            </legend>
            <div className="row">
              <Field id={`${pre}-name`} label="Tent name" className="grow">
                <input
                  ref={i === 0 ? firstName : undefined}
                  required
                  value={d.name}
                  onChange={(e) => set(i, { name: e.target.value })}
                />
              </Field>
              <TlpSelect
                id={`${pre}-tlp`}
                label="TLP ceiling"
                labels={TLP_LABELS}
                value={d.tlpCeiling}
                onChange={(tlpCeiling) => set(i, { tlpCeiling })}
              />
            </div>
            <fieldset className="members">
              <legend>Members</legend>
              {candidates.length === 0 ? <p className="muted small">Invite participants first.</p> : null}
              {candidates.map((c) => (
                <div className="check" key={c.orgId}>
                  <input
                    id={`${pre}-org-${c.orgId}`}
                    type="checkbox"
                    checked={d.orgIds.includes(c.orgId)}
                    onChange={(e) =>
                      set(i, { orgIds: e.target.checked ? [...d.orgIds, c.orgId] : d.orgIds.filter((o) => o !== c.orgId) })
                    }
                  />
                  <label htmlFor={`${pre}-org-${c.orgId}`}>{c.orgName}</label>
                </div>
              ))}
              {d.tiers.length ? <p className="muted small">Also by community tier or function: {d.tiers.join(', ')}.</p> : null}
            </fieldset>
            <div className="row">
              <Field id={`${pre}-opens`} label="Opens">
                <select value={d.opens} onChange={(e) => set(i, { opens: e.target.value as OpensKind })}>
                  <option value="immediately">At once</option>
                  <option value="absolute">At a date and time</option>
                  <option value="relative">Days before the release</option>
                </select>
              </Field>
              {d.opens === 'absolute' ? (
                <Field id={`${pre}-at`} label="Opening time (your time zone)">
                  <input type="datetime-local" step={1} required value={d.at} onChange={(e) => set(i, { at: e.target.value })} />
                </Field>
              ) : null}
              {d.opens === 'relative' ? (
                <Field id={`${pre}-days`} label="Days before the release">
                  <input
                    type="number"
                    min={0}
                    max={366}
                    required
                    value={d.daysBefore}
                    onChange={(e) => set(i, { daysBefore: e.target.value })}
                  />
                </Field>
              ) : null}
              <div className="row-go">
                <button type="button" className="small danger" onClick={() => setDrafts(drafts.filter((_, j) => j !== i))}>
                  Remove tent {i + 1}
                </button>
              </div>
            </div>
          </fieldset>
        );
      })}
      <div className="actions">
        <button type="button" onClick={() => setDrafts([...drafts, blank()])}>
          Add a tent
        </button>
        <button type="submit" className="primary" disabled={busy}>
          Save the tents
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
