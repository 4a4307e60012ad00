// Kysely table types for leak tracing and audit checkpoints (src/store/migrations/0011_leak_tracing.sql).
import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface CaseWatermarkKeysTable {
  case_id: string;
  secret_wrapped: Buffer;
  kek_id: string;
  created_at: Timestamp;
}

export interface WatermarkRecipientsTable {
  case_id: string;
  org_id: string;
  kind: string;
  first_at: Timestamp;
}

export interface AuditCheckpointsTable {
  seq: number;
  entries: ColumnType<string, number | bigint | string, number | bigint | string>;
  head_hash: string;
  merkle_root: string;
  statement: string;
  signature: string;
  signer_fingerprint: string;
  created_at: Timestamp;
}

export interface TracingDB {
  audit_checkpoints: AuditCheckpointsTable;
  case_watermark_keys: CaseWatermarkKeysTable;
  watermark_recipients: WatermarkRecipientsTable;
}
