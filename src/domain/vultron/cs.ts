// Case State (CS): the Householder–Spring model as Vultron presents it.
// Sources: CERTCC/Vultron docs/topics/process_models/cs/index.md, cs_model.md, transitions.md,
// model_definition.md, pxa_diagram_simple.md, and the specification's §8 (VFD / PXA dimensions).
//
// A state is six letters in the fixed order v f d p x a; lower case = the event has not happened,
// upper case = it has. V, F, D are Participant-specific (the Vendor Fix Path, with D per Deployer);
// P, X, A are Participant-agnostic (the Public State of the case).
//
// δ^cs allows exactly the transitions that flip one letter to upper case and respect three rules:
//   1. Vendor Fix Path causality: F only after V, D only after F  (D ⇒ F ⇒ V).
//   2. "Vendors are presumed to know at least as much as the public does": v··P·· can only lead to
//      V··P·· (the only transition out of a state with v and P is V).
//   3. "Exploit publication is tantamount to public awareness": ···pX· can only lead to ···PX·
//      (the only transition out of a state with p and X is P).
// Attacks (A) do not imply public awareness; ···p·A persists.
// The result is the 32-state DFA of model_definition.md, start vfdpxa, final VFDPXA. (The docs'
// grammar lists "VFdPxA → X VFDPXA", a typo for VFdPXA; its own transition table in
// measuring_cvd/desirable_histories.md has VFdPxA → VFdPXA, VFDPxA, which is what this implements.)
import { accepted, refused, type TransitionResult } from './result.ts';

export const CS_EVENTS = ['V', 'F', 'D', 'P', 'X', 'A'] as const;
export type CsEvent = (typeof CS_EVENTS)[number];
export type VendorEvent = 'V' | 'F' | 'D';
export type PublicEvent = 'P' | 'X' | 'A';

export const CS_EVENT_NAMES: Readonly<Record<CsEvent, string>> = {
  V: 'Vendor Awareness',
  F: 'Fix Readiness',
  D: 'Fix Deployed',
  P: 'Public Awareness',
  X: 'Exploit Public',
  A: 'Attacks Observed',
};

/** The CS message a Participant sends for each event (formal_protocol/messages.md). */
export type CsMessage = 'CV' | 'CF' | 'CD' | 'CP' | 'CX' | 'CA';
export const CS_MESSAGES: Readonly<Record<CsEvent, CsMessage>> = {
  V: 'CV',
  F: 'CF',
  D: 'CD',
  P: 'CP',
  X: 'CX',
  A: 'CA',
};

/** The Vendor Fix Path: exactly four states (§8.1). */
export const VFD_STATES = ['vfd', 'Vfd', 'VFd', 'VFD'] as const;
export type VfdState = (typeof VFD_STATES)[number];

/** The Public State: eight combinations (§8.2). */
export const PXA_STATES = ['pxa', 'Pxa', 'pXa', 'pxA', 'PXa', 'PxA', 'pXA', 'PXA'] as const;
export type PxaState = (typeof PXA_STATES)[number];

export type CsState = `${VfdState}${PxaState}`;

/** Q^cs: all 32 states, in the order model_definition.md lists them row by row. */
export const CS_STATES: readonly CsState[] = VFD_STATES.flatMap((vfd) =>
  (['pxa', 'Pxa', 'pXa', 'PXa', 'pxA', 'PxA', 'pXA', 'PXA'] as const).map((pxa): CsState => `${vfd}${pxa}`),
);

export const CS_START: CsState = 'vfdpxa';
export const CS_FINAL: CsState = 'VFDPXA';

const POSITION: Readonly<Record<CsEvent, number>> = { V: 0, F: 1, D: 2, P: 3, X: 4, A: 5 };

export function isCsEvent(x: unknown): x is CsEvent {
  return typeof x === 'string' && (CS_EVENTS as readonly string[]).includes(x);
}

export function isCsState(x: unknown): x is CsState {
  return typeof x === 'string' && (CS_STATES as readonly string[]).includes(x);
}

export function isVfdState(x: unknown): x is VfdState {
  return typeof x === 'string' && (VFD_STATES as readonly string[]).includes(x);
}

export function isPxaState(x: unknown): x is PxaState {
  return typeof x === 'string' && (PXA_STATES as readonly string[]).includes(x);
}

/** Has `event` already happened in `state`? */
export function csHas(state: CsState, event: CsEvent): boolean {
  return state[POSITION[event]] === event;
}

/** Matches the docs' wildcard notation, e.g. csMatches(s, '···P··') or csMatches(s, '...P..'). */
export function csMatches(state: CsState, pattern: string): boolean {
  const p = pattern.replaceAll('·', '.');
  if (p.length !== 6) throw new Error(`CS pattern must have six positions: ${JSON.stringify(pattern)}`);
  return [...p].every((ch, i) => ch === '.' || ch === state[i]);
}

function raise(state: CsState, event: CsEvent): CsState {
  const i = POSITION[event];
  return `${state.slice(0, i)}${event}${state.slice(i + 1)}` as CsState;
}

/** Why `event` may not happen in `state`, or null when δ^cs allows it. */
function blocker(state: CsState, event: CsEvent): string | null {
  const name = `${CS_EVENT_NAMES[event]} (${event})`;
  if (csHas(state, event)) return `${name} has already happened in ${state}; CS transitions are irreversible`;
  if (event === 'F' && !csHas(state, 'V')) {
    return `${name} requires Vendor Awareness (V) first: the Vendor Fix Path is V → F → D`;
  }
  if (event === 'D' && !csHas(state, 'F')) {
    return `${name} requires Fix Readiness (F) first: the Vendor Fix Path is V → F → D`;
  }
  if (!csHas(state, 'P') && csHas(state, 'X') && event !== 'P') {
    return `${state} is in ···pX·: exploit publication implies public awareness, so the only transition is P`;
  }
  if (!csHas(state, 'V') && csHas(state, 'P') && event !== 'V') {
    return `${state} is in v··P··: vendors are presumed to know at least as much as the public, so the only transition is V`;
  }
  return null;
}

/** The events δ^cs accepts in `state`, in Σ^cs order (V F D P X A). */
export function csAllowed(state: CsState): CsEvent[] {
  if (!isCsState(state)) return [];
  return CS_EVENTS.filter((e) => blocker(state, e) === null);
}

export function csApply(state: CsState, event: CsEvent): TransitionResult<CsState> {
  if (!isCsState(state)) return refused(state, `not a CS state: ${JSON.stringify(state)} (expected e.g. "vfdpxa")`);
  if (!isCsEvent(event)) return refused(state, `unknown CS event ${JSON.stringify(event)}`);
  const why = blocker(state, event);
  return why === null ? accepted(raise(state, event)) : refused(state, `CS: ${why}`);
}

/** Runs a CS history given as a string of events, e.g. "VFPDXA". */
export function csRun(events: string, from: CsState = CS_START): TransitionResult<CsState> {
  let state = from;
  for (const [i, ch] of [...events].entries()) {
    if (!isCsEvent(ch)) return refused(from, `unknown CS event ${JSON.stringify(ch)} at position ${i}`);
    const r = csApply(state, ch);
    if (!r.ok) return refused(from, `at position ${i}: ${r.reason}`);
    state = r.state;
  }
  return accepted(state);
}

/**
 * Applies `event`, then the transitions the docs describe as caused by it: an exploit made public
 * while the public is unaware makes the public aware (X → P, "pX can only lead to PX"), and public
 * awareness while the vendor is unaware is followed by vendor awareness (P → V, "vP can only lead
 * to VP"). `applied` lists every event in the order applied.
 */
export function csApplyWithCauses(
  state: CsState,
  event: CsEvent,
): { ok: true; state: CsState; applied: CsEvent[] } | { ok: false; state: CsState; reason: string } {
  const first = csApply(state, event);
  if (!first.ok) return first;
  const applied: CsEvent[] = [event];
  let s = first.state;
  for (;;) {
    const caused: CsEvent | null = csMatches(s, '...pX.') ? 'P' : csMatches(s, 'v..P..') ? 'V' : null;
    if (caused === null) return { ok: true, state: s, applied };
    const next = csApply(s, caused);
    if (!next.ok) return { ok: false, state, reason: next.reason };
    applied.push(caused);
    s = next.state;
  }
}

/** Joins one Participant's Vendor Fix Path with the case's Public State into a CS state. */
export function csCombine(vfd: VfdState, pxa: PxaState): CsState {
  if (!isVfdState(vfd)) throw new Error(`not a Vendor Fix Path state: ${JSON.stringify(vfd)}`);
  if (!isPxaState(pxa)) throw new Error(`not a Public State: ${JSON.stringify(pxa)}`);
  return `${vfd}${pxa}`;
}

export function csSplit(state: CsState): { vfd: VfdState; pxa: PxaState } {
  if (!isCsState(state)) throw new Error(`not a CS state: ${JSON.stringify(state)}`);
  return { vfd: state.slice(0, 3) as VfdState, pxa: state.slice(3) as PxaState };
}

/** Flags as a Participant record would store them (vendor flags per Participant, public flags per case). */
export interface VendorFlags {
  vendorAware: boolean;
  fixReady: boolean;
  fixDeployed: boolean;
}
export interface PublicFlags {
  publicAware: boolean;
  exploitPublic: boolean;
  attacksObserved: boolean;
}

export function vfdFromFlags(f: VendorFlags): TransitionResult<VfdState> {
  const s = `${f.vendorAware ? 'V' : 'v'}${f.fixReady ? 'F' : 'f'}${f.fixDeployed ? 'D' : 'd'}`;
  if (isVfdState(s)) return accepted(s);
  return refused('vfd', `flags ${s} break the Vendor Fix Path (D ⇒ F ⇒ V)`);
}

export function pxaFromFlags(f: PublicFlags): PxaState {
  return `${f.publicAware ? 'P' : 'p'}${f.exploitPublic ? 'X' : 'x'}${f.attacksObserved ? 'A' : 'a'}` as PxaState;
}

/** The helper the case view needs: one Participant's vendor flags plus the case's public flags. */
export function csFromFlags(vendor: VendorFlags, pub: PublicFlags): TransitionResult<CsState> {
  const vfd = vfdFromFlags(vendor);
  const pxa = pxaFromFlags(pub);
  if (!vfd.ok) return refused(csCombine('vfd', pxa), vfd.reason);
  return accepted(csCombine(vfd.state, pxa));
}

/**
 * The Participant-specific dimension on its own: V → F → D, nothing else (§8.1). Use this for each
 * Participant's record in a multi-party case; P, X, A live once on the case (see pxaApply).
 */
export function vfdApply(vfd: VfdState, event: VendorEvent): TransitionResult<VfdState> {
  if (!isVfdState(vfd)) return refused(vfd, `not a Vendor Fix Path state: ${JSON.stringify(vfd)}`);
  if (event !== 'V' && event !== 'F' && event !== 'D') {
    return refused(vfd, `${JSON.stringify(event)} is not a Participant-specific event (V, F, D)`);
  }
  const r = csApply(`${vfd}PXA`, event);
  return r.ok ? accepted(csSplit(r.state).vfd) : refused(vfd, r.reason);
}

/**
 * The Participant-agnostic dimension on its own, with the pX → PX rule of the simplified pxa diagram
 * (pxa_diagram_simple.md): from p·X· the only transition is P. It is δ^cs restricted to states where
 * the vendor is aware, so the vP rule (which concerns one Participant) does not apply at case level.
 */
export function pxaApply(pxa: PxaState, event: PublicEvent): TransitionResult<PxaState> {
  if (!isPxaState(pxa)) return refused(pxa, `not a Public State: ${JSON.stringify(pxa)}`);
  if (event !== 'P' && event !== 'X' && event !== 'A') {
    return refused(pxa, `${JSON.stringify(event)} is not a Participant-agnostic event (P, X, A)`);
  }
  const r = csApply(`VFD${pxa}`, event);
  return r.ok ? accepted(csSplit(r.state).pxa) : refused(pxa, r.reason);
}
