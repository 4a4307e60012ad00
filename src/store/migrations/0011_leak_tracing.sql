-- Leak tracing (docs/leak-tracing.md): each case's watermark secret, wrapped by the instance
-- key-encryption key (bound to `watermark:<case id>`), and every organization that was given a
-- watermarked copy of text about the case: the candidates a trace weighs.
CREATE TABLE case_watermark_keys (
  case_id uuid PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
  secret_wrapped bytea NOT NULL,
  kek_id text NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE TABLE watermark_recipients (
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  org_id uuid NOT NULL REFERENCES organizations (id),
  -- What it received first, e.g. 'briefing', 'advisory', 'attachment'.
  kind text NOT NULL,
  first_at timestamptz NOT NULL,
  PRIMARY KEY (case_id, org_id)
);

-- Audit checkpoints (docs/audit-checkpoints.md): at intervals the instance signs the head of the
-- audit hash chain and the Merkle tree head over the entry hashes; participants keep checkpoints
-- and check that entries they have seen are still in the signed tree.
CREATE TABLE audit_checkpoints (
  seq integer PRIMARY KEY CHECK (seq >= 1),
  -- Entries 1..entries are covered; head_hash is entry #entries' chain hash.
  entries bigint NOT NULL CHECK (entries >= 0),
  head_hash text NOT NULL CHECK (head_hash ~ '^[0-9a-f]{64}$'),
  merkle_root text NOT NULL CHECK (merkle_root ~ '^[0-9a-f]{64}$'),
  statement text NOT NULL,
  signature text NOT NULL,
  signer_fingerprint text NOT NULL,
  created_at timestamptz NOT NULL
);
