-- Signed webhooks: subscriptions (instance-wide when org_id is null, else one organization's),
-- one delivery per (event, subscription), and every attempt at it (status code, duration, error;
-- never the response body). The secret is kept wrapped by the key-encryption key: Village needs it
-- back to sign each delivery.
CREATE TABLE webhook_subscriptions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid REFERENCES organizations (id),
  url text NOT NULL,
  events text[] NOT NULL CHECK (cardinality(events) > 0),
  description text NOT NULL DEFAULT '',
  secret_wrapped bytea NOT NULL,
  kek_id text NOT NULL,
  -- The first characters of the secret, to tell secrets apart without revealing them.
  secret_hint text NOT NULL,
  created_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL,
  secret_rotated_at timestamptz,
  -- After a rotation the previous secret also signs, until it expires (receivers switch over).
  previous_secret_wrapped bytea,
  previous_kek_id text,
  previous_secret_expires_at timestamptz,
  deleted_at timestamptz
);
CREATE INDEX webhook_subscriptions_org_idx ON webhook_subscriptions (org_id) WHERE deleted_at IS NULL;

CREATE TABLE webhook_deliveries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id),
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  -- The exact JSON body sent (retries and redeliveries send the same bytes).
  body text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  -- Attempts made so far; a redelivery keeps counting.
  attempts integer NOT NULL DEFAULT 0,
  -- Bumped by each redelivery, so jobs of an earlier round stand down.
  round integer NOT NULL DEFAULT 1,
  last_status_code integer,
  last_error text,
  last_duration_ms integer,
  created_at timestamptz NOT NULL,
  last_attempt_at timestamptz,
  next_attempt_at timestamptz,
  delivered_at timestamptz,
  UNIQUE (event_id, subscription_id)
);
CREATE INDEX webhook_deliveries_subscription_idx ON webhook_deliveries (subscription_id, created_at DESC);

CREATE TABLE webhook_attempts (
  delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id),
  attempt integer NOT NULL,
  at timestamptz NOT NULL,
  status_code integer,
  error text,
  duration_ms integer NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
  PRIMARY KEY (delivery_id, attempt)
);
