-- The waitlist. An entry is ids, windows and times only (no personal text), kept whole in `record`; its
-- status and join time order the clinician's queue.
CREATE TABLE IF NOT EXISTS waitlist_entries (
  clinic_id    text    NOT NULL,
  entry_id     text    NOT NULL,
  clinician_id text    NOT NULL,
  client_id    text    NOT NULL,
  status       text    NOT NULL,
  joined_at    timestamptz NOT NULL,
  record       bytea   NOT NULL,
  PRIMARY KEY (clinic_id, entry_id)
);
CREATE INDEX IF NOT EXISTS waitlist_entries_queue ON waitlist_entries (clinic_id, clinician_id, status, joined_at);
CREATE INDEX IF NOT EXISTS waitlist_entries_by_client ON waitlist_entries (clinic_id, client_id);

-- Slots freed by a cancellation before the start, written in the cancellation's transaction when someone waits
-- for the clinician, and taken off by the waitlist worker in the transaction that offers the slot.
CREATE TABLE IF NOT EXISTS waitlist_freed_slots (
  clinic_id      text    NOT NULL,
  appointment_id text    NOT NULL,
  queued_at      timestamptz NOT NULL,
  PRIMARY KEY (clinic_id, appointment_id)
);
CREATE INDEX IF NOT EXISTS waitlist_freed_slots_by_age ON waitlist_freed_slots (queued_at);

-- Which entry each slot was offered to, so a slot declined or let lapse goes to the next client, never back.
-- hold_expires_at is set while the hold is open, for the worker that ends holds.
CREATE TABLE IF NOT EXISTS waitlist_offers (
  clinic_id       text    NOT NULL,
  hold_id         text    NOT NULL,
  entry_id        text    NOT NULL,
  clinician_id    text    NOT NULL,
  slot_start      timestamptz NOT NULL,
  hold_expires_at timestamptz,
  PRIMARY KEY (clinic_id, hold_id)
);
CREATE INDEX IF NOT EXISTS waitlist_offers_by_slot ON waitlist_offers (clinic_id, clinician_id, slot_start);
CREATE INDEX IF NOT EXISTS waitlist_offers_open ON waitlist_offers (hold_expires_at);
