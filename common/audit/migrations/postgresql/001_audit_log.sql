-- The append-only audit trail.
-- tandem:append-only audit_log
CREATE TABLE audit_log (
  id UUID PRIMARY KEY,
  clinic_id TEXT NOT NULL,
  occurred_at TIMESTAMPTZ NOT NULL,
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

-- Besides the runtime role holding only SELECT and INSERT, no role (the owner included) may change rows: any
-- UPDATE, DELETE or TRUNCATE statement fails as insufficient_privilege, even one that matches no row.
CREATE FUNCTION audit_log_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'append-only audit_log' USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_forbid_change();
