-- Reminders and their templates. recipient and params are sealed with the clinic's data key (common/crypto):
-- who is reminded of what is as private as the note behind it.
CREATE TABLE IF NOT EXISTS reminder_templates (
  clinic_id   text        NOT NULL,
  template_id text        NOT NULL,
  sender_name text        NOT NULL,
  subject     text        NOT NULL,
  body        text        NOT NULL,
  discreet    boolean     NOT NULL,
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (clinic_id, template_id)
);

CREATE TABLE IF NOT EXISTS reminders (
  reminder_id      text        PRIMARY KEY,
  clinic_id        text        NOT NULL,
  owner_ref        text        NOT NULL,
  channel          integer     NOT NULL,
  recipient_sealed bytea       NOT NULL,
  template_id      text        NOT NULL,
  params_sealed    bytea       NOT NULL,
  time_zone        text        NOT NULL,
  quiet_start_min  integer,
  quiet_end_min    integer,
  due_at           timestamptz NOT NULL,
  next_attempt_at  timestamptz NOT NULL,
  state            text        NOT NULL,
  attempts         integer     NOT NULL DEFAULT 0,
  lease_owner      text,
  lease_until      timestamptz,
  dead_reason      text,
  delivered_at     timestamptz,
  created_at       timestamptz NOT NULL,
  delivery_id      text        NOT NULL,
  caller           text        NOT NULL,
  idempotency_key  text        NOT NULL,
  request_hash     text        NOT NULL,
  UNIQUE (clinic_id, caller, idempotency_key)
);
CREATE INDEX IF NOT EXISTS reminders_by_state_due ON reminders (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS reminders_by_owner ON reminders (clinic_id, owner_ref);
