// CSAF 2.0 (OASIS Standard, 2022-11-18), profile csaf_security_advisory, from a release snapshot.
// The product tree is vendor → product name → version range (product_version_range, a purl vers
// string where the case has one; "vers:all/*" when it names no range) and vendor → product name →
// fixed version (product_version). Each vendor's statement becomes the product status of its
// products: affected/fixed → known_affected (+ fixed for the fixed versions, with a vendor_fix
// remediation), not_affected → known_not_affected with the VEX justification as a flag,
// under_investigation → under_investigation. CSAF 2.0 scores carry CVSS v3 only; a CVSS v4.0
// vector and an SSVC decision are given as vulnerability notes.
import cwec from '@secvisogram/csaf-validator-lib/lib/shared/cwec.js';
import { parseCvss } from './cvss.ts';
import {
  csafUrl,
  currentVersion,
  landingUrl,
  type ReleaseSnapshot,
  type SnapshotProduct,
  type SnapshotStatement,
} from './release-snapshot.ts';

// biome-ignore lint/suspicious/noExplicitAny: a CSAF document is plain JSON, validated by its schema.
export type CsafDocument = Record<string, any>;

const ALL_VERSIONS = 'vers:all/*';

const CWE_NAMES = new Map<string, string>(
  (cwec as { weaknesses: ReadonlyArray<{ id: string; name: string }> }).weaknesses.map((w) => [w.id, w.name]),
);

/** The CWE catalogue name for an id (CSAF 2.0 requires it, and mandatory test 6.1.11 checks it). */
export function cweName(id: string): string | undefined {
  return CWE_NAMES.get(id);
}

interface Leaf {
  id: string;
  vendor: string;
  product: string;
  category: 'product_version' | 'product_version_range';
  version: string;
  purl: string | null;
}

/** A purl with the given version (or none), for product_identification_helper. */
function purlAt(purl: string, version: string | null): string {
  const base = purl.replace(/[?#].*$/, '');
  const at = base.lastIndexOf('@');
  const slash = base.lastIndexOf('/');
  const bare = at > slash ? base.slice(0, at) : base;
  return version ? `${bare}@${encodeURIComponent(version)}` : bare;
}

class ProductIds {
  readonly leaves: Leaf[] = [];
  private readonly byKey = new Map<string, string>();

  constructor(private readonly vendorName: (orgId: string | null) => string) {}

  private add(vendorOrgId: string | null, product: string, category: Leaf['category'], version: string, purl: string | null) {
    const vendor = this.vendorName(vendorOrgId);
    const key = JSON.stringify([vendor, product, category, version, purl]);
    const known = this.byKey.get(key);
    if (known) return known;
    const id = `CSAFPID-${String(this.leaves.length + 1).padStart(4, '0')}`;
    this.byKey.set(key, id);
    this.leaves.push({ id, vendor, product, category, version, purl });
    return id;
  }

  range(p: SnapshotProduct): string {
    return this.add(
      p.vendorOrgId,
      p.productName,
      'product_version_range',
      p.versionRange ?? ALL_VERSIONS,
      p.purl ? purlAt(p.purl, null) : null,
    );
  }

  fixed(p: SnapshotProduct, version: string): string {
    return this.add(p.vendorOrgId, p.productName, 'product_version', version, p.purl ? purlAt(p.purl, version) : null);
  }

  allOf(orgId: string): string {
    return this.add(orgId, 'All products', 'product_version_range', ALL_VERSIONS, null);
  }

  tree() {
    const vendors = new Map<string, Map<string, Leaf[]>>();
    for (const l of this.leaves) {
      const products = vendors.get(l.vendor) ?? new Map<string, Leaf[]>();
      vendors.set(l.vendor, products);
      products.set(l.product, [...(products.get(l.product) ?? []), l]);
    }
    return {
      branches: [...vendors].map(([vendor, products]) => ({
        category: 'vendor',
        name: vendor,
        branches: [...products].map(([product, leaves]) => ({
          category: 'product_name',
          name: product,
          branches: leaves.map((l) => ({
            category: l.category,
            name: l.version,
            product: {
              name: `${vendor} ${product} ${l.version}`,
              product_id: l.id,
              ...(l.purl ? { product_identification_helper: { purl: l.purl } } : {}),
            },
          })),
        })),
      })),
    };
  }
}

const SEVERITY = (score: number) =>
  score === 0 ? 'NONE' : score < 4 ? 'LOW' : score < 7 ? 'MEDIUM' : score < 9 ? 'HIGH' : 'CRITICAL';

function remediationFor(s: SnapshotStatement | undefined, productIds: string[], date: string) {
  if (productIds.length === 0) return [];
  if (!s || s.status === 'under_investigation') {
    return [{ category: 'none_available', details: 'No fix has been announced by the vendor.', product_ids: productIds }];
  }
  const url = s.advisoryUrl ? { url: s.advisoryUrl } : {};
  if (s.fixedVersions.length || s.status === 'fixed') {
    const details =
      s.remediation?.trim() ||
      (s.fixedVersions.length ? `Update to a fixed version: ${s.fixedVersions.join(', ')}.` : "Apply the vendor's fix.");
    return [{ category: 'vendor_fix', date, details, product_ids: productIds, ...url }];
  }
  if (s.remediation?.trim()) return [{ category: 'mitigation', details: s.remediation.trim(), product_ids: productIds, ...url }];
  return [{ category: 'none_available', details: 'No fix is available yet.', product_ids: productIds, ...url }];
}

/** Builds the CSAF 2.0 security advisory of a release. Pure: same snapshot, same document. */
export function buildCsaf(s: ReleaseSnapshot): CsafDocument {
  const vendorNames = new Map(s.vendors.map((v) => [v.orgId, v.name]));
  const ids = new ProductIds((orgId) => (orgId ? (vendorNames.get(orgId) ?? 'Unknown vendor') : 'Other vendors'));
  const released = s.currentReleaseDate;
  const vulnerabilities = s.vulnerabilities.map((v, index) => {
    const statements = s.statements.filter((st) => st.vulnerabilityKey === v.key);
    const orgs = [
      ...new Set([...v.products.map((p) => p.vendorOrgId), ...statements.map((st) => st.orgId)].filter((o) => o !== null)),
    ] as Array<string | null>;
    if (v.products.some((p) => p.vendorOrgId === null)) orgs.push(null);
    const status = {
      known_affected: new Set<string>(),
      fixed: new Set<string>(),
      known_not_affected: new Set<string>(),
      under_investigation: new Set<string>(),
    };
    const remediations: unknown[] = [];
    const flags: unknown[] = [];
    const threats: unknown[] = [];
    for (const org of orgs) {
      const products = v.products.filter((p) => p.vendorOrgId === org);
      const st = org ? statements.find((x) => x.orgId === org) : undefined;
      const rangeIds = products.length ? products.map((p) => ids.range(p)) : org ? [ids.allOf(org)] : [];
      const unique = [...new Set(rangeIds)];
      if (!st || st.status === 'affected' || st.status === 'fixed') {
        for (const id of unique) status.known_affected.add(id);
        for (const version of st?.fixedVersions ?? []) {
          for (const p of products) status.fixed.add(ids.fixed(p, version));
        }
        remediations.push(...remediationFor(st, unique, released));
      } else if (st.status === 'not_affected') {
        for (const id of unique) status.known_not_affected.add(id);
        if (st.justification) flags.push({ label: st.justification, product_ids: unique });
        if (st.publicStatement?.trim())
          threats.push({ category: 'impact', details: st.publicStatement.trim(), product_ids: unique });
      } else {
        for (const id of unique) status.under_investigation.add(id);
      }
    }
    const productStatus = Object.fromEntries(
      Object.entries(status)
        .filter(([, set]) => set.size > 0)
        .map(([k, set]) => [k, [...set]]),
    );
    const scored = [...status.known_affected];
    const notes: unknown[] = [
      { category: 'description', title: 'Vulnerability description', text: v.description.trim() || v.title },
    ];
    if (v.cvss40)
      notes.push({ category: 'other', title: 'CVSS v4.0', text: `${v.cvss40.vector} (base score ${v.cvss40.baseScore})` });
    const ssvc = v.ssvc as { table?: { id?: string }; outcome?: { key?: string; name?: string } } | null;
    if (ssvc && typeof ssvc === 'object') notes.push({ category: 'other', title: 'SSVC decision', text: JSON.stringify(ssvc) });
    const cwe = v.cweIds.map((id) => ({ id, name: cweName(id) })).find((c) => c.name);
    const cvss31 = v.cvss31 ? parseCvss(v.cvss31.vector) : null;
    const references = [...new Set(statements.map((st) => st.advisoryUrl).filter((u): u is string => !!u))].map((url) => ({
      category: 'external',
      summary: 'Vendor advisory',
      url,
    }));
    return {
      ...(v.cveId ? { cve: v.cveId } : { ids: [{ system_name: 'Village advisory', text: `${s.advisoryId}-${index + 1}` }] }),
      title: v.title,
      ...(cwe ? { cwe } : {}),
      notes,
      product_status: productStatus,
      ...(remediations.length ? { remediations } : {}),
      ...(flags.length ? { flags } : {}),
      ...(threats.length ? { threats } : {}),
      ...(cvss31 && scored.length
        ? {
            scores: [
              {
                cvss_v3: {
                  version: '3.1',
                  vectorString: cvss31.vector,
                  baseScore: cvss31.baseScore,
                  baseSeverity: SEVERITY(cvss31.baseScore),
                },
                products: scored,
              },
            ],
          }
        : {}),
      ...(references.length ? { references } : {}),
      release_date: s.initialReleaseDate,
    };
  });
  const self = csafUrl(s);
  return {
    document: {
      category: 'csaf_security_advisory',
      csaf_version: '2.0',
      publisher: {
        category: 'coordinator',
        name: s.publisher.name,
        namespace: s.publisher.namespace,
        ...(s.publisher.contact ? { contact_details: s.publisher.contact } : {}),
      },
      title: s.title,
      lang: 'en',
      distribution: { tlp: { label: 'WHITE', url: 'https://www.first.org/tlp/' } },
      notes: [{ category: 'summary', title: 'Summary', text: s.summary.trim() || s.title }],
      references: [
        { category: 'self', summary: 'Public advisory page', url: landingUrl(s) },
        { category: 'self', summary: 'This CSAF document', url: self },
      ],
      ...(s.credits.length
        ? { acknowledgments: [{ names: s.credits, summary: 'finding and reporting the vulnerability' }] }
        : {}),
      tracking: {
        id: s.advisoryId,
        status: 'final',
        version: currentVersion(s),
        revision_history: s.revisions.map((r) => ({ date: r.date, number: r.number, summary: r.summary })),
        initial_release_date: s.initialReleaseDate,
        current_release_date: s.currentReleaseDate,
        generator: { date: s.currentReleaseDate, engine: { name: s.generator.name, version: s.generator.version } },
      },
    },
    product_tree: ids.tree(),
    vulnerabilities,
  };
}
