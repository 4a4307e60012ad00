// Kysely table types; they mirror src/store/migrations/*.sql.
import type { ColumnType, Generated } from 'kysely';
import type { AtRestDB } from './schema-at-rest.ts';
import type { CasesDB } from './schema-cases.ts';
import type { CommunitiesDB } from './schema-communities.ts';
import type { CordsDB } from './schema-cords.ts';
import type { KeysDB } from './schema-keys.ts';
import type { MailOutboxPgpColumns, PgpDB } from './schema-pgp.ts';
import type { ReleaseDB } from './schema-release.ts';
import type { SbomsDB } from './schema-sboms.ts';
import type { TracingDB } from './schema-tracing.ts';
import type { WebhooksDB } from './schema-webhooks.ts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** int8 comes back from node-postgres as a string on both engines. */
type Int8 = ColumnType<string, number | bigint | string, number | bigint | string>;

export type OrgKind = 'coordinator' | 'vendor' | 'researcher' | 'cert' | 'other';
export type OrgRole = 'admin' | 'member';

export interface OrganizationsTable {
  id: Generated<string>;
  slug: string;
  name: string;
  kind: OrgKind;
  security_txt_url: string | null;
  /** ISO 3166-1 alpha-2, for government-CERT policies that name countries. */
  country: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface UsersTable {
  id: Generated<string>;
  org_id: string;
  email: string;
  display_name: string;
  org_role: OrgRole;
  is_operator: Generated<boolean>;
  password_hash: string | null;
  totp_secret: string | null;
  totp_enabled_at: Timestamp | null;
  totp_last_step: Int8 | null;
  failed_logins: Generated<number>;
  locked_until: Timestamp | null;
  disabled_at: Timestamp | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface RecoveryCodesTable {
  id: Generated<string>;
  user_id: string;
  code_hash: string;
  used_at: Timestamp | null;
  created_at: DefaultTimestamp;
}

export interface WebauthnCredentialsTable {
  id: Generated<string>;
  user_id: string;
  credential_id: string;
  public_key: Buffer;
  counter: Int8;
  transports: ColumnType<string[], string[] | undefined, string[]>;
  device_type: string | null;
  backed_up: Generated<boolean>;
  name: Generated<string>;
  created_at: DefaultTimestamp;
  last_used_at: Timestamp | null;
}

export interface WebauthnChallengesTable {
  id: Generated<string>;
  user_id: string | null;
  purpose: 'register' | 'login';
  challenge: string;
  expires_at: Timestamp;
  created_at: DefaultTimestamp;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  csrf_token: string;
  mfa: Generated<boolean>;
  ip: string | null;
  user_agent: string | null;
  created_at: DefaultTimestamp;
  last_seen_at: DefaultTimestamp;
  expires_at: Timestamp;
}

export interface ApiTokensTable {
  id: Generated<string>;
  user_id: string;
  name: string;
  token_hash: string;
  prefix: string;
  scopes: string[];
  created_at: DefaultTimestamp;
  expires_at: Timestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface RateLimitsTable {
  bucket: string;
  key: string;
  window_start: Timestamp;
  count: number;
}

/** Generated from `entry` by the database: readable, never written. */
type Derived<T> = ColumnType<T, never, never>;

export interface AuditLogTable {
  seq: Int8;
  /** The canonical JSON line, exactly as hashed. */
  entry: string;
  prev_hash: string;
  hash: string;
  at: Derived<string>;
  actor_user_id: Derived<string | null>;
  actor_org_id: Derived<string | null>;
  subject_org_id: Derived<string | null>;
  action: Derived<string>;
  object_type: Derived<string>;
  object_id: Derived<string | null>;
  request_id: Derived<string | null>;
  details: Derived<unknown>;
}

export interface AuditHeadTable {
  id: number;
  seq: Int8;
  hash: string;
}

export interface JobEffectsTable {
  key: string;
  job_name: string;
  done_at: DefaultTimestamp;
}

export interface CommunitiesTable {
  id: Generated<string>;
  slug: string;
  name: string;
  charter: Generated<string>;
  default_embargo_days: Generated<number>;
  max_embargo_days: Generated<number>;
  tiers: ColumnType<string[], string[] | undefined, string[]>;
  /** AdmissionRule (src/domain/community.ts), as JSON. */
  admission: ColumnType<unknown, string | undefined, string>;
  /** GovCertPolicy (src/domain/community.ts), as JSON. */
  government_certs: ColumnType<unknown, string | undefined, string>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface CommunityMembersTable {
  community_id: string;
  org_id: string;
  state: 'applied' | 'sponsored' | 'admitted' | 'suspended' | 'ejected';
  tier: string | null;
  functions: ColumnType<string[], string[] | undefined, string[]>;
  /** When the organization was (last) admitted. */
  since: Timestamp | null;
  updated_at: DefaultTimestamp;
}

export interface InstanceMetaTable {
  key: string;
  value: string;
}

export type MailState = 'queued' | 'sending' | 'sent' | 'failed' | 'skipped';

/** The mail outbox (0002_mail_outbox.sql); written by queueMail(), worked by the 'mail.send' job. */
export interface MailOutboxTable extends MailOutboxPgpColumns {
  key: string;
  kind: string | null;
  message_id: string;
  to_address: string;
  reply_to: string | null;
  subject: string;
  /** The text body, sealed under the instance mail key; cleared once the message is final. */
  body_sealed: Buffer | null;
  state: ColumnType<MailState, MailState | undefined, MailState>;
  attempts: Generated<number>;
  uncertain_attempts: Generated<number>;
  last_error: string | null;
  smtp_response: string | null;
  server_message_id: string | null;
  created_at: DefaultTimestamp;
  last_attempt_at: Timestamp | null;
  finished_at: Timestamp | null;
}

export interface DB extends CasesDB, CommunitiesDB, SbomsDB, KeysDB, WebhooksDB, ReleaseDB, TracingDB, CordsDB, PgpDB, AtRestDB {
  organizations: OrganizationsTable;
  users: UsersTable;
  recovery_codes: RecoveryCodesTable;
  webauthn_credentials: WebauthnCredentialsTable;
  webauthn_challenges: WebauthnChallengesTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  rate_limits: RateLimitsTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  job_effects: JobEffectsTable;
  communities: CommunitiesTable;
  community_members: CommunityMembersTable;
  instance_meta: InstanceMetaTable;
  mail_outbox: MailOutboxTable;
}
