// Version ranges: OSV events (ossf/osv-schema docs/schema.md, "Evaluation") and purl `vers`
// strings (package-url/vers-spec, "How to check if a version is within a range"), both evaluated
// with the version order of the package's ecosystem (./versions.ts).
import { z } from 'zod';
import { type Compare, compareFor } from './versions.ts';

export const OsvEventSchema = z.union([
  z.strictObject({ introduced: z.string().min(1).max(200) }),
  z.strictObject({ fixed: z.string().min(1).max(200) }),
  z.strictObject({ last_affected: z.string().min(1).max(200) }),
  z.strictObject({ limit: z.string().min(1).max(200) }),
]);
export type OsvEvent = z.infer<typeof OsvEventSchema>;

export class VersionRangeError extends Error {}

/** A stored version range written as a JSON array of OSV events (at least one). */
export function osvEventsFromJson(text: string): OsvEvent[] {
  try {
    return OsvEventSchema.array().min(1).parse(JSON.parse(text));
  } catch {
    throw new VersionRangeError(`"${text.slice(0, 200)}" is not a JSON array of OSV events`);
  }
}

type Kind = 'introduced' | 'fixed' | 'last_affected' | 'limit';
const kindOf = (e: OsvEvent): [Kind, string] => {
  const [k, v] = Object.entries(e)[0] as [Kind, string];
  return [k, v];
};

/** OSV: walk the events in version order; introduced opens, fixed / past last_affected closes. */
export function inOsvRange(version: string, events: readonly OsvEvent[], cmp: Compare): boolean {
  const parsed = events.map(kindOf);
  if (!parsed.some(([k]) => k === 'introduced')) throw new VersionRangeError('OSV events need at least one "introduced"');
  if (parsed.some(([k]) => k === 'fixed') && parsed.some(([k]) => k === 'last_affected'))
    throw new VersionRangeError('OSV events may not mix "fixed" and "last_affected"');
  const limits = parsed.filter(([k]) => k === 'limit').map(([, v]) => v);
  if (limits.length && !limits.some((l) => l === '*' || cmp(version, l) < 0)) return false;
  const sorted = parsed
    .filter(([k]) => k !== 'limit')
    .sort(([ka, a], [kb, b]) => {
      if (a === '0' && ka === 'introduced') return -1;
      if (b === '0' && kb === 'introduced') return 1;
      return cmp(a, b);
    });
  let affected = false;
  for (const [k, v] of sorted) {
    if (k === 'introduced' && (v === '0' || cmp(version, v) >= 0)) affected = true;
    else if (k === 'fixed' && cmp(version, v) >= 0) affected = false;
    else if (k === 'last_affected' && cmp(version, v) > 0) affected = false;
  }
  return affected;
}

export type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=';
export interface Vers {
  type: string;
  /** null: "*", every version. */
  constraints: Array<{ op: Comparator; version: string }> | null;
}

/** Parses `vers:<type>/<constraint>|<constraint>…` (spaces are ignored, versions percent-decoded). */
export function parseVers(input: string): Vers {
  const s = input.replace(/\s+/g, '');
  const m = /^vers:([a-z0-9.-]+)\/(.+)$/i.exec(s);
  if (!m) throw new VersionRangeError(`not a vers range: "${input}" (expected vers:<type>/<constraints>)`);
  const type = (m[1] as string).toLowerCase();
  const body = m[2] as string;
  if (body === '*') return { type, constraints: null };
  const constraints = body.split('|').map((c) => {
    const cm = /^(!=|<=|>=|<|>|=)?(.+)$/.exec(c);
    if (!cm?.[2] || cm[2] === '*' || /^[<>=!]/.test(cm[2]))
      throw new VersionRangeError(`bad vers constraint "${c}" in "${input}"`);
    let version: string;
    try {
      version = decodeURIComponent(cm[2]);
    } catch {
      throw new VersionRangeError(`bad percent-encoding in vers constraint "${c}"`);
    }
    return { op: (cm[1] ?? '=') as Comparator, version };
  });
  return { type, constraints };
}

const holds = (op: Comparator, c: number) =>
  op === '=' ? c === 0 : op === '!=' ? c !== 0 : op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;

/** vers-spec's containment check over the constraints sorted by version. */
export function inVers(version: string, vers: Vers, cmp: Compare = compareFor(vers.type)): boolean {
  if (vers.constraints === null) return true;
  for (const c of vers.constraints) {
    if (c.op === '=' && cmp(version, c.version) === 0) return true;
    if (c.op === '!=' && cmp(version, c.version) === 0) return false;
  }
  const rest = vers.constraints.filter((c) => c.op !== '=' && c.op !== '!=').sort((a, b) => cmp(a.version, b.version));
  if (rest.length === 0) return vers.constraints.every((c) => c.op === '!=');
  const sat = (c: { op: Comparator; version: string }) => holds(c.op, cmp(version, c.version));
  if (rest.length === 1) return sat(rest[0] as (typeof rest)[0]);
  for (let i = 0; i < rest.length - 1; i++) {
    const cur = rest[i] as (typeof rest)[0];
    const next = rest[i + 1] as (typeof rest)[0];
    const curLess = cur.op === '<' || cur.op === '<=';
    const nextGreater = next.op === '>' || next.op === '>=';
    if (i === 0 && curLess && sat(cur)) return true;
    if (i === rest.length - 2 && nextGreater && sat(next)) return true;
    if (!curLess && !nextGreater && sat(cur) && sat(next)) return true;
  }
  return false;
}

/** A vulnerable range in either notation, with the version order already chosen. */
export type VersionRange =
  | { kind: 'all' }
  | { kind: 'exact'; version: string }
  | { kind: 'vers'; vers: Vers }
  | { kind: 'osv'; events: OsvEvent[] };

/** A matcher for one package type's versions; throws VersionRangeError for a range that cannot be read. */
export function rangeMatcher(purlType: string, range: VersionRange): (version: string) => boolean {
  const cmp = compareFor(purlType);
  switch (range.kind) {
    case 'all':
      return () => true;
    case 'exact':
      return (v) => cmp(v, range.version) === 0;
    case 'vers':
      return (v) => inVers(v, range.vers, cmp);
    case 'osv':
      inOsvRange('0', range.events, cmp); // validates the events once
      return (v) => inOsvRange(v, range.events, cmp);
  }
}
