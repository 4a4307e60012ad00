// Desiderata scoring for a case history.
// Source: CERTCC/Vultron docs/topics/measuring_cvd/desirable_histories.md (the set 𝔻 of desired
// event orderings σ1 ≺ σ2, from Householder & Spring, "A State-Based Model for Multi-Party
// Coordinated Vulnerability Disclosure"), _ordered_pairs_events.md and _history_constraints.md for
// the required / impossible pairs, and benchmarking_mpcvd.md for the multi-party reading.
//
//   𝔻 = { V≺P, V≺X, V≺A,  F≺P, F≺X, F≺A,  D≺P, D≺X, D≺A,  P≺X, P≺A,  X≺A }
//
// "d(σ1, σ2, ≺) is true for h iff σ1 and σ2 are both in h and h satisfies σ1 ≺ σ2". Each event
// happens at most once and never un-happens, so for a case still in progress:
//   σ1 happened, σ2 not yet   → met    (σ2 can only come later)
//   σ2 happened, σ1 not yet   → missed (σ1 can only come later)
//   neither happened          → undetermined
// Precedence is the order of the history list; events with equal timestamps are flagged
// `simultaneous` (the list order still decides).
//
// Multi-party reading (benchmarking_mpcvd.md): "each vendor/product pair effectively has its own
// 6-event history". V, F, D are per Participant and P, X, A are shared, so desiderata involving
// V, F or D get one row per Participant (that Participant's history), and P≺X, P≺A, X≺A get one
// case-level row. `summary` counts met / missed / undetermined per desideratum across rows; the
// docs' benchmark (median α_d above a constant, low variance) needs baseline frequencies this module
// does not compute.
import { CS_EVENT_NAMES, type CsEvent, type PublicEvent, type VendorEvent } from './cs.ts';

export interface Desideratum {
  /** e.g. "V≺P" */
  id: string;
  before: CsEvent;
  after: CsEvent;
  /** 'participant' when V, F or D is involved; 'case' when both events are P, X or A. */
  scope: 'participant' | 'case';
  description: string;
}

function d(before: CsEvent, after: CsEvent, description: string): Desideratum {
  const scope = before === 'V' || before === 'F' || before === 'D' ? 'participant' : 'case';
  return { id: `${before}≺${after}`, before, after, scope, description };
}

/** 𝔻, in the order the docs give it. */
export const DESIDERATA: readonly Desideratum[] = [
  d('V', 'P', 'Vendor Awareness precedes Public Awareness'),
  d('V', 'X', 'Vendor Awareness precedes Exploit Public'),
  d('V', 'A', 'Vendor Awareness precedes Attacks Observed'),
  d('F', 'P', 'Fix Ready precedes Public Awareness'),
  d('F', 'X', 'Fix Ready precedes Exploit Public'),
  d('F', 'A', 'Fix Ready precedes Attacks Observed'),
  d('D', 'P', 'Fix Deployed precedes Public Awareness'),
  d('D', 'X', 'Fix Deployed precedes Exploit Public'),
  d('D', 'A', 'Fix Deployed precedes Attacks Observed'),
  d('P', 'X', 'Public Awareness precedes Exploit Public'),
  d('P', 'A', 'Public Awareness precedes Attacks Observed'),
  d('X', 'A', 'Exploit Public precedes Attacks Observed'),
];

export type HistoryEvent =
  | { event: VendorEvent; participant: string; at: Date }
  | { event: PublicEvent; participant?: undefined; at: Date };

export type DesideratumStatus = 'met' | 'missed' | 'undetermined';

export interface DesideratumRow {
  id: string;
  before: CsEvent;
  after: CsEvent;
  description: string;
  scope: 'participant' | 'case';
  /** The Participant whose history the row reads; null for case-level rows. */
  participant: string | null;
  status: DesideratumStatus;
  beforeAt: Date | null;
  afterAt: Date | null;
  /** Both happened at the same instant; the history's order decided. */
  simultaneous: boolean;
}

export interface DesideratumSummary {
  id: string;
  met: number;
  missed: number;
  undetermined: number;
}

export type DesiderataScore =
  | { ok: true; rows: DesideratumRow[]; summary: DesideratumSummary[]; participants: string[] }
  | { ok: false; reason: string };

interface Occurrence {
  index: number;
  at: Date;
}

/**
 * Scores a case history against 𝔻. `participants` adds Participants (e.g. vendors not yet notified)
 * that should get rows even though none of their events has happened.
 */
export function scoreDesiderata(
  history: readonly HistoryEvent[],
  opts: { participants?: readonly string[] } = {},
): DesiderataScore {
  const checked = checkHistory(history);
  if (!checked.ok) return checked;
  const { perParticipant, shared } = checked;
  const participants = [...new Set([...(opts.participants ?? []), ...perParticipant.keys()])];

  const rows: DesideratumRow[] = [];
  for (const des of DESIDERATA) {
    if (des.scope === 'case') {
      rows.push(row(des, null, shared.get(des.before), shared.get(des.after)));
      continue;
    }
    for (const p of participants) {
      const mine = perParticipant.get(p);
      rows.push(row(des, p, mine?.get(des.before), shared.get(des.after)));
    }
  }
  const summary = DESIDERATA.map((des) => {
    const mine = rows.filter((r) => r.id === des.id);
    return {
      id: des.id,
      met: mine.filter((r) => r.status === 'met').length,
      missed: mine.filter((r) => r.status === 'missed').length,
      undetermined: mine.filter((r) => r.status === 'undetermined').length,
    };
  });
  return { ok: true, rows, summary, participants };
}

function row(des: Desideratum, participant: string | null, b: Occurrence | undefined, a: Occurrence | undefined): DesideratumRow {
  let status: DesideratumStatus;
  if (b && a) status = b.index < a.index ? 'met' : 'missed';
  else if (b) status = 'met';
  else if (a) status = 'missed';
  else status = 'undetermined';
  return {
    id: des.id,
    before: des.before,
    after: des.after,
    description: des.description,
    scope: des.scope,
    participant,
    status,
    beforeAt: b?.at ?? null,
    afterAt: a?.at ?? null,
    simultaneous: b !== undefined && a !== undefined && b.at.getTime() === a.at.getTime(),
  };
}

type Checked =
  | { ok: true; perParticipant: Map<string, Map<CsEvent, Occurrence>>; shared: Map<CsEvent, Occurrence> }
  | { ok: false; reason: string };

/**
 * A well-formed history: valid dates in non-decreasing order; V, F, D each at most once per
 * Participant and in Vendor Fix Path order (V ≺ F ≺ D is required); P, X, A at most once per case.
 * The single-vendor ordering rules of δ^cs (vP → V, pX → P) are not enforced here: in a multi-party
 * case the public can learn of a vulnerability before some vendor is notified, and scoring such
 * histories (as missed rows) is the point.
 */
function checkHistory(history: readonly HistoryEvent[]): Checked {
  const perParticipant = new Map<string, Map<CsEvent, Occurrence>>();
  const shared = new Map<CsEvent, Occurrence>();
  let last = Number.NEGATIVE_INFINITY;
  for (const [index, e] of history.entries()) {
    const where = `event ${index} (${String(e?.event)})`;
    if (!(e.at instanceof Date) || Number.isNaN(e.at.getTime()))
      return { ok: false, reason: `${where}: time is not a valid date` };
    if (e.at.getTime() < last) return { ok: false, reason: `${where}: history is not in time order` };
    last = e.at.getTime();
    const occ = { index, at: e.at };
    if (e.event === 'V' || e.event === 'F' || e.event === 'D') {
      if (typeof e.participant !== 'string' || e.participant === '') {
        return { ok: false, reason: `${where}: ${CS_EVENT_NAMES[e.event]} is Participant-specific and needs a participant` };
      }
      const mine = perParticipant.get(e.participant) ?? new Map<CsEvent, Occurrence>();
      perParticipant.set(e.participant, mine);
      if (mine.has(e.event)) return { ok: false, reason: `${where}: ${e.participant} already has ${e.event}` };
      const needs = e.event === 'F' ? 'V' : e.event === 'D' ? 'F' : null;
      if (needs && !mine.has(needs)) {
        return {
          ok: false,
          reason: `${where}: ${e.event} before ${needs} for ${e.participant} breaks the Vendor Fix Path (V ≺ F ≺ D)`,
        };
      }
      mine.set(e.event, occ);
    } else if (e.event === 'P' || e.event === 'X' || e.event === 'A') {
      // Runtime callers may pass a participant the type forbids.
      if ((e as { participant?: unknown }).participant !== undefined) {
        return { ok: false, reason: `${where}: ${CS_EVENT_NAMES[e.event]} is a case-level event and takes no participant` };
      }
      if (shared.has(e.event)) return { ok: false, reason: `${where}: ${e.event} already happened` };
      shared.set(e.event, occ);
    } else {
      return { ok: false, reason: `${where}: unknown CS event` };
    }
  }
  return { ok: true, perParticipant, shared };
}

/**
 * One Participant's six-event history h (their V, F, D merged with the case's P, X, A), in order,
 * as the docs write histories, e.g. "VFDPXA".
 */
export function participantHistory(history: readonly HistoryEvent[], participant: string): string {
  return history
    .filter((e) => e.participant === undefined || e.participant === participant)
    .map((e) => e.event)
    .join('');
}
