-- Trust communities (settings, stewards, versioned NDA and its acceptances, the membership
-- event log) and tents (staged disclosure inside a case, with briefing packets).

ALTER TABLE communities ADD COLUMN tiers text[] NOT NULL DEFAULT ARRAY['core', 'partner', 'observer'];
-- The admission rule and the government-CERT policy, as the domain schemas (src/domain/community.ts) define them.
ALTER TABLE communities ADD COLUMN admission jsonb NOT NULL
  DEFAULT '{"kind": "sponsors", "sponsors": 2, "stewardApproval": true}';
ALTER TABLE communities ADD COLUMN government_certs jsonb NOT NULL
  DEFAULT '{"certs": [], "notify": {"when": "at-release"}}';
ALTER TABLE communities ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- Stewards are people, not organizations: they run admissions, NDA versions and ejections.
ALTER TABLE community_members DROP COLUMN is_steward;
-- What the member does, for tents that name functions (fix-provider, enabler, affinity-group,
-- protection-vendor, government-cert) rather than organizations.
ALTER TABLE community_members ADD COLUMN functions text[] NOT NULL DEFAULT '{}';
ALTER TABLE community_members ADD COLUMN since timestamptz;

ALTER TABLE organizations ADD COLUMN country text CHECK (country ~ '^[A-Z]{2}$');

CREATE TABLE community_stewards (
  community_id uuid NOT NULL REFERENCES communities (id),
  user_id uuid NOT NULL REFERENCES users (id),
  added_at timestamptz NOT NULL,
  added_by uuid REFERENCES users (id),
  PRIMARY KEY (community_id, user_id)
);

-- Every step of every membership, in order: the membership state is the fold of these.
CREATE TABLE membership_events (
  id bigserial PRIMARY KEY,
  community_id uuid NOT NULL REFERENCES communities (id),
  org_id uuid NOT NULL REFERENCES organizations (id),
  type text NOT NULL CHECK (type IN ('apply', 'sponsor', 'approve', 'vote', 'admit', 'suspend', 'reinstate', 'eject', 'readmit')),
  by_user_id uuid NOT NULL REFERENCES users (id),
  by_org_id uuid NOT NULL REFERENCES organizations (id),
  at timestamptz NOT NULL,
  reason text,
  vote text CHECK (vote IN ('yes', 'no')),
  -- The state the membership reached through this step (and any admission it completed).
  to_state text NOT NULL CHECK (to_state IN ('applied', 'sponsored', 'admitted', 'suspended', 'ejected')),
  -- An admission the rule completed (recorded beside the event that completed it).
  derived boolean NOT NULL DEFAULT false
);
CREATE INDEX membership_events_member_idx ON membership_events (community_id, org_id, id);

CREATE TABLE nda_versions (
  community_id uuid NOT NULL REFERENCES communities (id),
  version integer NOT NULL CHECK (version >= 1),
  text text NOT NULL,
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  published_at timestamptz NOT NULL,
  published_by uuid REFERENCES users (id),
  PRIMARY KEY (community_id, version)
);

CREATE TABLE nda_acceptances (
  community_id uuid NOT NULL,
  version integer NOT NULL,
  user_id uuid NOT NULL REFERENCES users (id),
  hash text NOT NULL,
  accepted_at timestamptz NOT NULL,
  PRIMARY KEY (community_id, version, user_id),
  FOREIGN KEY (community_id, version) REFERENCES nda_versions (community_id, version)
);
CREATE INDEX nda_acceptances_user_idx ON nda_acceptances (user_id);

-- A case's tents: spec as the domain schema (src/domain/tents.ts) defines it; opened_at is set
-- once and never cleared; scheduled_at is the next planned opening of a closed tent (for the
-- scheduler), null when it has no time yet.
CREATE TABLE case_tents (
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  tent_id text NOT NULL CHECK (tent_id ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
  position integer NOT NULL,
  spec jsonb NOT NULL,
  opened_at timestamptz,
  opened_early jsonb,
  scheduled_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (case_id, tent_id)
);
CREATE INDEX case_tents_due_idx ON case_tents (scheduled_at) WHERE opened_at IS NULL;

-- What each organization was sent when its tent opened: kept as sent, for the record.
CREATE TABLE briefing_packets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  tent_id text NOT NULL,
  org_id uuid NOT NULL REFERENCES organizations (id),
  content jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  UNIQUE (case_id, tent_id, org_id)
);

-- Which tent brought a participant into the case (null: invited by the coordinator).
ALTER TABLE case_participants ADD COLUMN via_tent text;
