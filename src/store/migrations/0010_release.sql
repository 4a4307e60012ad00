-- Release: one durable run per case (freeze → build → validate → sign → publish → notify), each
-- step recorded per revision so a rerun resumes where the last one stopped; the published
-- advisory, its revisions and their documents (content, hashes, detached OpenPGP signature).
CREATE TABLE release_runs (
  case_id uuid PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
  advisory_id text NOT NULL UNIQUE,
  trigger jsonb NOT NULL,
  requested_by uuid REFERENCES users (id),
  status text NOT NULL CHECK (status IN ('running', 'failed', 'done')),
  error text,
  attempts integer NOT NULL DEFAULT 1,
  released_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  finished_at timestamptz
);

CREATE TABLE release_steps (
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  revision integer NOT NULL CHECK (revision >= 1),
  step text NOT NULL CHECK (step IN ('freeze', 'build', 'validate', 'sign', 'publish', 'notify')),
  status text NOT NULL CHECK (status IN ('done', 'failed')),
  error text,
  at timestamptz NOT NULL,
  PRIMARY KEY (case_id, revision, step)
);

-- One row per revision of a case's advisory; 'building' until its publish step commits.
CREATE TABLE advisory_revisions (
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  revision integer NOT NULL CHECK (revision >= 1),
  advisory_id text NOT NULL,
  summary text NOT NULL,
  date timestamptz NOT NULL,
  snapshot jsonb,
  status text NOT NULL CHECK (status IN ('building', 'published')),
  created_at timestamptz NOT NULL,
  published_at timestamptz,
  PRIMARY KEY (case_id, revision)
);

CREATE TABLE advisory_documents (
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  revision integer NOT NULL,
  kind text NOT NULL CHECK (kind IN ('csaf', 'cve', 'osv')),
  doc_id text NOT NULL,
  content text NOT NULL,
  sha256 text NOT NULL,
  sha512 text NOT NULL,
  signature text,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (case_id, revision, kind, doc_id),
  FOREIGN KEY (case_id, revision) REFERENCES advisory_revisions (case_id, revision) ON DELETE CASCADE
);

-- The published advisory: what the landing page and the public URLs serve (its current revision).
CREATE TABLE advisories (
  case_id uuid PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
  advisory_id text NOT NULL UNIQUE,
  title text NOT NULL,
  revision integer NOT NULL,
  csaf_path text NOT NULL,
  initial_release_at timestamptz NOT NULL,
  current_release_at timestamptz NOT NULL
);
CREATE INDEX advisories_current_idx ON advisories (current_release_at DESC);
