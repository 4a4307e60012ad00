// Kysely table types for encryption at rest (src/store/migrations/0007_case_keys.sql).
import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface DataKeysTable {
  /** 'case:<id>', 'report:<id>' or 'instance:mail'; also the wrapping's associated data. */
  owner: string;
  kek_id: string | null;
  wrapped: Buffer | null;
  created_at: Timestamp;
  rewrapped_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  destroyed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface AtRestDB {
  data_keys: DataKeysTable;
}
