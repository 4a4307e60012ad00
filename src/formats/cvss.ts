// CVSS vectors: strict parsing, normalisation and scoring for the two versions Village stores,
// CVSS v3.1 (https://www.first.org/cvss/v3.1/specification-document) and CVSS v4.0
// (https://www.first.org/cvss/v4.0/specification-document). CVSS 2.0 and 3.0 are refused.
//
// Parsing and validation are ours (the library is lenient: it accepts missing base metrics), so every
// fault comes back as a CvssError naming the metric or value at fault. Scores come from
// ae-cvss-calculator, which matches FIRST's reference scores: its CVSS 4.0 MacroVector scoring
// includes the 1e-6 rounding epsilon of FIRST's calculator, and its 3.1 scores use the spec's Roundup.
//
// Normal form: `CVSS:<version>/` followed by the metrics in the specification's order, without
// metrics set to X (Not Defined), which is what they mean when absent. Metrics may be given in any
// order; each at most once.
import { createRequire } from 'node:module';
import { z } from 'zod';

// The calculator (a CommonJS bundle) is required when the first vector is scored, not when the
// server starts; require keeps parseCvss synchronous for the document builders that call it.
type Calculator = typeof import('ae-cvss-calculator');
let calculator: Calculator | undefined;
const scoring = (): Calculator => {
  calculator ??= createRequire(import.meta.url)('ae-cvss-calculator') as Calculator;
  return calculator;
};

export type CvssVersion = '3.1' | '4.0';
export type CvssSeverity = 'None' | 'Low' | 'Medium' | 'High' | 'Critical';
export type Cvss31ScoreType = 'base' | 'temporal' | 'environmental';
export type Cvss40Nomenclature = 'CVSS-B' | 'CVSS-BT' | 'CVSS-BE' | 'CVSS-BTE';

interface CvssResultBase {
  /** Normalised vector string. */
  readonly vector: string;
  /** Score of the Base metrics alone (CVSS v3.1 Base Score; CVSS v4.0 CVSS-B). */
  readonly baseScore: number;
  /** Qualitative rating of `baseScore`. */
  readonly severity: CvssSeverity;
  /** Score of the whole vector: with Temporal/Threat and Environmental metrics when present. */
  readonly score: number;
  readonly scoreSeverity: CvssSeverity;
  /** The metrics of the normalised vector (no X values). */
  readonly metrics: Readonly<Record<string, string>>;
}

export interface Cvss31Result extends CvssResultBase {
  readonly version: '3.1';
  readonly scoreType: Cvss31ScoreType;
}

export interface Cvss40Result extends CvssResultBase {
  readonly version: '4.0';
  readonly scoreType: Cvss40Nomenclature;
}

export type CvssResult = Cvss31Result | Cvss40Result;

export type CvssErrorCode =
  | 'empty'
  | 'wrong_prefix'
  | 'unsupported_version'
  | 'malformed'
  | 'unknown_metric'
  | 'duplicate_metric'
  | 'bad_value'
  | 'missing_metric';

export class CvssError extends Error {
  override readonly name = 'CvssError';
  constructor(
    readonly code: CvssErrorCode,
    message: string,
    readonly details: { version?: string; metric?: string; value?: string } = {},
  ) {
    super(message);
  }
}

type Group = 'base' | 'temporal' | 'threat' | 'environmental' | 'supplemental';

interface MetricDef {
  readonly group: Group;
  /** Allowed values; X (Not Defined) is listed where the specification allows it. */
  readonly values: readonly string[];
}

const CIA = ['H', 'L', 'N'] as const;
const REQ31 = ['X', 'L', 'M', 'H'] as const;
const MCIA31 = ['X', 'N', 'L', 'H'] as const;

/** CVSS v3.1 metrics in specification order (Table 15 of the v3.1 specification). */
export const CVSS31_METRICS: Readonly<Record<string, MetricDef>> = Object.freeze({
  AV: { group: 'base', values: ['N', 'A', 'L', 'P'] },
  AC: { group: 'base', values: ['L', 'H'] },
  PR: { group: 'base', values: ['N', 'L', 'H'] },
  UI: { group: 'base', values: ['N', 'R'] },
  S: { group: 'base', values: ['U', 'C'] },
  C: { group: 'base', values: CIA },
  I: { group: 'base', values: CIA },
  A: { group: 'base', values: CIA },
  E: { group: 'temporal', values: ['X', 'U', 'P', 'F', 'H'] },
  RL: { group: 'temporal', values: ['X', 'O', 'T', 'W', 'U'] },
  RC: { group: 'temporal', values: ['X', 'U', 'R', 'C'] },
  CR: { group: 'environmental', values: REQ31 },
  IR: { group: 'environmental', values: REQ31 },
  AR: { group: 'environmental', values: REQ31 },
  MAV: { group: 'environmental', values: ['X', 'N', 'A', 'L', 'P'] },
  MAC: { group: 'environmental', values: ['X', 'L', 'H'] },
  MPR: { group: 'environmental', values: ['X', 'N', 'L', 'H'] },
  MUI: { group: 'environmental', values: ['X', 'N', 'R'] },
  MS: { group: 'environmental', values: ['X', 'U', 'C'] },
  MC: { group: 'environmental', values: MCIA31 },
  MI: { group: 'environmental', values: MCIA31 },
  MA: { group: 'environmental', values: MCIA31 },
});

const REQ40 = ['X', 'H', 'M', 'L'] as const;
const MV40 = ['X', 'H', 'L', 'N'] as const;
const MS40 = ['X', 'S', 'H', 'L', 'N'] as const;

/** CVSS v4.0 metrics in specification order (section 7 of the v4.0 specification). */
export const CVSS40_METRICS: Readonly<Record<string, MetricDef>> = Object.freeze({
  AV: { group: 'base', values: ['N', 'A', 'L', 'P'] },
  AC: { group: 'base', values: ['L', 'H'] },
  AT: { group: 'base', values: ['N', 'P'] },
  PR: { group: 'base', values: ['N', 'L', 'H'] },
  UI: { group: 'base', values: ['N', 'P', 'A'] },
  VC: { group: 'base', values: CIA },
  VI: { group: 'base', values: CIA },
  VA: { group: 'base', values: CIA },
  SC: { group: 'base', values: CIA },
  SI: { group: 'base', values: CIA },
  SA: { group: 'base', values: CIA },
  E: { group: 'threat', values: ['X', 'A', 'P', 'U'] },
  CR: { group: 'environmental', values: REQ40 },
  IR: { group: 'environmental', values: REQ40 },
  AR: { group: 'environmental', values: REQ40 },
  MAV: { group: 'environmental', values: ['X', 'N', 'A', 'L', 'P'] },
  MAC: { group: 'environmental', values: ['X', 'L', 'H'] },
  MAT: { group: 'environmental', values: ['X', 'N', 'P'] },
  MPR: { group: 'environmental', values: ['X', 'N', 'L', 'H'] },
  MUI: { group: 'environmental', values: ['X', 'N', 'P', 'A'] },
  MVC: { group: 'environmental', values: MV40 },
  MVI: { group: 'environmental', values: MV40 },
  MVA: { group: 'environmental', values: MV40 },
  MSC: { group: 'environmental', values: MV40 },
  MSI: { group: 'environmental', values: MS40 },
  MSA: { group: 'environmental', values: MS40 },
  S: { group: 'supplemental', values: ['X', 'N', 'P'] },
  AU: { group: 'supplemental', values: ['X', 'N', 'Y'] },
  R: { group: 'supplemental', values: ['X', 'A', 'U', 'I'] },
  V: { group: 'supplemental', values: ['X', 'D', 'C'] },
  RE: { group: 'supplemental', values: ['X', 'L', 'M', 'H'] },
  U: { group: 'supplemental', values: ['X', 'Clear', 'Green', 'Amber', 'Red'] },
});

const DEFS: Record<CvssVersion, Readonly<Record<string, MetricDef>>> = { '3.1': CVSS31_METRICS, '4.0': CVSS40_METRICS };

/**
 * Qualitative severity rating scale, the same in CVSS v3.1 (section 5) and v4.0:
 * None 0.0, Low 0.1-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0.
 */
export function cvssSeverity(score: number): CvssSeverity {
  if (!Number.isFinite(score) || score < 0 || score > 10) throw new RangeError(`CVSS score out of range: ${score}`);
  if (score === 0) return 'None';
  if (score < 4) return 'Low';
  if (score < 7) return 'Medium';
  if (score < 9) return 'High';
  return 'Critical';
}

const MAX_VECTOR_LENGTH = 512;
const PREFIX = /^CVSS:(\d+\.\d+)\/(.*)$/s;

function parseMetrics(input: unknown): { version: CvssVersion; metrics: Record<string, string> } {
  if (typeof input !== 'string' || input.trim() === '') throw new CvssError('empty', 'CVSS vector is empty');
  const text = input.trim();
  if (text.length > MAX_VECTOR_LENGTH)
    throw new CvssError('malformed', `CVSS vector is longer than ${MAX_VECTOR_LENGTH} characters`);
  const m = PREFIX.exec(text);
  if (!m) {
    if (/^\(?AV:[LAN]\/AC:[HML]\/Au:[MSN]\//.test(text) || text.startsWith('CVSS2#') || text.startsWith('CVSS:2.0/')) {
      throw new CvssError('unsupported_version', 'CVSS v2.0 vectors are not accepted; Village stores CVSS v3.1 and v4.0', {
        version: '2.0',
      });
    }
    throw new CvssError('wrong_prefix', 'CVSS vector must start with "CVSS:3.1/" or "CVSS:4.0/"');
  }
  const version = m[1] as string;
  if (version !== '3.1' && version !== '4.0') {
    const hint = version === '3.0' ? ' (rescore it as CVSS:3.1; the metrics are the same)' : '';
    throw new CvssError(
      'unsupported_version',
      `CVSS v${version} vectors are not accepted; Village stores CVSS v3.1 and v4.0${hint}`,
      {
        version,
      },
    );
  }
  const defs = DEFS[version];
  const metrics: Record<string, string> = {};
  for (const part of (m[2] as string).split('/')) {
    const colon = part.indexOf(':');
    if (part === '' || colon <= 0 || colon === part.length - 1) {
      throw new CvssError('malformed', `CVSS v${version} vector has a malformed component "${part}"; expected METRIC:VALUE`, {
        version,
      });
    }
    const metric = part.slice(0, colon);
    const value = part.slice(colon + 1);
    const def = Object.hasOwn(defs, metric) ? defs[metric] : undefined;
    if (!def) throw new CvssError('unknown_metric', `Unknown CVSS v${version} metric "${metric}"`, { version, metric });
    if (Object.hasOwn(metrics, metric)) {
      throw new CvssError('duplicate_metric', `CVSS v${version} metric ${metric} appears more than once`, { version, metric });
    }
    if (!def.values.includes(value)) {
      throw new CvssError(
        'bad_value',
        `Bad value "${value}" for CVSS v${version} metric ${metric}; allowed: ${def.values.join(', ')}`,
        { version, metric, value },
      );
    }
    metrics[metric] = value;
  }
  const missing = Object.entries(defs)
    .filter(([k, d]) => d.group === 'base' && !Object.hasOwn(metrics, k))
    .map(([k]) => k);
  if (missing.length > 0) {
    throw new CvssError(
      'missing_metric',
      `CVSS v${version} vector lacks mandatory base metric${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
      { version, metric: missing[0] as string },
    );
  }
  return { version, metrics };
}

function normalised(version: CvssVersion, metrics: Readonly<Record<string, string>>, groups?: readonly Group[]) {
  const defs = DEFS[version];
  const kept: Record<string, string> = {};
  for (const [k, d] of Object.entries(defs)) {
    const v = metrics[k];
    if (v === undefined || v === 'X' || (groups && !groups.includes(d.group))) continue;
    kept[k] = v;
  }
  const vector = `CVSS:${version}/${Object.entries(kept)
    .map(([k, v]) => `${k}:${v}`)
    .join('/')}`;
  return { vector, metrics: kept };
}

function hasGroup(version: CvssVersion, metrics: Readonly<Record<string, string>>, group: Group): boolean {
  const defs = DEFS[version];
  return Object.keys(metrics).some((k) => defs[k]?.group === group);
}

/**
 * Parse, validate, normalise and score a CVSS v3.1 or v4.0 vector.
 * Throws CvssError (code, and the metric/value at fault) for anything else.
 */
export function parseCvss(input: string): CvssResult {
  const { version, metrics: given } = parseMetrics(input);
  const { vector, metrics } = normalised(version, given);
  if (version === '3.1') {
    const scores = new (scoring().Cvss3P1)(vector).calculateScores();
    const baseScore = scores.base ?? 0;
    const scoreType: Cvss31ScoreType = hasGroup(version, metrics, 'environmental')
      ? 'environmental'
      : hasGroup(version, metrics, 'temporal')
        ? 'temporal'
        : 'base';
    const score = scoreType === 'environmental' ? scores.environmental : scoreType === 'temporal' ? scores.temporal : baseScore;
    if (typeof score !== 'number') throw new Error(`CVSS v3.1 ${scoreType} score missing for ${vector}`);
    return {
      version,
      vector,
      metrics,
      baseScore,
      severity: cvssSeverity(baseScore),
      score,
      scoreSeverity: cvssSeverity(score),
      scoreType,
    };
  }
  const { Cvss4P0 } = scoring();
  const score = new Cvss4P0(vector).calculateScores().overall;
  const baseOnly = normalised(version, metrics, ['base']).vector;
  const baseScore = baseOnly === vector ? score : new Cvss4P0(baseOnly).calculateScores().overall;
  const scoreType =
    `CVSS-B${hasGroup(version, metrics, 'threat') ? 'T' : ''}${hasGroup(version, metrics, 'environmental') ? 'E' : ''}` as Cvss40Nomenclature;
  return {
    version,
    vector,
    metrics,
    baseScore,
    severity: cvssSeverity(baseScore),
    score,
    scoreSeverity: cvssSeverity(score),
    scoreType,
  };
}

export type CvssParseOutcome = { ok: true; value: CvssResult } | { ok: false; error: CvssError };

/** parseCvss without throwing. */
export function tryParseCvss(input: string): CvssParseOutcome {
  try {
    return { ok: true, value: parseCvss(input) };
  } catch (e) {
    if (e instanceof CvssError) return { ok: false, error: e };
    throw e;
  }
}

/** The normalised form of a valid vector (throws CvssError otherwise). */
export function normaliseCvss(input: string): string {
  const { version, metrics } = parseMetrics(input);
  return normalised(version, metrics).vector;
}

function vectorSchema(versions: readonly CvssVersion[], description: string) {
  return z
    .string()
    .max(MAX_VECTOR_LENGTH)
    .superRefine((s, ctx) => {
      const r = tryParseCvss(s);
      if (!r.ok) {
        ctx.addIssue({ code: 'custom', message: r.error.message, params: { cvss: r.error.code } });
      } else if (!versions.includes(r.value.version)) {
        ctx.addIssue({
          code: 'custom',
          message: `Expected a CVSS v${versions.join(' or v')} vector, got CVSS v${r.value.version}`,
          params: { cvss: 'unsupported_version' },
        });
      }
    })
    .describe(description);
}

/** A valid CVSS v3.1 vector string (for route schemas; normalise with normaliseCvss before storing). */
export const CvssVector31 = vectorSchema(['3.1'], 'CVSS v3.1 vector string, e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H');
/** A valid CVSS v4.0 vector string. */
export const CvssVector40 = vectorSchema(
  ['4.0'],
  'CVSS v4.0 vector string, e.g. CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
);
/** A valid CVSS v3.1 or v4.0 vector string. */
export const CvssVector = vectorSchema(['3.1', '4.0'], 'CVSS v3.1 or v4.0 vector string');
