// OSV records (the Open Source Vulnerability format, ossf/osv-schema 1.7), read into Signals for
// the cord matcher (domain/cords.ts). A record requires `id` and `modified` (RFC 3339); we read
// `aliases` (CVE ids among them), `summary`, `details`, `withdrawn`, and `affected[]`: each with
// `package` {ecosystem, name, purl?}, `ranges[]` {type, repo?, events[{introduced|fixed|
// last_affected|limit}]} and `versions[]`. Other properties are allowed by the schema and kept
// out of the way here.
//
// A document may hold one record, an array of records, or an object with `vulns` (the shape of
// the OSV API's query answer). A withdrawn record is not a signal.
import { z } from 'zod';
import type { Signal } from '../domain/cords.ts';
import { type CveId, normaliseCveId } from './cve-id.ts';
import { normalizePurl } from './purl-normal.ts';

const Rfc3339 = z.iso.datetime({ offset: true });

const EventSchema = z.union([
  z.object({ introduced: z.string() }),
  z.object({ fixed: z.string() }),
  z.object({ last_affected: z.string() }),
  z.object({ limit: z.string() }),
]);

export const OsvRangeSchema = z.object({
  type: z.enum(['SEMVER', 'ECOSYSTEM', 'GIT']),
  repo: z.string().optional(),
  events: z.array(EventSchema).min(1),
});

export const OsvAffectedSchema = z.object({
  package: z.object({ ecosystem: z.string().min(1), name: z.string().min(1), purl: z.string().optional() }).optional(),
  ranges: z.array(OsvRangeSchema).optional(),
  versions: z.array(z.string()).optional(),
});

export const OsvRecordSchema = z.object({
  schema_version: z.string().optional(),
  id: z.string().min(1).max(200),
  modified: Rfc3339,
  published: Rfc3339.optional(),
  withdrawn: Rfc3339.optional(),
  aliases: z.array(z.string()).optional(),
  related: z.array(z.string()).optional(),
  summary: z.string().optional(),
  details: z.string().optional(),
  affected: z.array(OsvAffectedSchema).optional(),
});
export type OsvRecord = z.output<typeof OsvRecordSchema>;

export class OsvError extends Error {}

/** OSV ecosystem → purl type (the mapping in OSV's documentation; others yield no purl). */
const PURL_TYPE: Readonly<Record<string, string>> = {
  npm: 'npm',
  PyPI: 'pypi',
  Maven: 'maven',
  Go: 'golang',
  'crates.io': 'cargo',
  NuGet: 'nuget',
  RubyGems: 'gem',
  Packagist: 'composer',
  Pub: 'pub',
  Hex: 'hex',
  Hackage: 'hackage',
  SwiftURL: 'swift',
  'GitHub Actions': 'github',
};

/** The package URL of an affected package: its own purl, or one made from ecosystem and name. */
export function osvPackagePurl(pkg: { ecosystem: string; name: string; purl?: string | undefined }): string | null {
  const attempt = (s: string) => {
    try {
      return normalizePurl(s).pkg;
    } catch {
      return null;
    }
  };
  if (pkg.purl) {
    const own = attempt(pkg.purl);
    if (own) return own;
  }
  const type = PURL_TYPE[pkg.ecosystem.split(':')[0] ?? ''];
  if (!type) return null;
  const enc = (s: string) => encodeURIComponent(s).replace(/%40/g, '@');
  let path: string;
  if (type === 'maven') {
    const [group, artifact] = pkg.name.split(':');
    if (!group || !artifact) return null;
    path = `${enc(group)}/${enc(artifact)}`;
  } else if (type === 'npm' && pkg.name.startsWith('@')) {
    const [scope, name] = pkg.name.split('/');
    if (!scope || !name) return null;
    path = `${enc(scope)}/${enc(name)}`;
  } else {
    path = pkg.name.split('/').map(enc).join('/');
  }
  return attempt(`pkg:${type}/${path}`);
}

/** Validates one record; throws OsvError naming the first problems. */
export function parseOsvRecord(json: unknown): OsvRecord {
  const r = OsvRecordSchema.safeParse(json);
  if (r.success) return r.data;
  const where = r.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  throw new OsvError(`not an OSV record: ${where}`);
}

/** Records in an OSV document: one record, an array of them, or { vulns: [...] }. */
export function parseOsvText(text: string): OsvRecord[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new OsvError(`the OSV document is not JSON: ${(e as Error).message}`);
  }
  const list = Array.isArray(json)
    ? json
    : json && typeof json === 'object' && Array.isArray((json as { vulns?: unknown }).vulns)
      ? (json as { vulns: unknown[] }).vulns
      : [json];
  return list.map(parseOsvRecord);
}

/**
 * The Signal for a record: a mention (a published advisory is not a claim of exploitation) that
 * names the record's CVE ids and its affected packages. Its id is stable across modifications, so
 * a record that changes is not a new signal.
 */
export function osvSignal(rec: OsvRecord): Signal {
  const cves = new Set<CveId>();
  for (const a of [rec.id, ...(rec.aliases ?? [])]) {
    const c = normaliseCveId(a);
    if (c) cves.add(c);
  }
  const purls = new Set<string>();
  for (const a of rec.affected ?? []) {
    const p = a.package ? osvPackagePurl(a.package) : null;
    if (p) purls.add(p);
  }
  const text = [rec.id, ...(rec.aliases ?? []), rec.summary ?? '', rec.details ?? ''].filter((s) => s.length > 0).join('\n');
  return {
    id: `osv:${rec.id}`,
    kind: 'mention',
    source: { kind: 'osv', recordId: rec.id },
    at: new Date(rec.published ?? rec.modified),
    cveIds: [...cves],
    purls: [...purls],
    text: text.slice(0, 100_000),
  };
}

/** One Signal per record that is not withdrawn. */
export function osvSignals(records: readonly OsvRecord[]): Signal[] {
  return records.filter((r) => !r.withdrawn).map(osvSignal);
}
