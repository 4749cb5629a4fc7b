-- Per-clinic data keys, wrapped by the key-encryption key named by kek_id. Never plaintext keys.
CREATE TABLE IF NOT EXISTS data_keys (
  clinic_id  TEXT    NOT NULL,
  version    INTEGER NOT NULL CHECK (version > 0),
  kek_id     TEXT    NOT NULL,
  wrapped    BLOB    NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (clinic_id, version)
);
