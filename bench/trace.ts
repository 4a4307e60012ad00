// Leak tracing (docs/leak-tracing.md): 1,000 recipients each get their own watermarked copy of a
// realistic briefing packet; excerpts of 100, 300 and 1,000 consecutive words are taken at random
// from a random recipient's copy, re-wrapped at a random width and whitespace-normalised, and
// traced against all 1,000 recipients. Reports top-1 accuracy (the leaker named), false
// accusations (anyone else named) and "insufficient evidence" per excerpt length.
// Targets: ≥ 99% correct at 300 words; false accusations ≤ 1 in 10,000.
//
//   node --import tsx bench/trace.ts [--cases 10] [--leakers 50] [--excerpts 20] [--recipients 1000]
// (10,000 traces per excerpt length by default)
import { randomBytes } from 'node:crypto';
import {
  BRIEFING_SLOT_LIST,
  CandidateTable,
  DEFAULT_ALPHA,
  observe,
  scoreAll,
  threshold,
  traceObservations,
} from '../src/domain/watermark/index.ts';
import { renderBriefingText } from '../src/services/briefing.ts';
import { excerpt, rng, samplePacket } from './briefing-corpus.ts';
import { emit, intOption, machine, out, round } from './lib.ts';

const CASES = intOption('cases', 10);
const LEAKERS = intOption('leakers', 50);
const EXCERPTS = intOption('excerpts', 20);
const RECIPIENTS = intOption('recipients', 1000);
const LENGTHS = [100, 300, 1000];
const ALPHA = DEFAULT_ALPHA;

interface Tally {
  trials: number;
  correct: number;
  wrong: number;
  insufficient: number;
  /** Innocent candidates whose score reached the threshold, over trials × (N-1) checks. */
  innocentOverThreshold: number;
  innocentChecks: number;
  /** Innocent candidates scoring at least ln(1/α): the bound says at most α of them. */
  innocentOverCalibration: number;
  maxInnocentScore: number;
  observedSlots: number;
  shortDocs: number;
}

const tallies = new Map<number, Tally>(
  LENGTHS.map((n) => [
    n,
    {
      trials: 0,
      correct: 0,
      wrong: 0,
      insufficient: 0,
      innocentOverThreshold: 0,
      innocentChecks: 0,
      innocentOverCalibration: 0,
      maxInnocentScore: Number.NEGATIVE_INFINITY,
      observedSlots: 0,
      shortDocs: 0,
    },
  ]),
);

const started = performance.now();
const r = rng(20261123);
const recipients = Array.from({ length: RECIPIENTS }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
const T = threshold(RECIPIENTS, ALPHA);
/** A level a run can see: innocents reaching ln(10^4) nats, which the bound allows for 1 in 10^4 of them. */
const CALIBRATION = Math.log(1e4);
let words = 0;
let docs = 0;
for (let c = 0; c < CASES; c++) {
  const secret = randomBytes(32);
  const packet = samplePacket(1000 + c, { vulns: [9, 12], vendors: [10, 14] });
  const table = new CandidateTable(secret, recipients);
  for (let l = 0; l < LEAKERS; l++) {
    const who = Math.floor(r() * RECIPIENTS);
    const id = recipients[who] as string;
    const text = renderBriefingText(
      { ...packet, recipient: { ...packet.recipient, orgId: id, orgName: `Organization ${who}` } },
      { secret, recipientId: id },
    );
    words += text.split(/\s+/).filter(Boolean).length;
    docs++;
    for (const n of LENGTHS) {
      const t = tallies.get(n) as Tally;
      for (let e = 0; e < EXCERPTS; e++) {
        let ex = excerpt(text, n, r, 30 + Math.floor(r() * 70));
        if (!ex) {
          ex = text;
          t.shortDocs++;
        }
        // Whitespace normalised, as a paste into a chat or a web form leaves it.
        const obs = observe(ex.replace(/\s+/g, ' '), BRIEFING_SLOT_LIST);
        const v = traceObservations(obs, table, { alpha: ALPHA });
        t.trials++;
        t.observedSlots += obs.length;
        if (v.verdict === 'identified') {
          if (v.recipientId === id) t.correct++;
          else t.wrong++;
        } else if (v.verdict === 'several') {
          if (v.recipientIds.some((x) => x !== id)) t.wrong++;
          else t.insufficient++;
        } else t.insufficient++;
        const { scores } = scoreAll(obs, table);
        for (let j = 0; j < scores.length; j++) {
          if (j === who) continue;
          const s = scores[j] as number;
          t.innocentChecks++;
          if (s >= T) t.innocentOverThreshold++;
          if (s >= CALIBRATION) t.innocentOverCalibration++;
          if (s > t.maxInnocentScore) t.maxInnocentScore = s;
        }
      }
    }
  }
}
const seconds = (performance.now() - started) / 1000;

out(
  `Leak tracing: ${RECIPIENTS} recipients per case, ${CASES} cases, ${docs} leaked copies (mean ${Math.round(words / docs)} words),`,
);
out(`${EXCERPTS} random excerpts per copy and length, re-wrapped at 30-99 columns and whitespace-normalised.`);
out(`Accusation threshold ln(N/α) = ${T.toFixed(2)} nats with N = ${RECIPIENTS}, α = ${ALPHA}: for an innocent recipient the`);
out('likelihood ratio has expectation 1, so P(score ≥ T) ≤ e^-T (Markov) and P(any of N innocents ≥ T) ≤ N·e^-T = α.');
out('False accusations are measured twice: traces that named the wrong recipient (per trace), and innocent candidates');
out('whose score reached the threshold over trials × (N−1) checks (per candidate; × (N−1) gives the per-trace rate).');
out('');
out('words  trials  correct  insufficient  wrong  mean slots  innocent ≥ T / checks   per-trace est.  max innocent score');
const result: Record<string, unknown> = {};
for (const n of LENGTHS) {
  const t = tallies.get(n) as Tally;
  const perCandidate = t.innocentOverThreshold / t.innocentChecks;
  const perTrace = perCandidate * (RECIPIENTS - 1);
  out(
    `${String(n).padStart(5)}  ${String(t.trials).padStart(6)}  ${(100 * (t.correct / t.trials)).toFixed(2).padStart(6)}%  ${(100 * (t.insufficient / t.trials)).toFixed(2).padStart(11)}%  ${String(t.wrong).padStart(5)}  ${(t.observedSlots / t.trials).toFixed(1).padStart(10)}  ${`${t.innocentOverThreshold} / ${t.innocentChecks}`.padStart(21)}  ${perTrace.toExponential(1).padStart(14)}  ${t.maxInnocentScore.toFixed(1).padStart(8)} (T ${T.toFixed(1)})`,
  );
  out(
    `       calibration: innocents scoring ≥ ln(10^4) = ${CALIBRATION.toFixed(1)}: ${t.innocentOverCalibration} of ${t.innocentChecks} (${(t.innocentOverCalibration / t.innocentChecks).toExponential(1)}; bound 1e-4)`,
  );
  if (t.shortDocs) out(`       (${t.shortDocs} copies were shorter than ${n} words: the whole copy was used)`);
  result[`w${n}`] = {
    trials: t.trials,
    accuracy: round(t.correct / t.trials, 4),
    false_accusations: t.wrong,
    false_accusation_rate: t.wrong / t.trials,
    insufficient: round(t.insufficient / t.trials, 4),
    innocent_over_threshold: t.innocentOverThreshold,
    innocent_checks: t.innocentChecks,
    per_trace_false_accusation_estimate: perTrace,
    mean_slots: round(t.observedSlots / t.trials, 1),
    innocent_over_ln_1e4: t.innocentOverCalibration,
  };
}
const w300 = result.w300 as { accuracy: number };
const all = [...tallies.values()];
const traces = all.reduce((n, t) => n + t.trials, 0);
const wrong = all.reduce((n, t) => n + t.wrong, 0);
const met = w300.accuracy >= 0.99 && wrong / traces <= 1e-4;
out('');
out(
  `Targets: ≥ 99% correct at 300 words (${(100 * w300.accuracy).toFixed(2)}%); false accusations ≤ 1 in 10,000 (${wrong} in ${traces} traces of every length; bound ${ALPHA} per trace): ${met ? 'met' : 'NOT met'}. ${seconds.toFixed(0)} s.`,
);
emit({
  bench: 'trace',
  machine: machine(),
  recipients: RECIPIENTS,
  threshold_nats: round(T, 3),
  alpha: ALPHA,
  lengths: result,
  traces,
  false_accusations: wrong,
  targets_met: met,
  seconds: round(seconds, 1),
});
