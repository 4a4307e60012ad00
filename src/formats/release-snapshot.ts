// What a release publishes, frozen: a case's public facts (vulnerabilities, affected products,
// vendors' statements, credits) and the publication's identity (advisory id, URLs, revisions).
// Every published document (CSAF, CVE JSON 5, OSV) and the landing page are pure functions of it.
import type { StatementStatus } from '../store/schema-cases.ts';

export interface SnapshotProduct {
  /** Stable within the case (the affected_products row id). */
  key: string;
  vendorOrgId: string | null;
  productName: string;
  purl: string | null;
  versionRange: string | null;
}

export interface SnapshotVulnerability {
  /** The vulnerabilities row id. */
  key: string;
  cveId: string | null;
  title: string;
  description: string;
  cweIds: string[];
  cvss31: { vector: string; baseScore: number } | null;
  cvss40: { vector: string; baseScore: number } | null;
  /** The SSVC decision as stored (src/formats/ssvc.ts SsvcDecision). */
  ssvc: unknown;
  products: SnapshotProduct[];
}

export interface SnapshotStatement {
  vulnerabilityKey: string;
  orgId: string;
  status: StatementStatus;
  justification: string | null;
  fixedVersions: string[];
  remediation: string | null;
  publicStatement: string | null;
  advisoryUrl: string | null;
}

export interface SnapshotRevision {
  /** "1", "2", … (CSAF integer versioning). */
  number: string;
  date: string;
  summary: string;
}

export interface ReleaseSnapshot {
  /** The public advisory id (from the case ref): in every public URL and in CSAF tracking.id. */
  advisoryId: string;
  title: string;
  summary: string;
  publisher: { name: string; namespace: string; contact?: string | undefined };
  /** The instance's public URL (no trailing slash). */
  baseUrl: string;
  /** ISO timestamps. */
  initialReleaseDate: string;
  currentReleaseDate: string;
  /** Oldest first; the last entry is the current revision. */
  revisions: SnapshotRevision[];
  vendors: Array<{ orgId: string; name: string }>;
  vulnerabilities: SnapshotVulnerability[];
  statements: SnapshotStatement[];
  /** Reporters who consented to be credited, by the name they gave. */
  credits: string[];
  generator: { name: string; version: string };
}

/** The current revision number. */
export function currentVersion(s: ReleaseSnapshot): string {
  return s.revisions.at(-1)?.number ?? '1';
}

/** The public advisory id of a case: its ref (e.g. VC-2026-0001), which never changes. */
export function advisoryIdOf(caseRef: string): string {
  return caseRef.toUpperCase();
}

/** CSAF §5.1 file name: lower-cased tracking id, runs of other characters replaced by "_". */
export function csafFileName(trackingId: string): string {
  return `${trackingId.toLowerCase().replace(/[^+\-a-z0-9]+/g, '_')}.json`;
}

export function landingUrl(s: Pick<ReleaseSnapshot, 'baseUrl' | 'advisoryId'>): string {
  return `${s.baseUrl}/advisories/${encodeURIComponent(s.advisoryId)}`;
}

/** /.well-known/csaf/clear/YYYY/<file>.json, the year of the initial release. */
export function csafPath(s: Pick<ReleaseSnapshot, 'advisoryId' | 'initialReleaseDate'>): string {
  return `clear/${s.initialReleaseDate.slice(0, 4)}/${csafFileName(s.advisoryId)}`;
}

export function csafUrl(s: Pick<ReleaseSnapshot, 'baseUrl' | 'advisoryId' | 'initialReleaseDate'>): string {
  return `${s.baseUrl}/.well-known/csaf/${csafPath(s)}`;
}

/** OSV ids: "x_" is the schema's prefix for databases not in its list. */
export function osvId(advisoryId: string, index: number): string {
  return `x_${advisoryId}-${index + 1}`;
}
