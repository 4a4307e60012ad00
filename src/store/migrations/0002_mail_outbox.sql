-- The mail outbox: a message is written here in the transaction of the change that caused it,
-- together with its 'mail.send' job, and sent by that job. `key` is the caller's idempotency key
-- (one message per key, ever); message_id is the stable Message-ID header derived from it, so a
-- receiver can drop the copy a rare retry delivers twice.
-- state: queued -> sending -> sent | failed | skipped (mail disabled); a failed transient attempt
-- goes back to queued. attempts counts SMTP attempts started; uncertain_attempts counts those
-- whose outcome is unknown (a crash while 'sending', or a connection lost mid-delivery), so a
-- 'sent' row with uncertain_attempts > 0 may have been delivered more than once.
-- body_text is cleared once the message is final: it may carry private links.
CREATE TABLE mail_outbox (
  key text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 200),
  kind text,
  message_id text NOT NULL UNIQUE,
  to_address text NOT NULL CHECK (length(to_address) BETWEEN 3 AND 320),
  reply_to text,
  subject text NOT NULL,
  body_text text,
  state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'skipped')),
  attempts integer NOT NULL DEFAULT 0,
  uncertain_attempts integer NOT NULL DEFAULT 0,
  last_error text,
  smtp_response text,
  server_message_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_attempt_at timestamptz,
  finished_at timestamptz,
  CHECK (body_text IS NOT NULL OR state IN ('sent', 'failed', 'skipped'))
);
CREATE INDEX mail_outbox_pending_idx ON mail_outbox (created_at) WHERE state IN ('queued', 'sending');
