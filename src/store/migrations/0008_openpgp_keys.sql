-- OpenPGP public keys of users and organizations (checked on upload: one public key, not expired,
-- not revoked, with a usable encryption subkey), and how each outbound mail was protected.
CREATE TABLE pgp_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Exactly one owner: a user (their own key) or an organization (e.g. its PSIRT key).
  user_id uuid REFERENCES users (id) ON DELETE CASCADE,
  org_id uuid REFERENCES organizations (id) ON DELETE CASCADE,
  fingerprint text NOT NULL CHECK (fingerprint ~ '^[0-9A-F]{40,64}$'),
  armored text NOT NULL CHECK (length(armored) <= 100000),
  user_ids text[] NOT NULL DEFAULT '{}',
  algorithm text NOT NULL,
  key_created_at timestamptz NOT NULL,
  expires_at timestamptz,
  added_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL,
  CHECK ((user_id IS NULL) <> (org_id IS NULL))
);
CREATE UNIQUE INDEX pgp_keys_user_fpr_idx ON pgp_keys (user_id, fingerprint) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX pgp_keys_org_fpr_idx ON pgp_keys (org_id, fingerprint) WHERE org_id IS NOT NULL;

-- The label of the most restricted content in a message (fail safe: AMBER when the caller gave
-- none), the report whose reporter is the recipient (their key is on the report), and how the
-- message went out: encrypted to a key (fingerprint in protected_to), signed only (clear text,
-- CLEAR or GREEN content), or withheld (AMBER and above to a recipient without a usable key: a
-- signed notice to sign in was sent instead).
ALTER TABLE mail_outbox
  ADD COLUMN tlp text NOT NULL DEFAULT 'AMBER' CHECK (tlp IN ('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED')),
  ADD COLUMN report_id uuid,
  ADD COLUMN protection text CHECK (protection IN ('encrypted', 'signed', 'withheld')),
  ADD COLUMN protected_to text;
