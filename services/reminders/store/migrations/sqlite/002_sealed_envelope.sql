-- Reminders gain the owner generation that orders replacements (a rescheduled appointment's reminders).
-- Idempotency keys move to the shared idempotency_keys table (common/db), and a reminder's sensitive fields
-- (recipient, parameters) are sealed together as one envelope in `sealed`. SQLite cannot drop columns that a
-- UNIQUE constraint names, so the table is rebuilt; rows written before keep their two sealed columns, which
-- the store still opens.
-- Keys already used keep answering retries for the rest of their day (the idempotency set is applied first).
INSERT INTO idempotency_keys (clinic_id, caller, rpc, idem_key, request_hash, response, created_at, expires_at)
  SELECT clinic_id, caller, 'ScheduleReminder', idempotency_key, request_hash, CAST(reminder_id AS BLOB),
         created_at, created_at + 86400000000
  FROM reminders;
CREATE TABLE reminders_v2 (
  reminder_id      TEXT    PRIMARY KEY,
  clinic_id        TEXT    NOT NULL,
  owner_ref        TEXT    NOT NULL,
  channel          INTEGER NOT NULL,
  sealed           BLOB,
  recipient_sealed BLOB,
  params_sealed    BLOB,
  template_id      TEXT    NOT NULL,
  time_zone        TEXT    NOT NULL,
  quiet_start_min  INTEGER,
  quiet_end_min    INTEGER,
  due_at           INTEGER NOT NULL,
  next_attempt_at  INTEGER NOT NULL,
  state            TEXT    NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  lease_owner      TEXT,
  lease_until      INTEGER,
  dead_reason      TEXT,
  delivered_at     INTEGER,
  created_at       INTEGER NOT NULL,
  delivery_id      TEXT    NOT NULL,
  owner_generation INTEGER NOT NULL DEFAULT 0
);
INSERT INTO reminders_v2 (reminder_id, clinic_id, owner_ref, channel, recipient_sealed, params_sealed,
                          template_id, time_zone, quiet_start_min, quiet_end_min, due_at, next_attempt_at, state,
                          attempts, lease_owner, lease_until, dead_reason, delivered_at, created_at, delivery_id)
  SELECT reminder_id, clinic_id, owner_ref, channel, recipient_sealed, params_sealed, template_id, time_zone,
         quiet_start_min, quiet_end_min, due_at, next_attempt_at, state, attempts, lease_owner, lease_until,
         dead_reason, delivered_at, created_at, delivery_id
  FROM reminders;
DROP TABLE reminders;
ALTER TABLE reminders_v2 RENAME TO reminders;
CREATE INDEX IF NOT EXISTS reminders_by_state_due ON reminders (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS reminders_by_owner ON reminders (clinic_id, owner_ref);
