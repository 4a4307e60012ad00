// OSV records (ossf/osv-schema) for package vulnerabilities: one per vulnerability that has an
// affected product with a package URL of an ecosystem OSV knows. Ranges come from the stored
// version range (vers string, OSV events, or nothing: every version) and the fixed versions the
// vendor stated; products a vendor stated not affected or still under investigation are left out.
import { PackageURL } from 'packageurl-js';
import { landingUrl, osvId, type ReleaseSnapshot, type SnapshotVulnerability } from './release-snapshot.ts';
import { readRange } from './version-ranges.ts';
import { compareFor } from './versions.ts';

// biome-ignore lint/suspicious/noExplicitAny: an OSV record is plain JSON, validated by its schema.
export type OsvRecord = Record<string, any>;

export const OSV_SCHEMA_VERSION = '1.7.3';

/** purl type (and, for OS packages, namespace) → OSV ecosystem. */
export function osvEcosystem(type: string, namespace: string | null): string | null {
  switch (type) {
    case 'npm':
      return 'npm';
    case 'pypi':
      return 'PyPI';
    case 'maven':
      return 'Maven';
    case 'golang':
      return 'Go';
    case 'cargo':
      return 'crates.io';
    case 'nuget':
      return 'NuGet';
    case 'gem':
      return 'RubyGems';
    case 'composer':
      return 'Packagist';
    case 'pub':
      return 'Pub';
    case 'hex':
      return 'Hex';
    case 'hackage':
      return 'Hackage';
    case 'cran':
      return 'CRAN';
    case 'swift':
      return 'SwiftURL';
    case 'deb':
      return namespace === 'ubuntu' ? 'Ubuntu' : namespace === 'debian' ? 'Debian' : null;
    case 'apk':
      return namespace === 'alpine' ? 'Alpine' : null;
    default:
      return null;
  }
}

function packageName(p: PackageURL): string {
  const ns = p.namespace ?? '';
  if (!ns) return p.name;
  if (p.type === 'maven') return `${ns}:${p.name}`;
  if (p.type === 'deb' || p.type === 'apk') return p.name;
  return `${ns}/${p.name}`;
}

const SEMVER_TYPES = new Set(['npm', 'cargo', 'golang', 'hex', 'pub']);

function affectedOf(s: ReleaseSnapshot, v: SnapshotVulnerability) {
  const out: unknown[] = [];
  const seen = new Set<string>();
  for (const product of v.products) {
    if (!product.purl) continue;
    const st = product.vendorOrgId
      ? s.statements.find((x) => x.vulnerabilityKey === v.key && x.orgId === product.vendorOrgId)
      : undefined;
    if (st && (st.status === 'not_affected' || st.status === 'under_investigation')) continue;
    let purl: PackageURL;
    try {
      purl = PackageURL.fromString(product.purl);
    } catch {
      continue;
    }
    const ecosystem = osvEcosystem(purl.type, purl.namespace ?? null);
    if (!ecosystem) continue;
    const bare = new PackageURL(purl.type, purl.namespace, purl.name, undefined, undefined, undefined).toString();
    const key = JSON.stringify([bare, product.versionRange]);
    if (seen.has(key)) continue;
    seen.add(key);
    const cmp = compareFor(purl.type);
    const fixes = [...(st?.fixedVersions ?? [])].sort(cmp);
    const range = readRange(purl.type, product.versionRange);
    const type = SEMVER_TYPES.has(purl.type) ? 'SEMVER' : 'ECOSYSTEM';
    const strip = (x: string) => (type === 'SEMVER' ? x.replace(/^v(?=\d)/, '') : x);
    const ranges: unknown[] = [];
    let versions: string[] = [];
    if (range.kind === 'intervals') {
      for (const i of range.intervals) {
        const upper =
          i.upper ??
          (fixes.find((f) => cmp(f, i.introduced) > 0) ? { fixed: fixes.find((f) => cmp(f, i.introduced) > 0) as string } : null);
        const events: unknown[] = [{ introduced: strip(i.introduced) }];
        if (upper && 'fixed' in upper) events.push({ fixed: strip(upper.fixed) });
        else if (upper) events.push({ last_affected: strip(upper.lastAffected) });
        ranges.push({ type, events });
      }
      versions = range.exact;
    } else {
      // No range, or one in free text: every version before the first fix.
      const events: unknown[] = [{ introduced: '0' }];
      if (fixes[0]) events.push({ fixed: strip(fixes[0]) });
      ranges.push({ type, events, ...(range.kind === 'text' ? { database_specific: { version_range: range.text } } : {}) });
    }
    out.push({
      package: { ecosystem, name: packageName(purl), purl: bare },
      ...(ranges.length ? { ranges } : {}),
      ...(versions.length ? { versions } : {}),
    });
  }
  return out;
}

/** The OSV records of a release: [{ id, record }] for each vulnerability with package products. */
export function buildOsvRecords(s: ReleaseSnapshot): Array<{ id: string; record: OsvRecord }> {
  const out: Array<{ id: string; record: OsvRecord }> = [];
  s.vulnerabilities.forEach((v, index) => {
    const affected = affectedOf(s, v);
    if (affected.length === 0) return;
    const id = osvId(s.advisoryId, index);
    const severity = [
      ...(v.cvss31 ? [{ type: 'CVSS_V3', score: v.cvss31.vector }] : []),
      ...(v.cvss40 ? [{ type: 'CVSS_V4', score: v.cvss40.vector }] : []),
    ];
    const vendorAdvisories = [
      ...new Set(
        s.statements.filter((st) => st.vulnerabilityKey === v.key && st.advisoryUrl).map((st) => st.advisoryUrl as string),
      ),
    ];
    out.push({
      id,
      record: {
        schema_version: OSV_SCHEMA_VERSION,
        id,
        modified: s.currentReleaseDate,
        published: s.initialReleaseDate,
        ...(v.cveId ? { aliases: [v.cveId] } : {}),
        summary: v.title.slice(0, 120),
        details: v.description.trim() || v.title,
        ...(severity.length ? { severity } : {}),
        affected,
        references: [{ type: 'ADVISORY', url: landingUrl(s) }, ...vendorAdvisories.map((url) => ({ type: 'ADVISORY', url }))],
        ...(s.credits.length ? { credits: s.credits.map((name) => ({ name, type: 'FINDER' })) } : {}),
        database_specific: { advisory: s.advisoryId, ...(v.cweIds.length ? { cwe_ids: v.cweIds } : {}) },
      },
    });
  });
  return out;
}
