// Kysely table types for the instance's keys (src/store/migrations/0006_instance_keys.sql).
import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface InstanceSigningKeysTable {
  fingerprint: string;
  public_key: string;
  source: 'generated' | 'operator';
  secret_wrapped: Buffer | null;
  kek_id: string | null;
  created_at: Timestamp;
  retired_at: Timestamp | null;
}

export interface KeysDB {
  instance_signing_keys: InstanceSigningKeysTable;
}
