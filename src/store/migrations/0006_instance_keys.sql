-- The instance's OpenPGP signing key: it signs outbound mail, published documents and audit
-- checkpoints. Generated at first start (secret part wrapped by the key-encryption key) or
-- supplied by the operator (VILLAGE_SIGNING_KEY_FILE: only the public part is stored here).
-- Retired keys stay, so signatures they made can still be checked against the published keys.
CREATE TABLE instance_signing_keys (
  fingerprint text PRIMARY KEY CHECK (fingerprint ~ '^[0-9A-F]{40,64}$'),
  public_key text NOT NULL,
  source text NOT NULL CHECK (source IN ('generated', 'operator')),
  secret_wrapped bytea,
  kek_id text,
  created_at timestamptz NOT NULL,
  retired_at timestamptz,
  CHECK ((source = 'generated') = (secret_wrapped IS NOT NULL AND kek_id IS NOT NULL))
);
-- At most one current key.
CREATE UNIQUE INDEX instance_signing_keys_current_idx ON instance_signing_keys ((true)) WHERE retired_at IS NULL;
