// Kysely table types for reports and cases; they mirror migrations/0003_reports_cases.sql.
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json = ColumnType<unknown, string, string>;
/** numeric comes back as a string on both engines. */
type Numeric = ColumnType<string, number | string, number | string>;

export type RmState = 'S' | 'R' | 'I' | 'V' | 'D' | 'A' | 'C';
export type EmState = 'N' | 'P' | 'A' | 'R' | 'X';
export type Tlp = 'CLEAR' | 'GREEN' | 'AMBER' | 'AMBER+STRICT' | 'RED';
export type ParticipantRole = 'reporter' | 'coordinator' | 'vendor' | 'other';
export type StatementStatus = 'under_investigation' | 'affected' | 'not_affected' | 'fixed';

export interface ReportsTable {
  id: Generated<string>;
  ref: string;
  /** Sealed under the report's data key (reports.title / reports.description). */
  title_sealed: Buffer;
  description_sealed: Buffer;
  vendor_name: string | null;
  product_name: string | null;
  purl: string | null;
  cve_ids: ColumnType<string[], string[] | undefined, string[]>;
  reporter_name: string | null;
  reporter_email: string;
  reporter_pgp_key: string | null;
  reporter_user_id: string | null;
  planned_disclosure_at: Timestamp | null;
  credit_consent: boolean;
  credit_name: string | null;
  reply_token_hash: string;
  rm_state: ColumnType<RmState, RmState | undefined, RmState>;
  case_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ReportMessagesTable {
  id: Generated<string>;
  report_id: string;
  from_reporter: boolean;
  author_user_id: string | null;
  body_sealed: Buffer;
  created_at: Timestamp;
}

export interface ReportAttachmentsTable {
  id: Generated<string>;
  report_id: string;
  filename: string;
  media_type: string;
  size_bytes: number;
  sha256: string;
  content_sealed: Buffer;
  created_at: Timestamp;
}

export interface ReportEventsTable {
  id: ColumnType<string, never, never>;
  report_id: string;
  at: Timestamp;
  actor_user_id: string | null;
  kind: string;
  from_state: string | null;
  to_state: string | null;
  note: string | null;
}

export interface CasesTable {
  id: Generated<string>;
  ref: string;
  /** Sealed under the case's data key. */
  title_sealed: Buffer;
  summary_sealed: Buffer;
  coordinator_org_id: string;
  community_id: string | null;
  em_state: ColumnType<EmState, EmState | undefined, EmState>;
  release_at: Timestamp | null;
  embargo_ended_reason: string | null;
  public_aware_at: Timestamp | null;
  exploit_public_at: Timestamp | null;
  attacks_observed_at: Timestamp | null;
  ack_hours: Generated<number>;
  closed_at: Timestamp | null;
  /** Set when the case was purged (its data key destroyed). */
  purged_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  purge_reason: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CaseParticipantsTable {
  id: Generated<string>;
  case_id: string;
  org_id: string;
  role: ParticipantRole;
  rm_state: ColumnType<RmState, RmState | undefined, RmState>;
  tlp_ceiling: ColumnType<Tlp, Tlp | undefined, Tlp>;
  vendor_aware_at: Timestamp | null;
  fix_ready_at: Timestamp | null;
  fix_deployed_at: Timestamp | null;
  invited_at: Timestamp;
  acknowledged_at: Timestamp | null;
  reminded_at: Timestamp | null;
  escalated_at: Timestamp | null;
  removed_at: Timestamp | null;
  /** The tent that brought the organization in (null: invited by the coordinator). */
  via_tent: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface CaseEventsTable {
  id: ColumnType<string, never, never>;
  case_id: string;
  at: Timestamp;
  actor_user_id: string | null;
  actor_org_id: string | null;
  kind: string;
  summary: string;
  data: Json;
  audience: ColumnType<'all' | 'coordinator' | 'org', 'all' | 'coordinator' | 'org' | undefined, never>;
  audience_org_id: string | null;
  tlp: ColumnType<Tlp, Tlp | undefined, never>;
}

export interface EmbargoEventsTable {
  id: Generated<string>;
  case_id: string;
  seq: number;
  at: Timestamp;
  kind: 'propose' | 'invite' | 'accept' | 'reject' | 'terminate';
  org_id: string;
  user_id: string | null;
  proposal_id: string | null;
  release_at: Timestamp | null;
  invitees: string[] | null;
  reason: string | null;
  detail: string | null;
}

export interface VulnerabilitiesTable {
  id: Generated<string>;
  case_id: string;
  cve_id: string | null;
  title_sealed: Buffer;
  description_sealed: Buffer;
  cwe_ids: ColumnType<string[], string[] | undefined, string[]>;
  cvss31_vector: string | null;
  cvss31_score: Numeric | null;
  cvss40_vector: string | null;
  cvss40_score: Numeric | null;
  ssvc: Json | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AffectedProductsTable {
  id: Generated<string>;
  vulnerability_id: string;
  vendor_org_id: string | null;
  product_name: string;
  purl: string | null;
  version_range: string | null;
  created_at: Timestamp;
}

export interface CaseMessagesTable {
  id: Generated<string>;
  case_id: string;
  thread_id: string;
  subject_sealed: Buffer;
  body_sealed: Buffer;
  tlp: Tlp;
  audience: 'all' | 'org';
  audience_org_id: string | null;
  author_user_id: string;
  author_org_id: string;
  created_at: Timestamp;
}

export interface CaseArtifactsTable {
  id: Generated<string>;
  case_id: string;
  name: string;
  media_type: string;
  size_bytes: number;
  sha256: string;
  tlp: Tlp;
  audience: ColumnType<'all' | 'org', 'all' | 'org' | undefined, never>;
  audience_org_id: string | null;
  content_sealed: Buffer;
  uploaded_by: string;
  uploaded_by_org: string;
  created_at: Timestamp;
}

export interface StatementsTable {
  id: Generated<string>;
  case_id: string;
  vulnerability_id: string;
  org_id: string;
  status: StatementStatus;
  justification_sealed: Buffer | null;
  fixed_versions: ColumnType<string[], string[] | undefined, string[]>;
  remediation_sealed: Buffer | null;
  public_statement_sealed: Buffer | null;
  advisory_url: string | null;
  updated_by: string;
  updated_at: Timestamp;
}

export interface CasesDB {
  reports: ReportsTable;
  report_messages: ReportMessagesTable;
  report_attachments: ReportAttachmentsTable;
  report_events: ReportEventsTable;
  cases: CasesTable;
  case_participants: CaseParticipantsTable;
  case_events: CaseEventsTable;
  embargo_events: EmbargoEventsTable;
  vulnerabilities: VulnerabilitiesTable;
  affected_products: AffectedProductsTable;
  case_messages: CaseMessagesTable;
  case_artifacts: CaseArtifactsTable;
  statements: StatementsTable;
}
