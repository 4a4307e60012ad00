// Kysely table types for releases; they mirror migrations/0010_release.sql.
import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json = ColumnType<unknown, string, string>;

export type ReleaseStep = 'freeze' | 'build' | 'validate' | 'sign' | 'publish' | 'notify';

export interface ReleaseRunsTable {
  case_id: string;
  advisory_id: string;
  trigger: Json;
  requested_by: string | null;
  status: 'running' | 'failed' | 'done';
  error: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  released_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface ReleaseStepsTable {
  case_id: string;
  revision: number;
  step: ReleaseStep;
  status: 'done' | 'failed';
  error: string | null;
  at: Timestamp;
}

export interface AdvisoryRevisionsTable {
  case_id: string;
  revision: number;
  advisory_id: string;
  summary: string;
  date: Timestamp;
  snapshot: ColumnType<unknown, string | null, string | null>;
  status: 'building' | 'published';
  created_at: Timestamp;
  published_at: Timestamp | null;
}

export interface AdvisoryDocumentsTable {
  case_id: string;
  revision: number;
  kind: 'csaf' | 'cve' | 'osv';
  doc_id: string;
  content: string;
  sha256: string;
  sha512: string;
  signature: string | null;
  created_at: Timestamp;
}

export interface AdvisoriesTable {
  case_id: string;
  advisory_id: string;
  title: string;
  revision: number;
  csaf_path: string;
  initial_release_at: Timestamp;
  current_release_at: Timestamp;
}

export interface ReleaseDB {
  release_runs: ReleaseRunsTable;
  release_steps: ReleaseStepsTable;
  advisory_revisions: AdvisoryRevisionsTable;
  advisory_documents: AdvisoryDocumentsTable;
  advisories: AdvisoriesTable;
}
