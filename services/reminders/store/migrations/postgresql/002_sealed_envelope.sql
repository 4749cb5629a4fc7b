-- Reminders gain the owner generation that orders replacements (a rescheduled appointment's reminders).
-- Idempotency keys move to the shared idempotency_keys table (common/db), and a reminder's sensitive fields
-- (recipient, parameters) are sealed together as one envelope in `sealed`. Rows written before keep their two
-- sealed columns, which the store still opens.
ALTER TABLE reminders ADD COLUMN sealed bytea;
ALTER TABLE reminders ALTER COLUMN recipient_sealed DROP NOT NULL;
ALTER TABLE reminders ALTER COLUMN params_sealed DROP NOT NULL;
ALTER TABLE reminders DROP COLUMN caller, DROP COLUMN idempotency_key, DROP COLUMN request_hash;
ALTER TABLE reminders ADD COLUMN owner_generation bigint NOT NULL DEFAULT 0;
