-- Reports (intake and triage) and cases on the Vultron model: participants with report-
-- management states and case-state flags, embargo negotiation, vulnerabilities, messages,
-- artifacts, statements and one timeline per case.

ALTER TABLE communities ADD COLUMN default_embargo_days integer NOT NULL DEFAULT 45 CHECK (default_embargo_days BETWEEN 1 AND 3650);
ALTER TABLE communities ADD COLUMN max_embargo_days integer NOT NULL DEFAULT 90 CHECK (max_embargo_days BETWEEN 1 AND 3650);

CREATE SEQUENCE report_ref_seq;
CREATE SEQUENCE case_ref_seq;

CREATE TABLE reports (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  ref text NOT NULL UNIQUE,
  title text NOT NULL,
  description text NOT NULL,
  vendor_name text,
  product_name text,
  purl text,
  cve_ids text[] NOT NULL DEFAULT '{}',
  reporter_name text,
  reporter_email text NOT NULL,
  reporter_pgp_key text,
  reporter_user_id uuid REFERENCES users (id),
  planned_disclosure_at timestamptz,
  credit_consent boolean NOT NULL DEFAULT false,
  credit_name text,
  reply_token_hash text NOT NULL UNIQUE,
  -- The coordinator's report-management state for this report (Vultron RM).
  rm_state text NOT NULL DEFAULT 'R' CHECK (rm_state IN ('R', 'I', 'V', 'D', 'A', 'C')),
  case_id uuid,
  search tsvector GENERATED ALWAYS AS (
    to_tsvector('english', coalesce(title, '') || ' ' || coalesce(description, '') || ' ' ||
                           coalesce(vendor_name, '') || ' ' || coalesce(product_name, ''))
  ) STORED,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX reports_state_idx ON reports (rm_state, created_at);
CREATE INDEX reports_search_idx ON reports USING gin (search);
CREATE INDEX reports_cve_idx ON reports USING gin (cve_ids);
CREATE INDEX reports_case_idx ON reports (case_id);

CREATE TABLE report_messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  report_id uuid NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
  from_reporter boolean NOT NULL,
  author_user_id uuid REFERENCES users (id),
  body text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX report_messages_report_idx ON report_messages (report_id, created_at);

CREATE TABLE report_attachments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  report_id uuid NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
  filename text NOT NULL,
  media_type text NOT NULL,
  size_bytes integer NOT NULL,
  sha256 text NOT NULL,
  content bytea NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX report_attachments_report_idx ON report_attachments (report_id);

CREATE TABLE report_events (
  id bigserial PRIMARY KEY,
  report_id uuid NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  actor_user_id uuid,
  kind text NOT NULL,
  from_state text,
  to_state text,
  note text
);
CREATE INDEX report_events_report_idx ON report_events (report_id, id);

CREATE TABLE cases (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  ref text NOT NULL UNIQUE,
  title text NOT NULL,
  summary text NOT NULL DEFAULT '',
  coordinator_org_id uuid NOT NULL REFERENCES organizations (id),
  community_id uuid REFERENCES communities (id),
  -- Vultron embargo management state: None, Proposed, Active, Revise, eXited.
  em_state text NOT NULL DEFAULT 'N' CHECK (em_state IN ('N', 'P', 'A', 'R', 'X')),
  release_at timestamptz,
  embargo_ended_reason text,
  -- Case-wide Vultron case-state flags (P, X, A): when each became true.
  public_aware_at timestamptz,
  exploit_public_at timestamptz,
  attacks_observed_at timestamptz,
  ack_hours integer NOT NULL DEFAULT 72 CHECK (ack_hours BETWEEN 1 AND 8760),
  closed_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
ALTER TABLE reports ADD CONSTRAINT reports_case_fk FOREIGN KEY (case_id) REFERENCES cases (id);

CREATE TABLE case_participants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  org_id uuid NOT NULL REFERENCES organizations (id),
  role text NOT NULL CHECK (role IN ('reporter', 'coordinator', 'vendor', 'other')),
  rm_state text NOT NULL DEFAULT 'S' CHECK (rm_state IN ('S', 'R', 'I', 'V', 'D', 'A', 'C')),
  tlp_ceiling text NOT NULL DEFAULT 'RED' CHECK (tlp_ceiling IN ('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED')),
  -- Per-participant Vultron case-state flags (V, F, D): when each became true.
  vendor_aware_at timestamptz,
  fix_ready_at timestamptz,
  fix_deployed_at timestamptz,
  invited_at timestamptz NOT NULL,
  acknowledged_at timestamptz,
  reminded_at timestamptz,
  escalated_at timestamptz,
  removed_at timestamptz,
  UNIQUE (case_id, org_id)
);
CREATE INDEX case_participants_org_idx ON case_participants (org_id) WHERE removed_at IS NULL;

CREATE TABLE case_events (
  id bigserial PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  actor_user_id uuid,
  actor_org_id uuid,
  kind text NOT NULL,
  summary text NOT NULL,
  data jsonb NOT NULL DEFAULT '{}',
  -- Who may see the entry: every participant, only the coordinator, or one organization (and the coordinator).
  audience text NOT NULL DEFAULT 'all' CHECK (audience IN ('all', 'coordinator', 'org')),
  audience_org_id uuid,
  -- An entry about a labelled item (a message, an artifact) carries the item's label.
  tlp text NOT NULL DEFAULT 'CLEAR' CHECK (tlp IN ('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'))
);
CREATE INDEX case_events_case_idx ON case_events (case_id, id);

CREATE TABLE embargo_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  at timestamptz NOT NULL,
  kind text NOT NULL CHECK (kind IN ('propose', 'invite', 'accept', 'reject', 'terminate')),
  org_id uuid NOT NULL,
  user_id uuid,
  -- The proposal an event answers (for a proposal, its own id).
  proposal_id uuid,
  release_at timestamptz,
  invitees uuid[],
  reason text,
  detail text,
  UNIQUE (case_id, seq)
);

CREATE TABLE vulnerabilities (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  cve_id text,
  title text NOT NULL,
  description text NOT NULL DEFAULT '',
  cwe_ids text[] NOT NULL DEFAULT '{}',
  cvss31_vector text,
  cvss31_score numeric(3, 1),
  cvss40_vector text,
  cvss40_score numeric(3, 1),
  ssvc jsonb,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  UNIQUE (case_id, cve_id)
);
CREATE INDEX vulnerabilities_cve_idx ON vulnerabilities (cve_id);

CREATE TABLE affected_products (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  vulnerability_id uuid NOT NULL REFERENCES vulnerabilities (id) ON DELETE CASCADE,
  vendor_org_id uuid REFERENCES organizations (id),
  product_name text NOT NULL,
  purl text,
  version_range text,
  created_at timestamptz NOT NULL
);
CREATE INDEX affected_products_vuln_idx ON affected_products (vulnerability_id);

CREATE TABLE case_messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  thread_id uuid NOT NULL,
  subject text NOT NULL,
  body text NOT NULL,
  tlp text NOT NULL CHECK (tlp IN ('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED')),
  -- 'all': every participant; 'org': one participant organization and the coordinator.
  audience text NOT NULL CHECK (audience IN ('all', 'org')),
  audience_org_id uuid REFERENCES organizations (id),
  author_user_id uuid NOT NULL REFERENCES users (id),
  author_org_id uuid NOT NULL REFERENCES organizations (id),
  created_at timestamptz NOT NULL,
  CHECK ((audience = 'org') = (audience_org_id IS NOT NULL))
);
CREATE INDEX case_messages_case_idx ON case_messages (case_id, created_at);

CREATE TABLE case_artifacts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  name text NOT NULL,
  media_type text NOT NULL,
  size_bytes integer NOT NULL,
  sha256 text NOT NULL,
  tlp text NOT NULL CHECK (tlp IN ('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED')),
  audience text NOT NULL DEFAULT 'all' CHECK (audience IN ('all', 'org')),
  audience_org_id uuid REFERENCES organizations (id),
  content bytea NOT NULL,
  uploaded_by uuid NOT NULL REFERENCES users (id),
  uploaded_by_org uuid NOT NULL REFERENCES organizations (id),
  created_at timestamptz NOT NULL
);
CREATE INDEX case_artifacts_case_idx ON case_artifacts (case_id);

CREATE TABLE statements (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  vulnerability_id uuid NOT NULL REFERENCES vulnerabilities (id) ON DELETE CASCADE,
  org_id uuid NOT NULL REFERENCES organizations (id),
  status text NOT NULL CHECK (status IN ('under_investigation', 'affected', 'not_affected', 'fixed')),
  justification text,
  fixed_versions text[] NOT NULL DEFAULT '{}',
  remediation text,
  public_statement text,
  advisory_url text,
  updated_by uuid NOT NULL REFERENCES users (id),
  updated_at timestamptz NOT NULL,
  UNIQUE (vulnerability_id, org_id),
  CHECK (status <> 'not_affected' OR justification IS NOT NULL)
);
CREATE INDEX statements_case_idx ON statements (case_id);
