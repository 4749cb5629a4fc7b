-- The transactional outbox: calls to other services, written in the same transaction as the change that causes
-- them and delivered afterwards by the relay. `seq` fixes the delivery order within an ordering key;
-- AUTOINCREMENT keeps it from ever being reused after old rows are swept. Times are microseconds since the
-- Unix epoch (UTC).
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  clinic_id TEXT NOT NULL,
  ordering_key TEXT NOT NULL,
  target TEXT NOT NULL,
  payload BLOB NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_token TEXT,
  lease_until INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  settled_at INTEGER
);

-- The relay's question: the oldest unsettled message of each ordering key.
CREATE INDEX outbox_pending_by_key ON outbox (ordering_key, seq) WHERE state = 'pending';
-- The retention sweep.
CREATE INDEX outbox_delivered_by_time ON outbox (settled_at) WHERE state = 'delivered';
