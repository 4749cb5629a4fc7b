-- Idempotency keys of retried writes: the first response, returned again on a retry with the same request.
CREATE TABLE idempotency_keys (
  clinic_id TEXT NOT NULL,
  caller TEXT NOT NULL,
  rpc TEXT NOT NULL,
  idem_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  response BYTEA,
  created_at TIMESTAMPTZ NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (clinic_id, caller, rpc, idem_key)
);

CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);
