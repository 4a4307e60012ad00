// Embargo bookkeeping for one case: the EM state machine (em.ts) driven by embargo events, plus the
// per-Participant Embargo Consent (PEC) record Vultron keeps beside it.
//
// Who decides (sources: CERTCC/Vultron docs/topics/process_models/em/participant-embargo-consent.md,
// MSM-07-002..007; specification §7.2 and §9):
//   * Any Participant may propose terms (EP) or a revision (EV).
//   * Any Participant may accept (EA / EC) or reject (ER / EJ). Every response moves that
//     Participant's own consent (accept → Signatory, reject → Declined).
//   * The case-level EM state moves only on the Case Owner's response: "if the accepting actor is the
//     case owner, the shared EM state advances from PROPOSED to ACTIVE (or from REVISE to ACTIVE)";
//     likewise the Case Owner's reject takes PROPOSED to NONE (and, for a revision, REVISE back to
//     ACTIVE). In Village the coordinating organisation that owns the case is that Case Owner.
//     A proposer may also withdraw (reject) its own unaccepted proposal (em/negotiating.md), which
//     moves the EM state the same way.
//   * "Terminating an embargo requires Case Owner authorization by default" (§7.2): only the Case
//     Owner's ET is applied.
// So the rule is *not* "active once every participant accepted": the embargo is Active once the
// Case Owner accepts, and the consent table says who is bound by it (a Participant is bound exactly
// when its consent is Signatory, §9.6).
//
// Consent cascades, as the docs give them: entering Revise lapses every Signatory (MSM-07-005);
// eXited resets everyone to Unbound (MSM-07-006); an invitation (EP / EV, or a re-invitation of a
// new Participant to the existing embargo) moves Unbound, Declined and Lapsed to Invited, never a
// Signatory; an invitation left unanswered past its respond-by instant becomes Declined (the
// "pocket veto", enforced lazily against the time of the next event or `now`); a late acceptance
// is never refused. Choices where the docs are silent are marked "Village:" below and in README.md.
import { type CsState, csMatches } from './cs.ts';
import { type EmState, emTransition } from './em.ts';

export const PEC_STATES = ['Unbound', 'Invited', 'Signatory', 'Lapsed', 'Declined'] as const;
export type PecState = (typeof PEC_STATES)[number];

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Policy default respond-by window for an invitation without its own deadline (§9.4). */
export const DEFAULT_INVITATION_WINDOW_MS = 7 * DAY_MS;
/** Minimum respond-by window; shorter explicit deadlines are extended to it (§9.4). */
export const MIN_INVITATION_WINDOW_MS = 72 * HOUR_MS;

export interface EmbargoContext {
  /** The Case Owner, whose accept / reject moves the case-level EM state. */
  caseOwner: string;
  /** Known case Participants. When given, events from anyone else are refused. */
  participants?: readonly string[];
  /** If given, deadlines are checked once more against it after the last event. */
  now?: Date;
  invitationWindowMs?: number;
  minInvitationWindowMs?: number;
  /** Community maximum embargo length; proposals ending later are refused. */
  maxEmbargoDays?: number;
  /** Where the maximum is counted from (e.g. when the report was received); defaults to the proposal time. */
  embargoWindowStart?: Date;
}

/** Reasons for ending an embargo, from em/early_termination.md plus the timer. */
export const TERMINATION_REASONS = [
  'expired',
  'public-awareness',
  'exploit-public',
  'attacks-observed',
  'adversary-exploit',
  'adversary-awareness',
  'vendor-quorum-fix-ready',
  'other',
] as const;
export type TerminationReason = (typeof TERMINATION_REASONS)[number];

export type EmbargoEvent =
  | {
      type: 'propose';
      proposalId: string;
      by: string;
      at: Date;
      releaseAt: Date;
      /** Who is invited to respond; defaults to every known Participant except the proposer. */
      invitees?: readonly string[];
      /** Respond-by instant of the invitation (not the embargo's end). */
      respondBy?: Date;
    }
  | {
      /** Proposes existing terms (pending or active) to more Participants, e.g. one newly added. */
      type: 'invite';
      proposalId: string;
      by: string;
      at: Date;
      invitees: readonly string[];
      respondBy?: Date;
    }
  | { type: 'accept'; proposalId: string; by: string; at: Date }
  | { type: 'reject'; proposalId: string; by: string; at: Date; reason?: string }
  | { type: 'terminate'; by: string; at: Date; reason: TerminationReason; detail?: string };

export type ProposalStatus =
  | 'pending'
  | 'active'
  /** Replaced by a further proposal before anyone decided it. */
  | 'superseded'
  /** Rejected by the Case Owner. */
  | 'rejected'
  /** Rejected by its own proposer. */
  | 'withdrawn'
  /** Was active; an accepted revision took its place. */
  | 'replaced'
  /** Was active when the embargo terminated. */
  | 'ended'
  /** Was a pending revision when the embargo terminated. */
  | 'abandoned';

export interface EmbargoResponse {
  participant: string;
  decision: 'accepted' | 'rejected';
  at: Date;
  reason?: string;
}

export interface EmbargoProposal {
  id: string;
  /** 'proposal' = EP from None/Proposed; 'revision' = EV from Active/Revise. */
  kind: 'proposal' | 'revision';
  proposer: string;
  proposedAt: Date;
  releaseAt: Date;
  status: ProposalStatus;
  /** When the status last changed away from pending / active. */
  decidedAt: Date | null;
  /** Every response, in order. */
  responses: EmbargoResponse[];
  /** Participants whose latest response accepted / rejected these terms. */
  acceptedBy: string[];
  rejectedBy: string[];
  /** Invitees and their respond-by instants. */
  invited: Record<string, Date>;
}

export interface ParticipantConsent {
  state: PecState;
  /** The proposal the state refers to: terms signed, invited to, lapsed from, or declined. */
  terms: string | null;
  since: Date | null;
  respondBy: Date | null;
  /** Declined by letting the respond-by deadline pass rather than by an explicit reject. */
  timedOut: boolean;
}

export interface EmbargoTermination {
  by: string;
  at: Date;
  reason: TerminationReason;
  detail: string | null;
  /** Terminated before the agreed release date. */
  early: boolean;
}

export interface EmbargoView {
  state: EmState;
  /** The EM transitions taken, in the docs' shorthand (e.g. "papat"). */
  history: string;
  /** The terms in force (Active or Revise), else null. */
  active: EmbargoProposal | null;
  /** active.releaseAt, for convenience. */
  releaseAt: Date | null;
  /** The open proposal (Proposed) or revision (Revise), else null. */
  pending: EmbargoProposal | null;
  proposals: EmbargoProposal[];
  consent: Record<string, ParticipantConsent>;
  termination: EmbargoTermination | null;
}

export type EmbargoStep =
  | { ok: true; view: EmbargoView; notice: string | null }
  | { ok: false; view: EmbargoView; reason: string };

export interface EmbargoReduction {
  view: EmbargoView;
  rejected: { index: number; event: EmbargoEvent; reason: string }[];
  notices: { index: number; notice: string }[];
}

const UNBOUND: ParticipantConsent = { state: 'Unbound', terms: null, since: null, respondBy: null, timedOut: false };

export function emptyEmbargo(ctx: EmbargoContext): EmbargoView {
  const consent: Record<string, ParticipantConsent> = {};
  for (const p of [ctx.caseOwner, ...(ctx.participants ?? [])]) consent[p] = { ...UNBOUND };
  return { state: 'N', history: '', active: null, releaseAt: null, pending: null, proposals: [], consent, termination: null };
}

/** Folds events into the embargo view. Refused events change nothing and are listed with their reason. */
export function reduceEmbargo(events: readonly EmbargoEvent[], ctx: EmbargoContext): EmbargoReduction {
  let view = emptyEmbargo(ctx);
  const rejected: EmbargoReduction['rejected'] = [];
  const notices: EmbargoReduction['notices'] = [];
  events.forEach((event, index) => {
    const step = applyEmbargoEvent(view, event, ctx);
    if (step.ok) {
      view = step.view;
      if (step.notice) notices.push({ index, notice: step.notice });
    } else {
      rejected.push({ index, event, reason: step.reason });
    }
  });
  if (ctx.now && isValidDate(ctx.now)) {
    const v = clone(view);
    lapseDeadlines(v, ctx.now);
    view = v;
  }
  return { view, rejected, notices };
}

export function applyEmbargoEvent(view: EmbargoView, event: EmbargoEvent, ctx: EmbargoContext): EmbargoStep {
  const no = (reason: string): EmbargoStep => ({ ok: false, view, reason });
  if (!isValidDate(event.at)) return no('event time is not a valid date');
  if (typeof event.by !== 'string' || event.by === '') return no('event has no actor');
  if (ctx.participants && !isKnown(view, ctx, event.by)) return no(`${event.by} is not a Participant in this case`);

  const v = clone(view);
  ensure(v, event.by);
  // Deadlines are enforced lazily, when the case is next handled (§9.4).
  lapseDeadlines(v, event.at);

  let result: string | null | { refused: string };
  switch (event.type) {
    case 'propose':
      result = propose(v, event, ctx);
      break;
    case 'invite':
      result = invite(v, event, ctx);
      break;
    case 'accept':
      result = accept(v, event, ctx);
      break;
    case 'reject':
      result = reject(v, event, ctx);
      break;
    case 'terminate':
      result = terminate(v, event, ctx);
      break;
    default:
      return no(`unknown embargo event type ${JSON.stringify((event as { type: unknown }).type)}`);
  }
  if (result !== null && typeof result === 'object') return no(result.refused);
  return { ok: true, view: v, notice: result };
}

// ---- event handlers: each mutates the clone and returns a notice, null, or { refused } ----

type Outcome = string | null | { refused: string };

function propose(v: EmbargoView, e: Extract<EmbargoEvent, { type: 'propose' }>, ctx: EmbargoContext): Outcome {
  const em = emTransition(v.state, 'propose');
  if (!em.ok) return { refused: em.reason };
  if (typeof e.proposalId !== 'string' || e.proposalId === '') return { refused: 'proposal has no id' };
  if (v.proposals.some((p) => p.id === e.proposalId)) return { refused: `proposal ${e.proposalId} already exists` };
  const valid = validateEmbargoProposal({
    releaseAt: e.releaseAt,
    now: e.at,
    maxEmbargoDays: ctx.maxEmbargoDays,
    windowStart: ctx.embargoWindowStart,
  });
  if (!valid.ok) return { refused: valid.reason };
  const respondBy = respondByFor(e.at, e.respondBy, ctx);
  if (!respondBy.ok) return { refused: respondBy.reason };

  const proposal: EmbargoProposal = {
    id: e.proposalId,
    kind: v.state === 'N' || v.state === 'P' ? 'proposal' : 'revision',
    proposer: e.by,
    proposedAt: e.at,
    releaseAt: new Date(e.releaseAt.getTime()),
    status: 'pending',
    decidedAt: null,
    responses: [],
    acceptedBy: [],
    rejectedBy: [],
    invited: {},
  };

  if (v.pending) {
    // "A further proposal while the first is outstanding supersedes it."
    const old = v.pending;
    old.status = 'superseded';
    old.decidedAt = e.at;
    // Village: Signatories of the superseded terms lapse, as they do when a revision opens — their
    // consent covered terms that are no longer on the table.
    for (const c of Object.values(v.consent)) {
      if (c.state === 'Signatory' && c.terms === old.id) setConsent(c, 'Lapsed', old.id, e.at, null);
    }
  }
  if (v.state === 'A') {
    // MSM-07-005: entering Revise lapses every Signatory.
    for (const c of Object.values(v.consent)) if (c.state === 'Signatory') setConsent(c, 'Lapsed', c.terms, e.at, null);
  }

  v.proposals.push(proposal);
  v.pending = proposal;
  v.state = em.state;
  v.history += 'p';

  const invitees = e.invitees ?? knownParticipants(v, ctx).filter((p) => p !== e.by);
  const skipped = inviteAll(v, proposal, invitees, respondBy.value, e.at);
  return skipped.length ? `already Signatory, not re-invited: ${skipped.join(', ')}` : null;
}

function invite(v: EmbargoView, e: Extract<EmbargoEvent, { type: 'invite' }>, ctx: EmbargoContext): Outcome {
  const proposal = v.proposals.find((p) => p.id === e.proposalId);
  if (!proposal) return { refused: `unknown proposal ${e.proposalId}` };
  if (proposal.status !== 'pending' && proposal.status !== 'active') {
    return {
      refused: `proposal ${e.proposalId} is ${proposal.status}; only pending or active terms can be proposed to Participants`,
    };
  }
  if (!Array.isArray(e.invitees) || e.invitees.length === 0) return { refused: 'no invitees' };
  const respondBy = respondByFor(e.at, e.respondBy, ctx);
  if (!respondBy.ok) return { refused: respondBy.reason };
  const skipped = inviteAll(v, proposal, e.invitees, respondBy.value, e.at);
  if (skipped.length === e.invitees.length) {
    return { refused: `every invitee is already Signatory (Signatory → Invited is not allowed): ${skipped.join(', ')}` };
  }
  return skipped.length ? `already Signatory, not re-invited: ${skipped.join(', ')}` : null;
}

function accept(v: EmbargoView, e: Extract<EmbargoEvent, { type: 'accept' }>, ctx: EmbargoContext): Outcome {
  if (v.state === 'N') return { refused: 'no embargo has been proposed (None)' };
  if (v.state === 'X') return { refused: 'the embargo has exited; no embargo remains to accept' };
  const proposal = v.proposals.find((p) => p.id === e.proposalId);
  if (!proposal) return { refused: `unknown proposal ${e.proposalId}` };
  const c = consentOf(v, e.by);

  if (proposal.status !== 'pending' && proposal.status !== 'active') {
    // A late accept of stale terms is not refused: the Participant is invited to the current terms.
    const current = v.state === 'P' ? v.pending : v.active;
    if (!current) return { refused: `proposal ${e.proposalId} is ${proposal.status}` };
    if (c.state === 'Signatory' && c.terms === current.id) {
      return { refused: `proposal ${e.proposalId} is ${proposal.status}, and ${e.by} is already Signatory to ${current.id}` };
    }
    const respondBy = respondByFor(e.at, undefined, ctx);
    if (!respondBy.ok) return { refused: respondBy.reason };
    inviteAll(v, current, [e.by], respondBy.value, e.at);
    return `proposal ${e.proposalId} is ${proposal.status}; ${e.by} was invited to the current terms ${current.id}`;
  }

  if (c.state === 'Declined' && !c.timedOut) {
    return { refused: `${e.by} declined; a Declined Participant must be invited again before accepting (Declined → Invited)` };
  }
  const repeat = c.state === 'Signatory' && c.terms === proposal.id;
  if (!repeat) setConsent(c, 'Signatory', proposal.id, e.at, null);
  respond(proposal, { participant: e.by, decision: 'accepted', at: e.at });

  if (proposal.status === 'pending' && e.by === ctx.caseOwner) {
    const em = emTransition(v.state, 'accept');
    if (!em.ok) return { refused: em.reason };
    if (v.active) {
      v.active.status = 'replaced';
      v.active.decidedAt = e.at;
    }
    proposal.status = 'active';
    proposal.decidedAt = e.at;
    v.active = proposal;
    v.releaseAt = proposal.releaseAt;
    v.pending = null;
    v.state = em.state;
    v.history += 'a';
    settleConsent(v, e.at);
    return null;
  }
  return repeat ? `${e.by} is already Signatory to ${proposal.id}` : null;
}

function reject(v: EmbargoView, e: Extract<EmbargoEvent, { type: 'reject' }>, ctx: EmbargoContext): Outcome {
  if (v.state === 'N') return { refused: 'no embargo has been proposed (None)' };
  if (v.state === 'X') return { refused: 'the embargo has exited; there is nothing to reject' };
  const proposal = v.proposals.find((p) => p.id === e.proposalId);
  if (!proposal) return { refused: `unknown proposal ${e.proposalId}` };
  const c = consentOf(v, e.by);

  if (proposal.status === 'active') {
    // Volitional withdrawal of consent from the terms in force (MSM-07-004): EM is unchanged.
    if (e.by === ctx.caseOwner) return { refused: 'the Case Owner ends an active embargo with terminate, not reject' };
    setConsent(c, 'Declined', proposal.id, e.at, null);
    respond(proposal, { participant: e.by, decision: 'rejected', at: e.at, ...(e.reason ? { reason: e.reason } : {}) });
    return null;
  }
  if (proposal.status !== 'pending')
    return { refused: `proposal ${e.proposalId} is ${proposal.status}; it can no longer be rejected` };

  setConsent(c, 'Declined', proposal.id, e.at, null);
  respond(proposal, { participant: e.by, decision: 'rejected', at: e.at, ...(e.reason ? { reason: e.reason } : {}) });

  const decides = e.by === ctx.caseOwner || e.by === proposal.proposer;
  if (!decides) return null;
  const em = emTransition(v.state, 'reject');
  if (!em.ok) return { refused: em.reason };
  proposal.status = e.by === proposal.proposer ? 'withdrawn' : 'rejected';
  proposal.decidedAt = e.at;
  v.pending = null;
  v.state = em.state;
  v.history += 'r';
  if (v.state === 'N') {
    // Village: back at None no embargo is in scope for anyone, which is what Unbound means (§9.3).
    for (const q of Object.values(v.consent)) setConsent(q, 'Unbound', null, e.at, null);
  } else {
    // Revise → Active: the prior terms stand.
    settleConsent(v, e.at);
  }
  return null;
}

function terminate(v: EmbargoView, e: Extract<EmbargoEvent, { type: 'terminate' }>, ctx: EmbargoContext): Outcome {
  if (e.by !== ctx.caseOwner) return { refused: 'terminating an embargo requires Case Owner authorization' };
  const em = emTransition(v.state, 'terminate');
  if (!em.ok) return { refused: em.reason };
  if (!(TERMINATION_REASONS as readonly string[]).includes(e.reason)) {
    return { refused: `termination needs a reason (one of ${TERMINATION_REASONS.join(', ')})` };
  }
  const active = v.active;
  if (!active) return { refused: 'no active embargo' };
  active.status = 'ended';
  active.decidedAt = e.at;
  if (v.pending) {
    v.pending.status = 'abandoned';
    v.pending.decidedAt = e.at;
  }
  v.termination = {
    by: e.by,
    at: e.at,
    reason: e.reason,
    detail: e.detail ?? null,
    early: e.at.getTime() < active.releaseAt.getTime(),
  };
  v.active = null;
  v.releaseAt = null;
  v.pending = null;
  v.state = em.state;
  v.history += 't';
  // MSM-07-006: eXited resets every Participant's consent.
  for (const q of Object.values(v.consent)) setConsent(q, 'Unbound', null, e.at, null);
  return null;
}

// ---- consent helpers ----

function setConsent(c: ParticipantConsent, state: PecState, terms: string | null, at: Date, respondBy: Date | null): void {
  if (c.state !== state || c.terms !== terms) c.since = at;
  c.state = state;
  c.terms = terms;
  c.respondBy = respondBy;
  c.timedOut = false;
}

/** Returns the invitees skipped because they are Signatory (Signatory → Invited must be rejected). */
function inviteAll(v: EmbargoView, proposal: EmbargoProposal, invitees: readonly string[], respondBy: Date, at: Date): string[] {
  const skipped: string[] = [];
  for (const p of new Set(invitees)) {
    const c = consentOf(v, p);
    if (c.state === 'Signatory') {
      skipped.push(p);
      continue;
    }
    setConsent(c, 'Invited', proposal.id, at, respondBy);
    proposal.invited[p] = respondBy;
  }
  return skipped;
}

/** Pocket veto: Invited or Lapsed past the respond-by instant becomes Declined. */
function lapseDeadlines(v: EmbargoView, now: Date): void {
  for (const c of Object.values(v.consent)) {
    if ((c.state === 'Invited' || c.state === 'Lapsed') && c.respondBy && c.respondBy.getTime() < now.getTime()) {
      c.since = c.respondBy;
      c.state = 'Declined';
      c.respondBy = null;
      c.timedOut = true;
    }
  }
}

/**
 * Village: when the embargo (re)enters Active, each Participant's consent is set against the terms
 * now in force. The docs give the Revise-entry and eXited cascades but say nothing about leaving
 * Revise; this keeps §9.6's reading ("bound exactly when Signatory") true for the new terms:
 *   accepted these terms (latest response)          → Signatory
 *   rejected these terms (latest response)          → Declined
 *   invited to these terms, unanswered              → Invited (Declined if the deadline passed)
 *   Signatory / Lapsed on other terms               → Lapsed
 *   Invited to terms that did not take effect       → Unbound
 *   otherwise                                       → unchanged
 * So rejecting a revision restores the Signatories of the terms that stand.
 */
function settleConsent(v: EmbargoView, at: Date): void {
  const active = v.active;
  if (!active) return;
  for (const [p, c] of Object.entries(v.consent)) {
    const latest = active.responses.findLast((r) => r.participant === p);
    const invitedBy = active.invited[p];
    if (latest?.decision === 'accepted') setConsent(c, 'Signatory', active.id, at, null);
    else if (latest?.decision === 'rejected') setConsent(c, 'Declined', active.id, at, null);
    else if (invitedBy) {
      if (invitedBy.getTime() < at.getTime()) {
        setConsent(c, 'Declined', active.id, invitedBy, null);
        c.timedOut = true;
      } else setConsent(c, 'Invited', active.id, at, invitedBy);
    } else if (c.state === 'Signatory' || c.state === 'Lapsed') setConsent(c, 'Lapsed', c.terms, at, null);
    else if (c.state === 'Invited') setConsent(c, 'Unbound', null, at, null);
  }
}

function respond(proposal: EmbargoProposal, r: EmbargoResponse): void {
  proposal.responses.push(r);
  const latest = new Map<string, 'accepted' | 'rejected'>();
  for (const x of proposal.responses) latest.set(x.participant, x.decision);
  proposal.acceptedBy = [...latest].filter(([, d]) => d === 'accepted').map(([p]) => p);
  proposal.rejectedBy = [...latest].filter(([, d]) => d === 'rejected').map(([p]) => p);
}

function ensure(v: EmbargoView, p: string): void {
  if (!Object.hasOwn(v.consent, p)) v.consent[p] = { ...UNBOUND };
}

function consentOf(v: EmbargoView, p: string): ParticipantConsent {
  ensure(v, p);
  return v.consent[p] as ParticipantConsent;
}

function knownParticipants(v: EmbargoView, ctx: EmbargoContext): string[] {
  return [...new Set([ctx.caseOwner, ...(ctx.participants ?? []), ...Object.keys(v.consent)])];
}

function isKnown(v: EmbargoView, ctx: EmbargoContext, p: string): boolean {
  return p === ctx.caseOwner || (ctx.participants ?? []).includes(p) || Object.hasOwn(v.consent, p);
}

function respondByFor(
  at: Date,
  explicit: Date | undefined,
  ctx: EmbargoContext,
): { ok: true; value: Date } | { ok: false; reason: string } {
  const min = at.getTime() + (ctx.minInvitationWindowMs ?? MIN_INVITATION_WINDOW_MS);
  if (explicit !== undefined) {
    if (!isValidDate(explicit)) return { ok: false, reason: 'respond-by is not a valid date' };
    // A too-short deadline is extended to the minimum, not refused (§9.4).
    return { ok: true, value: new Date(Math.max(explicit.getTime(), min)) };
  }
  return { ok: true, value: new Date(Math.max(at.getTime() + (ctx.invitationWindowMs ?? DEFAULT_INVITATION_WINDOW_MS), min)) };
}

function isValidDate(d: unknown): d is Date {
  return d instanceof Date && !Number.isNaN(d.getTime());
}

function clone(v: EmbargoView): EmbargoView {
  const copy = structuredClone(v);
  // Keep `active` / `pending` pointing at entries of `proposals`, as the handlers mutate in place.
  copy.active = copy.proposals.find((p) => p.id === v.active?.id) ?? null;
  copy.pending = copy.proposals.find((p) => p.id === v.pending?.id) ?? null;
  copy.releaseAt = copy.active?.releaseAt ?? null;
  return copy;
}

// ---- queries and validation helpers ----

/** Embargo adherence is derived from consent: bound exactly when Signatory (§9.6). */
export function isEmbargoAdherent(view: EmbargoView, participant: string): boolean {
  return view.consent[participant]?.state === 'Signatory';
}

/** True once the active embargo's release date has come: the Case Owner should terminate ('expired'). */
export function embargoDue(view: EmbargoView, now: Date): boolean {
  return view.releaseAt !== null && (view.state === 'A' || view.state === 'R') && now.getTime() >= view.releaseAt.getTime();
}

export function latestAllowedReleaseAt(windowStart: Date, maxEmbargoDays: number): Date {
  return new Date(windowStart.getTime() + maxEmbargoDays * DAY_MS);
}

/**
 * A proposed release date must lie in the future of `now` and, when the community sets a maximum
 * embargo length, no later than `windowStart` (default: `now`) plus that many days.
 */
export function validateEmbargoProposal(input: {
  releaseAt: Date;
  now: Date;
  maxEmbargoDays?: number | undefined;
  windowStart?: Date | undefined;
}): { ok: true } | { ok: false; reason: string } {
  const { releaseAt, now, maxEmbargoDays, windowStart } = input;
  if (!isValidDate(releaseAt)) return { ok: false, reason: 'release date is not a valid date' };
  if (!isValidDate(now)) return { ok: false, reason: '`now` is not a valid date' };
  if (releaseAt.getTime() <= now.getTime()) {
    return { ok: false, reason: `release date ${releaseAt.toISOString()} is not in the future (now ${now.toISOString()})` };
  }
  if (maxEmbargoDays !== undefined) {
    if (!Number.isFinite(maxEmbargoDays) || maxEmbargoDays <= 0) {
      return { ok: false, reason: 'maximum embargo length must be a positive number of days' };
    }
    const start = windowStart ?? now;
    if (!isValidDate(start)) return { ok: false, reason: 'embargo window start is not a valid date' };
    const latest = latestAllowedReleaseAt(start, maxEmbargoDays);
    if (releaseAt.getTime() > latest.getTime()) {
      return {
        ok: false,
        reason: `release date ${releaseAt.toISOString()} exceeds the maximum embargo of ${maxEmbargoDays} days (latest allowed ${latest.toISOString()})`,
      };
    }
  }
  return { ok: true };
}

export type NegotiationZone = 'forbidden' | 'discouraged' | 'brief-only' | 'allowed';

/**
 * The embargo "habitable zone" of em/negotiating.md, for one Participant's CS state:
 * MUST NOT propose or accept when P, X or A; SHOULD NOT when the fix is deployed (VFDpxa);
 * MAY, briefly, when the fix is ready (VFdpxa); MAY otherwise (···pxa).
 */
export function embargoNegotiationZone(cs: CsState): { zone: NegotiationZone; reason: string } {
  if (csMatches(cs, '...P..')) return { zone: 'forbidden', reason: 'the vulnerability is public (···P··)' };
  if (csMatches(cs, '....X.')) return { zone: 'forbidden', reason: 'an exploit is public (····X·)' };
  if (csMatches(cs, '.....A')) return { zone: 'forbidden', reason: 'attacks have been observed (·····A)' };
  if (csMatches(cs, 'VFD...')) return { zone: 'discouraged', reason: 'the fix is already deployed (VFDpxa)' };
  if (csMatches(cs, 'VFd...')) {
    return { zone: 'brief-only', reason: 'the fix is ready (VFdpxa): only a brief embargo to prepare publication or deployment' };
  }
  return { zone: 'allowed', reason: 'nothing is public yet (···pxa)' };
}

/**
 * Whether an active embargo must end given the case state (em/early_termination.md and
 * formal_protocol/transitions.md): SHALL terminate once P or X; SHOULD terminate once A.
 */
export function embargoTeardown(cs: CsState): { level: 'shall' | 'should'; reason: TerminationReason } | null {
  if (csMatches(cs, '...P..')) return { level: 'shall', reason: 'public-awareness' };
  if (csMatches(cs, '....X.')) return { level: 'shall', reason: 'exploit-public' };
  if (csMatches(cs, '.....A')) return { level: 'should', reason: 'attacks-observed' };
  return null;
}
