// The shape every Vultron state machine in this folder answers with.
// A refused transition carries the unchanged input state, so callers (and tests) can see nothing moved.

export type TransitionResult<S> = { ok: true; state: S } | { ok: false; state: S; reason: string };

export function accepted<S>(state: S): TransitionResult<S> {
  return { ok: true, state };
}

export function refused<S>(state: S, reason: string): TransitionResult<S> {
  return { ok: false, state, reason };
}
