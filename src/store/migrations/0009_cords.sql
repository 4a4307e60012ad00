-- Parachute cords: conditions agreed by a case's participants that make Village act at once
-- (end the embargo and release, open the next tent, alert everyone), the signals that may pull
-- them (a participant's report, an entry from a polled feed), and the record of each firing.

-- A case's cords; a case without a row has the default template (src/services/cords.ts).
CREATE TABLE case_cords (
  case_id uuid PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
  cords jsonb NOT NULL,
  -- Extra words that name the case in feeds (besides its CVE ids and affected packages).
  keywords text[] NOT NULL DEFAULT '{}',
  set_hash text NOT NULL CHECK (set_hash ~ '^[0-9a-f]{64}$'),
  updated_by uuid,
  updated_at timestamptz NOT NULL
);

-- An organization's acknowledgement of one exact cord set (by its hash).
CREATE TABLE case_cord_acks (
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  org_id uuid NOT NULL REFERENCES organizations (id),
  set_hash text NOT NULL CHECK (set_hash ~ '^[0-9a-f]{64}$'),
  user_id uuid,
  at timestamptz NOT NULL,
  PRIMARY KEY (case_id, org_id, set_hash)
);

-- Feeds the operator has Village poll: CISA KEV JSON, OSV records, RSS/Atom with keywords.
CREATE TABLE feeds (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('kev', 'osv', 'rss')),
  name text NOT NULL,
  -- Where it is read from: an https URL, or a local file (tests, air-gapped deployments).
  url text,
  path text,
  interval_seconds integer NOT NULL CHECK (interval_seconds BETWEEN 60 AND 604800),
  keywords text[] NOT NULL DEFAULT '{}',
  enabled boolean NOT NULL DEFAULT true,
  -- Configured from the environment (VILLAGE_FEEDS) rather than the API.
  from_env boolean NOT NULL DEFAULT false,
  last_polled_at timestamptz,
  last_error text,
  last_items integer,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CHECK (url IS NOT NULL OR path IS NOT NULL)
);

-- Every signal Village received: a person's (case_id set) or a feed item (feed_id set). A feed
-- item is stored once per feed, so polling again never makes a second signal of it.
CREATE TABLE cord_signals (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  feed_id uuid REFERENCES feeds (id) ON DELETE SET NULL,
  item_key text NOT NULL,
  case_id uuid REFERENCES cases (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('exploit-public', 'attacks-observed', 'leak-detected', 'mention')),
  signal jsonb NOT NULL,
  org_id uuid,
  user_id uuid,
  received_at timestamptz NOT NULL,
  processed_at timestamptz
);
CREATE UNIQUE INDEX cord_signals_feed_item_idx ON cord_signals (feed_id, item_key) WHERE feed_id IS NOT NULL;
CREATE INDEX cord_signals_case_idx ON cord_signals (case_id, received_at) WHERE case_id IS NOT NULL;

-- Each cord of a case fires at most once: what fired it, when, and what Village did.
CREATE TABLE case_cord_firings (
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  cord_id text NOT NULL,
  at timestamptz NOT NULL,
  signal_id uuid REFERENCES cord_signals (id) ON DELETE SET NULL,
  did text NOT NULL CHECK (did IN ('release-now', 'open-next-tent', 'alert')),
  note text,
  reasons jsonb NOT NULL DEFAULT '[]',
  PRIMARY KEY (case_id, cord_id)
);
