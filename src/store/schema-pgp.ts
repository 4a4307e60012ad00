// Kysely table types for OpenPGP public keys and mail protection (src/store/migrations/0008_openpgp_keys.sql).
import type { ColumnType, Generated } from 'kysely';
import type { Tlp } from './schema-cases.ts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface PgpKeysTable {
  id: Generated<string>;
  user_id: string | null;
  org_id: string | null;
  /** Upper-case hex. */
  fingerprint: string;
  armored: string;
  user_ids: string[];
  algorithm: string;
  key_created_at: Timestamp;
  expires_at: Timestamp | null;
  added_by: string | null;
  created_at: Timestamp;
}

export type MailProtection = 'encrypted' | 'signed' | 'withheld';

/** The columns 0008 adds to mail_outbox (MailOutboxTable in schema.ts extends this). */
export interface MailOutboxPgpColumns {
  tlp: ColumnType<Tlp, Tlp | undefined, Tlp>;
  report_id: string | null;
  protection: MailProtection | null;
  /** The fingerprint an encrypted message was encrypted to. */
  protected_to: string | null;
}

export interface PgpDB {
  pgp_keys: PgpKeysTable;
}
