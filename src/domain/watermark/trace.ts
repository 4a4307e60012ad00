// Naming the source of a leak. Every candidate recipient is scored by the log-likelihood ratio of
// "this excerpt came from its copy" against "it came from someone else's": a slot showing the
// candidate's symbol adds ln((1-ε)·k), one showing another symbol adds ln(ε·k/(k-1)), where ε
// allows for misread or edited slots.
//
// The threshold. For an innocent candidate the excerpt's symbols are independent of its codeword
// (its symbols come from an HMAC keyed with its own id), so each observed slot matches with
// probability 1/k and the product of likelihood ratios has expectation exactly 1. By Markov's
// inequality, P(score ≥ T) ≤ e^-T for each innocent candidate, whatever the number and sizes of
// the observed slots; with N candidates (Bonferroni) P(any innocent reaches T) ≤ N·e^-T. So
// T = ln(N/α) keeps the chance of accusing an innocent organization in one trace below α. α is
// 1e-6, a hundred times below the 1-in-10,000 that Village promises: the bound is proved, but a
// benchmark can only show a rate well under its target if the target has room to spare.
import type { CandidateTable } from './codeword.ts';
import type { Observation } from './detect.ts';

export const DEFAULT_ALPHA = 1e-6;
export const DEFAULT_EPSILON = 0.1;

export interface CandidateScore {
  recipientId: string;
  /** Log-likelihood ratio in nats. */
  score: number;
  /** Observed slots showing this candidate's symbol. */
  matches: number;
}

export type TraceVerdict =
  | {
      verdict: 'identified';
      recipientId: string;
      /** 1 − (bound on the chance that any innocent candidate scores this high). */
      confidence: number;
      /** The bound itself: N·e^-score. */
      falseAccusationBound: number;
      /** Posterior probability among the candidates, assuming one of them leaked, uniform prior. */
      posterior: number;
      evidence: TraceEvidence;
    }
  | { verdict: 'insufficient'; reason: string; evidence: TraceEvidence }
  | { verdict: 'several'; recipientIds: string[]; reason: string; evidence: TraceEvidence };

export interface TraceEvidence {
  /** Slot instances the excerpt shows. */
  observed: number;
  /** The score a perfect match reaches with those slots. */
  maxScore: number;
  /** The accusation threshold ln(N/α). */
  threshold: number;
  candidates: number;
  alpha: number;
  /** The best candidates, best first (at most 5). */
  ranking: CandidateScore[];
}

export function threshold(candidates: number, alpha = DEFAULT_ALPHA): number {
  return Math.log(Math.max(1, candidates) / alpha);
}

/** Every candidate's score (nats) and number of matching slots, in the table's order. */
export function scoreAll(
  obs: readonly Observation[],
  table: CandidateTable,
  epsilon = DEFAULT_EPSILON,
): { scores: Float64Array; matches: Uint32Array } {
  const n = table.candidates.length;
  const scores = new Float64Array(n);
  const matches = new Uint32Array(n);
  for (const o of obs) {
    const hit = Math.log((1 - epsilon) * o.k);
    const miss = Math.log((epsilon * o.k) / (o.k - 1));
    const syms = table.symbols(o.key, o.k);
    for (let j = 0; j < n; j++) {
      if (syms[j] === o.alt) {
        scores[j] = (scores[j] as number) + hit;
        matches[j] = (matches[j] as number) + 1;
      } else scores[j] = (scores[j] as number) + miss;
    }
  }
  return { scores, matches };
}

export function traceObservations(
  obs: readonly Observation[],
  table: CandidateTable,
  opts: { alpha?: number; epsilon?: number } = {},
): TraceVerdict {
  const candidates = table.candidates;
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  const epsilon = opts.epsilon ?? DEFAULT_EPSILON;
  const t = threshold(candidates.length, alpha);
  const all = scoreAll(obs, table, epsilon);
  const scores: CandidateScore[] = candidates.map((c, j) => ({
    recipientId: c,
    score: all.scores[j] as number,
    matches: all.matches[j] as number,
  }));
  scores.sort((a, b) => b.score - a.score || a.recipientId.localeCompare(b.recipientId));
  const maxScore = obs.reduce((s, o) => s + Math.log((1 - epsilon) * o.k), 0);
  const evidence: TraceEvidence = {
    observed: obs.length,
    maxScore,
    threshold: t,
    candidates: candidates.length,
    alpha,
    ranking: scores.slice(0, 5),
  };
  if (candidates.length === 0) return { verdict: 'insufficient', reason: 'the case has no recipients to trace', evidence };
  if (maxScore < t)
    return {
      verdict: 'insufficient',
      reason: `the excerpt shows ${obs.length} marked places, worth at most ${maxScore.toFixed(1)} of the ${t.toFixed(1)} nats needed`,
      evidence,
    };
  const above = scores.filter((s) => s.score >= t);
  const best = scores[0] as CandidateScore;
  if (above.length === 0)
    return {
      verdict: 'insufficient',
      reason: `no recipient reaches the threshold (best ${best.score.toFixed(1)} of ${t.toFixed(1)} nats)`,
      evidence,
    };
  if (above.length > 1)
    return {
      verdict: 'several',
      recipientIds: above.map((s) => s.recipientId),
      reason: 'more than one copy matches: the excerpt may combine several copies',
      evidence,
    };
  const bound = Math.min(1, candidates.length * Math.exp(-best.score));
  // log-sum-exp for the posterior
  const m = best.score;
  const z = scores.reduce((s, c) => s + Math.exp(c.score - m), 0);
  return {
    verdict: 'identified',
    recipientId: best.recipientId,
    confidence: 1 - bound,
    falseAccusationBound: bound,
    posterior: 1 / z,
    evidence,
  };
}
