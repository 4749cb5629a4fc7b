-- Idempotency keys of retried writes: the first response, returned again on a retry with the same request.
-- Times are microseconds since the Unix epoch (UTC).
CREATE TABLE idempotency_keys (
  clinic_id TEXT NOT NULL,
  caller TEXT NOT NULL,
  rpc TEXT NOT NULL,
  idem_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  response BLOB,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (clinic_id, caller, rpc, idem_key)
);

CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);
