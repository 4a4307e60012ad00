-- Foundation: organizations, users and their factors, sessions, API tokens,
-- shared rate limits, the audit hash chain, job effects and instance metadata.

CREATE TABLE organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kind text NOT NULL CHECK (kind IN ('coordinator', 'vendor', 'researcher', 'cert', 'other')),
  security_txt_url text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id),
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
  display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  org_role text NOT NULL CHECK (org_role IN ('admin', 'member')),
  is_operator boolean NOT NULL DEFAULT false,
  password_hash text,
  totp_secret text,
  totp_enabled_at timestamptz,
  totp_last_step bigint,
  failed_logins integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  disabled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_org_idx ON users (org_id);

CREATE TABLE recovery_codes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash text NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id);

CREATE TABLE webauthn_credentials (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  credential_id text NOT NULL UNIQUE,
  public_key bytea NOT NULL,
  counter bigint NOT NULL DEFAULT 0,
  transports text[] NOT NULL DEFAULT '{}',
  device_type text,
  backed_up boolean NOT NULL DEFAULT false,
  name text NOT NULL DEFAULT 'passkey',
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);
CREATE INDEX webauthn_credentials_user_idx ON webauthn_credentials (user_id);

-- Challenges live in the database so that any server process can finish a ceremony.
CREATE TABLE webauthn_challenges (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid REFERENCES users (id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose IN ('register', 'login')),
  challenge text NOT NULL UNIQUE,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The cookie carries a random secret; only its SHA-256 is stored.
CREATE TABLE sessions (
  id text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf_token text NOT NULL,
  mfa boolean NOT NULL DEFAULT false,
  ip text,
  user_agent text,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  prefix text NOT NULL,
  scopes text[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Fixed-window counters shared by every server process (login throttling and the like).
CREATE TABLE rate_limits (
  bucket text NOT NULL,
  key text NOT NULL,
  window_start timestamptz NOT NULL,
  count integer NOT NULL,
  PRIMARY KEY (bucket, key, window_start)
);

-- The audit log is a SHA-256 hash chain: hash = SHA-256(prev_hash || "\n" || entry), where
-- entry is the canonical JSON line of the record, stored exactly as hashed. The columns that
-- queries use are generated from it, so they can never disagree with what was hashed.
CREATE TABLE audit_log (
  seq bigint PRIMARY KEY,
  entry text NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  at text GENERATED ALWAYS AS (entry::jsonb ->> 1) STORED,
  actor_user_id uuid GENERATED ALWAYS AS ((entry::jsonb ->> 2)::uuid) STORED,
  actor_org_id uuid GENERATED ALWAYS AS ((entry::jsonb ->> 3)::uuid) STORED,
  subject_org_id uuid GENERATED ALWAYS AS ((entry::jsonb ->> 4)::uuid) STORED,
  action text GENERATED ALWAYS AS (entry::jsonb ->> 5) STORED,
  object_type text GENERATED ALWAYS AS (entry::jsonb ->> 6) STORED,
  object_id text GENERATED ALWAYS AS (entry::jsonb ->> 7) STORED,
  request_id text GENERATED ALWAYS AS (entry::jsonb ->> 8) STORED,
  details jsonb GENERATED ALWAYS AS ((entry::jsonb ->> 9)::jsonb) STORED
);
CREATE INDEX audit_log_actor_org_idx ON audit_log (actor_org_id, seq);
CREATE INDEX audit_log_subject_org_idx ON audit_log (subject_org_id, seq);

-- The chain's head: appending locks this row, which orders appends across processes.
CREATE TABLE audit_head (
  id integer PRIMARY KEY CHECK (id = 1),
  seq bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, repeat('0', 64));

-- A job's effect is recorded under its idempotency key in the same transaction as the effect.
CREATE TABLE job_effects (
  key text PRIMARY KEY,
  job_name text NOT NULL,
  done_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE communities (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name text NOT NULL,
  charter text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE community_members (
  community_id uuid NOT NULL REFERENCES communities (id),
  org_id uuid NOT NULL REFERENCES organizations (id),
  state text NOT NULL CHECK (state IN ('applied', 'sponsored', 'admitted', 'suspended', 'ejected')),
  tier text,
  is_steward boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (community_id, org_id)
);

CREATE TABLE instance_meta (
  key text PRIMARY KEY,
  value text NOT NULL
);
