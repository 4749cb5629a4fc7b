-- Per-clinic data keys, wrapped by the key-encryption key named by kek_id. Never plaintext keys.
CREATE TABLE IF NOT EXISTS data_keys (
  clinic_id  text        NOT NULL,
  version    integer     NOT NULL CHECK (version > 0),
  kek_id     text        NOT NULL,
  wrapped    bytea       NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (clinic_id, version)
);
