// Kysely table types for parachute cords (src/store/migrations/0009_cords.sql).
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json = ColumnType<unknown, string, string>;

export type FeedKind = 'kev' | 'osv' | 'rss';

export interface CaseCordsTable {
  case_id: string;
  cords: Json;
  /** The keywords as JSON, sealed under the case key (the plaintext column is dropped at start-up). */
  keywords_sealed: Buffer | null;
  set_hash: string;
  updated_by: string | null;
  updated_at: Timestamp;
}

export interface CaseCordAcksTable {
  case_id: string;
  org_id: string;
  set_hash: string;
  user_id: string | null;
  at: Timestamp;
}

export interface FeedsTable {
  id: Generated<string>;
  kind: FeedKind;
  name: string;
  url: string | null;
  path: string | null;
  interval_seconds: number;
  keywords: ColumnType<string[], string[] | undefined, string[]>;
  enabled: Generated<boolean>;
  from_env: Generated<boolean>;
  last_polled_at: Timestamp | null;
  last_error: string | null;
  last_items: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CordSignalsTable {
  id: Generated<string>;
  feed_id: string | null;
  item_key: string;
  case_id: string | null;
  kind: 'exploit-public' | 'attacks-observed' | 'leak-detected' | 'mention';
  signal: Json;
  org_id: string | null;
  user_id: string | null;
  received_at: Timestamp;
  processed_at: Timestamp | null;
  /** A participant's evidence ({ text, url }), sealed under the case key; null for feed items. */
  evidence_sealed: Buffer | null;
}

export interface CaseCordFiringsTable {
  case_id: string;
  cord_id: string;
  at: Timestamp;
  signal_id: string | null;
  did: 'release-now' | 'open-next-tent' | 'alert';
  note: string | null;
  reasons: Json;
}

export interface CordsDB {
  case_cords: CaseCordsTable;
  case_cord_acks: CaseCordAcksTable;
  feeds: FeedsTable;
  cord_signals: CordSignalsTable;
  case_cord_firings: CaseCordFiringsTable;
}
