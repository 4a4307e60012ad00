// Report Management (RM): one DFA per Participant, tracking that Participant's handling of the report.
// Source: CERTCC/Vultron docs/topics/process_models/rm/index.md and rm/formal_model.md,
// cross-checked against the protocol specification's RM transitions table (§6.2, "these eleven
// transitions are the complete set"). Message types: docs/reference/formal_protocol/messages.md.
//
//   δ^rm:  S → rR
//          R → vV | iI
//          I → vV | cC
//          V → aA | dD
//          A → dD | cC
//          D → aA | cC
//          C → ε
import { accepted, refused, type TransitionResult } from './result.ts';

/** Q^rm, by the underlined letter the docs use as shorthand. */
export const RM_STATES = ['S', 'R', 'I', 'V', 'D', 'A', 'C'] as const;
export type RmState = (typeof RM_STATES)[number];

export const RM_STATE_NAMES: Readonly<Record<RmState, string>> = {
  S: 'Start',
  R: 'Received',
  I: 'Invalid',
  V: 'Valid',
  D: 'Deferred',
  A: 'Accepted',
  C: 'Closed',
};

/** Σ^rm: the actions (input symbols) of the RM DFA. */
export const RM_ACTIONS = ['receive', 'validate', 'invalidate', 'accept', 'defer', 'close'] as const;
export type RmAction = (typeof RM_ACTIONS)[number];

export type RmSymbol = 'r' | 'v' | 'i' | 'a' | 'd' | 'c';
export const RM_SYMBOLS: Readonly<Record<RmAction, RmSymbol>> = {
  receive: 'r',
  validate: 'v',
  invalidate: 'i',
  accept: 'a',
  defer: 'd',
  close: 'c',
};

/**
 * M^rm for each transition. RS (Report Submission) is the one message whose *receipt* moves the
 * receiver (S → R); every other RM message announces the sender's own transition.
 */
export type RmMessage = 'RS' | 'RV' | 'RI' | 'RA' | 'RD' | 'RC';
export const RM_MESSAGES: Readonly<Record<RmAction, RmMessage>> = {
  receive: 'RS',
  validate: 'RV',
  invalidate: 'RI',
  accept: 'RA',
  defer: 'RD',
  close: 'RC',
};

export interface RmTransitionRow {
  from: RmState;
  action: RmAction;
  to: RmState;
}

/** The eleven RM transitions, and no others. */
export const RM_TRANSITIONS: readonly RmTransitionRow[] = [
  { from: 'S', action: 'receive', to: 'R' },
  { from: 'R', action: 'validate', to: 'V' },
  { from: 'R', action: 'invalidate', to: 'I' },
  { from: 'I', action: 'validate', to: 'V' },
  { from: 'I', action: 'close', to: 'C' },
  { from: 'V', action: 'accept', to: 'A' },
  { from: 'V', action: 'defer', to: 'D' },
  { from: 'A', action: 'defer', to: 'D' },
  { from: 'A', action: 'close', to: 'C' },
  { from: 'D', action: 'accept', to: 'A' },
  { from: 'D', action: 'close', to: 'C' },
];

export const RM_START: RmState = 'S';
export const RM_FINAL: readonly RmState[] = ['C'];

/** Named subsets of Q^rm used elsewhere in the Vultron docs. */
export const RM_SUBSETS = {
  open: ['R', 'I', 'V', 'D', 'A'],
  validYetUnclosed: ['V', 'D', 'A'],
  potentiallyValidYetUnclosed: ['R', 'V', 'D', 'A'],
  active: ['R', 'V', 'A'],
  inactive: ['I', 'D', 'C'],
} as const satisfies Record<string, readonly RmState[]>;

export function isRmState(x: unknown): x is RmState {
  return typeof x === 'string' && (RM_STATES as readonly string[]).includes(x);
}

export function isRmAction(x: unknown): x is RmAction {
  return typeof x === 'string' && (RM_ACTIONS as readonly string[]).includes(x);
}

function describe(state: RmState): string {
  return `${RM_STATE_NAMES[state]} (${state})`;
}

/** The actions the RM DFA accepts in `state`, in Σ^rm order. */
export function rmAllowed(state: RmState): RmAction[] {
  return RM_ACTIONS.filter((a) => RM_TRANSITIONS.some((t) => t.from === state && t.action === a));
}

export function rmTransition(state: RmState, action: RmAction): TransitionResult<RmState> {
  if (!isRmState(state)) return refused(state, `unknown RM state ${JSON.stringify(state)}`);
  if (!isRmAction(action)) return refused(state, `unknown RM action ${JSON.stringify(action)}`);
  const row = RM_TRANSITIONS.find((t) => t.from === state && t.action === action);
  if (row) return accepted(row.to);
  return refused(state, refusalReason(state, action));
}

function refusalReason(state: RmState, action: RmAction): string {
  const base = `RM: ${action} (${RM_SYMBOLS[action]}) is not allowed from ${describe(state)}`;
  const allowed = rmAllowed(state);
  const tail = allowed.length ? `; allowed: ${allowed.join(', ')}` : '';
  // The pitfalls the docs call out explicitly get their own explanation.
  if (state === 'C') return `${base}: Closed is the final RM state`;
  if (state === 'V' && action === 'close') {
    return `${base}: Participants MUST NOT close reports from Valid; accept or defer first${tail}`;
  }
  if (state === 'V' && action === 'invalidate') {
    return `${base}: invalidation happens only from Received; a Valid report is deferred or closed instead${tail}`;
  }
  if (action === 'receive') return `${base}: a report is received once, from Start${tail}`;
  if (state === 'S') return `${base}: the report has not been received yet${tail}`;
  return `${base}${tail}`;
}

/** Alias of rmTransition, the name the report services use. */
export const rmNext = rmTransition;

/** Runs a whole RM history given in the docs' shorthand (e.g. "rvadc"). */
export function rmRun(symbols: string, from: RmState = RM_START): TransitionResult<RmState> {
  let state = from;
  for (const [i, ch] of [...symbols].entries()) {
    const action = RM_ACTIONS.find((a) => RM_SYMBOLS[a] === ch);
    if (!action) return refused(from, `unknown RM symbol ${JSON.stringify(ch)} at position ${i}`);
    const r = rmTransition(state, action);
    if (!r.ok) return refused(from, `at position ${i}: ${r.reason}`);
    state = r.state;
  }
  return accepted(state);
}
