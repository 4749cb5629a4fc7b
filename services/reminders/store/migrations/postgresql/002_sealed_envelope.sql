-- Reminders gain the owner generation that orders replacements (a rescheduled appointment's reminders).
-- Idempotency keys move to the shared idempotency_keys table (common/db), and a reminder's sensitive fields
-- (recipient, parameters) are sealed together as one envelope in `sealed`. Rows written before keep their two
-- sealed columns, which the store still opens.
-- Keys already used keep answering retries for the rest of their day (the idempotency set is applied first).
INSERT INTO idempotency_keys (clinic_id, caller, rpc, idem_key, request_hash, response, created_at, expires_at)
  SELECT clinic_id, caller, 'ScheduleReminder', idempotency_key, request_hash, convert_to(reminder_id, 'UTF8'),
         created_at, created_at + interval '24 hours'
  FROM reminders;
ALTER TABLE reminders ADD COLUMN sealed bytea;
ALTER TABLE reminders ALTER COLUMN recipient_sealed DROP NOT NULL;
ALTER TABLE reminders ALTER COLUMN params_sealed DROP NOT NULL;
ALTER TABLE reminders DROP COLUMN caller, DROP COLUMN idempotency_key, DROP COLUMN request_hash;
ALTER TABLE reminders ADD COLUMN owner_generation bigint NOT NULL DEFAULT 0;
