-- Reminders and their templates. recipient and params are sealed with the clinic's data key (common/crypto):
-- who is reminded of what is as private as the note behind it.
CREATE TABLE IF NOT EXISTS reminder_templates (
  clinic_id   TEXT    NOT NULL,
  template_id TEXT    NOT NULL,
  sender_name TEXT    NOT NULL,
  subject     TEXT    NOT NULL,
  body        TEXT    NOT NULL,
  discreet    INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (clinic_id, template_id)
);

CREATE TABLE IF NOT EXISTS reminders (
  reminder_id      TEXT    PRIMARY KEY,
  clinic_id        TEXT    NOT NULL,
  owner_ref        TEXT    NOT NULL,
  channel          INTEGER NOT NULL,
  recipient_sealed BLOB    NOT NULL,
  template_id      TEXT    NOT NULL,
  params_sealed    BLOB    NOT NULL,
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
  caller           TEXT    NOT NULL,
  idempotency_key  TEXT    NOT NULL,
  request_hash     TEXT    NOT NULL,
  UNIQUE (clinic_id, caller, idempotency_key)
);
CREATE INDEX IF NOT EXISTS reminders_by_state_due ON reminders (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS reminders_by_owner ON reminders (clinic_id, owner_ref);
