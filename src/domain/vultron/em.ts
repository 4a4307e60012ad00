// Embargo Management (EM): one DFA per case (EM state is a global property of the case).
// Source: CERTCC/Vultron docs/topics/process_models/em/index.md and em/formal_model.md, and the
// protocol specification's EM transitions table (§7.2). Message types: formal_protocol/messages.md.
//
//   δ^em:  N → pP | ε
//          P → pP | rN | aA
//          A → pR | tX
//          R → pR | aA | rA | tX
//          X → ε
//
// Revisions use the same four symbols: proposing against an Active embargo opens a revision (A → R),
// and accept / reject from Revise both return to Active (rejecting a revision keeps the old terms).
// The message differs: EV / EC / EJ for revisions, EP / EA / ER for initial proposals.
import { accepted, refused, type TransitionResult } from './result.ts';

/** Q^em. */
export const EM_STATES = ['N', 'P', 'A', 'R', 'X'] as const;
export type EmState = (typeof EM_STATES)[number];

export const EM_STATE_NAMES: Readonly<Record<EmState, string>> = {
  N: 'None',
  P: 'Proposed',
  A: 'Active',
  R: 'Revise',
  X: 'eXited',
};

/** Σ^em. */
export const EM_ACTIONS = ['propose', 'accept', 'reject', 'terminate'] as const;
export type EmAction = (typeof EM_ACTIONS)[number];

export type EmSymbol = 'p' | 'a' | 'r' | 't';
export const EM_SYMBOLS: Readonly<Record<EmAction, EmSymbol>> = {
  propose: 'p',
  accept: 'a',
  reject: 'r',
  terminate: 't',
};

/** M^em for state-changing EM messages (EK / EE acknowledgements and errors change nothing). */
export type EmMessage = 'EP' | 'ER' | 'EA' | 'EV' | 'EJ' | 'EC' | 'ET';

export interface EmTransitionRow {
  from: EmState;
  action: EmAction;
  to: EmState;
  message: EmMessage;
  /** The transition's name in the docs' prose. */
  name: string;
}

export const EM_TRANSITIONS: readonly EmTransitionRow[] = [
  { from: 'N', action: 'propose', to: 'P', message: 'EP', name: 'propose embargo' },
  { from: 'P', action: 'propose', to: 'P', message: 'EP', name: 'propose embargo (further proposal)' },
  { from: 'P', action: 'reject', to: 'N', message: 'ER', name: 'reject embargo proposal' },
  { from: 'P', action: 'accept', to: 'A', message: 'EA', name: 'accept embargo proposal' },
  { from: 'A', action: 'propose', to: 'R', message: 'EV', name: 'propose embargo revision' },
  { from: 'A', action: 'terminate', to: 'X', message: 'ET', name: 'terminate embargo' },
  { from: 'R', action: 'propose', to: 'R', message: 'EV', name: 'propose embargo revision (further revision)' },
  { from: 'R', action: 'accept', to: 'A', message: 'EC', name: 'accept embargo revision' },
  { from: 'R', action: 'reject', to: 'A', message: 'EJ', name: 'reject embargo revision' },
  { from: 'R', action: 'terminate', to: 'X', message: 'ET', name: 'terminate embargo' },
];

export const EM_START: EmState = 'N';
export const EM_FINAL: readonly EmState[] = ['N', 'X'];

export function isEmState(x: unknown): x is EmState {
  return typeof x === 'string' && (EM_STATES as readonly string[]).includes(x);
}

export function isEmAction(x: unknown): x is EmAction {
  return typeof x === 'string' && (EM_ACTIONS as readonly string[]).includes(x);
}

export function emAllowed(state: EmState): EmAction[] {
  return EM_ACTIONS.filter((a) => EM_TRANSITIONS.some((t) => t.from === state && t.action === a));
}

function row(state: EmState, action: EmAction): EmTransitionRow | undefined {
  return EM_TRANSITIONS.find((t) => t.from === state && t.action === action);
}

/** The message a Participant emits for this transition, or null when the transition is not allowed. */
export function emMessage(state: EmState, action: EmAction): EmMessage | null {
  return row(state, action)?.message ?? null;
}

export function emTransition(state: EmState, action: EmAction): TransitionResult<EmState> {
  if (!isEmState(state)) return refused(state, `unknown EM state ${JSON.stringify(state)}`);
  if (!isEmAction(action)) return refused(state, `unknown EM action ${JSON.stringify(action)}`);
  const r = row(state, action);
  if (r) return accepted(r.to);
  const here = `${EM_STATE_NAMES[state]} (${state})`;
  const base = `EM: ${action} (${EM_SYMBOLS[action]}) is not allowed from ${here}`;
  const allowed = emAllowed(state);
  const tail = allowed.length ? `; allowed: ${allowed.join(', ')}` : '';
  if (state === 'X') return refused(state, `${base}: the embargo has exited; eXited is final, nothing follows it`);
  if (state === 'N' && action === 'terminate') return refused(state, `${base}: there is no embargo to terminate${tail}`);
  if (state === 'N') return refused(state, `${base}: nothing has been proposed${tail}`);
  if (state === 'P' && action === 'terminate') {
    return refused(state, `${base}: a proposal that was never accepted is rejected, not terminated${tail}`);
  }
  if (state === 'A') return refused(state, `${base}: no proposal or revision is pending${tail}`);
  return refused(state, `${base}${tail}`);
}

/** Runs an EM history in the docs' shorthand (e.g. "papat"). */
export function emRun(symbols: string, from: EmState = EM_START): TransitionResult<EmState> {
  let state = from;
  for (const [i, ch] of [...symbols].entries()) {
    const action = EM_ACTIONS.find((a) => EM_SYMBOLS[a] === ch);
    if (!action) return refused(from, `unknown EM symbol ${JSON.stringify(ch)} at position ${i}`);
    const r = emTransition(state, action);
    if (!r.ok) return refused(from, `at position ${i}: ${r.reason}`);
    state = r.state;
  }
  return accepted(state);
}
