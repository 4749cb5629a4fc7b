-- The append-only audit trail. Times are microseconds since the Unix epoch (UTC).
CREATE TABLE audit_log (
  id TEXT PRIMARY KEY,
  clinic_id TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  actor_role TEXT,
  on_behalf_of TEXT,
  action TEXT NOT NULL,
  resource_type TEXT,
  resource_id TEXT,
  client_id TEXT,
  request_id TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'error')),
  reason TEXT
);

CREATE INDEX audit_log_by_time ON audit_log (clinic_id, occurred_at, id);
CREATE INDEX audit_log_by_client ON audit_log (clinic_id, client_id, occurred_at, id);

-- Rows cannot be changed or removed through SQL; the error maps to PERMISSION_DENIED.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'append-only audit_log');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'append-only audit_log');
END;
