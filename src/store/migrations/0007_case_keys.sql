-- Encryption at rest (docs/encryption-at-rest.md). Every case and every report has its own
-- random 256-bit data key; the instance has one for its mail outbox. Data keys are stored here
-- wrapped by a key-encryption key (KEK) of the instance keyring, never in clear. `owner` is also
-- the associated data of the wrapping ('case:<id>', 'report:<id>', 'instance:mail'), so a
-- wrapped key moved to another owner fails to unwrap. Destroying a key (purging a case) clears
-- `wrapped` and keeps the row as a record of when and why.
CREATE TABLE data_keys (
  owner text PRIMARY KEY CHECK (owner ~ '^((case|report):[0-9a-f-]{36}|instance:[a-z]+)$'),
  kek_id text,
  wrapped bytea,
  created_at timestamptz NOT NULL,
  rewrapped_at timestamptz,
  destroyed_at timestamptz,
  CHECK ((destroyed_at IS NULL) = (wrapped IS NOT NULL AND kek_id IS NOT NULL))
);
CREATE INDEX data_keys_kek_idx ON data_keys (kek_id) WHERE kek_id IS NOT NULL;

-- Sealed columns (AES-256-GCM under the owner's data key, see src/crypto/seal.ts). The plaintext
-- columns stay until the start-up upgrade (src/services/at-rest-upgrade.ts) has sealed the rows
-- already present; it then drops them.
ALTER TABLE reports ADD COLUMN title_sealed bytea, ADD COLUMN description_sealed bytea;
ALTER TABLE reports ALTER COLUMN title DROP NOT NULL, ALTER COLUMN description DROP NOT NULL;
-- The full-text index was a plaintext copy of the report; search now runs over decrypted text.
ALTER TABLE reports DROP COLUMN search;

ALTER TABLE report_messages ADD COLUMN body_sealed bytea;
ALTER TABLE report_messages ALTER COLUMN body DROP NOT NULL;

ALTER TABLE report_attachments ADD COLUMN content_sealed bytea;
ALTER TABLE report_attachments ALTER COLUMN content DROP NOT NULL;

ALTER TABLE cases ADD COLUMN title_sealed bytea, ADD COLUMN summary_sealed bytea;
ALTER TABLE cases ALTER COLUMN title DROP NOT NULL, ALTER COLUMN summary DROP NOT NULL, ALTER COLUMN summary DROP DEFAULT;
-- Crypto-shredding: a purged case's data key is destroyed; what is left is ids, states, times.
ALTER TABLE cases ADD COLUMN purged_at timestamptz, ADD COLUMN purge_reason text;

ALTER TABLE vulnerabilities ADD COLUMN title_sealed bytea, ADD COLUMN description_sealed bytea;
ALTER TABLE vulnerabilities ALTER COLUMN title DROP NOT NULL, ALTER COLUMN description DROP NOT NULL, ALTER COLUMN description DROP DEFAULT;

ALTER TABLE case_messages ADD COLUMN subject_sealed bytea, ADD COLUMN body_sealed bytea;
ALTER TABLE case_messages ALTER COLUMN subject DROP NOT NULL, ALTER COLUMN body DROP NOT NULL;

ALTER TABLE case_artifacts ADD COLUMN content_sealed bytea;
ALTER TABLE case_artifacts ALTER COLUMN content DROP NOT NULL;

ALTER TABLE statements ADD COLUMN justification_sealed bytea, ADD COLUMN remediation_sealed bytea,
  ADD COLUMN public_statement_sealed bytea;
ALTER TABLE statements DROP CONSTRAINT IF EXISTS statements_check;
ALTER TABLE statements ADD CONSTRAINT statements_justified
  CHECK (status <> 'not_affected' OR justification_sealed IS NOT NULL OR justification IS NOT NULL);

ALTER TABLE briefing_packets ADD COLUMN content_sealed bytea;
ALTER TABLE briefing_packets ALTER COLUMN content DROP NOT NULL;

ALTER TABLE mail_outbox ADD COLUMN body_sealed bytea;
ALTER TABLE mail_outbox DROP CONSTRAINT IF EXISTS mail_outbox_check;
ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_body
  CHECK (body_text IS NOT NULL OR body_sealed IS NOT NULL OR state IN ('sent', 'failed', 'skipped'));
