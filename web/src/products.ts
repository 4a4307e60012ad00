// Pure helpers of the products, who-is-affected and organization pages (unit-tested in
// test/web-products.test.ts).

/** The media type to send an SBOM file with: the server reads the document itself, this only says JSON or XML. */
export function sbomContentType(file: { name: string; type: string }): string {
  return /\.xml$/i.test(file.name) || /xml/.test(file.type) ? 'application/xml' : 'application/json';
}

/** The API's rule for a product version in an SBOM upload path. */
export const VERSION_PATTERN = '[A-Za-z0-9][A-Za-z0-9._+~:\\-]*';

export interface AffectedRow {
  vulnerabilityId: string | null;
  orgId: string;
  orgName: string;
  productId: string;
  productName: string;
  productVersion: string;
  sbomId: string;
  component: string;
  relation: 'direct' | 'transitive';
  depth: number;
  /** false: the SBOM names the package without a version, so it may be affected. */
  versionKnown: boolean;
  path?: string[];
}

export interface Suggestion {
  orgId: string;
  orgName: string;
  /** "Product version", each once, in the order met. */
  products: string[];
}

/** Organizations with a hit that are not (or no longer) in the case, by name. */
export function suggestParticipants(rows: AffectedRow[], present: Set<string>): Suggestion[] {
  const by = new Map<string, Suggestion>();
  for (const r of rows) {
    if (present.has(r.orgId)) continue;
    const s = by.get(r.orgId) ?? { orgId: r.orgId, orgName: r.orgName, products: [] };
    const p = `${r.productName} ${r.productVersion}`;
    if (!s.products.includes(p)) s.products.push(p);
    by.set(r.orgId, s);
  }
  return [...by.values()].sort((a, b) => a.orgName.localeCompare(b.orgName));
}

/** A short, readable form of an audit entry's details (the page gives the whole JSON on hover). */
export function detailsText(d: unknown, max = 120): string {
  if (d === null || d === undefined) return '';
  if (typeof d !== 'object') return String(d);
  const parts = Object.entries(d as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  const s = parts.join(' · ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
