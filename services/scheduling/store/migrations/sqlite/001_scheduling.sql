-- Scheduling: the roster and the appointments. Each row keeps its key and the columns queries filter on;
-- `record` holds the whole proto with its sensitive fields (client names, contact addresses, telehealth links,
-- cancellation reasons) sealed with the clinic's data key (common/crypto).
CREATE TABLE IF NOT EXISTS clinicians (
  clinic_id    TEXT    NOT NULL,
  clinician_id TEXT    NOT NULL,
  record       BLOB    NOT NULL,
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (clinic_id, clinician_id)
);

CREATE TABLE IF NOT EXISTS availability (
  clinic_id    TEXT    NOT NULL,
  clinician_id TEXT    NOT NULL,
  record       BLOB    NOT NULL,
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (clinic_id, clinician_id)
);

CREATE TABLE IF NOT EXISTS clients (
  clinic_id  TEXT    NOT NULL,
  client_id  TEXT    NOT NULL,
  record     BLOB    NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (clinic_id, client_id)
);

-- Who may see a client's appointments and notes: checked on many calls, so a key lookup rather than a
-- record to open.
CREATE TABLE IF NOT EXISTS care_team (
  clinic_id    TEXT NOT NULL,
  client_id    TEXT NOT NULL,
  clinician_id TEXT NOT NULL,
  PRIMARY KEY (clinic_id, client_id, clinician_id)
);

-- protected_start/end: the appointment with its clinician's buffers. protects: whether the status holds
-- that time (0 for cancelled, noshow, entered-in-error, waitlist). SQLite has no exclusion constraints: the
-- store checks for an overlap and writes in one BEGIN IMMEDIATE transaction, which runs one writer at a time.
CREATE TABLE IF NOT EXISTS appointments (
  clinic_id       TEXT    NOT NULL,
  appointment_id  TEXT    NOT NULL,
  clinician_id    TEXT    NOT NULL,
  client_id_1     TEXT    NOT NULL,
  client_id_2     TEXT    NOT NULL,
  room            TEXT    NOT NULL,
  start_at        INTEGER NOT NULL,
  end_at          INTEGER NOT NULL,
  protected_start INTEGER NOT NULL,
  protected_end   INTEGER NOT NULL,
  status          TEXT    NOT NULL,
  protects        INTEGER NOT NULL,
  series_id       TEXT    NOT NULL,
  record          BLOB    NOT NULL,
  PRIMARY KEY (clinic_id, appointment_id)
);
CREATE INDEX IF NOT EXISTS appointments_by_start ON appointments (clinic_id, start_at, appointment_id);
CREATE INDEX IF NOT EXISTS appointments_by_clinician ON appointments (clinic_id, clinician_id, start_at);
CREATE INDEX IF NOT EXISTS appointments_by_client_1 ON appointments (clinic_id, client_id_1, start_at);
CREATE INDEX IF NOT EXISTS appointments_by_client_2 ON appointments (clinic_id, client_id_2, start_at)
  WHERE client_id_2 <> '';
CREATE INDEX IF NOT EXISTS appointments_by_series ON appointments (clinic_id, series_id) WHERE series_id <> '';
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
