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
