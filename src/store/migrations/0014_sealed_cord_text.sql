-- A case's feed keywords and a participant's signal evidence name embargoed matters: both are
-- sealed under the case's data key (src/services/data-keys.ts), like the rest of its text.
-- keywords itself is sealed and dropped at start-up (src/services/at-rest-upgrade.ts), since
-- sealing needs the key-encryption key; evidence moves out of cord_signals.signal there too.
ALTER TABLE case_cords ADD COLUMN keywords_sealed bytea;
ALTER TABLE cord_signals ADD COLUMN evidence_sealed bytea;
-- Until the start-up step seals and drops it, new rows leave the plaintext column empty.
ALTER TABLE case_cords ALTER COLUMN keywords DROP NOT NULL;
ALTER TABLE case_cords ALTER COLUMN keywords DROP DEFAULT;
