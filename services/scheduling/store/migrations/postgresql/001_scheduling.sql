-- Scheduling: the roster and the appointments. Each row keeps its key and the columns queries filter on;
-- `record` holds the whole proto with its sensitive fields (client names, contact addresses, telehealth links,
-- cancellation reasons) sealed with the clinic's data key (common/crypto).
-- btree_gist lets one exclusion constraint combine equality on text with overlap of time ranges; it is a
-- trusted extension (PostgreSQL 13+), so the database owner may create it without being a superuser.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE IF NOT EXISTS clinicians (
  clinic_id    text        NOT NULL,
  clinician_id text        NOT NULL,
  record       bytea       NOT NULL,
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (clinic_id, clinician_id)
);

CREATE TABLE IF NOT EXISTS availability (
  clinic_id    text        NOT NULL,
  clinician_id text        NOT NULL,
  record       bytea       NOT NULL,
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (clinic_id, clinician_id)
);

CREATE TABLE IF NOT EXISTS clients (
  clinic_id  text        NOT NULL,
  client_id  text        NOT NULL,
  record     bytea       NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (clinic_id, client_id)
);

-- Who may see a client's appointments and notes: checked on many calls, so a key lookup rather than a
-- record to open.
CREATE TABLE IF NOT EXISTS care_team (
  clinic_id    text NOT NULL,
  client_id    text NOT NULL,
  clinician_id text NOT NULL,
  PRIMARY KEY (clinic_id, client_id, clinician_id)
);

-- protected_start/end: the appointment with its clinician's buffers. protects: whether the status holds
-- that time (false for cancelled, noshow, entered-in-error, waitlist). The two exclusion constraints make a
-- double booking of a clinician or a room impossible even when two bookings commit at once.
CREATE TABLE IF NOT EXISTS appointments (
  clinic_id       text        NOT NULL,
  appointment_id  text        NOT NULL,
  clinician_id    text        NOT NULL,
  client_id_1     text        NOT NULL,
  client_id_2     text        NOT NULL,
  room            text        NOT NULL,
  start_at        timestamptz NOT NULL,
  end_at          timestamptz NOT NULL,
  protected_start timestamptz NOT NULL,
  protected_end   timestamptz NOT NULL,
  status          text        NOT NULL,
  protects        boolean     NOT NULL,
  series_id       text        NOT NULL,
  record          bytea       NOT NULL,
  PRIMARY KEY (clinic_id, appointment_id),
  CONSTRAINT appointments_clinician_free EXCLUDE USING gist (
    clinic_id WITH =, clinician_id WITH =, tstzrange(protected_start, protected_end, '[)') WITH &&)
    WHERE (protects),
  CONSTRAINT appointments_room_free EXCLUDE USING gist (
    clinic_id WITH =, room WITH =, tstzrange(protected_start, protected_end, '[)') WITH &&)
    WHERE (protects AND room <> '')
);
CREATE INDEX IF NOT EXISTS appointments_by_start ON appointments (clinic_id, start_at, appointment_id);
CREATE INDEX IF NOT EXISTS appointments_by_clinician ON appointments (clinic_id, clinician_id, start_at);
CREATE INDEX IF NOT EXISTS appointments_by_client_1 ON appointments (clinic_id, client_id_1, start_at);
CREATE INDEX IF NOT EXISTS appointments_by_client_2 ON appointments (clinic_id, client_id_2, start_at)
  WHERE client_id_2 <> '';
CREATE INDEX IF NOT EXISTS appointments_by_series ON appointments (clinic_id, series_id) WHERE series_id <> '';
-- The overlap check's range scans (the exclusion constraints' GiST indexes serve the constraint itself).
CREATE INDEX IF NOT EXISTS appointments_protected ON appointments (clinic_id, clinician_id, protected_start)
  WHERE protects;
CREATE INDEX IF NOT EXISTS appointments_room_protected ON appointments (clinic_id, room, protected_start)
  WHERE protects AND room <> '';

-- Follow-up calls sent once per clinic (the reminder template before the clinic's first reminder): a row here
-- means the call was enqueued, in the same transaction.
CREATE TABLE IF NOT EXISTS follow_up_once (
  clinic_id TEXT NOT NULL,
  once_key  TEXT NOT NULL,
  PRIMARY KEY (clinic_id, once_key)
);
